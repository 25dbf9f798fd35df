// CORS for browsers calling gRPC-Web: which origins may, and the headers that
// say so. No origin is allowed unless configured (--cors-origins).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mu::grpc {

class CorsPolicy {
 public:
  // Exact origins ("https://console.example.com"), or "*" for any.
  explicit CorsPolicy(std::vector<std::string> allowed = {}) : allowed_(std::move(allowed)) {}

  bool allows(const std::string& origin) const;

  // The answer to a preflight (OPTIONS) from an allowed origin: what it may send.
  std::map<std::string, std::string> preflight_headers(const std::string& origin) const;
  // What an actual response to an allowed origin carries: the origin, and the
  // headers a browser script may read (the status is in trailers, but
  // grpc-web clients also read these when a proxy moved them).
  std::map<std::string, std::string> response_headers(const std::string& origin) const;

 private:
  std::vector<std::string> allowed_;
};

}  // namespace mu::grpc
