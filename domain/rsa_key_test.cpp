#include "domain/rsa_key.hpp"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "domain/base64url.hpp"
#include "domain/rfc7515_key_test.hpp"
#include "domain/seal.hpp"

using namespace mu::domain;

namespace {

// The PKIX PEM of a key OpenSSL generated: for the kinds of keys we refuse.
std::string generated_public_pem(EVP_PKEY* key) {
  REQUIRE(key);
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(PEM_write_bio_PUBKEY(out.get(), key) == 1);
  EVP_PKEY_free(key);
  char* data = nullptr;
  const long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A PEM block of `label` around `der`, in 64-character lines.
std::string pem_of(std::string_view label, std::string_view der) {
  const auto body = base64_encode(der);
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (std::size_t at = 0; at < body.size(); at += 64) out += body.substr(at, 64) + "\n";
  return out + "-----END " + std::string(label) + "-----\n";
}

// The DER inside a PEM text of 64-character lines.
std::string der_of(std::string_view pem) {
  std::string body;
  std::size_t at = pem.find('\n') + 1;
  while (true) {
    const auto end = pem.find('\n', at);
    const auto line = pem.substr(at, end - at);
    if (line.starts_with("-----END")) break;
    body += line;
    at = end + 1;
  }
  return base64_decode(body).value();
}

}  // namespace

TEST_CASE("an RSA key from RFC 7515's JWK gives that JWK back") {
  const auto key = RsaKey::from_jwk(rfc7515::kN, rfc7515::kE);
  REQUIRE(key);
  CHECK(key->bits() == 2048);
  CHECK_FALSE(key->has_private_key());
  CHECK(key->public_jwk("k1") == nlohmann::json{{"kty", "RSA"},
                                                {"use", "sig"},
                                                {"alg", "RS256"},
                                                {"kid", "k1"},
                                                {"n", rfc7515::kN},
                                                {"e", rfc7515::kE}});
  CHECK(key->same_public_key(rfc7515::private_key()));

  // n and e in their shortest form only, and of a usable size.
  const auto n = base64url_decode(rfc7515::kN).value();
  CHECK(RsaKey::from_jwk(base64url_encode('\0' + n), rfc7515::kE).error() == KeyError::Malformed);
  CHECK(RsaKey::from_jwk(rfc7515::kN, base64url_encode(std::string("\0\1\0\1", 4))).error() ==
        KeyError::Malformed);
  CHECK(RsaKey::from_jwk(rfc7515::kN, "").error() == KeyError::Malformed);
  CHECK(RsaKey::from_jwk("A+B", rfc7515::kE).error() == KeyError::Malformed);
  CHECK(RsaKey::from_jwk(base64url_encode(n.substr(0, 128)), rfc7515::kE).error() ==
        KeyError::TooSmall);
  CHECK(RsaKey::from_jwk(base64url_encode(n + n + n + n + "x"), rfc7515::kE).error() ==
        KeyError::TooLarge);
  CHECK(RsaKey::from_jwk(rfc7515::kN, "Ag").error() == KeyError::BadExponent);  // 2: even
  CHECK(RsaKey::from_jwk(rfc7515::kN, "AQ").error() == KeyError::BadExponent);  // 1
  CHECK(RsaKey::from_jwk(rfc7515::kN, base64url_encode(std::string("\x80\0\0\1", 4))).error() ==
        KeyError::BadExponent);                                                // 2^31 + 1
  CHECK(RsaKey::from_jwk(rfc7515::kN, base64url_encode("\x7F\xFF\xFF\xFF")));  // 2^31 - 1
}

TEST_CASE("RS256 signs RFC 7515 A.2's input as the RFC does, and verifies it") {
  const auto key = rfc7515::private_key();
  CHECK(key.has_private_key());
  const auto jws = rfc7515::kJws;
  const auto input = jws.substr(0, jws.rfind('.'));
  const auto expected = base64url_decode(jws.substr(jws.rfind('.') + 1)).value();
  const auto signature = key.sign_rs256(input);
  REQUIRE(signature);
  CHECK(*signature == expected);

  const auto pub = rfc7515::public_key();
  CHECK(pub.verify_rs256(input, expected));
  CHECK_FALSE(pub.verify_rs256(std::string(input) + " ", expected));
  auto flipped = expected;
  flipped[100] = static_cast<char>(flipped[100] ^ 1);
  CHECK_FALSE(pub.verify_rs256(input, flipped));
  CHECK_FALSE(pub.verify_rs256(input, expected.substr(1)));  // one byte short
  CHECK_FALSE(pub.verify_rs256(input, '\0' + expected));     // one zero byte more
  CHECK_FALSE(pub.verify_rs256(input, ""));
  CHECK(pub.sign_rs256(input).error() == KeyError::NoPrivateKey);  // a public key cannot sign
}

TEST_CASE("RSA keys go to PEM and back: PKIX and PKCS#1 public, PKCS#1 and PKCS#8 private") {
  const auto key = rfc7515::private_key();
  const auto pub_pem = key.public_pem();
  CHECK(pub_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
  const auto priv_pem = key.private_pkcs1_pem();
  REQUIRE(priv_pem);
  CHECK(priv_pem->starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));

  const auto pub = RsaKey::parse_public_pem(pub_pem);
  REQUIRE(pub);
  CHECK_FALSE(pub->has_private_key());
  CHECK(pub->same_public_key(key));
  CHECK(pub->public_pem() == pub_pem);
  CHECK(pub->private_pkcs1_pem().error() == KeyError::NoPrivateKey);

  const auto priv = RsaKey::parse_private_pem(*priv_pem);
  REQUIRE(priv);
  CHECK(priv->has_private_key());
  CHECK(priv->same_public_key(key));
  CHECK(priv->private_pkcs1_pem().value() == *priv_pem);

  // What the openssl command writes for the same key, in the other structures.
  const auto pkcs1_pub = RsaKey::parse_public_pem(rfc7515::kPublicPkcs1Pem);
  REQUIRE(pkcs1_pub);
  CHECK(pkcs1_pub->same_public_key(key));
  const auto pkcs8 = RsaKey::parse_private_pem(rfc7515::kPrivatePkcs8Pem);
  REQUIRE(pkcs8);
  CHECK(pkcs8->has_private_key());
  CHECK(pkcs8->same_public_key(key));
  CHECK(pkcs8->private_pkcs1_pem().value() == rfc7515::kPrivatePkcs1Pem);
  CHECK(RsaKey::parse_public_pem(rfc7515::kPublicPkixPem).value().public_pem() ==
        rfc7515::kPublicPkixPem);

  // Whitespace around the block is fine.
  CHECK(RsaKey::parse_public_pem("\n  " + pub_pem + "\n\n"));
}

TEST_CASE("PEM texts that are no single unencrypted RSA key of a usable size are refused") {
  const auto key = rfc7515::private_key();
  const auto pub_pem = key.public_pem();
  const auto priv_pem = key.private_pkcs1_pem().value();

  // A public key where a private one is asked, and the other way round.
  CHECK(RsaKey::parse_private_pem(pub_pem).error() == KeyError::WrongKind);
  CHECK(RsaKey::parse_public_pem(priv_pem).error() == KeyError::WrongKind);
  CHECK(RsaKey::parse_public_pem(pem_of("CERTIFICATE", der_of(pub_pem))).error() ==
        KeyError::WrongKind);

  // Not one PEM block.
  CHECK(RsaKey::parse_public_pem("").error() == KeyError::NotPem);
  CHECK(RsaKey::parse_public_pem("not a key").error() == KeyError::NotPem);
  CHECK(RsaKey::parse_public_pem("key:\n" + pub_pem).error() == KeyError::NotPem);
  CHECK(RsaKey::parse_public_pem(pub_pem + "trailing").error() == KeyError::NotPem);
  CHECK(RsaKey::parse_public_pem(pub_pem + pub_pem).error() == KeyError::NotPem);
  CHECK(RsaKey::parse_public_pem(pub_pem.substr(0, pub_pem.size() - 10)).error() ==
        KeyError::NotPem);

  // The DER inside does not decode, or does with bytes left over.
  CHECK(RsaKey::parse_public_pem(pem_of("PUBLIC KEY", "\x30\x03\x02\x01")).error() ==
        KeyError::Malformed);
  CHECK(RsaKey::parse_public_pem(pem_of("PUBLIC KEY", der_of(pub_pem) + '\0')).error() ==
        KeyError::Malformed);
  CHECK(RsaKey::parse_private_pem(pem_of("RSA PRIVATE KEY", der_of(priv_pem) + '\0')).error() ==
        KeyError::Malformed);
  CHECK(RsaKey::parse_private_pem(pem_of("PRIVATE KEY", der_of(priv_pem))).error() ==
        KeyError::Malformed);  // PKCS#1 inside a PKCS#8 label

  // Encrypted keys: PKCS#8's and the traditional PEM header's.
  CHECK(RsaKey::parse_private_pem(pem_of("ENCRYPTED PRIVATE KEY", "\x30\x00")).error() ==
        KeyError::Encrypted);
  CHECK(RsaKey::parse_private_pem("-----BEGIN RSA PRIVATE KEY-----\n"
                                  "Proc-Type: 4,ENCRYPTED\n"
                                  "DEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\n"
                                  "MAA=\n"
                                  "-----END RSA PRIVATE KEY-----\n")
            .error() == KeyError::Encrypted);

  // Other key types and sizes.
  CHECK(RsaKey::parse_public_pem(public_key_pem(new_private_key_pem()).value()).error() ==
        KeyError::NotRsa);  // Ed25519
  CHECK(RsaKey::parse_public_pem(generated_public_pem(EVP_EC_gen("P-256"))).error() ==
        KeyError::NotRsa);
  CHECK(RsaKey::parse_public_pem(generated_public_pem(EVP_RSA_gen(1024))).error() ==
        KeyError::TooSmall);
  CHECK(RsaKey::adopt(EVP_EC_gen("P-256")).error() == KeyError::NotRsa);
  CHECK(RsaKey::adopt(nullptr).error() == KeyError::Malformed);
}

TEST_CASE("a generated key is adopted with its private half, and copies share it") {
  auto adopted = RsaKey::adopt(EVP_RSA_gen(2048));
  REQUIRE(adopted);
  CHECK(adopted->has_private_key());
  std::optional<RsaKey> copy;
  {
    RsaKey original = *adopted;
    copy = original;
    RsaKey moved = std::move(original);
    CHECK(moved.same_public_key(*copy));
  }
  const auto signature = copy->sign_rs256("message").value();
  CHECK(adopted->verify_rs256("message", signature));
  CHECK_FALSE(rfc7515::public_key().verify_rs256("message", signature));
}
