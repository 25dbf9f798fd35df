// One function per RPC, shared by every transport: validate the request,
// run the command (or the query) and build the response from the read model.
// They run on a database worker thread; they never see HTTP or protobuf.
#pragma once

#include "app/handlers/api.hpp"
#include "app/runtime/db_session.hpp"
#include "domain/ids.hpp"
#include "domain/result.hpp"

namespace mu::handlers {

// What a handler may use: its thread's database session and the id generator.
struct Backend {
  runtime::DbSession& db;
  domain::IdGenerator& ids;
};

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

}  // namespace mu::handlers
