#include "app/oauth/token_request.hpp"

#include <algorithm>

#include "domain/form_urlencoded.hpp"

namespace mu::oauth {

namespace {

using Refusal = domain::Unexpected<OAuthError>;

Refusal refuse(std::string error, std::string description) {
  return Refusal(OAuthError{400, std::move(error), std::move(description)});
}

Refusal invalid_request(std::string description) {
  return refuse("invalid_request", std::move(description));
}

// The scopes as RFC 6749 §3.3 writes them: separated by spaces.
std::vector<std::string> split_scopes(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

domain::Expected<TokenRequest, OAuthError> read_token_request(
    const std::optional<std::string>& authorization, std::string_view body) {
  auto form = domain::parse_form(body);
  if (!form.ok()) {
    return invalid_request("the form is malformed: " + std::string(domain::describe(form.error())));
  }
  auto field = [&](std::string_view name) -> const std::string* {
    auto it = form->find(name);
    return it == form->end() ? nullptr : &it->second;
  };

  const std::string* grant_type = field("grant_type");
  if (!grant_type || grant_type->empty()) return invalid_request("grant_type missing");

  TokenRequest request;
  if (*grant_type == "client_credentials") {
    const std::string* post_id = field("client_id");
    const std::string* post_secret = field("client_secret");
    const bool basic = authorization.has_value();
    if (basic && (post_id || post_secret)) {
      return invalid_request(
          "client credentials in the Authorization header and in the body at once");
    }
    ClientCredentials client;
    if (basic) {
      auto credentials = domain::parse_basic_credentials(*authorization);
      if (!credentials.ok()) {
        return invalid_request("the Authorization header is no client_secret_basic: " +
                               std::string(domain::describe(credentials.error())));
      }
      client.client_id = std::move(credentials->client_id);
      client.client_secret = std::move(credentials->client_secret);
    } else {
      if (!post_id || post_id->empty()) {
        return refuse("invalid_client", "no client_id");
      }
      client.client_id = *post_id;
      if (post_secret) client.client_secret = *post_secret;
    }
    if (client.client_secret && client.client_secret->empty()) client.client_secret.reset();
    request.grant = std::move(client);
  } else if (*grant_type == kJwtBearerGrant) {
    const std::string* assertion = field("assertion");
    if (!assertion || assertion->empty()) return invalid_request("assertion missing");
    request.grant = JwtBearer{*assertion};
  } else {
    return refuse("unsupported_grant_type", "grant_type " + *grant_type + " is not supported");
  }

  const std::string* scope = field("scope");
  bool openid = false;
  for (auto& s : split_scopes(scope ? std::string_view(*scope) : std::string_view())) {
    std::string_view named;  // the audience an audience scope names
    if (s.starts_with(kAudienceScopePrefix) && s.ends_with(kAudienceScopeSuffix) &&
        s.size() > kAudienceScopePrefix.size() + kAudienceScopeSuffix.size()) {
      named = std::string_view(s).substr(
          kAudienceScopePrefix.size(),
          s.size() - kAudienceScopePrefix.size() - kAudienceScopeSuffix.size());
    }
    if (s != "openid" && named.empty()) continue;  // unknown scopes are dropped
    if (std::find(request.scopes.begin(), request.scopes.end(), s) != request.scopes.end())
      continue;
    openid = openid || s == "openid";
    if (!named.empty()) {
      request.audience.emplace_back(named);
      request.api_audience = request.api_audience || named == kApiAudience;
    }
    request.scopes.push_back(std::move(s));
  }
  if (!openid) return refuse("invalid_scope", "the scope must include openid");
  return request;
}

}  // namespace mu::oauth
