// The bodies of OAuth's token, introspection and revocation requests
// (application/x-www-form-urlencoded: RFC 6749 Appendix B, the HTML/WHATWG format) and the
// client credentials of HTTP Basic authentication (client_secret_basic: RFC 6749 §2.3.1,
// RFC 7617). Pure and bounded.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "domain/expected.hpp"

namespace mu::domain {

// Longer bodies are refused before parsing: an assertion is at most 16 KiB (domain/jwt.hpp),
// and a token request carries little else.
inline constexpr std::size_t kMaxFormBytes = 64 * 1024;

enum class FormError {
  TooLarge,       // over kMaxFormBytes
  BadEscape,      // '%' not followed by two hexadecimal digits
  EmptyName,      // "=value": a pair without a name
  DuplicateName,  // a name given twice (RFC 6749 §3.1, §3.2: at most once)
  BadText,        // a name or value that, decoded, is not UTF-8 or holds NUL
};

enum class BasicError {
  NotBasic,   // not "Basic <credentials>" (the scheme in any case, credentials not empty)
  BadBase64,  // the credentials are not strict padded base64
  NoColon,    // the decoded credentials hold no ':'
  BadEscape,  // the id or secret is not form-urlencoded (a bad '%' escape)
  EmptyId,    // the client id is empty
  BadText,    // the id or secret, decoded, is not UTF-8 or holds NUL
};

std::string_view describe(FormError e);
std::string_view describe(BasicError e);

// Names to values, in name order (a name appears once).
using FormFields = std::map<std::string, std::string, std::less<>>;

// Parses a body: pairs separated by '&', each split at its first '=' (a pair without '=' is a
// name with an empty value), '+' is a space, %XX a byte. Empty pairs ("a=1&&b=2", a leading or
// trailing '&') are skipped, as browsers and Go's url.ParseQuery do. Decoded text must be
// UTF-8 without NUL: it goes on to PostgreSQL.
Expected<FormFields, FormError> parse_form(std::string_view body);

// One name or value as parse_form reads it, or nullopt on a bad escape.
std::optional<std::string> form_decode(std::string_view text);

// The body form_encode writes for `fields`: "name=value" pairs joined by '&', each escaped
// (ALPHA, DIGIT and "*-._" kept, space as '+', every other byte as %XX), so parse_form
// reads the same map back.
std::string form_encode(const FormFields& fields);
std::string form_escape(std::string_view text);

struct BasicCredentials {
  std::string client_id;
  std::string client_secret;
};

// The client credentials of an Authorization header's value: "Basic " and the base64 of
// "<id>:<secret>", each of them form-urlencoded (RFC 6749 §2.3.1, so a ':' in the id is %3A)
// and decoded here. The secret may be empty: whether that is acceptable is the caller's call.
Expected<BasicCredentials, BasicError> parse_basic_credentials(std::string_view header_value);

}  // namespace mu::domain
