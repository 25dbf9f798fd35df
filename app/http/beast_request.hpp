// Beast's parsed request as the transport-neutral HttpRequest: the server's sessions and the
// "http" fuzz target convert with this one function. Header-only, so that the fuzz target
// (which compiles Beast into itself) needs no part of the server.
#pragma once

#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "app/http/http_types.hpp"

namespace mu::http {

inline HttpRequest to_request(boost::beast::http::request<boost::beast::http::string_body>&& req) {
  HttpRequest out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  std::size_t fields = 0, bytes = 0;
  for (const auto& field : req) {
    ++fields;
    bytes += field.name_string().size() + field.value().size();
  }
  out.headers.reserve(fields, bytes);
  for (const auto& field : req) out.headers.add(field.name_string(), field.value());
  out.body = std::move(req.body());
  return out;
}

}  // namespace mu::http
