// The typed RPC table: for every RPC its gRPC service and method, the permission
// it needs in the organization it acts in, whether it writes, and its handler.
// Every transport and the pipeline read this one table.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "app/handlers/backend.hpp"
#include "app/pipeline/messages.hpp"
#include "app/pipeline/rpc.hpp"
#include "domain/result.hpp"

namespace mu::pipeline {

using Handler = domain::Result<Response> (*)(handlers::Backend&, const api::CallContext&,
                                             const Request&);

struct RpcEntry {
  api::Rpc rpc;
  std::string_view service;     // e.g. "zitadel.management.v1.ManagementService"
  std::string_view method;      // e.g. "UpdateMachine"
  std::string_view permission;  // e.g. "user.write"
  bool writes;                  // appends events: takes an Idempotency-Key
  Handler handle;
};

const RpcEntry& rpc_entry(api::Rpc rpc);

// The RPC of a gRPC path ("/zitadel.management.v1.ManagementService/UpdateMachine"),
// or nullopt for a method this service does not serve.
std::optional<api::Rpc> rpc_of_grpc_path(std::string_view path);

// Whether some RPC of the table belongs to this gRPC service.
bool serves_service(std::string_view service);

// "zitadel.management.v1.ManagementService/UpdateMachine": what events record as their origin.
std::string full_rpc_name(api::Rpc rpc);

}  // namespace mu::pipeline
