#include "projections/registry.hpp"

#include <cctype>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "projections/auth_projections.hpp"
#include "projections/users_batch_reducer.hpp"
#include "projections/users_projection.hpp"

namespace mu::projections {

namespace {

std::mutex modes_mutex;
std::set<std::string> async_names;

}  // namespace

const std::vector<ProjectionInfo>& registry() {
  static const std::vector<ProjectionInfo> all = {
      {"users",
       1,
       {"users_read_model"},
       true,
       true,
       {"users"},
       [](pqxx::connection_base& conn, const std::string& suffix, Batching batch) -> ReduceBatch {
         const std::string table = "users_read_model" + suffix;
         if (batch == Batching::InMemory) {
           auto users = std::make_shared<UsersBatchReducer>(table);
           return [users](pqxx::transaction_base& tx, const std::vector<domain::StoredEvent>& e) {
             users->reduce(tx, e);
           };
         }
         auto users = std::make_shared<UsersProjection>(conn, table);
         return [users](pqxx::transaction_base& tx, const std::vector<domain::StoredEvent>& e) {
           users->apply_inline(tx, e);
         };
       },
       [] {
         auto fold = std::make_shared<UsersFold>();
         return Fold{[fold](const domain::StoredEvent& e) { fold->apply(e); },
                     [fold](pqxx::transaction_base& tx, const std::string& table) {
                       fold->copy_into(tx, table);
                     }};
       },
       users_statement_share},
      // Authentication reads these right after the write that changes them (the token
      // endpoint the machine keys and secrets, the API the tokens it issued). Version 2 still:
      // issued_tokens_read_model is new with its event type, so no store has events for it.
      {"auth",
       2,
       {"orgs_read_model", "members_read_model", "pats_read_model", "machine_keys_read_model",
        "machine_secrets_read_model", "issued_tokens_read_model"},
       false,
       false,
       {"orgs", "members", "pats", "machine_keys", "machine_secrets", "issued_tokens"},
       [](pqxx::connection_base& conn, const std::string&, Batching) -> ReduceBatch {
         // Rebuilt in place only, so always on the live tables.
         auto auth = std::make_shared<AuthProjections>(conn);
         return [auth](pqxx::transaction_base& tx, const std::vector<domain::StoredEvent>& e) {
           auth->apply_inline(tx, e);
         };
       },
       {},
       auth_statement_share},
  };
  return all;
}

const ProjectionInfo* find_projection(std::string_view name) {
  for (const auto& p : registry()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

void set_async_projections(const std::set<std::string>& names) {
  std::lock_guard lock(modes_mutex);
  async_names = names;
}

Mode mode_of(std::string_view name) {
  std::lock_guard lock(modes_mutex);
  return async_names.count(std::string(name)) ? Mode::Async : Mode::Inline;
}

void record_inline_checkpoints(pqxx::transaction_base& tx) {
  auto rows = nlohmann::json::array();
  for (const auto& p : registry()) {
    if (mode_of(p.name) != Mode::Inline) continue;
    for (const auto& row : p.inline_checkpoints) rows.push_back(row);
  }
  // Writes only rows that move, so an idle service does not write at all.
  tx.exec_params(
      "UPDATE current_states SET position = last.position, updated_at = now() FROM (SELECT "
      "coalesce(max(position), 0) AS position FROM events) last WHERE projection IN (SELECT "
      "jsonb_array_elements_text($1::jsonb)) AND current_states.position < last.position",
      rows.dump());
}

std::optional<Fold> make_fold(const ProjectionInfo& info) {
  if (!info.fold) return std::nullopt;
  return info.fold();
}

namespace {

std::optional<eventstore::StatementShares> compose_shares(std::string_view aggregate_type,
                                                          std::string_view event_type) {
  eventstore::StatementShares out;
  out.key = std::string(aggregate_type) + "_" + std::string(event_type);
  for (const auto& p : registry()) {
    if (!p.statement_share) return std::nullopt;
    auto share = p.statement_share(aggregate_type, event_type);
    if (!share) return std::nullopt;
    if (share->empty()) continue;
    out.key += "_" + p.name;
    out.shares.push_back(std::move(*share));
  }
  // A prepared statement's name: letters, digits and underscores.
  for (auto& c : out.key) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return out;
}

std::mutex shares_mutex;
// By "aggregate type\nevent type"; entries are never removed, so pointers to them last.
std::map<std::string, std::optional<eventstore::StatementShares>, std::less<>> composed_shares;

}  // namespace

const eventstore::StatementShares* statement_shares(std::string_view aggregate_type,
                                                    std::string_view event_type) {
  if (any_async()) return nullptr;
  thread_local std::string key;
  key.assign(aggregate_type).append(1, '\n').append(event_type);
  std::lock_guard lock(shares_mutex);
  auto it = composed_shares.find(key);
  if (it == composed_shares.end()) {
    it = composed_shares.emplace(key, compose_shares(aggregate_type, event_type)).first;
  }
  return it->second ? &*it->second : nullptr;
}

bool any_async() {
  std::lock_guard lock(modes_mutex);
  return !async_names.empty();
}

ReduceBatch make_reducer(pqxx::connection_base& conn, const ProjectionInfo& info,
                         const std::string& table_suffix, Batching batch) {
  return info.reducer(conn, table_suffix, batch);
}

}  // namespace mu::projections
