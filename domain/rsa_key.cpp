#include "domain/rsa_key.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cctype>
#include <memory>
#include <stdexcept>

#include "domain/base64url.hpp"

namespace mu::domain {

namespace {

// File-local OpenSSL owners. Their names are this file's alone: in a unity batch seal.cpp's
// anonymous namespace is the same one.
struct RsaBioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct RsaPkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct RsaMdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct RsaPkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct RsaBnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct RsaParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct RsaParamsFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct RsaP8Free {
  void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
};
struct RsaOsslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};
using RsaBio = std::unique_ptr<BIO, RsaBioFree>;
using RsaPkey = std::unique_ptr<EVP_PKEY, RsaPkeyFree>;
using RsaBn = std::unique_ptr<BIGNUM, RsaBnFree>;

// OpenSSL records why a call failed in a per-thread queue; what we refuse is answered by our
// own error, so nothing is left there for unrelated code on this thread to find.
struct ClearOpensslErrors {
  ~ClearOpensslErrors() { ERR_clear_error(); }
};

std::string rsa_bio_text(BIO* b) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

bool only_whitespace(std::string_view s) {
  for (unsigned char c : s) {
    if (!std::isspace(c)) return false;
  }
  return true;
}

constexpr std::size_t kMaxPemBytes = 64 * 1024;

struct PemBlock {
  std::string label;  // "PUBLIC KEY", "RSA PRIVATE KEY", ...
  std::string der;
};

// The one PEM block of `text`, with nothing but whitespace around it and no headers.
Expected<PemBlock, KeyError> one_pem_block(std::string_view text) {
  // An 8192-bit private key is under 7 KB of PEM; this bounds the work and keeps the length
  // within the int OpenSSL takes.
  if (text.size() > kMaxPemBytes) return Unexpected(KeyError::NotPem);
  const auto begin = text.find("-----BEGIN ");
  if (begin == std::string_view::npos || !only_whitespace(text.substr(0, begin))) {
    return Unexpected(KeyError::NotPem);
  }
  // From the block on: OpenSSL reads "-----BEGIN" only at the start of a line.
  const auto block = text.substr(begin);
  RsaBio bio(BIO_new_mem_buf(block.data(), static_cast<int>(block.size())));
  if (!bio) throw std::runtime_error("cannot allocate a BIO");
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) {
    return Unexpected(KeyError::NotPem);
  }
  std::unique_ptr<char, RsaOsslFree> own_name(name), own_header(header);
  std::unique_ptr<unsigned char, RsaOsslFree> own_data(data);
  const std::string_view headers(header ? header : "");
  if (headers.find("ENCRYPTED") != std::string_view::npos) return Unexpected(KeyError::Encrypted);
  if (!only_whitespace(headers)) return Unexpected(KeyError::NotPem);
  // What follows the block is still in the BIO.
  char* rest = nullptr;
  const long rest_length = BIO_get_mem_data(bio.get(), &rest);
  if (rest_length > 0 &&
      !only_whitespace(std::string_view(rest, static_cast<std::size_t>(rest_length)))) {
    return Unexpected(KeyError::NotPem);
  }
  return PemBlock{
      name, std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length))};
}

}  // namespace

std::string_view describe(KeyError e) {
  switch (e) {
    case KeyError::NotPem:
      return "not one PEM block";
    case KeyError::Encrypted:
      return "an encrypted key";
    case KeyError::WrongKind:
      return "a PEM block of another kind";
    case KeyError::Malformed:
      return "a malformed key";
    case KeyError::NotRsa:
      return "not an RSA key";
    case KeyError::TooSmall:
      return "an RSA key under 2048 bits";
    case KeyError::TooLarge:
      return "an RSA key over 8192 bits";
    case KeyError::BadExponent:
      return "an RSA public exponent that is even, under 3 or over 2^31 - 1";
    case KeyError::NoPrivateKey:
      return "a public key where a private key is needed";
  }
  return "an unusable key";
}

