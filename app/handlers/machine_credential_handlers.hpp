// The credential RPCs of zitadel.management.v1.ManagementService: a machine user's client
// secret and its keys, with which it gets OAuth tokens. Like machine_user_handlers.hpp: the
// caller is authenticated and authorized; a handler validates, runs the command or the query,
// and fills the response. Secrets and private keys exist in the response alone.
#pragma once

#include "app/commands/backend.hpp"
#include "app/commands/call_context.hpp"
#include "domain/result.hpp"
#include "zitadel/management.pb.h"

namespace mu::handlers {

namespace mgmt = zitadel::management::v1;

domain::Result<mgmt::GenerateMachineSecretResponse> generate_machine_secret(
    commands::Backend& b, const api::CallContext& ctx,
    const mgmt::GenerateMachineSecretRequest& req);
domain::Result<mgmt::RemoveMachineSecretResponse> remove_machine_secret(
    commands::Backend& b, const api::CallContext& ctx, const mgmt::RemoveMachineSecretRequest& req);

domain::Result<mgmt::AddMachineKeyResponse> add_machine_key(commands::Backend& b,
                                                            const api::CallContext& ctx,
                                                            const mgmt::AddMachineKeyRequest& req);
domain::Result<mgmt::GetMachineKeyByIDsResponse> get_machine_key_by_ids(
    commands::Backend& b, const api::CallContext& ctx, const mgmt::GetMachineKeyByIDsRequest& req);
domain::Result<mgmt::ListMachineKeysResponse> list_machine_keys(
    commands::Backend& b, const api::CallContext& ctx, const mgmt::ListMachineKeysRequest& req);
domain::Result<mgmt::RemoveMachineKeyResponse> remove_machine_key(
    commands::Backend& b, const api::CallContext& ctx, const mgmt::RemoveMachineKeyRequest& req);

}  // namespace mu::handlers
