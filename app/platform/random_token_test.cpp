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

TEST_CASE("client secrets are 64 letters and digits, every one of the 62 in use") {
  std::set<std::string> seen;
  std::set<char> characters;
  for (int i = 0; i < 500; ++i) {
    auto s = mu::platform::random_alphanumeric(64);
    CHECK(s.size() == 64);
    CHECK(s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
          std::string::npos);
    characters.insert(s.begin(), s.end());
    seen.insert(s);
  }
  CHECK(seen.size() == 500);
  CHECK(characters.size() == 62);  // 32,000 draws: every one of the 62 appears
  CHECK(mu::platform::random_alphanumeric(0).empty());
  CHECK(mu::platform::random_bytes(16).size() == 16);
  CHECK(mu::platform::random_bytes(16) != mu::platform::random_bytes(16));
}
