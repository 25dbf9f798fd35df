// Ours on REST, beside ZITADEL's messages (docs/decisions.md): GetUserByID's `asOf`
// query parameter (the user as of a sequence or a time) and ListEvents' `afterPosition`
// body field (the position cursor). The protos name them (mu.v1.parameters, mu.v1.rest_fields)
// and the OpenAPI overlay holds their schemas.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "app/commands/call_context.hpp"
#include "app/pipeline/rpc_table.hpp"
#include "domain/result.hpp"

namespace mu::rest {

domain::Result<api::CallExtras> read_extras(const pipeline::RpcEntry& rpc,
                                            const nlohmann::json& body, std::string_view query);

}  // namespace mu::rest
