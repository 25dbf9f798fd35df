// What gRPC and gRPC-Web share above their framing: a call named by its gRPC
// path, with its metadata and one protobuf message, goes through the call
// pipeline and comes back as a status and a protobuf message. Logged and counted
// as REST calls are.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "app/grpc/grpc_web_framing.hpp"
#include "app/pipeline/call_pipeline.hpp"

namespace mu::grpc {

struct GrpcCall {
  std::string path;       // "/zitadel.management.v1.ManagementService/AddOrg"
  std::string transport;  // "grpc" or "grpc-web": recorded with the events and logged
  // Request metadata, names lower-cased: authorization, x-zitadel-orgid,
  // x-request-id, and ours as on REST: if-match, idempotency-key.
  std::map<std::string, std::string> metadata;
  std::string message;  // the request's protobuf bytes
  // The transport could not read the message (framing): answered with this error,
  // logged and counted like any call.
  std::optional<domain::Error> refused;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

struct GrpcReply {
  GrpcStatus status;
  std::string message;                         // the response's protobuf bytes (status OK)
  std::map<std::string, std::string> headers;  // response metadata: x-request-id, x-next-position
};

class GrpcCalls {
 public:
  explicit GrpcCalls(pipeline::CallPipeline& pipeline) : pipeline_(pipeline) {}

  // Never blocks; `done` runs exactly once, on any thread.
  void operator()(GrpcCall call, std::function<void(GrpcReply)> done);

 private:
  pipeline::CallPipeline& pipeline_;
};

// An error as gRPC carries it: its code, "message (id)" and, for errors with an
// id, ZITADEL's ErrorDetail inside grpc-status-details-bin.
GrpcStatus status_of(const domain::Error& e);

}  // namespace mu::grpc
