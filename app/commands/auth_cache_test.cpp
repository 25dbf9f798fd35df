#include "app/commands/auth_cache.hpp"

#include <catch2/catch.hpp>

using mu::commands::AuthCache;
using mu::projections::TokenGrant;

TEST_CASE("the auth cache remembers grants and unknown tokens, and forgets on clear") {
  AuthCache cache;
  CHECK_FALSE(cache.find("h1"));
  TokenGrant grant;
  grant.user_id = "u1";
  cache.remember("h1", std::make_shared<const TokenGrant>(grant), cache.generation());
  cache.remember("h2", nullptr, cache.generation());
  REQUIRE(cache.find("h1"));
  CHECK((*cache.find("h1"))->user_id == "u1");
  REQUIRE(cache.find("h2"));
  CHECK_FALSE(*cache.find("h2"));  // remembered as "no such token"

  cache.remember_org("o1");
  CHECK(cache.org_known("o1"));
  cache.clear();
  CHECK_FALSE(cache.find("h1"));
  CHECK_FALSE(cache.org_known("o1"));
}

TEST_CASE("a lookup that overlapped a clear is not remembered") {
  AuthCache cache;
  const auto before = cache.generation();  // a worker starts its database read
  cache.clear();                           // news: someone was revoked meanwhile
  TokenGrant stale;
  stale.user_id = "u1";
  const auto shared = std::make_shared<const TokenGrant>(stale);
  cache.remember("h1", shared, before);  // the read may predate the revocation
  CHECK_FALSE(cache.find("h1"));
  cache.remember("h1", shared, cache.generation());
  CHECK(cache.find("h1"));
}
