// Secrets from OpenSSL's CSPRNG: personal access tokens (256 bits, URL-safe), machine users'
// client secrets and their hashes' salts.
#pragma once

#include <cstddef>
#include <string>

namespace mu::platform {

// 43 characters of base64url without padding (32 random bytes). Throws when the
// generator cannot deliver (it never falls back to a weaker source).
std::string random_token();

// `length` characters drawn uniformly from [A-Za-z0-9] (rejection sampling: a byte that
// would favour some characters is drawn again). A client secret is 64 of them, ~381 bits.
std::string random_alphanumeric(std::size_t length);

// `count` random bytes (a salt).
std::string random_bytes(std::size_t count);

}  // namespace mu::platform
