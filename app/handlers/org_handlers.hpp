// Organizations and memberships: AddOrg, GetMyOrg, Add/Update/RemoveOrgMember (in the
// organization the call acts in) and Add/Update/RemoveIAMMember (instance-wide).
// Callers are authorized before these run (authorization.hpp).
#pragma once

#include "app/commands/backend.hpp"
#include "app/commands/call_context.hpp"
#include "domain/result.hpp"
#include "zitadel/admin.pb.h"
#include "zitadel/management.pb.h"

namespace mu::handlers {

using commands::Backend;

namespace mgmt = zitadel::management::v1;
namespace admin = zitadel::admin::v1;

domain::Result<mgmt::AddOrgResponse> add_org(Backend& b, const api::CallContext& ctx,
                                             const mgmt::AddOrgRequest& req);

domain::Result<mgmt::GetMyOrgResponse> get_my_org(Backend& b, const api::CallContext& ctx,
                                                  const mgmt::GetMyOrgRequest& req);

// Members of the organization the call acts in. Update replaces the member's roles.
domain::Result<mgmt::AddOrgMemberResponse> add_org_member(Backend& b, const api::CallContext& ctx,
                                                          const mgmt::AddOrgMemberRequest& req);
domain::Result<mgmt::UpdateOrgMemberResponse> update_org_member(
    Backend& b, const api::CallContext& ctx, const mgmt::UpdateOrgMemberRequest& req);
domain::Result<mgmt::RemoveOrgMemberResponse> remove_org_member(
    Backend& b, const api::CallContext& ctx, const mgmt::RemoveOrgMemberRequest& req);

// Instance-wide members, on the instance's one stream.
domain::Result<admin::AddIAMMemberResponse> add_iam_member(Backend& b, const api::CallContext& ctx,
                                                           const admin::AddIAMMemberRequest& req);
domain::Result<admin::UpdateIAMMemberResponse> update_iam_member(
    Backend& b, const api::CallContext& ctx, const admin::UpdateIAMMemberRequest& req);
domain::Result<admin::RemoveIAMMemberResponse> remove_iam_member(
    Backend& b, const api::CallContext& ctx, const admin::RemoveIAMMemberRequest& req);

}  // namespace mu::handlers
