#include "app/handlers/audit_handlers.hpp"

#include <set>

#include "eventstore/audit_queries.hpp"

namespace mu::handlers {

namespace {

// The editors of a page of events, named from the users read model in one statement. An
// editor that is no machine user here (SYSTEM, a removed user) is named by its id alone.
template <class Rows>
auto editors_of(Backend& b, pqxx::transaction_base& read, const Rows& rows) {
  std::set<std::string> ids;
  for (const auto& r : rows) ids.insert(r.creator);
  return b.db.users().find_many(read, ids);
}

}  // namespace

domain::Result<api::ListUserChangesResponse> list_user_changes(
    Backend& b, const api::CallContext& ctx, const api::ListUserChangesRequest& req) {
  if (auto invalid = domain::validate(req.query)) return *invalid;
  api::ListUserChangesResponse res;
  try {
    pqxx::nontransaction read(b.db.connection());
    const auto rows = eventstore::user_changes(read, req.query, ctx.org_id);
    const auto editors = editors_of(b, read, rows);
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

domain::Result<api::ListEventsResponse> list_events(Backend& b, const api::CallContext& ctx,
                                                    const api::ListEventsRequest& req) {
  if (auto invalid = domain::validate(req.query)) return *invalid;
  api::ListEventsResponse res;
  res.next_position = req.query.after_position;
  // events.read from an organization's role (ORG_OWNER) reads that organization's
  // events alone; another organization's are none, as ListUserChanges answers.
  std::string only_owner;
  if (!ctx.instance_wide) {
    if (!req.query.resource_owner.empty() && req.query.resource_owner != ctx.org_id) return res;
    only_owner = ctx.org_id;
  }
  try {
    // Autocommit: the horizon's statement ends before the events' snapshot is taken.
    pqxx::nontransaction read(b.db.connection());
    const auto window = eventstore::events_window(read, req.query.after_position);
    if (!window) {
      return domain::invalid_argument("afterPosition " + std::to_string(req.query.after_position) +
                                      " is the position of no event");
    }
    const auto rows = eventstore::list_events(
        read, eventstore::events_select(read, req.query, only_owner, *window,
                                        domain::page_size(req.query.limit)));
    const auto editors = editors_of(b, read, rows);
    for (const auto& r : rows) {
      api::Event e;
      e.position = r.position;
      e.editor_user_id = r.creator;
      if (const auto editor = editors.find(r.creator); editor != editors.end()) {
        e.editor_display_name = editor->second.name;
      }
      e.aggregate_id = r.aggregate_id;
      e.aggregate_type = r.aggregate_type;
      e.resource_owner = r.owner;
      e.sequence = r.sequence;
      e.creation_date = r.created_at;
      e.payload = nlohmann::json::parse(r.payload);
      e.type = r.type;
      res.events.push_back(std::move(e));
    }
    if (!rows.empty()) res.next_position = static_cast<std::uint64_t>(rows.back().position);
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
