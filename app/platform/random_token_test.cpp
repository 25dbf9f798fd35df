#include "app/platform/random_token.hpp"

#include <catch2/catch.hpp>
#include <set>

TEST_CASE("tokens are 256 random bits, URL-safe") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto t = mu::platform::random_token();
    CHECK(t.size() == 43);
    CHECK(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    seen.insert(t);
  }
  CHECK(seen.size() == 1000);
}
