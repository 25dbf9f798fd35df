#include "app/oauth/public_key_cache.hpp"

#include <catch2/catch.hpp>

#include "domain/rfc7515_key_test.hpp"

using mu::oauth::cached_public_key;

TEST_CASE("public key cache: a PEM gives its own key, every time", "[oauth]") {
  const auto rfc = mu::domain::RsaKey::from_jwk(mu::domain::rfc7515::kN, mu::domain::rfc7515::kE);
  REQUIRE(rfc.ok());
  const auto pem = rfc->public_pem();
  const auto first = cached_public_key(pem);
  REQUIRE(first.ok());
  CHECK(first->same_public_key(*rfc));
  const auto again = cached_public_key(pem);
  REQUIRE(again.ok());
  CHECK(again->same_public_key(*rfc));
  CHECK_FALSE(again->has_private_key());
}

TEST_CASE("public key cache: what is no key stays refused", "[oauth]") {
  for (int i = 0; i < 2; ++i) {
    const auto bad =
        cached_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    REQUIRE_FALSE(bad.ok());
  }
  CHECK_FALSE(cached_public_key("").ok());
}
