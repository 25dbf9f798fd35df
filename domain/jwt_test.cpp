#include "domain/jwt.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <catch2/catch.hpp>
#include <string>

#include "domain/base64url.hpp"
#include "domain/rfc7515_key_test.hpp"

using namespace mu::domain;
using nlohmann::json;

namespace {

// A compact token of the given header and payload texts and signature bytes, unchecked.
std::string token_of(std::string_view header, std::string_view payload,
                     std::string_view signature) {
  return base64url_encode(header) + "." + base64url_encode(payload) + "." +
         base64url_encode(signature);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
               reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length));
  return std::string(reinterpret_cast<const char*>(out), length);
}

JwtError parse_error_of(std::string_view text) {
  const auto jwt = parse_jwt(text);
  REQUIRE_FALSE(jwt);
  return jwt.error();
}

}  // namespace

TEST_CASE("RFC 7515 A.2's RS256 JWS reads, verifies with its key and re-encodes unchanged") {
  const auto jwt = parse_jwt(rfc7515::kJws);
  REQUIRE(jwt);
  CHECK(jwt->alg == "RS256");
  CHECK_FALSE(jwt->kid);
  CHECK_FALSE(jwt->typ);
  CHECK(jwt->claims_bytes == rfc7515::kPayload);
  CHECK(jwt->claims ==
        json{{"iss", "joe"}, {"exp", 1300819380}, {"http://example.com/is_root", true}});
  CHECK(jwt->signing_input == rfc7515::kJws.substr(0, rfc7515::kJws.rfind('.')));
  CHECK(compact(*jwt) == rfc7515::kJws);
  CHECK_FALSE(verify_rs256(*jwt, rfc7515::public_key()));
}

TEST_CASE("a tampered token's signature does not hold") {
  const std::string good(rfc7515::kJws);
  const auto dot = good.rfind('.');

  auto bad_signature = good;
  bad_signature[dot + 10] = bad_signature[dot + 10] == 'A' ? 'B' : 'A';
  const auto a = parse_jwt(bad_signature);
  REQUIRE(a);
  CHECK(verify_rs256(*a, rfc7515::public_key()) == JwtError::BadSignature);

  // Another payload under the same signature: "joe" becomes "jon".
  const auto jwt = parse_jwt(good).value();
  auto payload = jwt.claims_bytes;
  payload.replace(payload.find("joe"), 3, "jon");
  const auto b = parse_jwt(token_of(jwt.header_bytes, payload, jwt.signature));
  REQUIRE(b);
  CHECK(verify_rs256(*b, rfc7515::public_key()) == JwtError::BadSignature);

  // The right token under another key (a caller that picked the wrong "kid").
  const auto other = RsaKey::adopt(EVP_RSA_gen(2048)).value();
  CHECK(verify_rs256(jwt, other) == JwtError::BadSignature);
}

TEST_CASE(
    "only RS256 is accepted: none, HS256 with the public key as secret, and others are refused") {
  const std::string payload(rfc7515::kPayload);
  const auto key = rfc7515::public_key();

  // "none" with an empty signature, as RFC 7519 §6.1 writes it.
  const auto none = parse_jwt(token_of(R"({"alg":"none"})", payload, ""));
  REQUIRE(none);
  CHECK(none->alg == "none");
  CHECK(verify_rs256(*none, key) == JwtError::AlgNotAllowed);

  // The classic confusion: an HMAC keyed with the public key's PEM, which a verifier that
  // trusted the header's "alg" would check with the same bytes and accept.
  const auto header = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  const auto input = header + "." + base64url_encode(payload);
  const auto forged = input + "." + base64url_encode(hmac_sha256(key.public_pem(), input));
  const auto hs = parse_jwt(forged);
  REQUIRE(hs);
  CHECK(hs->alg == "HS256");
  CHECK(verify_rs256(*hs, key) == JwtError::AlgNotAllowed);

  // RS256's own signature under another name is refused too: the name decides, not the bytes.
  const auto jwt = parse_jwt(rfc7515::kJws).value();
  for (const char* alg : {"rs256", "RS384", "PS256", "ES256", "RS256 ", ""}) {
    const auto renamed = parse_jwt(token_of(json{{"alg", alg}}.dump(), payload, jwt.signature));
    REQUIRE(renamed);
    CHECK(verify_rs256(*renamed, key) == JwtError::AlgNotAllowed);
  }
}

