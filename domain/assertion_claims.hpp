// What the claims of a JWT used for authorization or client authentication (RFC 7523 §3)
// must say before the token endpoint trusts its signer, as ZITADEL checks them: the issuer in
// the audience, not expired, issued recently, issued by its subject. The signature is
// domain/jwt.hpp's; the key the subject's and "kid"'s lookup is the caller's.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/expected.hpp"
#include "domain/time.hpp"

namespace mu::domain {

// Clocks differ: "exp" must lie more than this ahead of now, "iat" and "nbf" at most this.
inline constexpr std::chrono::seconds kAssertionLeeway{1};
// An assertion issued longer ago than this is refused, whatever its "exp" says.
inline constexpr std::chrono::seconds kAssertionMaxAge{3600};

// Which check refused; the token endpoint answers every one with `invalid_grant`.
enum class ClaimsError {
  IssInvalid,   // "iss" absent, not a string, or empty
  SubInvalid,   // "sub" absent, not a string, or empty
  IssNotSub,    // "iss" and "sub" differ
  AudInvalid,   // "aud" absent, or neither a string nor a non-empty array of strings
  AudMismatch,  // the issuer is not (exactly) one of the audiences
  ExpInvalid,   // "exp" absent or not a NumericDate
  Expired,      // now + leeway is not before "exp"
  IatInvalid,   // "iat" absent or not a NumericDate
  IatInFuture,  // "iat" more than the leeway ahead
  IatTooOld,    // "iat" longer than kAssertionMaxAge ago
  NbfInvalid,   // "nbf" present and not a NumericDate
  NotYetValid,  // "nbf" more than the leeway ahead
};

// A short English description ("the assertion has expired").
std::string_view describe(ClaimsError e);

// What a caller needs of an accepted assertion.
struct AssertionClaims {
  std::string subject;  // "sub" (== "iss"): the user id whose key must have signed
  Timestamp expires_at;
  Timestamp issued_at;
  std::optional<std::string> jwt_id;  // "jti", when it is a string
};

// A NumericDate as we accept it: a JSON integer (no fraction, no exponent, not a string) of
// seconds since the epoch, from 0 to 253402300799 (9999-12-31T23:59:59Z, google.protobuf.
// Timestamp's last second). nullopt otherwise.
std::optional<Timestamp> numeric_date(const nlohmann::json& value);

// Checks the claims (a JSON object) of an assertion addressed to `issuer` (our issuer URL)
// at `now`, in the order of ClaimsError; the first failure is answered.
Expected<AssertionClaims, ClaimsError> check_assertion_claims(const nlohmann::json& claims,
                                                              std::string_view issuer,
                                                              Timestamp now);

}  // namespace mu::domain
