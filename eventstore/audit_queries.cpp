#include "eventstore/audit_queries.hpp"

#include <limits>

namespace mu::eventstore {

std::vector<ChangeRow> user_changes(pqxx::transaction_base& tx, const domain::UserChangesQuery& q,
                                    const std::string& owner) {
  // Two statements rather than one with CASE, so that each walks the (aggregate_type,
  // aggregate_id, sequence) index in its own direction and stops at the limit.
  const char* sql = q.asc ? "SELECT sequence, event_type, "
                            "(extract(epoch FROM created_at) * 1000000)::bigint, creator, owner "
                            "FROM events WHERE aggregate_type = 'user' AND aggregate_id = $1 "
                            "AND owner = $2 AND sequence > $3 ORDER BY sequence LIMIT $4"
                          : "SELECT sequence, event_type, "
                            "(extract(epoch FROM created_at) * 1000000)::bigint, creator, owner "
                            "FROM events WHERE aggregate_type = 'user' AND aggregate_id = $1 "
                            "AND owner = $2 AND sequence < $3 ORDER BY sequence DESC LIMIT $4";
  // No cursor: from the first event ascending, from the last descending.
  const auto cursor = q.sequence > 0 ? static_cast<std::int64_t>(q.sequence)
                      : q.asc        ? std::int64_t{0}
                                     : std::numeric_limits<std::int64_t>::max();
  std::vector<ChangeRow> rows;
  for (const auto& r : tx.exec_params(sql, q.user_id, owner, cursor,
                                      static_cast<std::int64_t>(domain::page_size(q.limit)))) {
    rows.push_back({static_cast<std::uint64_t>(r[0].as<std::int64_t>()), r[1].as<std::string>(),
                    domain::from_unix_micros(r[2].as<long long>()), r[3].as<std::string>(),
                    r[4].as<std::string>()});
  }
  return rows;
}

}  // namespace mu::eventstore
