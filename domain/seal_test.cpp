#include "domain/seal.hpp"

#include <catch2/catch.hpp>

using namespace mu::domain;

TEST_CASE("a seal is signed with Ed25519 and checked with its public key only") {
  const auto key = new_private_key_pem();
  REQUIRE(key.find("BEGIN PRIVATE KEY") != std::string::npos);
  const auto pub = public_key_pem(key);
  REQUIRE(pub);
  CHECK(is_public_key(*pub));
  CHECK_FALSE(is_public_key(key));

  Seal s;
  s.id = 2;
  s.upto_tx = 771;
  s.upto_position = 99;
  s.events = 10;
  s.digest[0] = 0xab;
  const auto text = statement(s);
  CHECK(text.rfind("machine-users seal v1 id=2 upto=771/99 events=10 prev=0000", 0) == 0);
  const auto sig = sign_hex(key, text);
  REQUIRE(sig);
  CHECK(sig->size() == 128);
  CHECK(signature_holds(*pub, text, *sig));
  // Another statement, another key, a damaged signature: none holds.
  auto other = s;
  other.events = 11;
  CHECK_FALSE(signature_holds(*pub, statement(other), *sig));
  CHECK_FALSE(signature_holds(*public_key_pem(new_private_key_pem()), text, *sig));
  auto bad = *sig;
  bad[0] = bad[0] == '0' ? '1' : '0';
  CHECK_FALSE(signature_holds(*pub, text, bad));
  CHECK_FALSE(sign_hex("not a key", text));
}

TEST_CASE("a seal's digest chains to the previous one and covers positions and hashes") {
  Hash h1{}, h2{};
  h1[0] = 1;
  h2[0] = 2;
  auto digest = [&](const Hash& prev, bool first, std::int64_t p1, std::int64_t p2) {
    SealDigest d(prev, first);
    d.add(p1, h1);
    d.add(p2, h2);
    return d.finish();
  };
  const Hash zero{};
  const auto a = digest(zero, true, 1, 2);
  CHECK(a == digest(zero, true, 1, 2));
  CHECK(a != digest(zero, true, 1, 3));  // a position moved
  CHECK(a != digest(a, false, 1, 2));    // another predecessor
}
