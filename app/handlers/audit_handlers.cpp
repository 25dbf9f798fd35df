#include "app/handlers/audit_handlers.hpp"

#include <set>

#include "eventstore/audit_queries.hpp"

namespace mu::handlers {

domain::Result<api::ListUserChangesResponse> list_user_changes(
    Backend& b, const api::CallContext& ctx, const api::ListUserChangesRequest& req) {
  if (auto invalid = domain::validate(req.query)) return *invalid;
  api::ListUserChangesResponse res;
  try {
    pqxx::nontransaction read(b.db.connection());
    const auto rows = eventstore::user_changes(read, req.query, ctx.org_id);
    // Editors' names from the users read model, in one statement for the page. An editor
    // that is no machine user here (SYSTEM, a removed user) is named by its id alone.
    std::set<std::string> editor_ids;
    for (const auto& r : rows) editor_ids.insert(r.creator);
    const auto editors = b.db.users().find_many(read, editor_ids);
    for (const auto& r : rows) {
      api::Change c;
      c.change_date = r.created_at;
      c.event_type = r.type;
      c.sequence = r.sequence;
      c.editor_id = r.creator;
      c.resource_owner_id = r.owner;
      if (const auto editor = editors.find(r.creator); editor != editors.end()) {
        c.editor_display_name = editor->second.name;
        c.editor_preferred_login_name = editor->second.user_name;
      }
      res.result.push_back(std::move(c));
    }
  } catch (const std::exception& e) {
    return b.db.failure(e);
  }
  return res;
}

domain::Result<api::ListEventTypesResponse> list_event_types(Backend&, const api::CallContext&,
                                                             const api::ListEventTypesRequest&) {
  api::ListEventTypesResponse res;
  for (auto type : domain::event_types()) res.event_types.emplace_back(type);
  return res;
}

domain::Result<api::ListAggregateTypesResponse> list_aggregate_types(
    Backend&, const api::CallContext&, const api::ListAggregateTypesRequest&) {
  api::ListAggregateTypesResponse res;
  for (auto type : domain::aggregate_types()) res.aggregate_types.emplace_back(type);
  return res;
}

}  // namespace mu::handlers
