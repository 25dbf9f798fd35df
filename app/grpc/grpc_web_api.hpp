// The gRPC-Web transport on the HTTP/1.1 listener: POST
// /<package>.<Service>/<Method> with a gRPC-Web content type, one framed
// protobuf message in, the message and the status (in a trailer frame) out.
// CORS preflights for browsers are answered here too.
#pragma once

#include "app/grpc/cors.hpp"
#include "app/grpc/grpc_calls.hpp"
#include "app/http/http_types.hpp"

namespace mu::grpc {

class GrpcWebApi {
 public:
  GrpcWebApi(GrpcCalls& calls, CorsPolicy cors) : calls_(calls), cors_(std::move(cors)) {}

  // Whether the request is this transport's: any request to a gRPC path (REST
  // has none: gRPC paths start with "/zitadel."). A gRPC-Web content type on a
  // REST route stays REST's, which answers it 415.
  static bool handles(const http::HttpRequest& req);

  // A mu::http::RequestHandler: never blocks.
  void operator()(http::HttpRequest req, http::Responder respond);

 private:
  GrpcCalls& calls_;
  CorsPolicy cors_;
};

}  // namespace mu::grpc
