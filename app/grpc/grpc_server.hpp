// The gRPC transport (HTTP/2, h2c): a grpc++ server without ports of its own.
// The HTTP listener hands it every connection that opens with the HTTP/2
// preface, so that gRPC, gRPC-Web and REST share one port. Calls run through
// grpc++'s callback API into GrpcCalls: no gRPC thread waits for PostgreSQL.
#pragma once

#include <chrono>
#include <memory>

#include "app/grpc/grpc_calls.hpp"

namespace mu::grpc {

class GrpcServer {
 public:
  explicit GrpcServer(GrpcCalls& calls);
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Takes over a connected socket (an accepted h2c connection); thread-safe.
  void adopt(int fd);

  // Lets calls in flight finish for up to `grace`, then cancels what is left.
  void shutdown(std::chrono::milliseconds grace);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mu::grpc
