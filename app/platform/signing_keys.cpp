#include "app/platform/signing_keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "app/platform/rsa_key_generator.hpp"
#include "app/platform/seal_files.hpp"
#include "domain/base64url.hpp"

namespace mu::platform {

const SigningKey* SigningKeys::find(std::string_view kid) const {
  if (signing_ && signing_->kid == kid) return &*signing_;
  for (const auto& k : verifying_) {
    if (k.kid == kid) return &k;
  }
  return nullptr;
}

nlohmann::json SigningKeys::jwks() const {
  auto keys = nlohmann::json::array();
  if (signing_) keys.push_back(signing_->key.public_jwk(signing_->kid));
  for (const auto& k : verifying_) keys.push_back(k.key.public_jwk(k.kid));
  return nlohmann::json{{"keys", std::move(keys)}};
}

std::string jwk_thumbprint(const domain::RsaKey& key) {
  const auto jwk = key.public_jwk("");
  // The required members in lexicographic order, no whitespace (RFC 7638 §3.2).
  const std::string canonical = std::string(R"({"e":")") + jwk.at("e").get<std::string>() +
                                R"(","kty":"RSA","n":")" + jwk.at("n").get<std::string>() + "\"}";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
  return domain::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

bool create_signing_key(const std::string& path) {
  const auto pair = generate_rsa_key_pair();
  const std::string& pem = pair.private_key_pem;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    throw std::runtime_error("cannot create the signing key " + path + ": " +
                             std::strerror(errno));
  }
  const bool ok = ::fchmod(fd, 0600) == 0 &&
                  ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) &&
                  ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  if (!ok)
    throw std::runtime_error("cannot write the signing key " + path + ": " +
                             std::strerror(error));
  return true;
}

SigningKeys load_signing_keys(const std::string& signing_path,
                              const std::vector<std::string>& verification_paths) {
  std::optional<SigningKey> signing;
  if (!signing_path.empty()) {
    auto key = domain::RsaKey::parse_private_pem(read_text_file(signing_path));
    if (!key.ok())
      throw std::runtime_error("--signing-key " + signing_path +
                               " is no RSA private key (PEM): " +
                               std::string(domain::describe(key.error())));
    signing = SigningKey{jwk_thumbprint(*key), std::move(*key)};
  }
  std::vector<SigningKey> verifying;
  for (const auto& path : verification_paths) {
    const auto text = read_text_file(path);
    auto key = domain::RsaKey::parse_public_pem(text);
    if (!key.ok()) {
      auto private_key = domain::RsaKey::parse_private_pem(text);
      if (!private_key.ok())
        throw std::runtime_error("--verification-key " + path +
                                 " is no RSA key (PEM): " +
                                 std::string(domain::describe(key.error())));
      // Only its public half is kept: a verification key never signs.
      key = domain::RsaKey::parse_public_pem(private_key->public_pem());
      if (!key.ok()) throw std::runtime_error("--verification-key " + path + ": unusable");
    }
    auto kid = jwk_thumbprint(*key);
    bool known = signing && signing->kid == kid;
    for (const auto& k : verifying) known = known || k.kid == kid;
    if (!known) verifying.push_back(SigningKey{std::move(kid), std::move(*key)});
  }
  return SigningKeys(std::move(signing), std::move(verifying));
}

}  // namespace mu::platform
