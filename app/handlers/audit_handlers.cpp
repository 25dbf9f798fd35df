#include "app/handlers/audit_handlers.hpp"

#include "app/handlers/audit_requests.hpp"
#include "app/handlers/object_details.hpp"
#include "app/handlers/wkt_codec.hpp"
#include "app/queries/read_models.hpp"

namespace mu::handlers {

domain::Result<mgmt::ListUserChangesResponse> list_user_changes(
    Backend& b, const api::CallContext& ctx, const mgmt::ListUserChangesRequest& req) {
  const domain::UserChangesQuery query{req.user_id(), req.query().sequence(), req.query().limit(),
                                       req.query().asc()};
  if (auto invalid = domain::validate(query)) return *invalid;
  auto page = queries::user_changes(b.db, query, ctx.org_id);
  if (!page.ok()) return page.error();
  mgmt::ListUserChangesResponse res;
  for (const auto& r : page->rows) {
    auto& c = *res.add_result();
    *c.mutable_change_date() = to_proto_timestamp(r.created_at);
    auto& type = *c.mutable_event_type();
    type.set_key(domain::event_type_key(r.type));
    type.set_localized_message(domain::event_type_message(r.type));
    c.set_sequence(r.sequence);
    c.set_editor_id(r.creator);
    c.set_resource_owner_id(r.owner);
    if (const auto editor = page->editors.find(r.creator); editor != page->editors.end()) {
      c.set_editor_display_name(editor->second.name);
      c.set_editor_preferred_login_name(editor->second.user_name);
    }
  }
  return res;
}

domain::Result<admin::ListEventsResponse> list_events(Backend& b, const api::CallContext& ctx,
                                                      const admin::ListEventsRequest& req) {
  auto query = events_query(req, ctx.extras.after_position);
  if (!query.ok()) return query.error();
  const auto& q = *query;
  if (auto invalid = domain::validate(q)) return *invalid;
  admin::ListEventsResponse res;
  ctx.reply.next_position = q.after_position;
  // events.read from an organization's role (ORG_OWNER) reads that organization's
  // events alone; another organization's are none, as ListUserChanges answers.
  std::string only_owner;
  if (!ctx.instance_wide) {
    if (!q.resource_owner.empty() && q.resource_owner != ctx.org_id) return res;
    only_owner = ctx.org_id;
  }
  auto page = queries::events_page(b.db, q, only_owner, domain::page_size(q.limit));
  if (!page.ok()) return page.error();
  for (const auto& r : page->rows) {
    auto& e = *res.add_events();
    auto& editor = *e.mutable_editor();
    editor.set_user_id(r.creator);
    if (const auto found = page->editors.find(r.creator); found != page->editors.end()) {
      editor.set_display_name(found->second.name);
    }
    editor.set_service("zitadel");
    auto& aggregate = *e.mutable_aggregate();
    aggregate.set_id(r.aggregate_id);
    fill_aggregate_type(r.aggregate_type, *aggregate.mutable_type());
    aggregate.set_resource_owner(r.owner);
    e.set_sequence(r.sequence);
    if (r.created_at != domain::Timestamp{}) {
      *e.mutable_creation_date() = to_proto_timestamp(r.created_at);
    }
    const auto payload = nlohmann::json::parse(r.payload, nullptr, /*allow_exceptions=*/false);
    if (payload.is_object()) *e.mutable_payload() = to_proto_struct(payload);
    fill_event_type(r.type, *e.mutable_type());
  }
  if (!page->rows.empty()) {
    ctx.reply.next_position = static_cast<std::uint64_t>(page->rows.back().position);
  }
  return res;
}

domain::Result<admin::ListEventTypesResponse> list_event_types(
    Backend&, const api::CallContext&, const admin::ListEventTypesRequest&) {
  admin::ListEventTypesResponse res;
  for (auto type : domain::event_types())
    fill_event_type(std::string(type), *res.add_event_types());
  return res;
}

domain::Result<admin::ListAggregateTypesResponse> list_aggregate_types(
    Backend&, const api::CallContext&, const admin::ListAggregateTypesRequest&) {
  admin::ListAggregateTypesResponse res;
  for (auto type : domain::aggregate_types()) {
    fill_aggregate_type(std::string(type), *res.add_aggregate_types());
  }
  return res;
}

}  // namespace mu::handlers
