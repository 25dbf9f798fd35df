#include "domain/assertion_claims.hpp"

#include <cstdint>

namespace mu::domain {

namespace {

// 9999-12-31T23:59:59Z: the last instant a Timestamp (and RFC 3339 with four digits) holds.
constexpr std::int64_t kLastNumericDate = 253402300799;

// A non-empty string member, or nullopt.
std::optional<std::string> claim_string(const nlohmann::json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_string()) return std::nullopt;
  auto s = it->get<std::string>();
  if (s.empty()) return std::nullopt;
  return s;
}

// Whether "aud" holds `issuer`; nullopt when "aud" is malformed.
std::optional<bool> audience_holds(const nlohmann::json& claims, std::string_view issuer) {
  const auto it = claims.find("aud");
  if (it == claims.end()) return std::nullopt;
  if (it->is_string()) return it->get_ref<const std::string&>() == issuer;
  if (!it->is_array() || it->empty()) return std::nullopt;
  bool found = false;
  for (const auto& a : *it) {
    if (!a.is_string()) return std::nullopt;
    if (a.get_ref<const std::string&>() == issuer) found = true;
  }
  return found;
}

// A member that must be a NumericDate; nullopt when absent or malformed.
std::optional<Timestamp> date_claim(const nlohmann::json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end()) return std::nullopt;
  return numeric_date(*it);
}

}  // namespace

std::string_view describe(ClaimsError e) {
  switch (e) {
    case ClaimsError::IssInvalid:
      return "the assertion has no issuer (iss)";
    case ClaimsError::SubInvalid:
      return "the assertion has no subject (sub)";
    case ClaimsError::IssNotSub:
      return "the assertion's issuer (iss) is not its subject (sub)";
    case ClaimsError::AudInvalid:
      return "the assertion's audience (aud) is missing or malformed";
    case ClaimsError::AudMismatch:
      return "the assertion's audience (aud) does not name this issuer";
    case ClaimsError::ExpInvalid:
      return "the assertion's expiration (exp) is missing or not an integer NumericDate";
    case ClaimsError::Expired:
      return "the assertion has expired";
    case ClaimsError::IatInvalid:
      return "the assertion's issuing time (iat) is missing or not an integer NumericDate";
    case ClaimsError::IatInFuture:
      return "the assertion is issued in the future";
    case ClaimsError::IatTooOld:
      return "the assertion was issued more than an hour ago";
    case ClaimsError::NbfInvalid:
      return "the assertion's not-before time (nbf) is not an integer NumericDate";
    case ClaimsError::NotYetValid:
      return "the assertion is not valid yet (nbf)";
  }
  return "the assertion's claims are unusable";
}

std::optional<Timestamp> numeric_date(const nlohmann::json& value) {
  std::int64_t seconds = 0;
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(kLastNumericDate)) return std::nullopt;
    seconds = static_cast<std::int64_t>(v);
  } else if (value.is_number_integer()) {
    seconds = value.get<std::int64_t>();
    if (seconds < 0 || seconds > kLastNumericDate) return std::nullopt;
  } else {
    // Floats (1.7e9, 1700000000.5), strings, booleans: RFC 7519 allows fractions, but every
    // client we know writes integers, and integers compare without rounding.
    return std::nullopt;
  }
  return Timestamp{std::chrono::seconds{seconds}};
}

Expected<AssertionClaims, ClaimsError> check_assertion_claims(const nlohmann::json& claims,
                                                              std::string_view issuer,
                                                              Timestamp now) {
  if (!claims.is_object()) return Unexpected(ClaimsError::IssInvalid);
  const auto iss = claim_string(claims, "iss");
  if (!iss) return Unexpected(ClaimsError::IssInvalid);
  auto sub = claim_string(claims, "sub");
  if (!sub) return Unexpected(ClaimsError::SubInvalid);
  if (*iss != *sub) return Unexpected(ClaimsError::IssNotSub);

  const auto aud = audience_holds(claims, issuer);
  if (!aud) return Unexpected(ClaimsError::AudInvalid);
  if (!*aud) return Unexpected(ClaimsError::AudMismatch);

  const auto exp = date_claim(claims, "exp");
  if (!exp) return Unexpected(ClaimsError::ExpInvalid);
  if (!(now + kAssertionLeeway < *exp)) return Unexpected(ClaimsError::Expired);

  const auto iat = date_claim(claims, "iat");
  if (!iat) return Unexpected(ClaimsError::IatInvalid);
  if (*iat > now + kAssertionLeeway) return Unexpected(ClaimsError::IatInFuture);
  if (*iat < now - kAssertionMaxAge) return Unexpected(ClaimsError::IatTooOld);

  if (claims.contains("nbf")) {
    const auto nbf = date_claim(claims, "nbf");
    if (!nbf) return Unexpected(ClaimsError::NbfInvalid);
    if (*nbf > now + kAssertionLeeway) return Unexpected(ClaimsError::NotYetValid);
  }

  AssertionClaims out{std::move(*sub), *exp, *iat, std::nullopt};
  if (const auto jti = claims.find("jti"); jti != claims.end() && jti->is_string()) {
    out.jwt_id = jti->get<std::string>();
  }
  return out;
}

}  // namespace mu::domain
