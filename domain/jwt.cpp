#include "domain/jwt.hpp"

#include "domain/base64url.hpp"
#include "domain/strict_json.hpp"

namespace mu::domain {

namespace {

constexpr std::string_view kRs256 = "RS256";

// An optional header member that must be a string when present.
bool optional_string(const nlohmann::json& header, const char* name,
                     std::optional<std::string>& out) {
  const auto it = header.find(name);
  if (it == header.end()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

// A JSON object as compact text; nullopt when it holds a string that is not UTF-8 (only
// possible for a value built in code: the reader refuses such text).
std::optional<std::string> dump_object(const nlohmann::json& value) {
  if (!value.is_object()) return std::nullopt;
  try {
    return value.dump();
  } catch (const nlohmann::json::type_error&) {
    return std::nullopt;
  }
}

}  // namespace

std::string_view describe(JwtError e) {
  switch (e) {
    case JwtError::TooLarge:
      return "the token is too large";
    case JwtError::NotCompact:
      return "not a compact JWS (three base64url parts separated by dots)";
    case JwtError::BadBase64url:
      return "a part is not base64url without padding";
    case JwtError::HeaderNotJson:
      return "the header is not a JSON object";
    case JwtError::ClaimsNotJson:
      return "the claims are not a JSON object";
    case JwtError::BadHeader:
      return "the header's alg, kid, typ or crit is unusable";
    case JwtError::AlgNotAllowed:
      return "the algorithm is not RS256";
    case JwtError::BadSignature:
      return "the signature does not hold";
    case JwtError::CannotSign:
      return "cannot sign with this key, header or claims";
  }
  return "an unusable token";
}

Expected<Jwt, JwtError> parse_jwt(std::string_view text) {
  if (text.size() > kMaxJwtBytes) return Unexpected(JwtError::TooLarge);
  const auto first = text.find('.');
  if (first == std::string_view::npos) return Unexpected(JwtError::NotCompact);
  const auto second = text.find('.', first + 1);
  if (second == std::string_view::npos || text.find('.', second + 1) != std::string_view::npos) {
    return Unexpected(JwtError::NotCompact);
  }
  Jwt jwt;
  auto header = base64url_decode(text.substr(0, first));
  auto claims = base64url_decode(text.substr(first + 1, second - first - 1));
  auto signature = base64url_decode(text.substr(second + 1));
  if (!header || !claims || !signature) return Unexpected(JwtError::BadBase64url);
  jwt.header_bytes = std::move(*header);
  jwt.claims_bytes = std::move(*claims);
  jwt.signature = std::move(*signature);
  jwt.signing_input = std::string(text.substr(0, second));

  auto header_json = read_strict_json(jwt.header_bytes, "JWT header");
  if (!header_json || !header_json->is_object()) return Unexpected(JwtError::HeaderNotJson);
  auto claims_json = read_strict_json(jwt.claims_bytes, "JWT claims");
  if (!claims_json || !claims_json->is_object()) return Unexpected(JwtError::ClaimsNotJson);
  jwt.header = std::move(*header_json);
  jwt.claims = std::move(*claims_json);

  const auto alg = jwt.header.find("alg");
  if (alg == jwt.header.end() || !alg->is_string() || jwt.header.contains("crit") ||
      !optional_string(jwt.header, "kid", jwt.kid) ||
      !optional_string(jwt.header, "typ", jwt.typ)) {
    return Unexpected(JwtError::BadHeader);
  }
  jwt.alg = alg->get<std::string>();
  return jwt;
}

std::string compact(const Jwt& jwt) {
  return base64url_encode(jwt.header_bytes) + "." + base64url_encode(jwt.claims_bytes) + "." +
         base64url_encode(jwt.signature);
}

std::optional<JwtError> verify_rs256(const Jwt& jwt, const RsaKey& key) {
  // The algorithm is ours to choose, never the token's: whatever else it names is refused
  // here, before the key is touched.
  if (jwt.alg != kRs256) return JwtError::AlgNotAllowed;
  if (!key.verify_rs256(jwt.signing_input, jwt.signature)) return JwtError::BadSignature;
  return std::nullopt;
}

Expected<std::string, JwtError> sign_rs256(const nlohmann::json& header,
                                           const nlohmann::json& claims, const RsaKey& key) {
  if (!key.has_private_key() || !header.is_object()) return Unexpected(JwtError::CannotSign);
  const auto kid = header.find("kid");
  const auto alg = header.find("alg");
  if (kid == header.end() || !kid->is_string() ||
      (alg != header.end() && (!alg->is_string() || alg->get<std::string>() != kRs256))) {
    return Unexpected(JwtError::CannotSign);
  }
  auto full_header = header;
  full_header["alg"] = std::string(kRs256);
  const auto header_text = dump_object(full_header);
  const auto claims_text = dump_object(claims);
  if (!header_text || !claims_text) return Unexpected(JwtError::CannotSign);
  std::string input = base64url_encode(*header_text) + "." + base64url_encode(*claims_text);
  const auto signature = key.sign_rs256(input);
  if (!signature) return Unexpected(JwtError::CannotSign);
  return input + "." + base64url_encode(*signature);
}

}  // namespace mu::domain
