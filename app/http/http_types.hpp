// Transport-neutral HTTP request/response, so that only server.cpp sees Beast.
#pragma once

#include <functional>
#include <map>
#include <string>

namespace mu::http {

struct HttpRequest {
  std::string method;                          // "GET", "PUT", ...
  std::string target;                          // path and query, as received
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  const std::string* header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? nullptr : &it->second;
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
