// JSON Web Tokens in the compact JWS serialization (RFC 7515 §7.1, RFC 7519): reading one
// (sizes bounded, base64url strict, header and claims strict JSON objects), checking its RS256
// signature, and signing one. Pure; the keys are RsaKey (domain/rsa_key.hpp). What the
// claims of an RFC 7523 assertion must say is domain/assertion_claims.hpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/expected.hpp"
#include "domain/rsa_key.hpp"

namespace mu::domain {

// Longer tokens are refused before any decoding. A client's assertion is well under 2 KiB;
// the bound keeps a hostile one cheap.
inline constexpr std::size_t kMaxJwtBytes = 16 * 1024;

enum class JwtError {
  TooLarge,       // over kMaxJwtBytes
  NotCompact,     // not three parts separated by two dots
  BadBase64url,   // a part that is not strict unpadded base64url
  HeaderNotJson,  // the header is not a strict JSON object (duplicate keys, BOM, ...)
  ClaimsNotJson,  // the payload is not a strict JSON object
  BadHeader,      // no "alg" string; "kid" or "typ" not a string; "crit" present
  AlgNotAllowed,  // an "alg" other than RS256 ("none", "HS256", ...)
  BadSignature,   // the signature does not hold for the key
  CannotSign,     // signing: a public key, or a header or claims that cannot be written
};

// A short English description ("the signature does not hold").
std::string_view describe(JwtError e);

// A token as read. Nothing in it is trusted before verify_rs256 said so.
struct Jwt {
  std::string alg;                 // the header's "alg"
  std::optional<std::string> kid;  // the header's "kid": which key the caller should try
  std::optional<std::string> typ;  // the header's "typ"
  nlohmann::json header;           // the whole header, a JSON object
  nlohmann::json claims;           // the payload, a JSON object
  std::string header_bytes;        // the header and payload as decoded, byte for byte
  std::string claims_bytes;
  std::string signature;      // the decoded signature
  std::string signing_input;  // "<header>.<payload>" as received: what the signature covers
};

// Reads a compact JWS. The header may name any "alg": only verify_rs256 decides. A "crit"
// header is refused (RFC 7515 §4.1.11: we understand no extension); "jku", "jwk", "x5u" and
// "x5c" are read and never followed (keys come from the caller, chosen by "kid").
Expected<Jwt, JwtError> parse_jwt(std::string_view compact);

// The compact form of a token read by parse_jwt: base64url of its three parts. Equal to the
// text it was read from, since the decoders accept only what the encoder writes.
std::string compact(const Jwt& jwt);

// nullopt when the token's RS256 signature holds for `key`. An "alg" other than RS256 is
// refused before the key is used, so "none" and an HS256 token "signed" with the public key's
// bytes never get that far.
std::optional<JwtError> verify_rs256(const Jwt& jwt, const RsaKey& key);

// A compact JWT of `claims` (a JSON object) signed with `key` (a private key). `header` is a
// JSON object holding at least "kid" (a string) and, if it says "alg", "RS256"; "alg" is set.
Expected<std::string, JwtError> sign_rs256(const nlohmann::json& header,
                                           const nlohmann::json& claims, const RsaKey& key);

}  // namespace mu::domain
