#include "domain/jsonb_text.hpp"

#include <catch2/catch.hpp>

using mu::domain::jsonb_text;
using nlohmann::json;

TEST_CASE("jsonb text: keys sorted by length then by bytes, with jsonb's spacing") {
  const auto j = json::parse(R"({"name":"a","description":"","accessTokenType":1,"x":null})");
  CHECK(*jsonb_text(j) == R"({"x": null, "name": "a", "description": "", "accessTokenType": 1})");
  CHECK(*jsonb_text(json::parse(R"({"b":1,"a":[1,true,{"zz":[],"y":{}}]})")) ==
        R"({"a": [1, true, {"y": {}, "zz": []}], "b": 1})");
  CHECK(*jsonb_text(json::object()) == "{}");
  CHECK(*jsonb_text(json::array()) == "[]");
  CHECK(*jsonb_text(json(-42)) == "-42");
  CHECK(*jsonb_text(json(18446744073709551615ULL)) == "18446744073709551615");
  // Upper-case sorts before lower-case (bytes), and multi-byte keys count their bytes.
  CHECK(*jsonb_text(json::parse(R"({"é":1,"b":2,"B":3})")) == R"({"B": 3, "b": 2, "é": 1})");
}

TEST_CASE("jsonb text: strings escaped as PostgreSQL's escape_json") {
  CHECK(*jsonb_text(json("q\"b\\s/\b\f\n\r\t")) == R"("q\"b\\s/\b\f\n\r\t")");
  CHECK(*jsonb_text(json(std::string("\x01\x1f\x7f", 3))) == "\"\\u0001\\u001f\x7f\"");
  CHECK(*jsonb_text(json("Zoë 🎉")) == "\"Zoë 🎉\"");
}

TEST_CASE("jsonb text: what PostgreSQL prints its own way is refused") {
  CHECK_FALSE(jsonb_text(json(1.5)));
  CHECK_FALSE(jsonb_text(json::parse(R"({"a":[1, 2.0]})")));
  CHECK_FALSE(jsonb_text(json(std::string("a\0b", 3))));
}
