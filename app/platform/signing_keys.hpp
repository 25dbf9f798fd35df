// The keys that sign the tokens the OAuth endpoints issue (access tokens as JWTs, id tokens).
// They live in files, like the seal key: the one that signs (`--signing-key`, made by
// `setup --signing-key`) and any number that no longer sign but whose tokens are still
// accepted and published (`--verification-key`, for a rotation). Every instance started with
// the same files publishes the same key set and accepts every instance's tokens: a key's id
// is its RFC 7638 thumbprint, so it is the same wherever the file is read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/rsa_key.hpp"

namespace mu::platform {

struct SigningKey {
  std::string kid;  // RFC 7638 JWK thumbprint (SHA-256, base64url)
  domain::RsaKey key;
};

class SigningKeys {
 public:
  SigningKeys() = default;
  SigningKeys(std::optional<SigningKey> signing, std::vector<SigningKey> verifying)
      : signing_(std::move(signing)), verifying_(std::move(verifying)) {}

  // The key new tokens are signed with; none: this instance issues no tokens.
  const SigningKey* signing() const { return signing_ ? &*signing_ : nullptr; }
  // The key a token's "kid" names among all (the signing one included); null if none.
  const SigningKey* find(std::string_view kid) const;
  // {"keys":[...]}: every key's public JWK, the signing one first.
  nlohmann::json jwks() const;

 private:
  std::optional<SigningKey> signing_;
  std::vector<SigningKey> verifying_;
};

// RFC 7638: base64url(SHA-256({"e":...,"kty":"RSA","n":...})).
std::string jwk_thumbprint(const domain::RsaKey& key);

// Creates a new RSA-2048 private key (PKCS#1 PEM) at `path` (mode 0600) unless a file is
// there already. True when it created one.
bool create_signing_key(const std::string& path);

// Reads the keys; throws std::runtime_error naming the file that is unreadable or holds no
// usable key ("--signing-key F is no RSA private key (PEM): reason"). A verification key may
// be a public or a private key; a duplicate of another key is dropped.
SigningKeys load_signing_keys(const std::string& signing_path,
                              const std::vector<std::string>& verification_paths);

}  // namespace mu::platform
