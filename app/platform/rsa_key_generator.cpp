#include "app/platform/rsa_key_generator.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <stdexcept>

namespace mu::platform {

namespace {

struct RsaBioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct RsaPkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct RsaPkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct RsaEncoderFree {
  void operator()(OSSL_ENCODER_CTX* c) const { OSSL_ENCODER_CTX_free(c); }
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0) throw std::runtime_error("RSA key: nothing written");
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

RsaKeyPair generate_rsa_key_pair() {
  std::unique_ptr<EVP_PKEY_CTX, RsaPkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    throw std::runtime_error("RSA key: generation failed");
  }
  std::unique_ptr<EVP_PKEY, RsaPkeyFree> key(raw);

  RsaKeyPair pair;
  {
    // "type-specific" is PKCS#1 for RSA, the key file's "RSA PRIVATE KEY" (ZITADEL writes it
    // with x509.MarshalPKCS1PrivateKey); OpenSSL 3 has no undeprecated PEM_write_* for it.
    // Secure memory: cleared when freed.
    std::unique_ptr<BIO, RsaBioFree> out(BIO_new(BIO_s_secmem()));
    std::unique_ptr<OSSL_ENCODER_CTX, RsaEncoderFree> encoder(OSSL_ENCODER_CTX_new_for_pkey(
        key.get(), OSSL_KEYMGMT_SELECT_KEYPAIR, "PEM", "type-specific", nullptr));
    if (!out || !encoder || OSSL_ENCODER_CTX_get_num_encoders(encoder.get()) == 0 ||
        OSSL_ENCODER_to_bio(encoder.get(), out.get()) != 1) {
      throw std::runtime_error("RSA key: the private key could not be written");
    }
    pair.private_key_pem = bio_text(out.get());
  }
  {
    std::unique_ptr<BIO, RsaBioFree> out(BIO_new(BIO_s_mem()));
    if (!out || PEM_write_bio_PUBKEY(out.get(), key.get()) != 1) {
      throw std::runtime_error("RSA key: the public key could not be written");
    }
    pair.public_key_pem = bio_text(out.get());
  }
  return pair;
}

}  // namespace mu::platform
