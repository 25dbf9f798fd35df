// Organizations and memberships: AddOrg, GetMyOrg, Add/RemoveOrgMember (in the
// organization the call acts in) and Add/RemoveIAMMember (instance-wide).
// Callers are authorized before these run (authorization.hpp).
#pragma once

#include "app/handlers/api.hpp"
#include "app/handlers/backend.hpp"
#include "domain/org.hpp"
#include "domain/result.hpp"

namespace mu::handlers {

domain::Result<api::AddOrgResponse> add_org(Backend& b, const api::CallContext& ctx,
                                            const api::AddOrgRequest& req);

domain::Result<api::GetMyOrgResponse> get_my_org(Backend& b, const api::CallContext& ctx,
                                                 const api::GetMyOrgRequest& req);

// kind Org: a member of ctx.org_id; kind Instance: an instance-wide member.
domain::Result<api::MemberResponse> add_member(Backend& b, const api::CallContext& ctx,
                                               domain::ScopeKind kind,
                                               const api::AddMemberRequest& req);
// Replaces the member's roles.
domain::Result<api::MemberResponse> change_member(Backend& b, const api::CallContext& ctx,
                                                  domain::ScopeKind kind,
                                                  const api::AddMemberRequest& req);
domain::Result<api::MemberResponse> remove_member(Backend& b, const api::CallContext& ctx,
                                                  domain::ScopeKind kind,
                                                  const api::RemoveMemberRequest& req);

}  // namespace mu::handlers
