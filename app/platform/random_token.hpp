// Secrets for personal access tokens: 256 bits from OpenSSL's CSPRNG, URL-safe.
#pragma once

#include <string>

namespace mu::platform {

// 43 characters of base64url without padding (32 random bytes). Throws when the
// generator cannot deliver (it never falls back to a weaker source).
std::string random_token();

}  // namespace mu::platform
