// One function per RPC, shared by every transport. The caller is already
// authenticated and authorized (authorization.hpp); a handler validates the
// request, runs the command (or the query) and builds the response from the
// read models. Handlers run on a database worker thread and never see HTTP or
// protobuf.
#pragma once

#include "app/handlers/api.hpp"
#include "app/handlers/backend.hpp"
#include "domain/result.hpp"

namespace mu::handlers {

domain::Result<api::AddMachineUserResponse> add_machine_user(Backend& b,
                                                             const api::CallContext& ctx,
                                                             const api::AddMachineUserRequest& req);

domain::Result<api::UpdateMachineResponse> update_machine(Backend& b, const api::CallContext& ctx,
                                                          const api::UpdateMachineRequest& req);

domain::Result<api::GetUserByIDResponse> get_user_by_id(Backend& b, const api::CallContext& ctx,
                                                        const api::GetUserByIDRequest& req);

domain::Result<api::UserLifecycleResponse> change_user_state(Backend& b,
                                                             const api::CallContext& ctx,
                                                             const api::UserLifecycleRequest& req);

domain::Result<api::AddPersonalAccessTokenResponse> add_personal_access_token(
    Backend& b, const api::CallContext& ctx, const api::AddPersonalAccessTokenRequest& req);

domain::Result<api::RemovePersonalAccessTokenResponse> remove_personal_access_token(
    Backend& b, const api::CallContext& ctx, const api::RemovePersonalAccessTokenRequest& req);

}  // namespace mu::handlers
