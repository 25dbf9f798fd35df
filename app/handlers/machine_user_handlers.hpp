// The machine user RPCs of zitadel.management.v1.ManagementService. Each takes and
// returns its generated protobuf messages, whichever transport brought the call. The
// caller is already authenticated and authorized (authorization.hpp); a handler
// validates the request, runs the command (or the query) and fills the response.
// Handlers run on a database worker thread and never see HTTP or the wire.
#pragma once

#include "app/commands/backend.hpp"
#include "app/commands/call_context.hpp"
#include "domain/result.hpp"
#include "zitadel/management.pb.h"

namespace mu::handlers {

using commands::Backend;

namespace mgmt = zitadel::management::v1;

domain::Result<mgmt::AddMachineUserResponse> add_machine_user(
    Backend& b, const api::CallContext& ctx, const mgmt::AddMachineUserRequest& req);

domain::Result<mgmt::UpdateMachineResponse> update_machine(Backend& b, const api::CallContext& ctx,
                                                           const mgmt::UpdateMachineRequest& req);

// With ctx.extras.as_of: the user as it was, folded from its events.
domain::Result<mgmt::GetUserByIDResponse> get_user_by_id(Backend& b, const api::CallContext& ctx,
                                                         const mgmt::GetUserByIDRequest& req);

domain::Result<mgmt::DeactivateUserResponse> deactivate_user(
    Backend& b, const api::CallContext& ctx, const mgmt::DeactivateUserRequest& req);
domain::Result<mgmt::ReactivateUserResponse> reactivate_user(
    Backend& b, const api::CallContext& ctx, const mgmt::ReactivateUserRequest& req);
domain::Result<mgmt::LockUserResponse> lock_user(Backend& b, const api::CallContext& ctx,
                                                 const mgmt::LockUserRequest& req);
domain::Result<mgmt::UnlockUserResponse> unlock_user(Backend& b, const api::CallContext& ctx,
                                                     const mgmt::UnlockUserRequest& req);
domain::Result<mgmt::RemoveUserResponse> remove_user(Backend& b, const api::CallContext& ctx,
                                                     const mgmt::RemoveUserRequest& req);

domain::Result<mgmt::AddPersonalAccessTokenResponse> add_personal_access_token(
    Backend& b, const api::CallContext& ctx, const mgmt::AddPersonalAccessTokenRequest& req);

domain::Result<mgmt::RemovePersonalAccessTokenResponse> remove_personal_access_token(
    Backend& b, const api::CallContext& ctx, const mgmt::RemovePersonalAccessTokenRequest& req);

}  // namespace mu::handlers
