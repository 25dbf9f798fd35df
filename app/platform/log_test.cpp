#include "app/platform/log.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace mu::platform;

TEST_CASE("a request line is one JSON object, whatever bytes the request carried") {
  const std::string path = std::string("/users/a\"b\\c\n\x01") + "\xff\xfe";
  const std::string text = format_request_line(
      {"req-1", "PUT", path, "UpdateMachine", "caller-7", 400, 3, 1.25, 12, 345});
  REQUIRE(text.back() == '\n');
  REQUIRE(text.find('\n') == text.size() - 1);  // exactly one line

  const auto line = nlohmann::json::parse(text);
  CHECK(line["msg"] == "request");
  CHECK(line["level"] == "info");
  CHECK(line["request_id"] == "req-1");
  CHECK(line["method"] == "PUT");
  // Bytes that are not UTF-8 become '?'; quotes, backslashes and control characters are escaped.
  CHECK(line["path"] == "/users/a\"b\\c\n\x01??");
  CHECK(line["rpc"] == "UpdateMachine");
  CHECK(line["caller"] == "caller-7");
  CHECK(line["status"] == 400);
  CHECK(line["code"] == 3);
  CHECK(line["duration_ms"].get<double>() == Approx(1.25));
  CHECK(line["bytes_in"] == 12);
  CHECK(line["bytes_out"] == 345);
  CHECK(line["time"].get<std::string>().size() >= 20);
}

TEST_CASE("a request line keeps text that is UTF-8 as it is") {
  const auto line = nlohmann::json::parse(
      format_request_line({"r", "GET", "/users/ünïcödé", "GetUserByID", "", 200, 0, 0, 0, 0}));
  CHECK(line["path"] == "/users/ünïcödé");
  CHECK(line["caller"] == "");
}

TEST_CASE("a request line's duration has three decimals, as printf's %.3f") {
  const auto duration_of = [](double ms) {
    const auto text = format_request_line({"r", "GET", "/", "", "", 200, 0, ms, 0, 0});
    const auto at = text.find("\"duration_ms\":") + 14;
    return text.substr(at, text.find(',', at) - at);
  };
  CHECK(duration_of(1.25) == "1.250");
  CHECK(duration_of(0.0004) == "0.000");
  CHECK(duration_of(0.0006) == "0.001");
  CHECK(duration_of(12345.6789) == "12345.679");
  CHECK(duration_of(0) == "0.000");
}
