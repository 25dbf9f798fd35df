#include "projections/users_projection.hpp"

#include <algorithm>
#include <string_view>

#include "domain/time.hpp"

namespace mu::projections {
namespace {

namespace et = domain::event_type;

constexpr const char* kAdded = "mu_users_added";
constexpr const char* kChanged = "mu_users_changed";
constexpr const char* kState = "mu_users_state";
constexpr const char* kRemoved = "mu_users_removed";
constexpr const char* kAdvance = "mu_users_advance";
constexpr const char* kFind = "mu_users_find";
constexpr const char* kFindMany = "mu_users_find_many";
constexpr const char* kFindWithSecret = "mu_users_find_with_secret";
constexpr const char* kPosition = "mu_users_position";
constexpr const char* kInlineCheckpoint = "mu_users_inline_checkpoint";

// Timestamps travel as microseconds since the epoch ($n::bigint), turned into timestamptz
// with 'epoch' + n * 1 microsecond, which keeps every digit (to_timestamp goes through a
// double).
// Every update is guarded by `sequence < $event`: an event already reduced is skipped,
// which makes re-applying (replays, retries) harmless.
constexpr const char* kAddedSql =
    "INSERT INTO users_read_model (id, owner, state, user_name, name, description, "
    "access_token_type, creation_date, change_date, sequence, position) "
    "VALUES ($1, $2, 1, $3, $4, $5, $6::smallint, "
    "'epoch'::timestamptz + $7::bigint * interval '1 microsecond', "
    "'epoch'::timestamptz + $7::bigint * interval '1 microsecond', $8, $9) "
    "ON CONFLICT (id) DO NOTHING";

// The SET clauses of a change and of a state change, written once for the per-event
// statements below and for the one-statement append's share (users_statement_share), which
// name their parameters differently. The payload of user.machine.changed holds only the
// fields that changed.
std::string changed_set(const std::string& payload, const std::string& at_us,
                        const std::string& seq, const std::string& position) {
  return "name = coalesce(" + payload + "::jsonb->>'name', name), " + "description = coalesce(" +
         payload + "::jsonb->>'description', description), " + "access_token_type = coalesce((" +
         payload + "::jsonb->>'accessTokenType')::smallint, access_token_type), " +
         "change_date = 'epoch'::timestamptz + " + at_us + "::bigint * interval '1 microsecond', " +
         "sequence = " + seq + ", position = " + position;
}

std::string state_set(const std::string& state, const std::string& at_us, const std::string& seq,
                      const std::string& position) {
  return "state = " + state + "::smallint, change_date = 'epoch'::timestamptz + " + at_us +
         "::bigint * interval '1 microsecond', sequence = " + seq + ", position = " + position;
}

const std::string kChangedSql = "UPDATE users_read_model SET " +
                                changed_set("$2", "$3", "$4", "$5") +
                                " WHERE id = $1 AND sequence < $4";

const std::string kStateSql = "UPDATE users_read_model SET " + state_set("$2", "$3", "$4", "$5") +
                              " WHERE id = $1 AND sequence < $4";

constexpr const char* kRemovedSql = "DELETE FROM users_read_model WHERE id = $1 AND sequence < $2";

constexpr const char* kAdvanceSql =
    "UPDATE current_states SET position = greatest(position, $2), updated_at = now() "
    "WHERE projection = $1";

// A row as UserView reads it: what find selects and what every reducer statement
// returns, so that a command needs no extra read for its response's details.
constexpr const char* kViewColumns =
    "id, owner, state, user_name, name, description, access_token_type, "
    "(extract(epoch FROM creation_date) * 1000000)::bigint, "
    "(extract(epoch FROM change_date) * 1000000)::bigint, sequence, position";

std::string returning_view(const std::string& sql) {
  return sql + " RETURNING " + kViewColumns;
}

// Writes only when it moves, so an idle service does not write at all.
constexpr const char* kInlineCheckpointSql =
    "UPDATE current_states SET position = last.position, updated_at = now() "
    "FROM (SELECT coalesce(max(position), 0) AS position FROM events) last "
    "WHERE projection = $1 AND current_states.position < last.position";

constexpr const char* kPositionSql = "SELECT position FROM current_states WHERE projection = $1";

// Reduces one user event; types this read model does not know are skipped.
UserView to_view(const pqxx::row& row) {
  UserView v;
  v.id = row[0].as<std::string>();
  v.owner = row[1].as<std::string>();
  v.state = static_cast<domain::UserState>(row[2].as<int>());
  v.user_name = row[3].as<std::string>();
  v.name = row[4].as<std::string>();
  v.description = row[5].as<std::string>();
  v.access_token_type = static_cast<domain::AccessTokenType>(row[6].as<int>());
  v.creation_date = domain::from_unix_micros(row[7].as<long long>());
  v.change_date = domain::from_unix_micros(row[8].as<long long>());
  v.sequence = static_cast<std::uint64_t>(row[9].as<std::int64_t>());
  v.position = row[10].as<std::int64_t>();
  return v;
}

// Statement names and SQL for one table: the live read model, or the table a
// rebuild or an async runner fills.
std::string on_table(std::string text, const std::string& table) {
  const std::string live = "users_read_model";
  for (auto at = text.find(live); at != std::string::npos;
       at = text.find(live, at + table.size())) {
    text.replace(at, live.size(), table);
  }
  return text;
}

std::string named(const char* statement, const std::string& table) {
  return table == "users_read_model" ? statement : std::string(statement) + "_" + table;
}

pqxx::result reduce(pqxx::transaction_base& tx, const domain::StoredEvent& e,
                    const std::string& table) {
  const auto seq = static_cast<std::int64_t>(e.sequence);
  const auto at = domain::to_unix_micros(e.created_at);
  if (e.type == et::kMachineAdded) {
    return tx.exec_prepared(named(kAdded, table), e.aggregate_id, e.owner,
                            domain::payload_string(e.payload, "userName"),
                            domain::payload_string(e.payload, "name"),
                            domain::payload_string(e.payload, "description"),
                            domain::payload_int(e.payload, "accessTokenType"), at, seq, e.position);
  } else if (e.type == et::kMachineChanged) {
    return tx.exec_prepared(named(kChanged, table), e.aggregate_id, e.payload.dump(), at, seq,
                            e.position);
  } else if (const auto state = domain::state_after(e.type)) {
    return tx.exec_prepared(named(kState, table), e.aggregate_id, static_cast<int>(*state), at, seq,
                            e.position);
  } else if (e.type == et::kRemoved) {
    return tx.exec_prepared(named(kRemoved, table), e.aggregate_id, seq);
  }
  return {};
}

}  // namespace

std::optional<std::string> users_statement_share(std::string_view aggregate_type,
                                                 std::string_view event_type) {
  if (aggregate_type != domain::kUserAggregate) return "";
  // The one statement's parameters (eventstore::StatementShares): $2 id, $3 sequence,
  // $4 payload, $5 created_at (µs); `ev` is the inserted event.
  const std::string where =
      " FROM ev WHERE users_read_model.id = $2::text AND users_read_model.sequence < $3::bigint";
  if (event_type == et::kMachineChanged) {
    return "UPDATE users_read_model SET " + changed_set("$4", "$5", "$3::bigint", "ev.position") +
           where;
  }
  if (const auto state = domain::state_after(event_type)) {
    return "UPDATE users_read_model SET " +
           state_set(std::to_string(static_cast<int>(*state)), "$5", "$3::bigint", "ev.position") +
           where;
  }
  if (event_type == et::kMachineAdded || event_type == et::kRemoved) return std::nullopt;
  return "";  // not this read model's business
}

UsersProjection::UsersProjection(pqxx::connection_base& conn, std::string table)
    : table_(std::move(table)) {
  conn.prepare(named(kAdded, table_), on_table(returning_view(kAddedSql), table_));
  conn.prepare(named(kChanged, table_), on_table(returning_view(kChangedSql), table_));
  conn.prepare(named(kState, table_), on_table(returning_view(kStateSql), table_));
  conn.prepare(named(kRemoved, table_), on_table(returning_view(kRemovedSql), table_));
  conn.prepare(kAdvance, kAdvanceSql);
  conn.prepare(named(kFind, table_),
               std::string("SELECT ") + kViewColumns + " FROM " + table_ + " WHERE id = $1");
  conn.prepare(named(kFindWithSecret, table_),
               std::string("SELECT ") + kViewColumns +
                   ", EXISTS (SELECT 1 FROM machine_secrets_read_model s WHERE s.user_id = $1) "
                   "FROM " +
                   table_ + " WHERE id = $1");
  conn.prepare(named(kFindMany, table_),
               std::string("SELECT ") + kViewColumns + " FROM " + table_ +
                   " WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))");
  conn.prepare(kPosition, kPositionSql);
  conn.prepare(kInlineCheckpoint, kInlineCheckpointSql);
}

void UsersProjection::record_inline_checkpoint(pqxx::transaction_base& tx) {
  tx.exec_prepared(kInlineCheckpoint, kUsersProjection);
}

void UsersProjection::apply(pqxx::transaction_base& tx,
                            const std::vector<domain::StoredEvent>& events) {
  apply_inline(tx, events);
  std::int64_t last = 0;
  for (const auto& e : events) last = std::max(last, e.position);
  if (last > 0) tx.exec_prepared(kAdvance, kUsersProjection, last);
}

std::optional<UserView> UsersProjection::apply_inline(
    pqxx::transaction_base& tx, const std::vector<domain::StoredEvent>& events) {
  std::optional<UserView> last;
  for (const auto& e : events) {
    if (e.aggregate_type != domain::kUserAggregate) continue;
    auto rows = reduce(tx, e, table_);
    if (!rows.empty()) last = to_view(rows[0]);
  }
  return last;
}

std::optional<UserView> UsersProjection::find(pqxx::transaction_base& tx,
                                              const std::string& user_id) {
  const auto result = tx.exec_prepared(named(kFind, table_), user_id);
  if (result.empty()) return std::nullopt;
  return to_view(result[0]);
}

std::optional<std::pair<UserView, bool>> UsersProjection::find_with_secret(
    pqxx::transaction_base& tx, const std::string& user_id) {
  const auto result = tx.exec_prepared(named(kFindWithSecret, table_), user_id);
  if (result.empty()) return std::nullopt;
  return std::make_pair(to_view(result[0]), result[0][11].as<bool>());
}

std::map<std::string, UserView> UsersProjection::find_many(pqxx::transaction_base& tx,
                                                           const std::set<std::string>& ids) {
  std::map<std::string, UserView> found;
  if (ids.empty()) return found;
  for (const auto& row : tx.exec_prepared(named(kFindMany, table_), nlohmann::json(ids).dump())) {
    auto view = to_view(row);
    found.emplace(view.id, std::move(view));
  }
  return found;
}

void UsersProjection::reset(pqxx::transaction_base& tx) {
  tx.exec("DELETE FROM " + tx.quote_name(table_));
  tx.exec("UPDATE current_states SET position = 0, updated_at = now() WHERE projection = " +
          tx.quote(std::string(kUsersProjection)));
}

std::int64_t UsersProjection::position(pqxx::transaction_base& tx) {
  const auto result = tx.exec_prepared(kPosition, kUsersProjection);
  return result.empty() ? 0 : result[0][0].as<std::int64_t>();
}

}  // namespace mu::projections
