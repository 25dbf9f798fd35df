#include "app/grpc/grpc_web_api.hpp"

#include <memory>

namespace mu::grpc {

namespace {

std::string header_or_empty(const http::HttpRequest& req, std::string_view name) {
  return std::string(req.header(name).value_or(std::string_view()));
}

}  // namespace

bool GrpcWebApi::handles(const http::HttpRequest& req) {
  return req.target.starts_with("/zitadel.");
}

void GrpcWebApi::operator()(http::HttpRequest req, http::Responder respond) {
  const std::string origin = header_or_empty(req, "origin");
  const bool cors = cors_.allows(origin);

  if (req.method == "OPTIONS") {
    if (!cors) return respond(http::text_response(403, "CORS: origin not allowed\n"));
    http::HttpResponse res = http::text_response(204, "");
    res.content_type.clear();
    res.headers = cors_.preflight_headers(origin);
    return respond(std::move(res));
  }
  // What grpc-go's HTTP handler answers requests that are no gRPC calls.
  if (req.method != "POST") {
    auto res = http::text_response(405, "gRPC-Web requires POST\n");
    res.headers["allow"] = "POST, OPTIONS";
    return respond(std::move(res));
  }
  const auto type = req.header("content-type");
  const auto encoding = type ? grpc_web_encoding(*type) : std::nullopt;
  if (!encoding) {
    return respond(http::text_response(
        415, "invalid gRPC request content-type \"" + std::string(type.value_or("")) + "\"\n"));
  }

  GrpcCall call;
  call.path = req.target.substr(0, req.target.find('?'));
  call.transport = "grpc-web";
  for (const char* name :
       {"authorization", "x-zitadel-orgid", "x-request-id", "if-match", "idempotency-key"}) {
    if (const auto v = req.header(name)) call.metadata[name] = *v;
  }
  auto message = read_grpc_web_request(req.body, *encoding, header_or_empty(req, "grpc-encoding"));
  if (message.ok()) {
    call.message = std::move(*message);
  } else {
    call.refused = message.error();
  }

  auto extra = cors ? cors_.response_headers(origin) : std::map<std::string, std::string>{};
  calls_(std::move(call), [respond = std::move(respond), encoding = *encoding,
                           extra = std::move(extra)](GrpcReply reply) {
    http::HttpResponse res;
    res.content_type = encoding == WebEncoding::Text ? "application/grpc-web-text+proto"
                                                     : "application/grpc-web+proto";
    res.body = grpc_web_response_body(reply.status, reply.message, encoding);
    res.headers = std::move(reply.headers);
    res.headers.insert(extra.begin(), extra.end());
    respond(std::move(res));
  });
}

}  // namespace mu::grpc
