// Transport-neutral HTTP request/response, so that only server.cpp sees Beast.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "app/http/header_list.hpp"

namespace mu::http {

struct HttpRequest {
  std::string method;  // "GET", "PUT", ...
  std::string target;  // path and query, as received
  HeaderList headers;  // names lower-cased
  std::string body;

  // The field's value; the view lasts as long as the request is not moved.
  std::optional<std::string_view> header(std::string_view lower_name) const {
    return headers.find(lower_name);
  }
  // A copy, for what outlives the request.
  std::optional<std::string> header_copy(std::string_view lower_name) const {
    auto v = headers.find(lower_name);
    return v ? std::optional<std::string>(*v) : std::nullopt;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;  // extra headers
};

// A plain-text answer (operations endpoints, transport-level refusals).
inline HttpResponse text_response(int status, std::string body) {
  HttpResponse res;
  res.status = status;
  res.content_type = "text/plain; charset=utf-8";
  res.body = std::move(body);
  return res;
}

// Called on an I/O thread. It must not block: long work goes elsewhere, and
// `respond` may be called later from any thread, exactly once.
using Responder = std::function<void(HttpResponse)>;
using RequestHandler = std::function<void(HttpRequest, Responder)>;

}  // namespace mu::http
