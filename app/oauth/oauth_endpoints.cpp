#include "app/oauth/oauth_endpoints.hpp"

#include <cctype>

#include "app/oauth/introspection.hpp"
#include "app/oauth/token_endpoint.hpp"
#include "app/oauth/token_request.hpp"

namespace mu::oauth {

namespace {

constexpr std::string_view kDiscovery = "/.well-known/openid-configuration";
constexpr std::string_view kKeys = "/oauth/v2/keys";
constexpr std::string_view kToken = "/oauth/v2/token";
constexpr std::string_view kIntrospect = "/oauth/v2/introspect";
constexpr std::string_view kRevoke = "/oauth/v2/revoke";

http::HttpResponse json_answer(const nlohmann::json& body) {
  http::HttpResponse res;
  res.body = body.dump();
  // RFC 6749 §5.1 asks it of the token endpoint's answers; none of ours may be cached
  // unless it says so (the key set).
  res.headers["cache-control"] = "no-store";
  res.headers["pragma"] = "no-cache";
  return res;
}

// A Host header value: host or host:port, an IPv6 literal in brackets; at most 255 bytes.
bool plausible_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char ch : host) {
    const auto u = static_cast<unsigned char>(ch);
    if (!(std::isalnum(u) || ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']' ||
          ch == '_'))
      return false;
  }
  return true;
}

http::HttpResponse method_not_allowed(const char* allow) {
  auto res = oauth_error(405, "invalid_request", std::string("the method must be ") + allow);
  res.headers["allow"] = allow;
  return res;
}

}  // namespace

http::HttpResponse oauth_error(int status, std::string_view error, std::string_view description) {
  auto res = json_answer(nlohmann::json{{"error", std::string(error)},
                                        {"error_description", std::string(description)}});
  res.status = status;
  return res;
}

std::optional<std::string> issuer_for(const OAuthConfig& config, const http::HttpRequest& req) {
  if (!config.issuer.empty()) return config.issuer;
  const auto host = req.header("host");
  if (!host || !plausible_host(*host)) return std::nullopt;
  return "http://" + std::string(*host);
}

nlohmann::json discovery_document(const std::string& issuer) {
  const nlohmann::json auth_methods = {"client_secret_basic", "private_key_jwt"};
  return nlohmann::json{
      {"issuer", issuer},
      {"token_endpoint", issuer + std::string(kToken)},
      {"introspection_endpoint", issuer + std::string(kIntrospect)},
      {"revocation_endpoint", issuer + std::string(kRevoke)},
      {"jwks_uri", issuer + std::string(kKeys)},
      {"scopes_supported", {"openid", "urn:zitadel:iam:org:project:id:zitadel:aud"}},
      {"grant_types_supported",
       {"client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer"}},
      {"subject_types_supported", {"public"}},
      {"id_token_signing_alg_values_supported", {"RS256"}},
      {"token_endpoint_auth_methods_supported",
       {"client_secret_basic", "client_secret_post", "private_key_jwt"}},
      {"token_endpoint_auth_signing_alg_values_supported", {"RS256"}},
      {"introspection_endpoint_auth_methods_supported", auth_methods},
      {"introspection_endpoint_auth_signing_alg_values_supported", {"RS256"}},
      {"revocation_endpoint_auth_methods_supported", auth_methods},
      {"revocation_endpoint_auth_signing_alg_values_supported", {"RS256"}},
      {"claims_supported", {"iss", "sub", "aud", "exp", "iat", "nbf", "jti"}},
  };
}

bool OAuthEndpoints::serves(std::string_view path) {
  return path == kDiscovery || path == kKeys || path == kToken || path == kIntrospect ||
         path == kRevoke;
}

void OAuthEndpoints::operator()(const http::HttpRequest& req, std::string_view path,
                                const std::string& request_id, const http::Responder& respond) {
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (path == kDiscovery) {
    if (!get) return respond(method_not_allowed("GET, HEAD"));
    auto issuer = issuer_for(config_, req);
    if (!issuer) return respond(oauth_error(400, "invalid_request", "no usable Host header"));
    auto res = json_answer(discovery_document(*issuer));
    res.headers.erase("pragma");
    res.headers["cache-control"] = "max-age=300";
    return respond(std::move(res));
  }
  if (path == kKeys) {
    if (!get) return respond(method_not_allowed("GET, HEAD"));
    auto res = json_answer(keys_.jwks());
    res.headers.erase("pragma");
    res.headers["cache-control"] = "max-age=300";
    res.content_type = "application/json";
    return respond(std::move(res));
  }
  if (req.method != "POST") return respond(method_not_allowed("POST"));
  if (path == kToken) return token(req, request_id, respond);
  if (path == kIntrospect || path == kRevoke) return introspection(req, path, request_id, respond);
  respond(oauth_error(404, "invalid_request", "no such endpoint"));
}

namespace {

// The form's media type, lower case, without parameters.
std::string media_type(const http::HttpRequest& req) {
  const auto type = req.header("content-type");
  std::string media(type ? type->substr(0, type->find(';')) : "");
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.pop_back();
  for (auto& ch : media) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return media;
}

}  // namespace

void OAuthEndpoints::introspection(const http::HttpRequest& req, std::string_view path,
                                   const std::string& request_id, const http::Responder& respond) {
  if (media_type(req) != "application/x-www-form-urlencoded") {
    return respond(
        oauth_error(400, "invalid_request", "the body must be application/x-www-form-urlencoded"));
  }
  auto issuer = issuer_for(config_, req);
  if (!issuer) return respond(oauth_error(400, "invalid_request", "no usable Host header"));
  IntrospectionRequest request{req.header_copy("authorization"), req.body};
  auto job = [this, revocation = path == kRevoke, request_id, issuer = std::move(*issuer),
              request = std::move(request), respond](platform::DbSession& db) {
    commands::Backend b{db, ids_, auth_cache_, users_};
    respond(revocation ? revoke(b, issuer, keys_, request, request_id)
                       : introspect(b, issuer, keys_, request));
  };
  if (!pool_.try_submit(std::move(job))) {
    return respond(oauth_error(503, "temporarily_unavailable", "every database worker is busy"));
  }
}

void OAuthEndpoints::token(const http::HttpRequest& req, const std::string& request_id,
                           const http::Responder& respond) {
  // RFC 6749 §3.2: the parameters come as application/x-www-form-urlencoded.
  if (media_type(req) != "application/x-www-form-urlencoded") {
    return respond(
        oauth_error(400, "invalid_request", "the body must be application/x-www-form-urlencoded"));
  }
  auto request = read_token_request(req.header_copy("authorization"), req.body);
  if (!request.ok()) {
    return respond(
        oauth_error(request.error().status, request.error().error, request.error().description));
  }
  auto issuer = issuer_for(config_, req);
  if (!issuer) return respond(oauth_error(400, "invalid_request", "no usable Host header"));
  TokenContext ctx{*issuer, config_.token_lifetime_seconds, keys_.signing(), request_id};
  auto job = [this, ctx = std::move(ctx), request = std::move(*request),
              respond](platform::DbSession& db) {
    commands::Backend b{db, ids_, auth_cache_, users_};
    respond(issue_token(b, ctx, request));
  };
  if (!pool_.try_submit(std::move(job))) {
    return respond(oauth_error(503, "temporarily_unavailable", "every database worker is busy"));
  }
}

}  // namespace mu::oauth