TEST_CASE("compact JWS structure, sizes and base64url are checked before anything else") {
  CHECK(parse_error_of("") == JwtError::NotCompact);
  CHECK(parse_error_of("abc") == JwtError::NotCompact);
  CHECK(parse_error_of("a.b") == JwtError::NotCompact);
  CHECK(parse_error_of("a.b.c.d") == JwtError::NotCompact);
  CHECK(parse_error_of(std::string(rfc7515::kJws) + ".") == JwtError::NotCompact);

  CHECK(parse_error_of(std::string(kMaxJwtBytes + 1, 'A')) == JwtError::TooLarge);
  CHECK(parse_error_of(std::string(kMaxJwtBytes, 'A')) == JwtError::NotCompact);
  // A valid token padded to just over the limit by a long claim.
  const auto key = rfc7515::private_key();
  const auto big = sign_rs256(json{{"kid", "k"}}, json{{"pad", std::string(12000, 'x')}}, key);
  REQUIRE(big);
  CHECK(big->size() > kMaxJwtBytes);
  CHECK(parse_error_of(*big) == JwtError::TooLarge);

  const std::string jws(rfc7515::kJws);
  CHECK(parse_error_of("eyJhbGciOiJSUzI1NiJ9=" + jws.substr(jws.find('.'))) ==
        JwtError::BadBase64url);  // padding
  auto plus = jws;
  plus[jws.rfind('.') + 1] = '+';
  CHECK(parse_error_of(plus) == JwtError::BadBase64url);
  CHECK(parse_error_of(jws + " ") == JwtError::BadBase64url);
  CHECK(parse_error_of(" " + jws) == JwtError::BadBase64url);
}

TEST_CASE("header and claims are strict JSON objects, the header's members of their types") {
  const std::string claims = R"({"sub":"1"})";
  CHECK(parse_error_of(token_of(R"({"alg":"RS256","alg":"none"})", claims, "s")) ==
        JwtError::HeaderNotJson);
  CHECK(parse_error_of(token_of(R"({"alg":"RS256"})", R"({"sub":"1","sub":"2"})", "s")) ==
        JwtError::ClaimsNotJson);
  CHECK(parse_error_of(token_of(R"(["RS256"])", claims, "s")) == JwtError::HeaderNotJson);
  CHECK(parse_error_of(token_of(R"({"alg":"RS256"})", "\"sub\"", "s")) == JwtError::ClaimsNotJson);
  CHECK(parse_error_of(token_of(R"({"alg":"RS256"})", "{", "s")) == JwtError::ClaimsNotJson);
  CHECK(parse_error_of(token_of("\xEF\xBB\xBF{\"alg\":\"RS256\"}", claims, "s")) ==
        JwtError::HeaderNotJson);
  CHECK(parse_error_of(token_of(R"({"alg":"RS256"})", "{\"sub\":\"\xFF\"}", "s")) ==
        JwtError::ClaimsNotJson);  // not UTF-8

  CHECK(parse_error_of(token_of(R"({"kid":"k"})", claims, "s")) == JwtError::BadHeader);
  CHECK(parse_error_of(token_of(R"({"alg":256})", claims, "s")) == JwtError::BadHeader);
  CHECK(parse_error_of(token_of(R"({"alg":"RS256","kid":1})", claims, "s")) == JwtError::BadHeader);
  CHECK(parse_error_of(token_of(R"({"alg":"RS256","typ":null})", claims, "s")) ==
        JwtError::BadHeader);
  CHECK(parse_error_of(token_of(R"({"alg":"RS256","crit":["exp"],"exp":1})", claims, "s")) ==
        JwtError::BadHeader);

  const auto ok = parse_jwt(
      token_of(R"({"alg":"RS256","kid":"k1","typ":"JWT","x5u":"http://x"})", claims, "s"));
  REQUIRE(ok);
  CHECK(ok->kid == "k1");
  CHECK(ok->typ == "JWT");
  CHECK(ok->header["x5u"] == "http://x");
}

TEST_CASE("sign_rs256 writes a token that reads back with its kid and verifies") {
  const auto key = rfc7515::private_key();
  const json claims = {{"iss", "http://127.0.0.1:8080"}, {"sub", "42"}, {"exp", 1900000000}};
  const auto token = sign_rs256(json{{"kid", "key-1"}, {"typ", "JWT"}}, claims, key);
  REQUIRE(token);
  const auto jwt = parse_jwt(*token);
  REQUIRE(jwt);
  CHECK(jwt->alg == "RS256");
  CHECK(jwt->kid == "key-1");
  CHECK(jwt->typ == "JWT");
  CHECK(jwt->claims == claims);
  CHECK(compact(*jwt) == *token);
  CHECK_FALSE(verify_rs256(*jwt, rfc7515::public_key()));
  // "alg" may be given, as RS256.
  CHECK(sign_rs256(json{{"kid", "k"}, {"alg", "RS256"}}, claims, key));

  CHECK(sign_rs256(json{{"typ", "JWT"}}, claims, key).error() == JwtError::CannotSign);  // no kid
  CHECK(sign_rs256(json{{"kid", 1}}, claims, key).error() == JwtError::CannotSign);
  CHECK(sign_rs256(json{{"kid", "k"}, {"alg", "none"}}, claims, key).error() ==
        JwtError::CannotSign);
  CHECK(sign_rs256(json{{"kid", "k"}}, json::array(), key).error() == JwtError::CannotSign);
  CHECK(sign_rs256(json{{"kid", "k"}}, json{{"sub", "\xFF"}}, key).error() ==
        JwtError::CannotSign);  // not UTF-8: not writable as JSON
  CHECK(sign_rs256(json{{"kid", "k"}}, claims, rfc7515::public_key()).error() ==
        JwtError::CannotSign);
}
