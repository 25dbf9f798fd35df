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

}  // namespace mu::domain
