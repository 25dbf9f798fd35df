// The RPC table: for every RPC of the services this process serves, what its proto
// says of it (gRPC name, REST route, permission, whether it writes) joined with its
// handler. Built once from the generated descriptors' options (proto/README.md);
// every transport and the pipeline read it, and nothing else names an RPC.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "app/handlers/handler_bindings.hpp"

namespace mu::pipeline {

using handlers::MessagePtr;

// google.api.http of an RPC.
struct HttpBinding {
  std::string verb;  // "GET", "POST", "PUT", "DELETE", "PATCH"
  std::string path;  // the template without the service's prefix: "/users/{user_id}/machine"
  std::string body;  // "*": the request message is the body; "": no body
};

struct RpcEntry {
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string service;      // "zitadel.management.v1.ManagementService"
  std::string name;         // "AddOrg"
  std::string full_name;    // "zitadel.management.v1.ManagementService/AddOrg"
  std::string rest_prefix;  // "/management/v1": REST serves the route with and without it
  std::string permission;   // zitadel.v1.auth_option's, e.g. "user.write"
  bool writes = false;      // mu.v1.writes: appends events, honours an Idempotency-Key
  HttpBinding http;
  handlers::Handler handle = nullptr;

  MessagePtr new_request() const;
  MessagePtr new_response() const;
};

// Every RPC, in the services' declaration order. The first call builds it and throws
// std::logic_error when a method lacks its options or its handler, or a handler its
// method: main calls it at start-up so that such a build does not serve.
const std::vector<RpcEntry>& rpc_table();

// The RPC of a gRPC path ("/zitadel.management.v1.ManagementService/AddOrg"),
// or nullptr for a method this service does not serve.
const RpcEntry* rpc_of_grpc_path(std::string_view path);

// Whether some RPC of the table belongs to this gRPC service.
bool serves_service(std::string_view service);

}  // namespace mu::pipeline
