// The OAuth 2.0 / OpenID Connect endpoints for machine users (the contract's "OAuth/OIDC
// endpoints"): discovery, the key set and the token endpoint (next: introspection and revocation
// endpoints. Not RPCs: no bearer token, form bodies, errors as {"error","error_description"}.
// The REST transport hands every request for one of these paths here, before its routing.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "app/commands/backend.hpp"
#include "app/http/http_types.hpp"
#include "app/platform/signing_keys.hpp"
#include "app/platform/db_jobs.hpp"

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
  // The token endpoint runs commands: it needs what a handler's Backend holds beside the
  // worker's database session.
  // `keys` (one of them signing) must outlive this.
  OAuthEndpoints(OAuthConfig config, const platform::SigningKeys& keys, platform::DbJobs& pool,
                 domain::IdGenerator& ids, commands::AuthCache& auth_cache,
                 commands::UserWriteModels& users)
      : config_(std::move(config)),
        keys_(keys),
        pool_(pool),
        ids_(ids),
        auth_cache_(auth_cache),
        users_(users) {}

  // Whether `path` (without the query) is one of ours.
  static bool serves(std::string_view path);

  // Answers a request for one of our paths: on this (I/O) thread when it needs no database,
  // else on a worker. `respond` is called exactly once.
  // `request_id` is the one the answer carries (recorded with the events).
  void operator()(const http::HttpRequest& req, std::string_view path,
                  const std::string& request_id, const http::Responder& respond);

  const platform::SigningKeys& keys() const { return keys_; }
  const OAuthConfig& config() const { return config_; }

 private:
  void token(const http::HttpRequest& req, const std::string& request_id,
             const http::Responder& respond);
  // Introspection and revocation: the same caller authentication, on a worker.
  void introspection(const http::HttpRequest& req, std::string_view path,
                     const std::string& request_id, const http::Responder& respond);

  OAuthConfig config_;
  const platform::SigningKeys& keys_;
  platform::DbJobs& pool_;
  domain::IdGenerator& ids_;
  commands::AuthCache& auth_cache_;
  commands::UserWriteModels& users_;
};

}  // namespace mu::oauth
