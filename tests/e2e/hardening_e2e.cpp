// Hostile input through the real binary: each case here once crashed the server,
// answered 500, or reached another user. Each must now be a 400 (code 3) in the
// contract's shape that appends nothing, and the server must go on serving.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/e2e/service_fixture.hpp"
#include "tests/support/raw_http.hpp"

using mu::testing::Service;
using nlohmann::json;

namespace {

std::string nested(std::size_t depth, char open, char close, const std::string& inner) {
  return std::string(depth, open) + inner + std::string(depth, close);
}

// The body as the test sent it (bytes, not JSON) to UpdateMachine of `id`.
mu::testing::HttpResult put_raw(Service& s, const std::string& id, const std::string& body) {
  return s.http().request("PUT", "/management/v1/users/" + id + "/machine", body,
                          {{"authorization", "Bearer " + s.admin_token()}});
}

void check_invalid_argument(const mu::testing::HttpResult& r) {
  INFO(r.body);
  CHECK(r.status == 400);
  auto body = json::parse(r.body, nullptr, false);
  REQUIRE(body.is_object());
  CHECK(body["code"] == 3);
  CHECK(body["message"].is_string());
  CHECK(body["details"] == json::array());  // validation errors carry no detail
  CHECK(r.body.size() < 1024);              // never an echo of the input
}

}  // namespace

TEST_CASE("a body nested 100,000 deep is refused, not a crash, and not echoed") {
  Service s;
  const auto id = s.add_user("deep");
  const auto before = s.count_events();
  for (auto [open, close] : {std::pair{'[', ']'}, std::pair{'{', '}'}}) {
    for (std::size_t depth : {101u, 30000u, 100000u}) {
      std::string inner = open == '[' ? "1" : "";
      std::string value;
      if (open == '[') {
        value = nested(depth, '[', ']', "1");
      } else {
        // {"a":{"a":...{}...}}
        for (std::size_t i = 0; i < depth; ++i) value += "{\"a\":";
        value += "1";
        value += std::string(depth, '}');
      }
      INFO("depth " << depth << " of " << open);
      check_invalid_argument(put_raw(s, id, "{\"name\": " + value + "}"));
    }
  }
  // 100 levels are still fine where a field may hold them (an unknown field).
  auto ok = put_raw(s, id, "{\"name\":\"n2\",\"x\":" + nested(98, '[', ']', "1") + "}");
  CHECK(ok.status == 200);
  CHECK(s.count_events() == before + 1);
  CHECK(s.call("GET", "/healthz").status == 200);
}

TEST_CASE("NUL, bytes that are not UTF-8 and numbers out of range are InvalidArgument") {
  Service s;
  const auto id = s.add_user("bytes");
  const auto before = s.count_events();
  const std::vector<std::string> bodies = {
      R"({"name":"a\u0000b"})",
      R"({"name":"ok","unknown\u0000":1})",
      "{\"name\":\"\xFF\xFE\"}",
      "{\"name\":\"ok\",\"\xFF\xFE\":1}",
      "{\"name\":\"\xED\xA0\x80\"}",  // CESU-8: a UTF-16 surrogate encoded alone
      "{\"name\":\"ok\",\"x\":\"\xED\xA0\x80\"}",
      "{\"name\":\"\xC0\xAF\"}",  // overlong '/'
      "{\"name\":\"ok\",\"x\":\"\xC0\xAF\"}",
      R"({"name":"ok","accessTokenType":1e999})",
      R"({"name":"ok","x":1e999})",
      R"({"name":"ok","x":-1e999})",
      R"({"name":"ok","x":[1,{"y":-1e999}]})",
      R"({"name":"a","name":"b"})",
      R"({"name":"ok","x":{"k":1,"k":2}})",
      "\xEF\xBB\xBF{\"name\":\"ok\"}",
  };
  for (const auto& body : bodies) {
    INFO("body: " << json(body).dump(-1, ' ', true, json::error_handler_t::replace));
    check_invalid_argument(put_raw(s, id, body));
  }
  CHECK(s.count_events() == before);
}

TEST_CASE("path ids with NUL, control characters, bad UTF-8 or over 200 bytes are refused") {
  Service s;
  const auto id = s.add_user("victim");
  const auto before = s.count_events();
  const std::vector<std::string> bad_ids = {id + "%00garbage",    id + "%00", id + "%01",
                                            id + "%7F",           "%FF%FE",   "%ED%A0%80",
                                            std::string(201, '1')};
  for (const auto& bad : bad_ids) {
    INFO("id " << bad);
    check_invalid_argument(put_raw(s, bad, R"({"name":"hijacked"})"));
    check_invalid_argument(s.http().request("GET", "/management/v1/users/" + bad, "",
                                            {{"authorization", "Bearer " + s.admin_token()}}));
  }
  CHECK(s.count_events() == before);
  auto got = s.call("GET", "/management/v1/users/" + id);
  CHECK(got.body["user"]["machine"]["name"] == "Name of victim");
  // An organization header of the same kind names no organization, and is no 500.
  auto r = s.http().request(
      "GET", "/management/v1/users/" + id, "",
      {{"authorization", "Bearer " + s.admin_token()}, {"x-zitadel-orgid", "\xFF\xFE"}});
  CHECK(r.status == 404);
}

TEST_CASE("HTTP/1.1 without exactly one Host is 400") {
  Service s;
  const auto port = s.server().port();
  auto no_host = mu::testing::raw_exchange(port, "GET /healthz HTTP/1.1\r\n\r\n");
  CHECK(mu::testing::status_of(no_host) == 400);
  auto two_hosts =
      mu::testing::raw_exchange(port, "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  CHECK(mu::testing::status_of(two_hosts) == 400);
  // HTTP/1.0 has no Host requirement; with one Host, 1.1 is fine.
  CHECK(mu::testing::status_of(mu::testing::raw_exchange(port, "GET /healthz HTTP/1.0\r\n\r\n")) ==
        200);
  CHECK(mu::testing::status_of(mu::testing::raw_exchange(
            port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 200);
}