Expected<RsaKey, KeyError> RsaKey::parse_public_pem(std::string_view pem) {
  ClearOpensslErrors clear;
  auto block = one_pem_block(pem);
  if (!block) return Unexpected(block.error());
  const auto* p = reinterpret_cast<const unsigned char*>(block->der.data());
  const auto* end = p + block->der.size();
  const long length = static_cast<long>(block->der.size());
  RsaPkey key;
  if (block->label == "PUBLIC KEY") {
    key.reset(d2i_PUBKEY(nullptr, &p, length));
  } else if (block->label == "RSA PUBLIC KEY") {
    key.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, length));
  } else {
    return Unexpected(KeyError::WrongKind);
  }
  if (!key || p != end) return Unexpected(KeyError::Malformed);
  return checked(key.release(), false);
}

Expected<RsaKey, KeyError> RsaKey::parse_private_pem(std::string_view pem) {
  ClearOpensslErrors clear;
  auto block = one_pem_block(pem);
  if (!block) return Unexpected(block.error());
  const auto* p = reinterpret_cast<const unsigned char*>(block->der.data());
  const auto* end = p + block->der.size();
  const long length = static_cast<long>(block->der.size());
  RsaPkey key;
  if (block->label == "RSA PRIVATE KEY") {
    key.reset(d2i_PrivateKey(EVP_PKEY_RSA, nullptr, &p, length));
  } else if (block->label == "PRIVATE KEY") {
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, RsaP8Free> info(
        d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, length));
    if (info) key.reset(EVP_PKCS82PKEY(info.get()));
  } else if (block->label == "ENCRYPTED PRIVATE KEY") {
    return Unexpected(KeyError::Encrypted);
  } else {
    return Unexpected(KeyError::WrongKind);
  }
  if (!key || p != end) return Unexpected(KeyError::Malformed);
  return checked(key.release(), true);
}

Expected<RsaKey, KeyError> RsaKey::from_jwk(std::string_view n, std::string_view e) {
  ClearOpensslErrors clear;
  const auto n_bytes = base64url_decode(n);
  const auto e_bytes = base64url_decode(e);
  // RFC 7518 §6.3.1: the shortest big-endian form, so one key has one JWK.
  if (!n_bytes || !e_bytes || n_bytes->empty() || e_bytes->empty() || (*n_bytes)[0] == '\0' ||
      (*e_bytes)[0] == '\0' || n_bytes->size() > kMaxRsaBits / 8 + 1 || e_bytes->size() > 8) {
    return Unexpected(KeyError::Malformed);
  }
  auto bn = [](const std::string& bytes) {
    return RsaBn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                           static_cast<int>(bytes.size()), nullptr));
  };
  const auto bn_n = bn(*n_bytes);
  const auto bn_e = bn(*e_bytes);
  std::unique_ptr<OSSL_PARAM_BLD, RsaParamBldFree> build(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !build ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    throw std::runtime_error("cannot build RSA parameters");
  }
  std::unique_ptr<OSSL_PARAM, RsaParamsFree> params(OSSL_PARAM_BLD_to_param(build.get()));
  std::unique_ptr<EVP_PKEY_CTX, RsaPkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    EVP_PKEY_free(raw);
    return Unexpected(KeyError::Malformed);
  }
  return checked(raw, false);
}

Expected<RsaKey, KeyError> RsaKey::adopt(evp_pkey_st* key) {
  ClearOpensslErrors clear;
  if (!key) return Unexpected(KeyError::Malformed);
  BIGNUM* d = nullptr;
  const bool has_private = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_D, &d) == 1;
  BN_clear_free(d);
  return checked(key, has_private);
}

Expected<RsaKey, KeyError> RsaKey::checked(evp_pkey_st* raw, bool has_private) {
  RsaPkey key(raw);
  // EVP_PKEY_RSA only: an RSA-PSS key (EVP_PKEY_RSA_PSS) is bound to another algorithm.
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return Unexpected(KeyError::NotRsa);
  const int bits = EVP_PKEY_get_bits(key.get());
  if (bits < kMinRsaBits) return Unexpected(KeyError::TooSmall);
  if (bits > kMaxRsaBits) return Unexpected(KeyError::TooLarge);
  BIGNUM* raw_e = nullptr;
  if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, &raw_e) != 1) {
    return Unexpected(KeyError::Malformed);
  }
  const RsaBn e(raw_e);
  // Go's crypto/rsa (ZITADEL's) refuses these too; a huge exponent would make every
  // verification slow.
  if (!BN_is_odd(e.get()) || BN_num_bits(e.get()) > 31 || BN_cmp(e.get(), BN_value_one()) <= 0) {
    return Unexpected(KeyError::BadExponent);
  }
  return RsaKey(key.release(), has_private);
}

