// SHA-256 as lower-case hex (OpenSSL). Pure computation: used for migration
// checksums and for the only form in which personal access tokens are stored.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mu::domain {

std::string sha256_hex(std::string_view data);

// Bytes as lower-case hex: digests, hashes, signatures.
std::string hex(std::string_view bytes);

// Bytes as standard base64 with padding (RFC 4648 section 4), and back: nullopt for anything
// else (whitespace, a missing or misplaced '=', another alphabet).
std::string base64(std::string_view bytes);
std::optional<std::string> from_base64(std::string_view text);

}  // namespace mu::domain
