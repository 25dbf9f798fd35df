// The preconditions a caller may set, without a server.
#include <catch2/catch.hpp>

#include "app/pipeline/preconditions.hpp"

using mu::domain::Code;
using mu::pipeline::decode_if_match;

TEST_CASE("If-Match carries a sequence") {
  CHECK(*decode_if_match(std::nullopt) == std::nullopt);
  CHECK(*decode_if_match("*") == std::nullopt);
  CHECK(*decode_if_match("2") == 2u);
  CHECK(*decode_if_match("\"17\"") == 17u);
  CHECK(*decode_if_match("W/\"3\"") == 3u);
  for (const char* bad : {"", "abc", "\"\"", "-1", "2x", "\"2"}) {
    INFO(bad);
    auto r = decode_if_match(std::string(bad));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::InvalidArgument);
  }
}
