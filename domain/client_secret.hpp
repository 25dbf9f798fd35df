// Client secrets of machine users (GenerateMachineSecret, client_credentials): only a salted
// hash is ever stored. The secret is 64 random characters from [A-Za-z0-9] (about 380 bits),
// so a fast hash suffices: what bcrypt's cost protects, a guessable password, is not here,
// and a slow hash would put its cost on every token request (docs/decisions.md).
#pragma once

#include <string>
#include <string_view>

namespace mu::domain {

// "sha256$<salt, base64>$<SHA-256 over salt || secret, base64>" (standard base64, padded).
// The salt comes from the caller (randomness is the platform's job): 16 bytes.
std::string hash_client_secret(std::string_view secret, std::string_view salt);

// Whether `secret` hashes to `stored` (a value hash_client_secret made). The digests are
// compared in constant time; a stored value of another format never matches.
bool client_secret_matches(std::string_view secret, std::string_view stored);

}  // namespace mu::domain