RsaKey::RsaKey(const RsaKey& other) : key_(other.key_), has_private_(other.has_private_) {
  if (key_) EVP_PKEY_up_ref(key_);
}

RsaKey& RsaKey::operator=(const RsaKey& other) {
  if (this != &other) {
    if (other.key_) EVP_PKEY_up_ref(other.key_);
    EVP_PKEY_free(key_);
    key_ = other.key_;
    has_private_ = other.has_private_;
  }
  return *this;
}

RsaKey::RsaKey(RsaKey&& other) noexcept : key_(other.key_), has_private_(other.has_private_) {
  other.key_ = nullptr;
}

RsaKey& RsaKey::operator=(RsaKey&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(key_);
    key_ = other.key_;
    has_private_ = other.has_private_;
    other.key_ = nullptr;
  }
  return *this;
}

RsaKey::~RsaKey() {
  EVP_PKEY_free(key_);
}

int RsaKey::bits() const {
  return EVP_PKEY_get_bits(key_);
}

bool RsaKey::same_public_key(const RsaKey& other) const {
  ClearOpensslErrors clear;
  return EVP_PKEY_eq(key_, other.key_) == 1;
}

std::string RsaKey::public_pem() const {
  ClearOpensslErrors clear;
  RsaBio out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_PUBKEY(out.get(), key_) != 1) {
    throw std::runtime_error("cannot write an RSA public key");
  }
  return rsa_bio_text(out.get());
}

Expected<std::string, KeyError> RsaKey::private_pkcs1_pem() const {
  if (!has_private_) return Unexpected(KeyError::NoPrivateKey);
  ClearOpensslErrors clear;
  RsaBio out(BIO_new(BIO_s_mem()));
  // "Traditional" is the key type's own structure: PKCS#1 RSAPrivateKey for RSA.
  if (!out || PEM_write_bio_PrivateKey_traditional(out.get(), key_, nullptr, nullptr, 0, nullptr,
                                                   nullptr) != 1) {
    throw std::runtime_error("cannot write an RSA private key");
  }
  return rsa_bio_text(out.get());
}

nlohmann::json RsaKey::public_jwk(std::string_view kid) const {
  ClearOpensslErrors clear;
  auto component = [this](const char* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key_, name, &raw) != 1) {
      throw std::runtime_error("cannot read an RSA key's parameters");
    }
    const RsaBn bn(raw);
    // BN_bn2bin writes the shortest big-endian form: no leading zero bytes.
    std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
    BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()));
    return base64url_encode(bytes);
  };
  return nlohmann::json{{"kty", "RSA"},
                        {"use", "sig"},
                        {"alg", "RS256"},
                        {"kid", std::string(kid)},
                        {"n", component(OSSL_PKEY_PARAM_RSA_N)},
                        {"e", component(OSSL_PKEY_PARAM_RSA_E)}};
}

Expected<std::string, KeyError> RsaKey::sign_rs256(std::string_view message) const {
  if (!has_private_) return Unexpected(KeyError::NoPrivateKey);
  ClearOpensslErrors clear;
  std::unique_ptr<EVP_MD_CTX, RsaMdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  std::string signature(static_cast<std::size_t>(EVP_PKEY_get_size(key_)), '\0');
  std::size_t length = signature.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key_) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    throw std::runtime_error("RS256 signing failed");
  }
  signature.resize(length);
  return signature;
}

bool RsaKey::verify_rs256(std::string_view message, std::string_view signature) const {
  // OpenSSL 3.0 refuses another length too; the rule is RFC 7518's, so it is ours to state.
  if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key_))) return false;
  ClearOpensslErrors clear;
  std::unique_ptr<EVP_MD_CTX, RsaMdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  return ctx && EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key_) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

}  // namespace mu::domain
