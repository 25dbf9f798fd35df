// Machine keys (AddMachineKey): the public keys the service keeps and the key file a client
// gets once. Deterministic functions of their inputs; making a key pair needs randomness and
// is the platform's (app/platform/rsa_key_generator.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/time.hpp"

namespace mu::domain {

// zitadel.authn.v1.KeyType; the numbers are the wire values.
enum class MachineKeyType { Unspecified = 0, Json = 1 };

// A PEM block holding a PKIX SubjectPublicKeyInfo of an RSA key, as ZITADEL accepts it (Go's
// pem.Decode + x509.ParsePKIXPublicKey + *rsa.PublicKey: the block's label is not looked at):
// the same key written back as a PEM "PUBLIC KEY" by OpenSSL, so that what is stored is the
// key alone, whatever text came around it. nullopt for anything else: no PEM, other bytes in
// the block (PKCS#1 "RSA PUBLIC KEY", a certificate, a private key), or a key of another
// algorithm (EC, Ed25519, RSA-PSS).
std::optional<std::string> rsa_public_key_pem(std::string_view pem);

// The key file of a generated key, fields in ZITADEL's order:
// {"type":"serviceaccount","keyId":...,"key":<PKCS#1 PEM>,"expirationDate":...,"userId":...}
std::string machine_key_file(std::string_view key_id, std::string_view private_key_pem,
                             Timestamp expiration, std::string_view user_id);

}  // namespace mu::domain
