#include "projections/registry.hpp"

#include <mutex>

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
      {"users", 1, {"users_read_model"}, true, true},
      // Authentication reads these right after the write that changes them.
      {"auth", 1, {"orgs_read_model", "members_read_model", "pats_read_model"}, false, false},
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

bool any_async() {
  std::lock_guard lock(modes_mutex);
  return !async_names.empty();
}

ReduceBatch make_reducer(pqxx::connection_base& conn, const ProjectionInfo& info,
                         const std::string& table_suffix, Batching batch) {
  if (info.name == "users" && batch == Batching::InMemory) {
    auto users = std::make_shared<UsersBatchReducer>("users_read_model" + table_suffix);
    return [users](pqxx::transaction_base& tx, const std::vector<domain::StoredEvent>& events) {
      users->reduce(tx, events);
    };
  }
  if (info.name == "users") {
    auto users = std::make_shared<UsersProjection>(conn, "users_read_model" + table_suffix);
    return [users](pqxx::transaction_base& tx, const std::vector<domain::StoredEvent>& events) {
      users->apply_inline(tx, events);
    };
  }
  auto auth = std::make_shared<AuthProjections>(conn);
  return [auth](pqxx::transaction_base& tx, const std::vector<domain::StoredEvent>& events) {
    auth->apply_inline(tx, events);
  };
}

}  // namespace mu::projections
