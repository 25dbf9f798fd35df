#include "app/handlers/org_handlers.hpp"

#include <type_traits>

#include "app/commands/command_runner.hpp"
#include "app/handlers/object_details.hpp"
#include "app/queries/read_models.hpp"
#include "domain/org.hpp"

namespace mu::handlers {

using commands::key_of;
using commands::StreamRef;

namespace {

using domain::Error;
using domain::ScopeKind;

// The stream a membership lives on: the org's, or the instance's one stream.
StreamRef scope_stream(const api::CallContext& ctx, ScopeKind kind) {
  if (kind == ScopeKind::Org) {
    return {ctx.org_id, ctx.org_id, ctx.editor_id, ctx.expected_sequence, key_of(ctx), ctx.origin};
  }
  const std::string instance(domain::kInstanceId);
  return {instance, instance, ctx.editor_id, ctx.expected_sequence, key_of(ctx), ctx.origin};
}

// Validates a member command, decides it on the scope's stream, returns the details.
template <class Response, class Command>
domain::Result<Response> on_members(Backend& b, const api::CallContext& ctx, const Command& cmd,
                                    const std::string& lock_user = "") {
  if (auto invalid = domain::validate(cmd)) return *invalid;
  auto out = commands::run_scope_command(
      b, cmd.kind, scope_stream(ctx, cmd.kind),
      [c = Command(cmd)](const domain::MemberScope& s, bool user_exists) mutable {
        if constexpr (std::is_same_v<Command, domain::AddMember>) c.user_exists = user_exists;
        return domain::decide(s, c);
      },
      lock_user);
  if (!out.ok()) return out.error();
  return details_response<Response>(out->details());
}

template <class Response, class Request>
domain::Result<Response> add_member(Backend& b, const api::CallContext& ctx, ScopeKind kind,
                                    const Request& req) {
  // The member's stream head is locked with the grant, so it cannot race the user's removal.
  return on_members<Response>(
      b, ctx,
      domain::AddMember{kind, req.user_id(), {req.roles().begin(), req.roles().end()}, false},
      req.user_id());
}

template <class Response, class Request>
domain::Result<Response> change_member(Backend& b, const api::CallContext& ctx, ScopeKind kind,
                                       const Request& req) {
  return on_members<Response>(
      b, ctx, domain::ChangeMember{kind, req.user_id(), {req.roles().begin(), req.roles().end()}});
}

template <class Response, class Request>
domain::Result<Response> remove_member(Backend& b, const api::CallContext& ctx, ScopeKind kind,
                                       const Request& req) {
  return on_members<Response>(b, ctx, domain::RemoveMember{kind, req.user_id()});
}

}  // namespace

domain::Result<mgmt::AddOrgResponse> add_org(Backend& b, const api::CallContext& ctx,
                                             const mgmt::AddOrgRequest& req) {
  domain::AddOrg cmd{"", req.name(), ctx.editor_id};
  if (auto invalid = domain::validate(cmd)) return *invalid;
  cmd.org_id = b.ids.next();
  auto out = commands::run_scope_command(
      b, ScopeKind::Org,
      {cmd.org_id, cmd.org_id, ctx.editor_id, std::nullopt, key_of(ctx), ctx.origin},
      [&](const domain::MemberScope& s, bool) { return domain::decide(s, cmd); });
  if (!out.ok()) return out.error();
  auto res = details_response<mgmt::AddOrgResponse>(out->details());
  res.set_id(cmd.org_id);
  return res;
}

domain::Result<mgmt::GetMyOrgResponse> get_my_org(Backend& b, const api::CallContext& ctx,
                                                  const mgmt::GetMyOrgRequest&) {
  auto found = queries::find_org(b.db, ctx.org_id);
  if (!found.ok()) return found.error();
  const auto& org = *found;
  if (!org) return Error{domain::Code::NotFound, "QUERY-iTTGJ", "Organisation not found"};
  mgmt::GetMyOrgResponse res;
  auto& out = *res.mutable_org();
  out.set_id(org->id);
  fill_details({org->sequence, org->creation_date, org->change_date, org->id},
               *out.mutable_details());
  // Organizations here are never deactivated or removed.
  out.set_state(zitadel::org::v1::ORG_STATE_ACTIVE);
  out.set_name(org->name);
  return res;
}

domain::Result<mgmt::AddOrgMemberResponse> add_org_member(Backend& b, const api::CallContext& ctx,
                                                          const mgmt::AddOrgMemberRequest& req) {
  return add_member<mgmt::AddOrgMemberResponse>(b, ctx, ScopeKind::Org, req);
}
domain::Result<mgmt::UpdateOrgMemberResponse> update_org_member(
    Backend& b, const api::CallContext& ctx, const mgmt::UpdateOrgMemberRequest& req) {
  return change_member<mgmt::UpdateOrgMemberResponse>(b, ctx, ScopeKind::Org, req);
}
domain::Result<mgmt::RemoveOrgMemberResponse> remove_org_member(
    Backend& b, const api::CallContext& ctx, const mgmt::RemoveOrgMemberRequest& req) {
  return remove_member<mgmt::RemoveOrgMemberResponse>(b, ctx, ScopeKind::Org, req);
}

domain::Result<admin::AddIAMMemberResponse> add_iam_member(Backend& b, const api::CallContext& ctx,
                                                           const admin::AddIAMMemberRequest& req) {
  return add_member<admin::AddIAMMemberResponse>(b, ctx, ScopeKind::Instance, req);
}
domain::Result<admin::UpdateIAMMemberResponse> update_iam_member(
    Backend& b, const api::CallContext& ctx, const admin::UpdateIAMMemberRequest& req) {
  return change_member<admin::UpdateIAMMemberResponse>(b, ctx, ScopeKind::Instance, req);
}
domain::Result<admin::RemoveIAMMemberResponse> remove_iam_member(
    Backend& b, const api::CallContext& ctx, const admin::RemoveIAMMemberRequest& req) {
  return remove_member<admin::RemoveIAMMemberResponse>(b, ctx, ScopeKind::Instance, req);
}

}  // namespace mu::handlers
