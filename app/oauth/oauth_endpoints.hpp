// The OAuth 2.0 / OpenID Connect endpoints for machine users (the contract's "OAuth/OIDC
// endpoints"): discovery, the key set, and (next) the token, introspection and revocation
// endpoints. Not RPCs: no bearer token, form bodies, errors as {"error","error_description"}.
// The REST transport hands every request for one of these paths here, before its routing.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "app/http/http_types.hpp"
#include "app/platform/signing_keys.hpp"
#include "app/platform/worker_pool.hpp"

namespace mu::oauth {

struct OAuthConfig {
  // The service's external origin without a trailing slash; empty: http://<Host header>.
  std::string issuer;
  int token_lifetime_seconds = 12 * 3600;
};

// {"error": error, "error_description": description} with `status`.
http::HttpResponse oauth_error(int status, std::string_view error, std::string_view description);

// The issuer a request is answered with: the configured one, else "http://" + its Host header
// when that is a plausible host[:port]; nullopt otherwise.
std::optional<std::string> issuer_for(const OAuthConfig& config, const http::HttpRequest& req);

// The discovery document of `issuer`.
nlohmann::json discovery_document(const std::string& issuer);

class OAuthEndpoints {
 public:
  OAuthEndpoints(OAuthConfig config, platform::SigningKeys keys, platform::WorkerPool& pool)
      : config_(std::move(config)), keys_(std::move(keys)), pool_(pool) {}

  // Whether `path` (without the query) is one of ours.
  static bool serves(std::string_view path);

  // Answers a request for one of our paths: on this (I/O) thread when it needs no database,
  // else on a worker. `respond` is called exactly once.
  void operator()(const http::HttpRequest& req, std::string_view path,
                  const http::Responder& respond);

  const platform::SigningKeys& keys() const { return keys_; }
  const OAuthConfig& config() const { return config_; }

 private:
  OAuthConfig config_;
  platform::SigningKeys keys_;
  platform::WorkerPool& pool_;
};

}  // namespace mu::oauth
