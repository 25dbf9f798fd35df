#include "domain/json_text.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "domain/machine_user.hpp"
#include "domain/org.hpp"

using namespace mu::domain;
using nlohmann::json;

TEST_CASE("JSON text escapes strings as nlohmann's dump does") {
  for (const std::string& s :
       {std::string("plain"), std::string("q\"b\\s/"), std::string("\b\f\n\r\t\x01\x1f\x7f"),
        std::string("a\0b", 3), std::string("ünïcödé 😀"), std::string()}) {
    INFO(s);
    std::string out;
    append_json_string(out, s);
    CHECK(out == json(s).dump());
  }
}

TEST_CASE("JSON objects: members in order, nested objects and arrays of strings") {
  std::string out;
  JsonObjectText o(out);
  o.string("a", "x").integer("n", -5).unsigned_integer("u", 18446744073709551615ULL);
  auto inner = o.object("in");
  inner.boolean("t", true).boolean("f", false);
  inner.close();
  auto empty = o.object("empty");
  empty.close();
  o.strings("list", std::vector<int>{1, 2}, [](int i) { return i == 1 ? "one" : "two"; });
  o.close();
  CHECK(
      out ==
      R"({"a":"x","n":-5,"u":18446744073709551615,"in":{"t":true,"f":false},"empty":{},"list":["one","two"]})");
  CHECK(json::parse(out).is_object());
}

TEST_CASE("a machine user's snapshot text is the document it always was") {
  MachineUser u;
  u.id = "u\"1";
  u.owner = "org\n1";
  u.user_name = "bot";
  u.name = "Bot ü";
  u.description = "";
  u.access_token_type = AccessTokenType::Jwt;
  u.state = UserState::Locked;
  u.sequence = 42;
  u.tokens = {{"t1", from_unix_micros(1'000'000)}, {"t2", from_unix_micros(-5)}};
  u.has_secret = true;
  u.keys = {{"k1", from_unix_micros(253402300799000000)}};
  const json expected = {{"id", "u\"1"},
                         {"owner", "org\n1"},
                         {"userName", "bot"},
                         {"name", "Bot ü"},
                         {"description", ""},
                         {"accessTokenType", 1},
                         {"state", static_cast<int>(UserState::Locked)},
                         {"sequence", 42},
                         {"tokens", {{"t1", 1'000'000}, {"t2", -5}}},
                         {"hasSecret", true},
                         {"keys", {{"k1", 253402300799000000}}}};
  CHECK(json::parse(to_snapshot(u)) == expected);
  CHECK(from_snapshot(json::parse(to_snapshot(u)), kMachineUserSnapshotRevision) == u);
  CHECK(json::parse(to_snapshot(MachineUser{}))["tokens"] == json::object());
}

TEST_CASE("an organization's snapshot text is the document it always was") {
  MemberScope s;
  s.id = "org1";
  s.name = "Acme";
  s.exists = true;
  s.members = {{"u1", {Role::OrgOwner}}, {"u2", {}}};
  s.sequence = 7;
  const json expected = {{"id", "org1"},
                         {"name", "Acme"},
                         {"exists", true},
                         {"members", {{"u1", {"ORG_OWNER"}}, {"u2", json::array()}}},
                         {"sequence", 7}};
  CHECK(json::parse(to_snapshot(s)) == expected);
}
