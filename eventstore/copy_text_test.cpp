#include "eventstore/copy_text.hpp"

#include <catch2/catch.hpp>

using mu::eventstore::split_copy_line;

TEST_CASE("a COPY text line splits at its tabs, with its escapes undone") {
  std::vector<std::string> f;
  REQUIRE(split_copy_line("user\t42\t{\"name\": \"a\\\\\"b\\\\\\\\c\"}\tx\\ty\\nz\n", f));
  REQUIRE(f.size() == 4);
  CHECK(f[0] == "user");
  CHECK(f[1] == "42");
  // A JSON payload's own backslashes arrive doubled.
  CHECK(f[2] == R"({"name": "a\"b\\c"})");
  CHECK(f[3] == "x\ty\nz");
}

TEST_CASE("COPY's other escapes, NULL and empty fields") {
  std::vector<std::string> f{"left", "over", "from", "before", "x", "y"};
  REQUIRE(split_copy_line("\\N\t\t\\b\\f\\r\\v\t\\101\\x42\\7\t\\\\N", f));
  REQUIRE(f.size() == 5);
  CHECK(f[0].empty());
  CHECK(f[1].empty());
  CHECK(f[2] == "\b\f\r\v");
  CHECK(f[3] == "AB\a");
  CHECK(f[4] == "\\N");  // an escaped backslash before N is text, not NULL
}

TEST_CASE("a line that ends in a lone backslash is refused") {
  std::vector<std::string> f;
  CHECK_FALSE(split_copy_line("a\tb\\", f));
  CHECK(split_copy_line("", f));
  CHECK(f.size() == 1);
}

TEST_CASE("a UTC timestamp as PostgreSQL writes it, in microseconds since the epoch") {
  using mu::eventstore::utc_timestamp_micros;
  CHECK(utc_timestamp_micros("1970-01-01 00:00:00+00") == 0);
  CHECK(utc_timestamp_micros("2026-11-29 03:23:18.123456+00") == 1795922598123456LL);
  CHECK(utc_timestamp_micros("2026-11-29 03:23:18.5+00") == 1795922598500000LL);
  CHECK(utc_timestamp_micros("2000-02-29 23:59:59.999999+00") == 951868799999999LL);
  CHECK(utc_timestamp_micros("1969-12-31 23:59:59+00") == -1000000LL);
  for (const char* bad :
       {"2026-11-29 03:23:18+01", "2026-11-29T03:23:18+00", "2026-11-29 03:23:18.+00",
        "2026-13-01 00:00:00+00", "2026-11-29 03:23:18.1234567+00", ""}) {
    CHECK_FALSE(utc_timestamp_micros(bad));
  }
}
