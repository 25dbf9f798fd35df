#include "app/grpc/cors.hpp"

#include <algorithm>

namespace mu::grpc {

bool CorsPolicy::allows(const std::string& origin) const {
  if (origin.empty()) return false;
  return std::any_of(allowed_.begin(), allowed_.end(),
                     [&](const std::string& a) { return a == "*" || a == origin; });
}

std::map<std::string, std::string> CorsPolicy::preflight_headers(const std::string& origin) const {
  return {
      {"access-control-allow-origin", origin},
      {"access-control-allow-methods", "POST, OPTIONS"},
      // What gRPC-Web clients (grpc-web, connect) send, and our metadata.
      {"access-control-allow-headers",
       "authorization, content-type, x-grpc-web, x-user-agent, grpc-timeout, "
       "connect-protocol-version, connect-timeout-ms, x-zitadel-orgid, x-request-id, "
       "if-match, idempotency-key"},
      {"access-control-max-age", "600"},
      {"vary", "Origin"},
  };
}

std::map<std::string, std::string> CorsPolicy::response_headers(const std::string& origin) const {
  return {
      {"access-control-allow-origin", origin},
      {"access-control-expose-headers",
       "grpc-status, grpc-message, grpc-status-details-bin, x-request-id, x-next-position, "
       "idempotent-replayed"},
      {"vary", "Origin"},
  };
}

}  // namespace mu::grpc
