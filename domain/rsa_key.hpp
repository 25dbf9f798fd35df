// RSA keys for JOSE (OpenSSL's EVP_PKEY underneath): the machine keys clients sign their
// assertions with, and the service's own keys that sign access tokens. Parsing from PEM
// (public: PKIX "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY"; private: PKCS#1 "RSA PRIVATE KEY",
// what ZITADEL's key file holds, or PKCS#8 "PRIVATE KEY") and from a JWK's n and e, writing
// PEM and the JWK, and RS256 (RSASSA-PKCS1-v1_5 with SHA-256). Pure: generating a key needs
// randomness and lives in app/platform, which hands the key over with adopt().
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/expected.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace mu::domain {

// Smaller keys are refused (NIST SP 800-131A; ZITADEL generates 2048-bit keys); larger than
// the maximum too, since every assertion is verified with its key (a 16384-bit key costs
// about 4 times an 8192-bit one, and no client needs one).
inline constexpr int kMinRsaBits = 2048;
inline constexpr int kMaxRsaBits = 8192;

// Why a text or key was refused. AddMachineKey maps every one of them to ZITADEL's
// InvalidArgument "Errors.User.Machine.Key.Invalid".
enum class KeyError {
  NotPem,        // not exactly one PEM block (whitespace around it is fine), or PEM headers
  Encrypted,     // a passphrase-protected key
  WrongKind,     // another PEM type: a certificate, a private key where a public one is asked
  Malformed,     // the DER (or the JWK's numbers) does not decode, or bytes follow it
  NotRsa,        // EC, Ed25519, RSA-PSS, ...
  TooSmall,      // under kMinRsaBits
  TooLarge,      // over kMaxRsaBits
  BadExponent,   // a public exponent that is even, under 3 or over 2^31 - 1 (as Go's crypto/rsa)
  NoPrivateKey,  // signing or writing the private key with a public key
};

// A short English description ("not an RSA key").
std::string_view describe(KeyError e);

// An RSA key, public or a key pair. Copies share the one immutable OpenSSL key (reference
// counted), which threads may use at once. A moved-from key may only be assigned or destroyed.
class RsaKey {
 public:
  static Expected<RsaKey, KeyError> parse_public_pem(std::string_view pem);
  static Expected<RsaKey, KeyError> parse_private_pem(std::string_view pem);
  // From a JWK's "n" and "e" (base64url, big-endian, without leading zero bytes).
  static Expected<RsaKey, KeyError> from_jwk(std::string_view n, std::string_view e);
  // Takes ownership of `key` (freed when it is refused): what app/platform generated.
  static Expected<RsaKey, KeyError> adopt(evp_pkey_st* key);

  RsaKey(const RsaKey& other);
  RsaKey& operator=(const RsaKey& other);
  RsaKey(RsaKey&& other) noexcept;
  RsaKey& operator=(RsaKey&& other) noexcept;
  ~RsaKey();

  bool has_private_key() const { return has_private_; }
  int bits() const;
  // Whether the two have the same public key (n and e).
  bool same_public_key(const RsaKey& other) const;

  // PKIX SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
  std::string public_pem() const;
  // PKCS#1 PEM ("-----BEGIN RSA PRIVATE KEY-----"), the key file's form.
  Expected<std::string, KeyError> private_pkcs1_pem() const;
  // {"kty":"RSA","use":"sig","alg":"RS256","kid":kid,"n":...,"e":...}: n and e base64url,
  // big-endian, without leading zero bytes (RFC 7518 §6.3.1).
  nlohmann::json public_jwk(std::string_view kid) const;

  // The RS256 signature of `message` (as many bytes as the modulus).
  Expected<std::string, KeyError> sign_rs256(std::string_view message) const;
  // Whether `signature` is this key's RS256 signature of `message`; a signature of another
  // length than the modulus is refused without computing (RFC 7518 §3.3).
  bool verify_rs256(std::string_view message, std::string_view signature) const;

 private:
  RsaKey(evp_pkey_st* key, bool has_private) : key_(key), has_private_(has_private) {}
  // The checks every key passes, whatever it was read from (RSA, size, exponent); takes
  // ownership of `key`.
  static Expected<RsaKey, KeyError> checked(evp_pkey_st* key, bool has_private);

  evp_pkey_st* key_ = nullptr;
  bool has_private_ = false;
};

}  // namespace mu::domain
