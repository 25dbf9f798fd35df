#include "domain/machine_key.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include <nlohmann/json.hpp>

namespace mu::domain {

namespace {

struct MachineKeyBioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MachineKeyPkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

}  // namespace

std::optional<std::string> rsa_public_key_pem(std::string_view pem) {
  if (pem.empty() || pem.size() > 64 * 1024) return std::nullopt;
  std::unique_ptr<BIO, MachineKeyBioFree> in(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!in) return std::nullopt;
  // The first PEM block whatever its label, its bytes read as SubjectPublicKeyInfo alone: what
  // Go's pem.Decode and x509.ParsePKIXPublicKey do. (PEM_read_bio_PUBKEY would also take a
  // PKCS#1 "RSA PUBLIC KEY", which ZITADEL refuses.)
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  if (PEM_read_bio(in.get(), &name, &header, &data, &length) != 1) return std::nullopt;
  const unsigned char* cursor = data;
  std::unique_ptr<EVP_PKEY, MachineKeyPkeyFree> key(d2i_PUBKEY(nullptr, &cursor, length));
  const bool whole = key && cursor == data + length;  // no bytes after the structure
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  if (!whole || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return std::nullopt;
  std::unique_ptr<BIO, MachineKeyBioFree> out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_PUBKEY(out.get(), key.get()) != 1) return std::nullopt;
  char* written = nullptr;
  const long size = BIO_get_mem_data(out.get(), &written);
  if (size <= 0) return std::nullopt;
  return std::string(written, static_cast<std::size_t>(size));
}

std::string machine_key_file(std::string_view key_id, std::string_view private_key_pem,
                             Timestamp expiration, std::string_view user_id) {
  nlohmann::ordered_json file;
  file["type"] = "serviceaccount";
  file["keyId"] = std::string(key_id);
  file["key"] = std::string(private_key_pem);
  file["expirationDate"] = to_rfc3339(expiration);
  file["userId"] = std::string(user_id);
  return file.dump();
}

}  // namespace mu::domain
