// Base64 (RFC 4648 §4) and base64url without padding (RFC 7515 §2, JOSE's encoding), both by
// OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock. The decoders are strict, so that one text has one
// meaning and every accepted text is what the encoder writes for its bytes: no whitespace, no
// character of the other alphabet, no impossible length, no stray bits in the last character.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mu::domain {

// base64url without '=' padding: [A-Za-z0-9-_]*.
std::string base64url_encode(std::string_view bytes);
// The bytes of a base64url text without padding; nullopt when it is not exactly what
// base64url_encode writes: '=', '+', '/', whitespace, a length of 4n+1, or a last character
// whose unused bits are not zero.
std::optional<std::string> base64url_decode(std::string_view text);

// Standard base64 with '=' padding (HTTP Basic credentials, PEM bodies).
std::string base64_encode(std::string_view bytes);
// The bytes of a padded standard base64 text; nullopt when it is not exactly what
// base64_encode writes: a length that is no multiple of 4, '=' other than at the end, '-',
// '_', whitespace, or unused bits that are not zero.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mu::domain
