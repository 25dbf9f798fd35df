#include "domain/strict_json.hpp"

#include <catch2/catch.hpp>

using namespace mu::domain;

TEST_CASE("the strict JSON reader names the text it read in its messages") {
  const auto dup = read_strict_json(R"({"a":1,"b":{"c":1,"c":2}})", "JWT header");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == Code::InvalidArgument);
  CHECK(dup.error().message == "duplicate field \"c\"");

  const auto bom = read_strict_json("\xEF\xBB\xBF{}", "JWT claims");
  REQUIRE_FALSE(bom);
  CHECK(bom.error().message == "JWT claims starts with a byte-order mark (U+FEFF)");

  const auto bad = read_strict_json("{", "JWT header");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.starts_with("invalid JSON in JWT header at byte 2: "));

  const std::string deep(kMaxJsonDepth + 1, '[');
  const auto nested = read_strict_json(deep, "JWT claims");
  REQUIRE_FALSE(nested);
  CHECK(nested.error().message == "JWT claims is nested deeper than 100 levels");

  const auto ok = read_strict_json(R"({"a":[1,"x",null]})", "JWT header");
  REQUIRE(ok);
  CHECK(*ok == nlohmann::json::parse(R"({"a":[1,"x",null]})"));
}
