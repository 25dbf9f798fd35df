#include "eventstore/audit_queries.hpp"

#include <limits>
#include <string_view>

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

namespace {

// ARRAY['a','b']: each value quoted.
std::string array_of(pqxx::transaction_base& tx, const std::vector<std::string>& values) {
  std::string out = "ARRAY[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += tx.quote(values[i]);
  }
  return out + "]::text[]";
}

std::string time_literal(domain::Timestamp t) {
  return "(TIMESTAMPTZ 'epoch' + " + std::to_string(domain::to_unix_micros(t)) +
         " * INTERVAL '1 microsecond')";
}

}  // namespace

namespace {

// The horizon: pg_stat_activity gives each open transaction's id as a 32-bit xid,
// widened here to xid8 against the snapshot's xmax: `d` is how far below xmax it is
// (mod 2^32). A transaction that took its id after the snapshot was taken lies above
// xmax (d wraps past 2^31): xmax bounds it already.
constexpr const char* kHorizon =
    "(SELECT coalesce(min(CASE WHEN a.d < 2147483648 THEN x.xmax - a.d ELSE x.xmax END), "
    "min(x.xmax))::text FROM (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS "
    "xmax) x LEFT JOIN LATERAL (SELECT ((x.xmax % 4294967296) - backend_xid::text::bigint + "
    "4294967296) % 4294967296 AS d FROM pg_stat_activity WHERE datname = current_database() "
    "AND backend_xid IS NOT NULL) a ON true)";

}  // namespace

std::string visibility_horizon(pqxx::transaction_base& tx) {
  return tx.exec1(std::string("SELECT ") + kHorizon)[0].as<std::string>();
}

std::optional<EventsWindow> events_window(pqxx::transaction_base& tx,
                                          std::uint64_t after_position) {
  if (after_position == 0) return EventsWindow{visibility_horizon(tx), ""};
  if (after_position > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  // One round trip for both: the cursor's event is committed (it was shown), so reading
  // it in the horizon's statement changes nothing.
  const auto row = tx.exec_params1(
      std::string("SELECT ") + kHorizon + ", (SELECT tx_id::text FROM events WHERE position = $1)",
      static_cast<std::int64_t>(after_position));
  if (row[1].is_null()) return std::nullopt;
  return EventsWindow{row[0].as<std::string>(), row[1].as<std::string>()};
}

std::string events_select(pqxx::transaction_base& tx, const domain::EventsQuery& q,
                          const std::string& only_owner, const EventsWindow& w, std::size_t limit) {
  const std::string_view cmp = q.asc ? " > " : " < ";
  // Only transactions that have ended: an event that commits later has a transaction id
  // at or above the horizon, so it sorts after every event shown now, and a cursor of
  // (transaction, position) never passes it (docs/decisions.md).
  std::string where = "tx_id < " + tx.quote(w.horizon) + "::xid8";
  if (!w.cursor_tx.empty()) {
    where += " AND (tx_id, position)";
    where += cmp;
    where += "(" + tx.quote(w.cursor_tx) + "::xid8, " + std::to_string(q.after_position) + ")";
  }
  // ZITADEL's sequence: each event's own, not a cursor across aggregates.
  if (q.sequence > 0) {
    where += " AND sequence";
    where += cmp;
    where += std::to_string(q.sequence);
  }
  if (!q.editor_user_id.empty()) where += " AND creator = " + tx.quote(q.editor_user_id);
  if (!q.event_types.empty()) where += " AND event_type = ANY(" + array_of(tx, q.event_types) + ")";
  if (!q.aggregate_types.empty()) {
    where += " AND aggregate_type = ANY(" + array_of(tx, q.aggregate_types) + ")";
  } else if (!q.aggregate_id.empty()) {
    // Every aggregate type this service writes: the primary key (aggregate_type,
    // aggregate_id, sequence) then finds an id without a type of its own.
    std::vector<std::string> all;
    for (auto t : domain::aggregate_types()) all.emplace_back(t);
    where += " AND aggregate_type = ANY(" + array_of(tx, all) + ")";
  }
  if (!q.aggregate_id.empty()) where += " AND aggregate_id = " + tx.quote(q.aggregate_id);
  if (!q.resource_owner.empty()) where += " AND owner = " + tx.quote(q.resource_owner);
  if (!only_owner.empty()) where += " AND owner = " + tx.quote(only_owner);
  if (q.since) where += " AND created_at > " + time_literal(*q.since);
  if (q.until) where += " AND created_at < " + time_literal(*q.until);
  if (q.from) {
    where += " AND created_at";
    where += cmp;
    where += time_literal(*q.from);
  }
  // With types and a time bound, or an aggregate id, an index finds the few events
  // asked for: their keys are sorted, and only the page's rows are read whole. Left to
  // itself the planner walks the order's index from the newest event and filters,
  // expecting matches spread evenly: for a window in the middle of a million events
  // that took 135 ms (bench/README.md). The type and time index holds the keys
  // (migrations/0008), so the keys come from the index alone.
  const bool narrow =
      (!q.event_types.empty() && (q.since || q.until || q.from)) || !q.aggregate_id.empty();
  // The column tx_id, compared as xid8: no selected column may take the name tx_id (a
  // cast one, `tx_id::text`, would, and ORDER BY would then sort it as text).
  const std::string order =
      q.asc ? " ORDER BY tx_id, position" : " ORDER BY tx_id DESC, position DESC";
  const std::string page = limit > 0 ? " LIMIT " + std::to_string(limit) : "";
  const std::string columns =
      "position, aggregate_type, aggregate_id, sequence, event_type, payload::text, creator, "
      "owner, (extract(epoch FROM created_at) * 1000000)::bigint, rpc, transport, request_id";
  if (narrow) {
    return "WITH keys AS MATERIALIZED (SELECT tx_id, position FROM events WHERE " + where +
           "), page AS (SELECT position FROM keys" + order + page + ") SELECT " + columns +
           " FROM events WHERE position IN (SELECT position FROM page)" + order;
  }
  return "SELECT " + columns + " FROM events WHERE " + where + order + page;
}

EventRow event_row_from(const std::vector<std::string>& c) {
  EventRow r;
  r.position = std::stoll(c[0]);
  r.aggregate_type = c[1];
  r.aggregate_id = c[2];
  r.sequence = std::stoull(c[3]);
  r.type = c[4];
  r.payload = c[5];
  r.creator = c[6];
  r.owner = c[7];
  r.created_at = domain::from_unix_micros(std::stoll(c[8]));
  r.rpc = c[9];
  r.transport = c[10];
  r.request_id = c[11];
  return r;
}

std::vector<EventRow> list_events(pqxx::transaction_base& tx, const std::string& select) {
  std::vector<EventRow> rows;
  std::vector<std::string> columns(kEventRowColumns);
  for (const auto& r : tx.exec(select)) {
    for (std::size_t i = 0; i < kEventRowColumns; ++i) columns[i] = r[static_cast<int>(i)].c_str();
    rows.push_back(event_row_from(columns));
  }
  return rows;
}

}  // namespace mu::eventstore
