#include "domain/client_secret.hpp"
#include "domain/base64url.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>

#include "domain/sha256.hpp"

namespace mu::domain {

namespace {

constexpr std::string_view kSecretHashScheme = "sha256";

std::string sha256_raw(std::string_view salt, std::string_view secret) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) throw std::runtime_error("SHA-256 failed");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, salt.data(), salt.size()) == 1 &&
                  EVP_DigestUpdate(ctx, secret.data(), secret.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest, &length) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("SHA-256 failed");
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace

std::string hash_client_secret(std::string_view secret, std::string_view salt) {
  return std::string(kSecretHashScheme) + '$' + base64_encode(salt) + '$' +
         base64_encode(sha256_raw(salt, secret));
}

bool client_secret_matches(std::string_view secret, std::string_view stored) {
  const auto first = stored.find('$');
  if (first == std::string_view::npos || stored.substr(0, first) != kSecretHashScheme) return false;
  const auto second = stored.find('$', first + 1);
  if (second == std::string_view::npos) return false;
  const auto salt = base64_decode(stored.substr(first + 1, second - first - 1));
  const auto expected = base64_decode(stored.substr(second + 1));
  if (!salt || !expected) return false;
  const std::string actual = sha256_raw(*salt, secret);
  return expected->size() == actual.size() &&
         CRYPTO_memcmp(expected->data(), actual.data(), actual.size()) == 0;
}

}  // namespace mu::domain
