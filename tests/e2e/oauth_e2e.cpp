// The OAuth/OIDC endpoints through the real binary: the signing key that setup makes, the
// discovery document and the key set (contract "OAuth/OIDC endpoints"), issuer choice,
// rotation (a verification key beside the signing one) and several instances on one key;
// the token endpoint: both grants, both token types, the audit event, every refusal the
// contract lists, and concurrent requests for one user.
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <thread>

#include "domain/base64url.hpp"
#include "domain/jwt.hpp"
#include "domain/rsa_key.hpp"
#include "tests/e2e/service_fixture.hpp"
#include "tests/support/node_script.hpp"
#include "zitadel/management.grpc.pb.h"

using mu::testing::HttpClient;
using mu::testing::run_binary;
using mu::testing::ServerProcess;
using mu::testing::Service;
using nlohmann::json;

namespace {

std::string oauth_temp_path(const std::string& name) {
  static int n = 0;
  return "/tmp/mu-e2e-oauth-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + "-" + name;
}

// A file removed when the test ends.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& name) : path(oauth_temp_path(name)) {}
  ~TempFile() { std::remove(path.c_str()); }
};

// A new RSA-2048 private key (PKCS#8 PEM) written to `path`, made by the test itself.
void oauth_write_rsa_key(const std::string& path) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  REQUIRE(key != nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::ofstream(path) << std::string(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(key);
}

std::string oauth_read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// RFC 7638's thumbprint of an RSA JWK, computed here independently of the service.
std::string oauth_thumbprint(const json& jwk) {
  const std::string canonical = R"({"e":")" + jwk.at("e").get<std::string>() +
                                R"(","kty":"RSA","n":")" + jwk.at("n").get<std::string>() + "\"}";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
  return mu::domain::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

json oauth_get_json(HttpClient& http, const std::string& target,
                    mu::testing::HttpResult* out = nullptr,
                    const std::map<std::string, std::string>& headers = {}) {
  auto r = http.request("GET", target, "", headers);
  INFO(target << " " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  if (out) *out = r;
  return json::parse(r.body);
}

}  // namespace

TEST_CASE("oauth: setup creates the signing key once, readable by its owner alone",
          "[e2e][oauth]") {
  mu::testing::TestDatabase db;
  TempFile key("signing.pem");
  TempFile token("token");
  const std::vector<std::string> args = {"setup",  "--org-name",    "Org One",  "--admin-user",
                                         "admin",  "--token-file",  token.path, "--database-url",
                                         db.url(), "--signing-key", key.path};
  auto first = run_binary(args);
  INFO(first.out << first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.find("signing key " + key.path + " (created)") != std::string::npos);
  struct stat st {};
  REQUIRE(::stat(key.path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const auto pem = oauth_read_file(key.path);
  CHECK(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));

  auto again = run_binary(args);
  REQUIRE(again.exit_code == 0);
  CHECK(again.out.find("signing key " + key.path + " (exists)") != std::string::npos);
  CHECK(oauth_read_file(key.path) == pem);

  // serve publishes it under its thumbprint.
  ServerProcess server(db.url(), {"--signing-key", key.path});
  HttpClient http("127.0.0.1", server.port());
  auto jwks = oauth_get_json(http, "/oauth/v2/keys");
  REQUIRE(jwks.at("keys").size() == 1);
  CHECK(jwks["keys"][0]["kid"] == oauth_thumbprint(jwks["keys"][0]));
}

TEST_CASE("oauth: discovery and the key set as the contract has them", "[e2e][oauth]") {
  TempFile key("signing.pem");
  oauth_write_rsa_key(key.path);
  Service s({"--signing-key", key.path});
  const std::string issuer = "http://127.0.0.1:" + std::to_string(s.server().port());

  mu::testing::HttpResult raw;
  auto doc = oauth_get_json(s.http(), "/.well-known/openid-configuration", &raw);
  CHECK(doc["issuer"] == issuer);
  CHECK(doc["token_endpoint"] == issuer + "/oauth/v2/token");
  CHECK(doc["introspection_endpoint"] == issuer + "/oauth/v2/introspect");
  CHECK(doc["revocation_endpoint"] == issuer + "/oauth/v2/revoke");
  CHECK(doc["jwks_uri"] == issuer + "/oauth/v2/keys");
  CHECK(doc["grant_types_supported"] ==
        json{"client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer"});
  CHECK(doc["token_endpoint_auth_methods_supported"] ==
        json{"client_secret_basic", "client_secret_post", "private_key_jwt"});
  CHECK(doc["introspection_endpoint_auth_methods_supported"] ==
        json{"client_secret_basic", "private_key_jwt"});
  CHECK(doc["scopes_supported"] == json{"openid", "urn:zitadel:iam:org:project:id:zitadel:aud"});
  CHECK(doc["subject_types_supported"] == json{"public"});
  CHECK(doc["id_token_signing_alg_values_supported"] == json{"RS256"});
  // No interactive endpoints.
  CHECK_FALSE(doc.contains("authorization_endpoint"));
  CHECK_FALSE(doc.contains("userinfo_endpoint"));
  CHECK_FALSE(doc.contains("end_session_endpoint"));
  CHECK(raw.header("content-type") == "application/json");

  auto jwks = oauth_get_json(s.http(), "/oauth/v2/keys", &raw);
  CHECK(raw.header("cache-control") == "max-age=300");
  REQUIRE(jwks.size() == 1);
  REQUIRE(jwks.at("keys").size() == 1);
  const auto& k = jwks["keys"][0];
  CHECK(k.size() == 6);
  CHECK(k["kty"] == "RSA");
  CHECK(k["use"] == "sig");
  CHECK(k["alg"] == "RS256");
  CHECK(k["e"] == "AQAB");
  CHECK(k["kid"] == oauth_thumbprint(k));
  // 2048 bits: 256 bytes, 342 base64url characters.
  CHECK(k["n"].get<std::string>().size() == 342);
  // The private parts never.
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi"}) CHECK_FALSE(k.contains(member));

  // HEAD as GET, other methods 405 in the OAuth error shape.
  CHECK(s.http().request("HEAD", "/oauth/v2/keys").status == 200);
  for (const char* path : {"/oauth/v2/keys", "/.well-known/openid-configuration"}) {
    auto r = s.http().request("POST", path, "a=b",
                              {{"content-type", "application/x-www-form-urlencoded"}});
    CHECK(r.status == 405);
    CHECK(r.header("allow") == "GET, HEAD");
    CHECK(json::parse(r.body)["error"] == "invalid_request");
  }
}

TEST_CASE("oauth: the issuer is --issuer, else http:// and the request's Host", "[e2e][oauth]") {
  TempFile key("signing.pem");
  oauth_write_rsa_key(key.path);
  {
    Service s({"--signing-key", key.path});
    auto doc = oauth_get_json(s.http(), "/.well-known/openid-configuration", nullptr,
                              {{"host", "localhost:9999"}});
    CHECK(doc["issuer"] == "http://localhost:9999");
    CHECK(doc["jwks_uri"] == "http://localhost:9999/oauth/v2/keys");
    // A Host that cannot be an origin is refused rather than echoed.
    auto bad = s.http().request("GET", "/.well-known/openid-configuration", "",
                                {{"host", "evil.example/path"}});
    CHECK(bad.status == 400);
    CHECK(json::parse(bad.body)["error"] == "invalid_request");
  }
  Service s({"--signing-key", key.path, "--issuer", "https://id.example.com"});
  auto doc = oauth_get_json(s.http(), "/.well-known/openid-configuration", nullptr,
                            {{"host", "localhost:9999"}});
  CHECK(doc["issuer"] == "https://id.example.com");
  CHECK(doc["token_endpoint"] == "https://id.example.com/oauth/v2/token");

  // An issuer that is no origin stops serve at once.
  for (const char* bad :
       {"id.example.com", "https://id.example.com/", "https://x/path", "ftp://x"}) {
    auto r = run_binary({"serve", "--database-url", s.database().url(), "--listen", "127.0.0.1:0",
                         "--signing-key", key.path, "--issuer", bad});
    INFO(bad << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--issuer") != std::string::npos);
  }
}

TEST_CASE("oauth: rotation and several instances share the key set", "[e2e][oauth]") {
  TempFile current("current.pem");
  TempFile previous("previous.pem");
  oauth_write_rsa_key(current.path);
  oauth_write_rsa_key(previous.path);
  Service s({"--signing-key", current.path, "--verification-key", previous.path});
  auto jwks = oauth_get_json(s.http(), "/oauth/v2/keys");
  REQUIRE(jwks["keys"].size() == 2);
  CHECK(jwks["keys"][0]["kid"] != jwks["keys"][1]["kid"]);
  for (const auto& k : jwks["keys"]) CHECK(k["kid"] == oauth_thumbprint(k));

  // A second instance on the same files publishes the very same set; the same key named
  // twice is published once.
  ServerProcess other(s.database().url(), {"--signing-key", current.path, "--verification-key",
                                           previous.path, "--verification-key", current.path});
  HttpClient http("127.0.0.1", other.port());
  CHECK(oauth_get_json(http, "/oauth/v2/keys") == jwks);

  // After the rotation: the new key signs, the old one is still published.
  ServerProcess rotated(s.database().url(),
                        {"--signing-key", previous.path, "--verification-key", current.path});
  HttpClient http2("127.0.0.1", rotated.port());
  auto after = oauth_get_json(http2, "/oauth/v2/keys");
  REQUIRE(after["keys"].size() == 2);
  CHECK(after["keys"][0] == jwks["keys"][1]);
  CHECK(after["keys"][1] == jwks["keys"][0]);
}

TEST_CASE("oauth: without a signing key no OAuth endpoints, and a bad key stops serve",
          "[e2e][oauth]") {
  Service s;
  CHECK(s.http().request("GET", "/oauth/v2/keys").status == 404);
  CHECK(s.http().request("GET", "/.well-known/openid-configuration").status == 404);

  TempFile key("not-a-key.pem");
  std::ofstream(key.path)
      << "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
  auto r = run_binary({"serve", "--database-url", s.database().url(), "--listen", "127.0.0.1:0",
                       "--signing-key", key.path});
  INFO(r.err);
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("--signing-key " + key.path + " is no RSA private key") != std::string::npos);
  auto missing = run_binary({"serve", "--database-url", s.database().url(), "--listen",
                             "127.0.0.1:0", "--signing-key", key.path + ".missing"});
  CHECK(missing.exit_code != 0);
  CHECK(missing.err.find("cannot read") != std::string::npos);
}

// ---- the token endpoint -----------------------------------------------------------------

namespace {

constexpr const char* kForm = "application/x-www-form-urlencoded";
constexpr const char* kJwtGrant = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer";
constexpr const char* kApiScope =
    "openid%20urn%3Azitadel%3Aiam%3Aorg%3Aproject%3Aid%3Azitadel%3Aaud";

// A service with a signing key of its own.
struct OAuthService {
  TempFile key{"signing.pem"};
  std::unique_ptr<Service> s;
  std::string issuer;
  OAuthService() {
    oauth_write_rsa_key(key.path);
    s = std::make_unique<Service>(std::vector<std::string>{"--signing-key", key.path});
    issuer = "http://127.0.0.1:" + std::to_string(s->server().port());
  }
  mu::testing::HttpResult token(const std::string& body,
                                std::map<std::string, std::string> headers = {}) {
    if (!headers.count("content-type")) headers["content-type"] = kForm;
    return s->http().request("POST", "/oauth/v2/token", body, headers);
  }
  // A user with a client secret; returns {id, secret}.
  std::pair<std::string, std::string> client(const std::string& name) {
    auto id = s->add_user(name);
    auto r = s->call("PUT", "/management/v1/users/" + id + "/secret", "{}");
    REQUIRE(r.status == 200);
    return {id, r.body["clientSecret"].get<std::string>()};
  }
  // A new key of the user: {keyId, the private key}.
  std::pair<std::string, mu::domain::RsaKey> key_of(const std::string& user_id) {
    auto r = s->call("POST", "/management/v1/users/" + user_id + "/keys",
                     json{{"type", "KEY_TYPE_JSON"}});
    REQUIRE(r.status == 200);
    auto file = json::parse(*mu::domain::base64_decode(r.body["keyDetails"].get<std::string>()));
    auto key = mu::domain::RsaKey::parse_private_pem(file["key"].get<std::string>());
    REQUIRE(key.ok());
    return {file["keyId"].get<std::string>(), *key};
  }
  // The service's signing key, from its key set.
  mu::domain::RsaKey published_key(const std::string& kid) {
    auto jwks = oauth_get_json(s->http(), "/oauth/v2/keys");
    for (const auto& k : jwks["keys"]) {
      if (k["kid"] != kid) continue;
      auto key = mu::domain::RsaKey::from_jwk(k["n"].get<std::string>(), k["e"].get<std::string>());
      REQUIRE(key.ok());
      return *key;
    }
    FAIL("no key " << kid);
    throw std::logic_error("unreachable");
  }
  // A JWT of ours, verified against the published key set.
  mu::domain::Jwt verified(const std::string& token) {
    auto jwt = mu::domain::parse_jwt(token);
    REQUIRE(jwt.ok());
    REQUIRE(jwt->kid);
    CHECK_FALSE(mu::domain::verify_rs256(*jwt, published_key(*jwt->kid)));
    return *jwt;
  }
};

std::string oauth_basic(const std::string& id, const std::string& secret) {
  return "Basic " + mu::domain::base64_encode(id + ":" + secret);
}

json oauth_body(const mu::testing::HttpResult& r) {
  return json::parse(r.body);
}

void oauth_refused(const mu::testing::HttpResult& r, const std::string& error,
                   const std::string& description = "") {
  INFO(r.status << " " << r.body);
  CHECK(r.status == 400);
  auto b = json::parse(r.body);
  CHECK(b["error"] == error);
  CHECK(b["error_description"].is_string());
  if (!description.empty()) CHECK(b["error_description"] == description);
}

std::string oauth_assertion(const OAuthService& o, const std::string& kid,
                            const mu::domain::RsaKey& key, json claims) {
  auto t = mu::domain::sign_rs256(json{{"alg", "RS256"}, {"kid", kid}}, claims, key);
  REQUIRE(t.ok());
  (void)o;
  return *t;
}

json oauth_claims(const OAuthService& o, const std::string& user_id) {
  const auto now = static_cast<long long>(std::time(nullptr));
  return json{
      {"iss", user_id}, {"sub", user_id}, {"aud", o.issuer}, {"iat", now}, {"exp", now + 3600}};
}

}  // namespace

TEST_CASE("oauth: client_credentials by Basic and by post give opaque tokens and id tokens",
          "[e2e][oauth]") {
  OAuthService o;
  auto [id, secret] = o.client("bot");
  const auto before = o.s->count_events(id);
  HttpClient metrics_http("127.0.0.1", o.s->server().port());
  const auto one_statement = [&] {
    const auto r = metrics_http.request("GET", "/metrics", "", {});
    const std::string name = "\nmu_one_statement_commands_total ";
    const auto at = r.body.find(name);
    REQUIRE(at != std::string::npos);
    return std::stod(r.body.substr(at + name.size()));
  };
  const double one_statement_before = one_statement();

  auto basic = o.token(std::string("grant_type=client_credentials&scope=") + kApiScope,
                       {{"authorization", oauth_basic("bot", secret)}});
  INFO(basic.body);
  REQUIRE(basic.status == 200);
  CHECK(basic.header("cache-control") == "no-store");
  auto b = oauth_body(basic);
  CHECK(b["token_type"] == "Bearer");
  CHECK(b["expires_in"] == 43200);
  const auto access = b["access_token"].get<std::string>();
  CHECK(access.find('.') == std::string::npos);  // BEARER: opaque
  CHECK(access.size() >= 43);
  auto id_token = o.verified(b["id_token"].get<std::string>());
  CHECK(id_token.claims["iss"] == o.issuer);
  CHECK(id_token.claims["sub"] == id);
  CHECK(id_token.claims["exp"].get<long long>() - id_token.claims["iat"].get<long long>() == 43200);

  auto post = o.token("grant_type=client_credentials&client_id=bot&client_secret=" + secret +
                      "&scope=openid");
  REQUIRE(post.status == 200);
  CHECK(oauth_body(post)["access_token"] != access);

  // The audit trail: one user.token.v2.added per token, never the token; each appended with
  // its read-model row in one statement.
  CHECK(o.s->count_events(id) == before + 2);
  CHECK(one_statement() == one_statement_before + 2);
  auto event = o.s->last_payload(id);
  CHECK(event["tokenType"] == "bearer");
  CHECK(event["audience"] == json{id});
  CHECK(event["scopes"] == json{"openid"});
  CHECK(event["grant"] == "client_credentials");
  CHECK(event["tokenId"].is_string());
  CHECK(event.dump().find(oauth_body(post)["access_token"].get<std::string>()) ==
        std::string::npos);
  auto changes = o.s->call("POST", "/management/v1/users/" + id + "/changes/_search",
                           json{{"query", {{"asc", true}}}});
  REQUIRE(changes.status == 200);
  CHECK(changes.body.dump().find("Access Token added") != std::string::npos);
}

TEST_CASE("oauth: a JWT user gets RS256 access tokens with the contract's claims", "[e2e][oauth]") {
  OAuthService o;
  auto [id, secret] = o.client("jwt-bot");
  REQUIRE(o.s->call("PUT", "/management/v1/users/" + id + "/machine",
                    json{{"name", "J"}, {"accessTokenType", "ACCESS_TOKEN_TYPE_JWT"}})
              .status == 200);
  auto r = o.token(std::string("grant_type=client_credentials&scope=") + kApiScope,
                   {{"authorization", oauth_basic("jwt-bot", secret)}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto jwt = o.verified(oauth_body(r)["access_token"].get<std::string>());
  CHECK(jwt.alg == "RS256");
  const auto& c = jwt.claims;
  CHECK(c["iss"] == o.issuer);
  CHECK(c["sub"] == id);
  CHECK(c["aud"] == json{id, "zitadel"});
  CHECK(c["exp"].get<long long>() - c["iat"].get<long long>() == 43200);
  CHECK(c["nbf"] == c["iat"]);
  CHECK(std::abs(c["iat"].get<long long>() - static_cast<long long>(std::time(nullptr))) < 5);
  auto event = o.s->last_payload(id);
  CHECK(c["jti"] == event["tokenId"]);
  CHECK(event["tokenType"] == "jwt");
  CHECK_FALSE(event.contains("tokenHash"));
}

TEST_CASE("oauth: the token endpoint's refusals", "[e2e][oauth]") {
  OAuthService o;
  auto [id, secret] = o.client("bot");
  const auto basic = oauth_basic("bot", secret);
  const std::string cc = "grant_type=client_credentials&scope=openid";
  // Both client_secret_basic and client_secret_post.
  oauth_refused(o.token(cc + "&client_id=bot&client_secret=" + secret, {{"authorization", basic}}),
                "invalid_request");
  oauth_refused(o.token(cc + "&client_id=nobody&client_secret=x"), "invalid_client");
  oauth_refused(o.token(cc, {{"authorization", oauth_basic("nobody", "x")}}), "invalid_client");
  oauth_refused(o.token(cc + "&client_id=bot&client_secret=wrong"), "invalid_request",
                "Errors.User.Machine.Secret.Invalid");
  oauth_refused(o.token(cc + "&client_id=bot"), "invalid_request",
                "Errors.User.Machine.Secret.Invalid");
  oauth_refused(o.token(cc, {{"authorization", oauth_basic("bot", "wrong")}}), "invalid_request");
  oauth_refused(o.token("scope=openid&client_id=bot&client_secret=" + secret), "invalid_request");
  oauth_refused(o.token("grant_type=password&scope=openid"), "unsupported_grant_type");
  oauth_refused(o.token("grant_type=client_credentials&client_id=bot&client_secret=" + secret),
                "invalid_scope");
  oauth_refused(o.token(cc + "&client_id=bot&client_secret=" + secret,
                        {{"content-type", "application/json"}}),
                "invalid_request");
  oauth_refused(o.token(cc + "&cc=%zz"), "invalid_request");
  {
    auto get = o.s->http().request("GET", "/oauth/v2/token");
    CHECK(get.status == 405);
    CHECK(get.header("allow") == "POST");
  }

  // A user without a secret.
  o.s->add_user("no-secret");
  oauth_refused(o.token(cc + "&client_id=no-secret&client_secret=x"), "invalid_request",
                "Errors.User.Machine.Secret.NotExisting");

  // Deactivated or locked: refused; reactivated: served again.
  const std::string user = "/management/v1/users/" + id;
  REQUIRE(o.s->call("POST", user + "/_deactivate", "{}").status == 200);
  oauth_refused(o.token(cc, {{"authorization", basic}}), "invalid_grant");
  REQUIRE(o.s->call("POST", user + "/_reactivate", "{}").status == 200);
  CHECK(o.token(cc, {{"authorization", basic}}).status == 200);
  REQUIRE(o.s->call("POST", user + "/_lock", "{}").status == 200);
  oauth_refused(o.token(cc, {{"authorization", basic}}), "invalid_grant");
  REQUIRE(o.s->call("POST", user + "/_unlock", "{}").status == 200);
  // The secret removed: refused at once.
  REQUIRE(o.s->call("DELETE", user + "/secret").status == 200);
  oauth_refused(o.token(cc, {{"authorization", basic}}), "invalid_request",
                "Errors.User.Machine.Secret.NotExisting");
  // Removed: unknown.
  REQUIRE(o.s->call("DELETE", user).status == 200);
  oauth_refused(o.token(cc, {{"authorization", basic}}), "invalid_client");
}

TEST_CASE("oauth: jwt-bearer with a machine key, every bad assertion invalid_grant",
          "[e2e][oauth]") {
  OAuthService o;
  const auto id = o.s->add_user("signer");
  auto [kid, key] = o.key_of(id);
  const auto grant = [&](const std::string& assertion) {
    return o.token(std::string("grant_type=") + kJwtGrant + "&scope=" + kApiScope +
                   "&assertion=" + assertion);
  };
  auto ok = grant(oauth_assertion(o, kid, key, oauth_claims(o, id)));
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  CHECK(o.s->last_payload(id)["grant"] == "jwt-bearer");
  CHECK(o.s->last_payload(id)["keyId"] == kid);

  // An array audience holding the issuer is fine.
  auto claims = oauth_claims(o, id);
  claims["aud"] = json{"other", o.issuer};
  CHECK(grant(oauth_assertion(o, kid, key, claims)).status == 200);

  const auto now = static_cast<long long>(std::time(nullptr));
  std::vector<std::pair<std::string, json>> bad_claims = {
      {"aud another issuer", json{{"aud", o.issuer + "/"}}},
      {"expired", json{{"exp", now - 1}}},
      {"iat an hour and more ago", json{{"iat", now - 3700}, {"exp", now + 60}}},
      {"iat ahead", json{{"iat", now + 60}}},
      {"iss not sub", json{{"iss", "someone"}}},
      {"exp as a string", json{{"exp", std::to_string(now + 60)}}},
  };
  for (const auto& [what, patch] : bad_claims) {
    INFO(what);
    auto c = oauth_claims(o, id);
    c.merge_patch(patch);
    oauth_refused(grant(oauth_assertion(o, kid, key, c)), "invalid_grant");
  }
  // Another key's signature, an unknown kid, none, alg none, garbage.
  auto [other_kid, other_key] = o.key_of(id);
  oauth_refused(grant(oauth_assertion(o, kid, other_key, oauth_claims(o, id))), "invalid_grant");
  oauth_refused(grant(oauth_assertion(o, "4711", key, oauth_claims(o, id))), "invalid_grant");
  {
    // No kid: sign_rs256 insists on one, so the test writes the token itself.
    const auto input = mu::domain::base64url_encode(R"({"alg":"RS256"})") + "." +
                       mu::domain::base64url_encode(oauth_claims(o, id).dump());
    auto signature = key.sign_rs256(input);
    REQUIRE(signature.ok());
    oauth_refused(grant(input + "." + mu::domain::base64url_encode(*signature)), "invalid_grant");
  }
  {
    const auto none = mu::domain::base64url_encode(R"({"alg":"none","kid":")" + kid + "\"}") + "." +
                      mu::domain::base64url_encode(oauth_claims(o, id).dump()) + ".";
    oauth_refused(grant(none), "invalid_grant");
  }
  oauth_refused(grant("not-a-jwt"), "invalid_grant");
  oauth_refused(o.token(std::string("grant_type=") + kJwtGrant + "&scope=openid"),
                "invalid_request");
  // Another user's key.
  const auto other_user = o.s->add_user("other");
  auto c = oauth_claims(o, other_user);
  oauth_refused(grant(oauth_assertion(o, kid, key, c)), "invalid_grant");
  // The key removed: refused at once.
  REQUIRE(o.s->call("DELETE", "/management/v1/users/" + id + "/keys/" + kid).status == 200);
  oauth_refused(grant(oauth_assertion(o, kid, key, oauth_claims(o, id))), "invalid_grant");
  CHECK(grant(oauth_assertion(o, other_kid, other_key, oauth_claims(o, id))).status == 200);
}

TEST_CASE("oauth: concurrent token requests for one user all succeed", "[e2e][oauth]") {
  OAuthService o;
  auto [id, secret] = o.client("busy");
  const auto port = o.s->server().port();
  std::vector<int> statuses(16, 0);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    threads.emplace_back([&, i] {
      HttpClient http("127.0.0.1", port);
      for (int n = 0; n < 3; ++n) {
        auto r = http.request("POST", "/oauth/v2/token",
                              "grant_type=client_credentials&scope=openid&client_id=busy"
                              "&client_secret=" +
                                  secret,
                              {{"content-type", kForm}});
        if (r.status != 200) {
          statuses[i] = r.status;
          return;
        }
      }
      statuses[i] = 200;
    });
  }
  for (auto& t : threads) t.join();
  for (int status : statuses) CHECK(status == 200);
  pqxx::connection conn(o.s->database().url());
  pqxx::nontransaction tx(conn);
  CHECK(tx.exec1("SELECT count(*) FROM events WHERE event_type = 'user.token.v2.added' AND "
                 "aggregate_id = " +
                 tx.quote(id))[0]
            .as<int>() == 48);
  CHECK(tx.exec1("SELECT count(*) FROM issued_tokens_read_model WHERE user_id = " + tx.quote(id))[0]
            .as<int>() == 48);
}

// ---- issued tokens on the API ------------------------------------------------------------

namespace {

// GetUserByID of `user_id` over gRPC with `token`: the status code.
int oauth_grpc_get_user(Service& s, const std::string& token, const std::string& user_id) {
  auto channel = ::grpc::CreateChannel("127.0.0.1:" + std::to_string(s.server().port()),
                                       ::grpc::InsecureChannelCredentials());
  auto stub = zitadel::management::v1::ManagementService::NewStub(channel);
  ::grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  zitadel::management::v1::GetUserByIDRequest req;
  req.set_id(user_id);
  zitadel::management::v1::GetUserByIDResponse res;
  return static_cast<int>(stub->GetUserByID(&ctx, req, &res).error_code());
}

// The same call over gRPC-Web (HTTP/1.1): the grpc-status of the answer's trailers, which come
// as a header when the answer has no message, else as the last frame.
int oauth_grpc_web_get_user(Service& s, const std::string& token, const std::string& user_id) {
  zitadel::management::v1::GetUserByIDRequest req;
  req.set_id(user_id);
  const auto payload = req.SerializeAsString();
  std::string body(1, '\0');
  for (int shift : {24, 16, 8, 0})
    body.push_back(static_cast<char>((payload.size() >> shift) & 0xff));
  body += payload;
  HttpClient http("127.0.0.1", s.server().port());
  const auto r = http.request("POST", "/zitadel.management.v1.ManagementService/GetUserByID", body,
                              {{"authorization", "Bearer " + token},
                               {"content-type", "application/grpc-web+proto"},
                               {"x-grpc-web", "1"}});
  REQUIRE(r.status == 200);
  if (!r.header("grpc-status").empty()) return std::stoi(r.header("grpc-status"));
  const auto at = r.body.rfind("grpc-status:");
  REQUIRE(at != std::string::npos);
  return std::stoi(r.body.substr(at + 12));
}

}  // namespace

TEST_CASE("oauth: issued tokens call the API as the user's PAT would, on REST, gRPC and gRPC-Web",
          "[e2e][oauth]") {
  OAuthService o;
  auto& s = *o.s;
  // An ORG_OWNER of org 1, with a secret.
  auto caller = s.add_caller("owner-bot", s.org1(), {"ORG_OWNER"});
  auto secret = s.call("PUT", "/management/v1/users/" + caller.id + "/secret", "{}");
  REQUIRE(secret.status == 200);
  const auto basic = oauth_basic("owner-bot", secret.body["clientSecret"].get<std::string>());
  const auto token_for = [&](const std::string& scope) {
    auto r = o.token("grant_type=client_credentials&scope=" + scope, {{"authorization", basic}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    return oauth_body(r)["access_token"].get<std::string>();
  };
  const std::string target = "/management/v1/users/" + s.admin_id();

  const auto opaque = token_for(kApiScope);
  CHECK(s.call_as(opaque, "GET", target).status == 200);
  CHECK(oauth_grpc_get_user(s, opaque, s.admin_id()) == 0);
  CHECK(oauth_grpc_web_get_user(s, opaque, s.admin_id()) == 0);
  // Without our API in its audience: refused (a PAT never is).
  const auto no_audience = token_for("openid");
  CHECK(s.call_as(no_audience, "GET", target).status == 401);
  CHECK(oauth_grpc_get_user(s, no_audience, s.admin_id()) == 16);
  CHECK(oauth_grpc_web_get_user(s, no_audience, s.admin_id()) == 16);
  CHECK(s.call_as(caller.token, "GET", target).status == 200);

  REQUIRE(s.call("PUT", "/management/v1/users/" + caller.id + "/machine",
                 json{{"name", "J"}, {"accessTokenType", "ACCESS_TOKEN_TYPE_JWT"}})
              .status == 200);
  const auto jwt = token_for(kApiScope);
  REQUIRE(std::count(jwt.begin(), jwt.end(), '.') == 2);
  CHECK(s.call_as(jwt, "GET", target).status == 200);
  CHECK(oauth_grpc_get_user(s, jwt, s.admin_id()) == 0);
  CHECK(oauth_grpc_web_get_user(s, jwt, s.admin_id()) == 0);
  // Permissions are the user's: another organization's user is out of reach.
  CHECK(s.call_as(jwt, "GET", target, "", s.org2()).status == 403);
  // A tampered signature, a JWT of no issuance (signed by another key), garbage: 401.
  auto tampered = jwt;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  CHECK(s.call_as(tampered, "GET", target).status == 401);
  {
    const auto ours = mu::domain::RsaKey::parse_private_pem(oauth_read_file(o.key.path));
    REQUIRE(ours.ok());
    auto parsed = mu::domain::parse_jwt(jwt);
    REQUIRE(parsed.ok());
    auto claims = parsed->claims;
    claims["jti"] = "4711";  // signed by our key, but never issued
    auto forged = mu::domain::sign_rs256(json{{"kid", *parsed->kid}}, claims, *ours);
    REQUIRE(forged.ok());
    CHECK(s.call_as(*forged, "GET", target).status == 401);
  }
  CHECK(s.call_as("a.b.c", "GET", target).status == 401);

  // Deactivated or locked: every token refused at once; reactivated: they work again.
  const std::string user = "/management/v1/users/" + caller.id;
  REQUIRE(s.call("POST", user + "/_deactivate", "{}").status == 200);
  CHECK(s.call_as(jwt, "GET", target).status == 401);
  CHECK(oauth_grpc_get_user(s, jwt, s.admin_id()) == 16);
  CHECK(oauth_grpc_web_get_user(s, jwt, s.admin_id()) == 16);
  CHECK(s.call_as(opaque, "GET", target).status == 401);
  REQUIRE(s.call("POST", user + "/_reactivate", "{}").status == 200);
  CHECK(s.call_as(jwt, "GET", target).status == 200);
  CHECK(s.call_as(opaque, "GET", target).status == 200);
  // Removed: gone for good.
  REQUIRE(s.call("DELETE", user).status == 200);
  CHECK(s.call_as(jwt, "GET", target).status == 401);
  CHECK(s.call_as(opaque, "GET", target).status == 401);
}

TEST_CASE("oauth: a JWT from one instance works on another and after a rotation", "[e2e][oauth]") {
  OAuthService o;
  auto& s = *o.s;
  auto caller = s.add_caller("rotating", s.org1(), {"ORG_OWNER"});
  REQUIRE(s.call("PUT", "/management/v1/users/" + caller.id + "/machine",
                 json{{"name", "R"}, {"accessTokenType", "ACCESS_TOKEN_TYPE_JWT"}})
              .status == 200);
  auto secret = s.call("PUT", "/management/v1/users/" + caller.id + "/secret", "{}");
  REQUIRE(secret.status == 200);
  auto r = o.token(
      std::string("grant_type=client_credentials&scope=") + kApiScope,
      {{"authorization", oauth_basic("rotating", secret.body["clientSecret"].get<std::string>())}});
  REQUIRE(r.status == 200);
  const auto jwt = oauth_body(r)["access_token"].get<std::string>();
  const std::string target = "/management/v1/users/" + caller.id;

  TempFile next("next.pem");
  oauth_write_rsa_key(next.path);
  // Another instance after the rotation: the old key only verifies.
  ServerProcess rotated(s.database().url(),
                        {"--signing-key", next.path, "--verification-key", o.key.path});
  HttpClient http("127.0.0.1", rotated.port());
  auto call = http.request("GET", target, "", {{"authorization", "Bearer " + jwt}});
  CHECK(call.status == 200);
  // An instance that dropped the old key refuses the token.
  ServerProcess dropped(s.database().url(), {"--signing-key", next.path});
  HttpClient http2("127.0.0.1", dropped.port());
  CHECK(http2.request("GET", target, "", {{"authorization", "Bearer " + jwt}}).status == 401);
}

TEST_CASE("oauth: introspection as the contract has it", "[e2e][oauth]") {
  OAuthService o;
  auto& s = *o.s;
  // The token's owner, and a resource server (ORG_OWNER of org 1: user.read there).
  auto owner = s.add_caller("owner", s.org1(), {});
  auto owner_secret = s.call("PUT", "/management/v1/users/" + owner.id + "/secret", "{}");
  REQUIRE(owner_secret.status == 200);
  const auto owner_basic =
      oauth_basic("owner", owner_secret.body["clientSecret"].get<std::string>());
  auto server = s.add_caller("resource-server", s.org1(), {"ORG_OWNER"});
  auto server_secret = s.call("PUT", "/management/v1/users/" + server.id + "/secret", "{}");
  const auto server_basic =
      oauth_basic("resource-server", server_secret.body["clientSecret"].get<std::string>());
  // A stranger in org 2 without roles, and one named in the token's audience.
  auto stranger = s.add_caller("stranger", s.org2(), {});
  auto stranger_secret =
      s.call("PUT", "/management/v1/users/" + stranger.id + "/secret", "{}", s.org2());
  const auto stranger_basic =
      oauth_basic("stranger", stranger_secret.body["clientSecret"].get<std::string>());

  auto issued = o.token(
      "grant_type=client_credentials&scope=openid+urn%3Azitadel%3Aiam%3Aorg%3A"
      "project%3Aid%3A" +
          stranger.id + "%3Aaud",
      {{"authorization", owner_basic}});
  REQUIRE(issued.status == 200);
  const auto token = oauth_body(issued)["access_token"].get<std::string>();
  const auto introspect = [&](const std::string& basic, const std::string& t) {
    return s.http().request("POST", "/oauth/v2/introspect", "token=" + t,
                            {{"content-type", kForm}, {"authorization", basic}});
  };

  for (const auto* basic : {&owner_basic, &server_basic, &stranger_basic}) {
    auto r = introspect(*basic, token);
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto b = oauth_body(r);
    CHECK(b["active"] == true);
    CHECK(b["sub"] == owner.id);
    CHECK(b["username"] == "owner");
    CHECK(b["client_id"] == "owner");
    CHECK(b["token_type"] == "Bearer");
    CHECK(b["iss"] == o.issuer);
    CHECK(b["aud"] == json{owner.id, stranger.id});
    CHECK(b["scope"] == "openid urn:zitadel:iam:org:project:id:" + stranger.id + ":aud");
    CHECK(b["exp"].get<long long>() - b["iat"].get<long long>() == 43200);
    CHECK(b["jti"] == s.last_payload(owner.id)["tokenId"]);
  }
  // PATs too; the stranger learns nothing of a token not meant for it.
  auto pat = introspect(server_basic, owner.token);
  REQUIRE(pat.status == 200);
  CHECK(oauth_body(pat)["active"] == true);
  CHECK(oauth_body(pat)["jti"] == owner.token_id);
  CHECK(oauth_body(introspect(stranger_basic, owner.token)) == json{{"active", false}});
  // Unknown, garbage, a JWT of no issuance: inactive.
  CHECK(oauth_body(introspect(server_basic, "nothing")) == json{{"active", false}});
  CHECK(oauth_body(introspect(server_basic, "a.b.c")) == json{{"active", false}});

  // JWT tokens, and a client_assertion as the caller's authentication.
  REQUIRE(s.call("PUT", "/management/v1/users/" + owner.id + "/machine",
                 json{{"name", "O"}, {"accessTokenType", "ACCESS_TOKEN_TYPE_JWT"}})
              .status == 200);
  auto jwt_issued = o.token(std::string("grant_type=client_credentials&scope=") + kApiScope,
                            {{"authorization", owner_basic}});
  REQUIRE(jwt_issued.status == 200);
  const auto jwt = oauth_body(jwt_issued)["access_token"].get<std::string>();
  auto [kid, key] = o.key_of(server.id);
  const auto assertion = oauth_assertion(o, kid, key, oauth_claims(o, server.id));
  auto by_assertion = s.http().request(
      "POST", "/oauth/v2/introspect",
      "token=" + jwt +
          "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
          "&client_assertion=" +
          assertion,
      {{"content-type", kForm}});
  INFO(by_assertion.body);
  REQUIRE(by_assertion.status == 200);
  CHECK(oauth_body(by_assertion)["active"] == true);
  CHECK(oauth_body(by_assertion)["aud"] == json{owner.id, "zitadel"});

  // No caller authentication: 400 invalid_client; a wrong one: 401 invalid_client.
  auto none =
      s.http().request("POST", "/oauth/v2/introspect", "token=" + token, {{"content-type", kForm}});
  CHECK(none.status == 400);
  CHECK(oauth_body(none)["error"] == "invalid_client");
  auto wrong = introspect(oauth_basic("owner", "wrong"), token);
  CHECK(wrong.status == 401);
  CHECK(oauth_body(wrong)["error"] == "invalid_client");

  // Deactivated owner: inactive; reactivated: active again; removed: inactive.
  const std::string user = "/management/v1/users/" + owner.id;
  REQUIRE(s.call("POST", user + "/_deactivate", "{}").status == 200);
  CHECK(oauth_body(introspect(server_basic, token)) == json{{"active", false}});
  CHECK(oauth_body(introspect(server_basic, jwt)) == json{{"active", false}});
  REQUIRE(s.call("POST", user + "/_reactivate", "{}").status == 200);
  CHECK(oauth_body(introspect(server_basic, jwt))["active"] == true);
  REQUIRE(s.call("DELETE", user).status == 200);
  CHECK(oauth_body(introspect(server_basic, token)) == json{{"active", false}});
  CHECK(oauth_body(introspect(server_basic, jwt)) == json{{"active", false}});
}

TEST_CASE("oauth: revocation of opaque tokens and JWTs", "[e2e][oauth]") {
  OAuthService o;
  auto& s = *o.s;
  auto owner = s.add_caller("revoking", s.org1(), {"ORG_OWNER"});
  auto secret = s.call("PUT", "/management/v1/users/" + owner.id + "/secret", "{}");
  const auto basic = oauth_basic("revoking", secret.body["clientSecret"].get<std::string>());
  auto other = s.add_caller("bystander", s.org2(), {});
  auto other_secret = s.call("PUT", "/management/v1/users/" + other.id + "/secret", "{}", s.org2());
  const auto other_basic =
      oauth_basic("bystander", other_secret.body["clientSecret"].get<std::string>());
  const auto token_for = [&] {
    auto r = o.token(std::string("grant_type=client_credentials&scope=") + kApiScope,
                     {{"authorization", basic}});
    REQUIRE(r.status == 200);
    return oauth_body(r)["access_token"].get<std::string>();
  };
  const auto revoke = [&](const std::string& who, const std::string& t) {
    return s.http().request("POST", "/oauth/v2/revoke", "token=" + t,
                            {{"content-type", kForm}, {"authorization", who}});
  };
  const std::string target = "/management/v1/users/" + owner.id;

  const auto opaque = token_for();
  const auto kept = token_for();
  REQUIRE(s.call_as(opaque, "GET", target).status == 200);
  // Someone else's token: 200, and nothing happens.
  CHECK(revoke(other_basic, opaque).status == 200);
  CHECK(s.call_as(opaque, "GET", target).status == 200);
  // The owner revokes it: refused at once, inactive; the other token still works.
  const auto events = s.count_events(owner.id);
  CHECK(revoke(basic, opaque).status == 200);
  CHECK(s.count_events(owner.id) == events + 1);
  CHECK(s.last_payload(owner.id).dump().find("tokenId") != std::string::npos);
  CHECK(s.call_as(opaque, "GET", target).status == 401);
  CHECK(s.call_as(kept, "GET", target).status == 200);
  auto gone = s.http().request("POST", "/oauth/v2/introspect", "token=" + opaque,
                               {{"content-type", kForm}, {"authorization", basic}});
  CHECK(oauth_body(gone) == json{{"active", false}});
  // Again, or an unknown token: 200, no event.
  CHECK(revoke(basic, opaque).status == 200);
  CHECK(revoke(basic, "unknown").status == 200);
  CHECK(s.count_events(owner.id) == events + 1);

  REQUIRE(s.call("PUT", target + "/machine",
                 json{{"name", "R"}, {"accessTokenType", "ACCESS_TOKEN_TYPE_JWT"}})
              .status == 200);
  const auto jwt = token_for();
  REQUIRE(s.call_as(jwt, "GET", target).status == 200);
  CHECK(revoke(basic, jwt).status == 200);
  CHECK(s.call_as(jwt, "GET", target).status == 401);
  // A PAT is not revoked here.
  CHECK(revoke(basic, owner.token).status == 200);
  CHECK(s.call_as(owner.token, "GET", target).status == 200);
  // No caller: 400 invalid_client.
  auto none =
      s.http().request("POST", "/oauth/v2/revoke", "token=" + kept, {{"content-type", kForm}});
  CHECK(none.status == 400);
  CHECK(oauth_body(none)["error"] == "invalid_client");
}

#ifndef MU_NODE_TESTS_DIR
#error "tests/CMakeLists.txt must define MU_NODE_TESTS_DIR (the tests/node directory)"
#endif

// openid-client, jose and @zitadel/node against the endpoints: tests/node/oauth_clients.mjs.
TEST_CASE("wire: OAuth clients (openid-client, jose, @zitadel/node) against the OAuth endpoints",
          "[e2e][oauth][node]") {
  namespace fs = std::filesystem;
  const fs::path dir = MU_NODE_TESTS_DIR;
  const std::string node = mu::testing::find_node();
  if (node.empty()) {
    FAIL("node (>= 20) is not installed (neither /usr/bin/node nor on PATH): ./test installs it");
  }
  for (const char* package : {"@zitadel/node", "openid-client", "jose"}) {
    if (!fs::exists(dir / "node_modules" / package / "package.json")) {
      FAIL(std::string(package) + " is missing from " + (dir / "node_modules").string() +
           ": ./test installs the pinned packages (npm ci in tests/node)");
    }
  }
  OAuthService o;
  const auto r =
      mu::testing::run_capturing({node, (dir / "oauth_clients.mjs").string(), "--url", o.issuer},
                                 {"MU_TOKEN=" + o.s->admin_token()}, std::chrono::seconds(25));
  INFO("node oauth_clients.mjs said:\n" << r.out);
  REQUIRE(r.exit_code == 0);
  std::smatch summary;
  REQUIRE(std::regex_search(r.out, summary, std::regex(R"((\d+) checks, 0 failed)")));
  CHECK(std::stoi(summary[1]) >= 17);
}
