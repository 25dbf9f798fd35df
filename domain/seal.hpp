// Seals, pure: what a seal says, the statement its Ed25519 signature covers,
// and the signing and checking (OpenSSL). Keys are PEM text here; files are the caller's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/event_hash.hpp"

namespace mu::domain {

// One seal: the events after the previous seal up to (upto_tx, upto_position) in the
// (transaction, position) order, `events` of them, digested as
//   digest = SHA-256(previous seal's digest (nothing for seal 1) ||
//                    for each event: its position (8 bytes, big-endian) || its hash)
struct Seal {
  std::uint64_t id = 0;  // 1, 2, ...
  std::uint64_t upto_tx = 0;
  std::int64_t upto_position = 0;
  std::uint64_t events = 0;
  Hash prev_digest{};  // zeros for seal 1
  Hash digest{};
  std::string signature_hex;  // Ed25519 over statement()
};

// The text a seal's signature covers: every field but the signature, one line.
std::string statement(const Seal& s);

// The running digest of a seal, fed one event at a time.
class SealDigest {
 public:
  explicit SealDigest(const Hash& prev_digest, bool first);
  void add(std::int64_t position, const Hash& event_hash);
  Hash finish();

 private:
  Sha256 sha_;
};

// A new Ed25519 key pair: the private key as PKCS#8 PEM.
std::string new_private_key_pem();
// The public key (SubjectPublicKeyInfo PEM) of a private key PEM; nullopt if it is none.
std::optional<std::string> public_key_pem(std::string_view private_pem);
// Signs `message`; nullopt when the key is not an Ed25519 private key.
std::optional<std::string> sign_hex(std::string_view private_pem, std::string_view message);
// Whether `signature_hex` is `public_pem`'s signature of `message`.
bool signature_holds(std::string_view public_pem, std::string_view message,
                     std::string_view signature_hex);
// Whether the text is an Ed25519 public key PEM.
bool is_public_key(std::string_view public_pem);

}  // namespace mu::domain
