#include "domain/seal.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

#include <vector>
#include "domain/sha256.hpp"

namespace mu::domain {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

Bio read_bio(std::string_view text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bio_text(BIO* b) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Key private_key(std::string_view pem) {
  auto bio = read_bio(pem);
  Key k(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (k && EVP_PKEY_get_id(k.get()) != EVP_PKEY_ED25519) k.reset();
  return k;
}

Key public_key(std::string_view pem) {
  auto bio = read_bio(pem);
  Key k(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (k && EVP_PKEY_get_id(k.get()) != EVP_PKEY_ED25519) k.reset();
  return k;
}

}  // namespace

std::string statement(const Seal& s) {
  return "machine-users seal v1 id=" + std::to_string(s.id) + " upto=" + std::to_string(s.upto_tx) +
         "/" + std::to_string(s.upto_position) + " events=" + std::to_string(s.events) +
         " prev=" + to_hex(s.prev_digest) + " digest=" + to_hex(s.digest);
}

SealDigest::SealDigest(const Hash& prev_digest, bool first) {
  sha_.begin();
  if (!first) sha_.add(prev_digest);
}

void SealDigest::add(std::int64_t position, const Hash& event_hash) {
  unsigned char be[8];
  auto p = static_cast<std::uint64_t>(position);
  for (int i = 7; i >= 0; --i) {
    be[i] = static_cast<unsigned char>(p & 0xff);
    p >>= 8;
  }
  sha_.add(std::string_view(reinterpret_cast<const char*>(be), 8));
  sha_.add(event_hash);
}

Hash SealDigest::finish() {
  return sha_.end();
}

std::string new_private_key_pem() {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!raw) throw std::runtime_error("cannot generate an Ed25519 key");
  Key key(raw);
  Bio out(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
    throw std::runtime_error("cannot write an Ed25519 key");
  }
  return bio_text(out.get());
}

std::optional<std::string> public_key_pem(std::string_view private_pem) {
  auto key = private_key(private_pem);
  if (!key) return std::nullopt;
  Bio out(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PUBKEY(out.get(), key.get())) return std::nullopt;
  return bio_text(out.get());
}

std::optional<std::string> sign_hex(std::string_view private_pem, std::string_view message) {
  auto key = private_key(private_pem);
  if (!key) return std::nullopt;
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  unsigned char sig[64];
  std::size_t length = sizeof sig;
  // Ed25519 signs the message itself: no digest is named.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return std::nullopt;
  }
  return hex(std::string_view(reinterpret_cast<const char*>(sig), length));
}

bool signature_holds(std::string_view public_pem, std::string_view message,
                     std::string_view signature_hex) {
  auto key = public_key(public_pem);
  if (!key || signature_hex.size() != 128) return false;
  Hash lo{}, hi{};
  if (!from_hex(signature_hex.substr(0, 64), lo) || !from_hex(signature_hex.substr(64), hi)) {
    return false;
  }
  unsigned char sig[64];
  std::copy(lo.begin(), lo.end(), sig);
  std::copy(hi.begin(), hi.end(), sig + 32);
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), sig, sizeof sig,
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

bool is_public_key(std::string_view public_pem) {
  return public_key(public_pem) != nullptr;
}

}  // namespace mu::domain
