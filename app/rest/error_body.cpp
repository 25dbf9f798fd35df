#include "app/rest/error_body.hpp"

#include <nlohmann/json.hpp>

namespace mu::rest {

int http_status(domain::Code code) {
  using domain::Code;
  switch (code) {
    case Code::Ok:
      return 200;
    case Code::Cancelled:
      return 499;
    case Code::InvalidArgument:
    case Code::FailedPrecondition:
    case Code::OutOfRange:
      return 400;
    case Code::DeadlineExceeded:
      return 504;
    case Code::NotFound:
      return 404;
    case Code::AlreadyExists:
    case Code::Aborted:
      return 409;
    case Code::PermissionDenied:
      return 403;
    case Code::ResourceExhausted:
      return 429;
    case Code::Unimplemented:
      return 501;
    case Code::Unavailable:
      return 503;
    case Code::Unauthenticated:
      return 401;
    case Code::Unknown:
    case Code::Internal:
    case Code::DataLoss:
      return 500;
  }
  return 500;
}

std::string error_json(const domain::Error& e) {
  nlohmann::json details = nlohmann::json::array();
  if (!e.id.empty()) {
    details.push_back({{"@type", "type.googleapis.com/zitadel.v1.ErrorDetail"},
                       {"id", e.id},
                       {"message", e.message}});
  }
  return nlohmann::json{
      {"code", static_cast<int>(e.code)}, {"message", e.full_message()}, {"details", details}}
      // A message that quotes input must not make the error itself fail: bytes that
      // are not UTF-8 are written as U+FFFD.
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

http::HttpResponse error_response(const domain::Error& e) {
  http::HttpResponse res;
  res.status = http_status(e.code);
  res.body = error_json(e);
  return res;
}

}  // namespace mu::rest
