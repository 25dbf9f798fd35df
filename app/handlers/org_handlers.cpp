#include "app/handlers/org_handlers.hpp"

#include <type_traits>

#include "app/handlers/command_runner.hpp"

namespace mu::handlers {

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
template <class Command>
domain::Result<api::MemberResponse> on_members(Backend& b, const api::CallContext& ctx,
                                               const Command& cmd,
                                               const std::string& lock_user = "") {
  if (auto invalid = domain::validate(cmd)) return *invalid;
  auto out = run_scope_command(
      b, cmd.kind, scope_stream(ctx, cmd.kind),
      [c = Command(cmd)](const domain::MemberScope& s, bool user_exists) mutable {
        if constexpr (std::is_same_v<Command, domain::AddMember>) c.user_exists = user_exists;
        return domain::decide(s, c);
      },
      lock_user);
  if (!out.ok()) return out.error();
  return api::MemberResponse{out->details()};
}

}  // namespace

domain::Result<api::AddOrgResponse> add_org(Backend& b, const api::CallContext& ctx,
                                            const api::AddOrgRequest& req) {
  domain::AddOrg cmd{"", req.name, ctx.editor_id};
  if (auto invalid = domain::validate(cmd)) return *invalid;
  cmd.org_id = b.ids.next();
  auto out = run_scope_command(
      b, ScopeKind::Org,
      {cmd.org_id, cmd.org_id, ctx.editor_id, std::nullopt, key_of(ctx), ctx.origin},
      [&](const domain::MemberScope& s, bool) { return domain::decide(s, cmd); });
  if (!out.ok()) return out.error();
  return api::AddOrgResponse{cmd.org_id, out->details()};
}

domain::Result<api::GetMyOrgResponse> get_my_org(Backend& b, const api::CallContext& ctx,
                                                 const api::GetMyOrgRequest&) {
  std::optional<projections::OrgView> org;
  try {
    pqxx::nontransaction read(b.db.connection());
    org = b.db.auth().find_org(read, ctx.org_id);
  } catch (const std::exception& e) {
    return b.db.failure(e);
  }
  if (!org) return Error{domain::Code::NotFound, "QUERY-iTTGJ", "Organisation not found"};
  return api::GetMyOrgResponse{
      api::Org{org->id, {org->sequence, org->creation_date, org->change_date, org->id}, org->name}};
}

domain::Result<api::MemberResponse> add_member(Backend& b, const api::CallContext& ctx,
                                               ScopeKind kind, const api::AddMemberRequest& req) {
  // The member's stream head is locked with the grant, so it cannot race the user's removal.
  return on_members(b, ctx, domain::AddMember{kind, req.user_id, req.roles, false}, req.user_id);
}

domain::Result<api::MemberResponse> change_member(Backend& b, const api::CallContext& ctx,
                                                  ScopeKind kind,
                                                  const api::AddMemberRequest& req) {
  return on_members(b, ctx, domain::ChangeMember{kind, req.user_id, req.roles});
}

domain::Result<api::MemberResponse> remove_member(Backend& b, const api::CallContext& ctx,
                                                  ScopeKind kind,
                                                  const api::RemoveMemberRequest& req) {
  return on_members(b, ctx, domain::RemoveMember{kind, req.user_id});
}

}  // namespace mu::handlers
