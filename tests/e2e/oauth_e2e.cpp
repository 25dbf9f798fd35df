// The OAuth/OIDC endpoints through the real binary: the signing key that setup makes, the
// discovery document and the key set (contract "OAuth/OIDC endpoints"), issuer choice,
// rotation (a verification key beside the signing one) and several instances on one key.
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "domain/base64url.hpp"
#include "tests/e2e/service_fixture.hpp"

using mu::testing::HttpClient;
using mu::testing::run_binary;
using mu::testing::ServerProcess;
using mu::testing::Service;
using nlohmann::json;

namespace {

std::string oauth_temp_path(const std::string& name) {
  static int n = 0;
  return "/tmp/mu-e2e-oauth-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + "-" +
         name;
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

json oauth_get_json(HttpClient& http, const std::string& target, mu::testing::HttpResult* out = nullptr,
                    const std::map<std::string, std::string>& headers = {}) {
  auto r = http.request("GET", target, "", headers);
  INFO(target << " " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  if (out) *out = r;
  return json::parse(r.body);
}

}  // namespace

TEST_CASE("oauth: setup creates the signing key once, readable by its owner alone", "[e2e][oauth]") {
  mu::testing::TestDatabase db;
  TempFile key("signing.pem");
  TempFile token("token");
  const std::vector<std::string> args = {"setup",       "--org-name",     "Org One",
                                         "--admin-user", "admin",         "--token-file",
                                         token.path,    "--database-url", db.url(),
                                         "--signing-key", key.path};
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
  for (const char* bad : {"id.example.com", "https://id.example.com/", "https://x/path", "ftp://x"}) {
    auto r = run_binary({"serve", "--database-url", s.database().url(), "--listen",
                         "127.0.0.1:0", "--signing-key", key.path, "--issuer", bad});
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

TEST_CASE("oauth: no signing key, no OAuth endpoints; a bad key stops serve", "[e2e][oauth]") {
  Service s;
  CHECK(s.http().request("GET", "/oauth/v2/keys").status == 404);
  CHECK(s.http().request("GET", "/.well-known/openid-configuration").status == 404);

  TempFile key("not-a-key.pem");
  std::ofstream(key.path) << "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
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
