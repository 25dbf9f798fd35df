// Machine keys' public keys, parsed once. Reading a PEM through OpenSSL 3's decoders costs
// about 110 µs, five times the RS256 verification it serves; every jwt-bearer grant and
// client assertion verifies with a stored key. The cache is keyed by the PEM text itself, so
// it can never answer with another key: whether the key may still be used (removed, expired)
// is decided before, from the read model's row, on every request.
#pragma once

#include <string>

#include "domain/expected.hpp"
#include "domain/rsa_key.hpp"

namespace mu::oauth {

// The key that `pem` holds, or why it holds none (not cached). Thread-safe; at most a few
// thousand keys are kept (when full, it starts afresh).
domain::Expected<domain::RsaKey, domain::KeyError> cached_public_key(const std::string& pem);

}  // namespace mu::oauth
