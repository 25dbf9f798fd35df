#include "app/platform/signing_keys.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "app/platform/rsa_key_generator.hpp"

using mu::platform::create_signing_key;
using mu::platform::jwk_thumbprint;
using mu::platform::load_signing_keys;

namespace {

std::string signing_temp(const std::string& name) {
  return "/tmp/mu-unit-signing-" + std::to_string(::getpid()) + "-" + name;
}

}  // namespace

TEST_CASE("a signing key's kid is its RFC 7638 thumbprint") {
  // RFC 7638 §3.1's example key and thumbprint.
  auto key = mu::domain::RsaKey::from_jwk(
      "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKR"
      "XjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicA"
      "taSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3X"
      "PksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
      "AQAB");
  REQUIRE(key.ok());
  CHECK(jwk_thumbprint(*key) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST_CASE("signing keys: made once (0600), read with verification keys, published") {
  const auto signing = signing_temp("sign.pem");
  const auto old = signing_temp("old.pem");
  const auto bad = signing_temp("bad.pem");
  std::remove(signing.c_str());
  REQUIRE(create_signing_key(signing));
  CHECK_FALSE(create_signing_key(signing));
  struct stat st {};
  REQUIRE(::stat(signing.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // A verification key given as its public half.
  std::ofstream(old) << mu::platform::generate_rsa_key_pair().public_key_pem;
  std::ofstream(bad) << "not a key";

  auto keys = load_signing_keys(signing, {old, signing, old});
  REQUIRE(keys.signing());
  CHECK(keys.signing()->key.has_private_key());
  const auto jwks = keys.jwks();
  REQUIRE(jwks["keys"].size() == 2);  // duplicates dropped
  CHECK(jwks["keys"][0]["kid"] == keys.signing()->kid);
  const auto old_kid = jwks["keys"][1]["kid"].get<std::string>();
  REQUIRE(keys.find(old_kid));
  CHECK_FALSE(keys.find(old_kid)->key.has_private_key());
  CHECK(keys.find(keys.signing()->kid) == keys.signing());
  CHECK_FALSE(keys.find("unknown"));

  auto none = load_signing_keys("", {});
  CHECK_FALSE(none.signing());
  CHECK(none.jwks() == nlohmann::json{{"keys", nlohmann::json::array()}});
  CHECK_THROWS_WITH(load_signing_keys(bad, {}),
                    Catch::Matchers::StartsWith("--signing-key " + bad + " is no RSA private key"));
  CHECK_THROWS_WITH(load_signing_keys(signing, {bad}),
                    Catch::Matchers::StartsWith("--verification-key " + bad + " is no RSA key"));
  CHECK_THROWS_WITH(load_signing_keys(signing_temp("missing"), {}),
                    Catch::Matchers::StartsWith("cannot read"));
  for (const auto& f : {signing, old, bad}) std::remove(f.c_str());
}
