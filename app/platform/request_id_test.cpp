#include "app/platform/request_id.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace mu::platform;

TEST_CASE("a request id is 1 to 128 printable ASCII characters") {
  CHECK_FALSE(check_request_id("a"));
  CHECK_FALSE(check_request_id(std::string(128, '~')));
  CHECK_FALSE(check_request_id("req 42/x:y"));
  for (const std::string& bad :
       {std::string(), std::string(129, 'a'), std::string("a\nb"), std::string("a\x7f"),
        std::string("caf\xc3\xa9"), std::string("a\0b", 3)}) {
    const auto e = check_request_id(bad);
    REQUIRE(e);
    CHECK(e->code == mu::domain::Code::InvalidArgument);
  }
}

TEST_CASE("generated request ids are 16 hex digits and do not repeat") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = new_request_id();
    CHECK(id.size() == 16);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK_FALSE(check_request_id(id));
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("a call's request id is the caller's when valid, else a new one") {
  using mu::platform::resolve_request_id;
  CHECK(*resolve_request_id(std::string("abc-1")) == "abc-1");
  CHECK(resolve_request_id(std::nullopt)->size() == 16);
  CHECK_FALSE(resolve_request_id(std::string("")).ok());
  CHECK_FALSE(resolve_request_id(std::string(129, 'a')).ok());
}
