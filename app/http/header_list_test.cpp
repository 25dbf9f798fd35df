#include "app/http/header_list.hpp"

#include <catch2/catch.hpp>

using mu::http::HeaderList;

TEST_CASE("header fields are found by their lower-case name, and repeats are one joined field") {
  HeaderList h;
  h.reserve(2, 16);  // smaller than what follows: the buffer grows and the views stay right
  h.add("Content-Type", "application/json");
  h.add("AUTHORIZATION", "Bearer abc");
  h.add("Accept", "text/plain");
  h.add("accept", "application/json");
  h.add("X-Empty", "");

  CHECK(h.find("content-type") == "application/json");
  CHECK(h.find("authorization") == "Bearer abc");
  CHECK(h.find("accept") == "text/plain, application/json");
  CHECK(h.find("x-empty") == "");
  CHECK_FALSE(h.find("Content-Type"));  // lookups take the lower-case name
  CHECK_FALSE(h.find("host"));

  REQUIRE(h.size() == 4);
  CHECK(h[0].name == "content-type");
  CHECK(h[1].name == "authorization");
  CHECK(h[2].name == "accept");
  CHECK(h[2].value == "text/plain, application/json");
  CHECK(h[3].name == "x-empty");

  const HeaderList moved = std::move(h);
  CHECK(moved.find("authorization") == "Bearer abc");
}
