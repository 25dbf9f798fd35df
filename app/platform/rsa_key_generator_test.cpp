#include "app/platform/rsa_key_generator.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <catch2/catch.hpp>

#include "domain/machine_key.hpp"

TEST_CASE("generated machine keys: RSA-2048, PKCS#1 private and PKIX public halves of one key") {
  const auto pair = mu::platform::generate_rsa_key_pair();
  CHECK(pair.private_key_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
  CHECK(pair.private_key_pem.ends_with("-----END RSA PRIVATE KEY-----\n"));
  CHECK(pair.public_key_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
  // What the domain accepts as a caller's key, unchanged.
  CHECK(mu::domain::rsa_public_key_pem(pair.public_key_pem) == pair.public_key_pem);

  BIO* in =
      BIO_new_mem_buf(pair.private_key_pem.data(), static_cast<int>(pair.private_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  REQUIRE(key);
  CHECK(EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA);
  CHECK(EVP_PKEY_get_bits(key) == 2048);
  // Its public half is the one stored.
  BIO* out = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PUBKEY(out, key) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  CHECK(std::string(data, static_cast<std::size_t>(size)) == pair.public_key_pem);
  BIO_free(out);
  EVP_PKEY_free(key);

  CHECK(mu::platform::generate_rsa_key_pair().public_key_pem != pair.public_key_pem);
}
