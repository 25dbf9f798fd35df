// Key pairs for machine keys (AddMachineKey without a public key): RSA-2048 from OpenSSL, the
// private half only for the key file the caller gets once, the public half to be stored.
#pragma once

#include <string>

namespace mu::platform {

struct RsaKeyPair {
  std::string private_key_pem;  // PKCS#1: "-----BEGIN RSA PRIVATE KEY-----"
  std::string public_key_pem;   // PKIX: "-----BEGIN PUBLIC KEY-----"
};

// A new 2048-bit key pair (e = 65537). Throws std::runtime_error when OpenSSL cannot make one.
RsaKeyPair generate_rsa_key_pair();

}  // namespace mu::platform
