// Target "jose": what the OAuth endpoints read from a client before any database: a JWT
// assertion (domain/jwt: parse, RS256 verification with a fixed key, the RFC 7523 claims
// check), a form body and HTTP Basic credentials (domain/form_urlencoded), base64 and
// base64url (domain/base64url) and RSA key PEM (domain/rsa_key, AddMachineKey's public_key).
//
// Input: one selector byte, then the text. The selector is a digit in the seeds; any other
// byte counts modulo 5:
//   0 a compact JWT         1 a form body           2 an Authorization header value
//   3 base64 and base64url  4 a PEM key, public and private
//
// Oracles (each a crash through finding()):
//   - nothing throws, no sanitizer report;
//   - an accepted JWT re-encodes to the very text it was read from (the base64url decoder
//     accepts only canonical text), its header names an "alg" and verification refuses every
//     "alg" but RS256; its claims, signed again with the fixed key, read back equal and verify;
//   - a form that parses is written by form_encode to a body that parses to the same map;
//     Basic credentials likewise through form_escape and base64;
//   - a base64(url) text that decodes is what the encoder writes for its bytes;
//   - an accepted key's PEM and JWK read back as the same key.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "domain/assertion_claims.hpp"
#include "domain/base64url.hpp"
#include "domain/form_urlencoded.hpp"
#include "domain/jwt.hpp"
#include "domain/rfc7515_key_test.hpp"
#include "domain/rsa_key.hpp"

namespace {

using namespace mu::domain;

constexpr std::string_view kIssuer = "http://127.0.0.1:8080";

[[noreturn]] void finding(std::string_view what, std::string_view input) {
  std::fprintf(stderr, "FINDING: %.*s: %zu bytes of input\n", static_cast<int>(what.size()),
               what.data(), input.size());
  std::abort();
}

const RsaKey& fixed_private_key() {
  static const RsaKey key = rfc7515::private_key();
  return key;
}

const RsaKey& fixed_public_key() {
  static const RsaKey key = rfc7515::public_key();
  return key;
}

void jwt(std::string_view text) {
  const auto token = parse_jwt(text);
  if (!token) {
    if (describe(token.error()).empty()) finding("an error without a description", text);
    return;
  }
  if (compact(*token) != text) finding("an accepted JWT does not re-encode to its text", text);
  if (!token->header.is_object() || !token->claims.is_object()) {
    finding("an accepted JWT's header or claims are not objects", text);
  }
  const auto verified = verify_rs256(*token, fixed_public_key());
  if (token->alg != "RS256" && verified != JwtError::AlgNotAllowed) {
    finding("an alg other than RS256 got past verification", text);
  }
  // A fixed instant: the RFC's example (exp 1300819380) is then still valid.
  const Timestamp now{std::chrono::seconds{1300819000}};
  const auto claims = check_assertion_claims(token->claims, kIssuer, now);
  if (claims && (claims->subject.empty() || !(claims->expires_at > now))) {
    finding("accepted claims without a subject or expired", text);
  }

  // Signed again with the fixed key, the same claims read back and verify.
  auto header = token->header;
  header["alg"] = "RS256";
  header["kid"] = token->kid.value_or("fuzz");
  const auto signed_again = sign_rs256(header, token->claims, fixed_private_key());
  if (!signed_again) finding("claims that were read cannot be signed", text);
  if (signed_again->size() > kMaxJwtBytes) return;
  const auto again = parse_jwt(*signed_again);
  if (!again) finding("a token we signed does not read back", text);
  if (again->claims != token->claims) finding("a token we signed reads back other claims", text);
  if (verify_rs256(*again, fixed_public_key())) finding("a token we signed does not verify", text);
}

void form(std::string_view text) {
  const auto fields = parse_form(text);
  if (!fields) return;
  const auto body = form_encode(*fields);
  const auto again = parse_form(body);
  if (!again) finding("form_encode wrote a body parse_form refuses", text);
  if (*again != *fields) finding("a form does not read back from form_encode", text);
}

void basic(std::string_view text) {
  const auto credentials = parse_basic_credentials(text);
  if (!credentials) return;
  const auto header = "Basic " + base64_encode(form_escape(credentials->client_id) + ":" +
                                               form_escape(credentials->client_secret));
  const auto again = parse_basic_credentials(header);
  if (!again || again->client_id != credentials->client_id ||
      again->client_secret != credentials->client_secret) {
    finding("Basic credentials do not read back", text);
  }
}

void base64(std::string_view text) {
  if (const auto bytes = base64url_decode(text); bytes && base64url_encode(*bytes) != text) {
    finding("base64url accepted a text its encoder does not write", text);
  }
  if (const auto bytes = base64_decode(text); bytes && base64_encode(*bytes) != text) {
    finding("base64 accepted a text its encoder does not write", text);
  }
  if (base64url_decode(base64url_encode(text)) != text) finding("base64url round trip", text);
  if (base64_decode(base64_encode(text)) != text) finding("base64 round trip", text);
}

void key(std::string_view text) {
  if (const auto pub = RsaKey::parse_public_pem(text)) {
    const auto again = RsaKey::parse_public_pem(pub->public_pem());
    if (!again || !again->same_public_key(*pub))
      finding("a public key's PEM does not read back", text);
    const auto jwk = pub->public_jwk("k");
    const auto from_jwk =
        RsaKey::from_jwk(jwk["n"].get<std::string>(), jwk["e"].get<std::string>());
    if (!from_jwk || !from_jwk->same_public_key(*pub))
      finding("a public key's JWK does not read back", text);
  }
  if (const auto priv = RsaKey::parse_private_pem(text)) {
    if (!priv->has_private_key()) finding("a private key without its private half", text);
    const auto again = RsaKey::parse_private_pem(priv->private_pkcs1_pem().value());
    if (!again || !again->same_public_key(*priv))
      finding("a private key's PEM does not read back", text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const unsigned selector = data[0] >= '0' && data[0] <= '9' ? data[0] - '0' : data[0];
  switch (selector % 5) {
    case 0:
      jwt(text);
      break;
    case 1:
      form(text);
      break;
    case 2:
      basic(text);
      break;
    case 3:
      base64(text);
      break;
    case 4:
      key(text);
      break;
  }
  return 0;
}
