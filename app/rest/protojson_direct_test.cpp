// fill_message_direct against parse_message + fill_message: whenever the one pass takes a
// body it must make exactly the message the two steps make, and whatever it declines it must
// leave empty, for every RPC's request message.
#include <catch2/catch.hpp>

#include <google/protobuf/util/message_differencer.h>

#include "app/pipeline/rpc_table.hpp"
#include "app/rest/protojson.hpp"
#include "zitadel/admin.pb.h"
#include "zitadel/management.pb.h"

using namespace mu::rest;
namespace mgmt = zitadel::management::v1;
namespace admin = zitadel::admin::v1;

namespace {

// Bodies of every kind the readers see: the common valid ones, valid ones the direct path
// leaves to the two steps, and refusals of each kind.
const char* const kBodies[] = {
    "",
    "  \n",
    "{}",
    R"({"name":"n","description":"d","accessTokenType":"ACCESS_TOKEN_TYPE_JWT"})",
    R"({"access_token_type":1,"name":"ünïcödé \u00e9 \ud83d\ude00"})",
    R"({"accessTokenType":7})",
    R"({"accessTokenType":1.0})",
    R"({"name":null,"description":"d"})",
    R"({"userName":"u","name":"n","user_id":"id1","accessTokenType":0})",
    R"({"userName":"u","userId":null})",
    R"({"userName":"u","userId":""})",
    R"({"type":1,"publicKey":"UEVNPz4","expirationDate":"2030-01-01T00:00:00Z"})",
    R"({"type":"KEY_TYPE_JSON","publicKey":"-_8=","expirationDate":"2030-01-01T01:00:00+01:00"})",
    R"({"userId":"x","roles":["A","B"]})",
    R"({"roles":[]})",
    R"({"range":{"since":"2024-07-31T12:22:58.702123Z"},"limit":3})",
    R"({"range":{"since":"2024-07-31T12:22:58Z","until":null},"limit":"3"})",
    R"({"from":"2024-07-31T12:22:58Z","asc":true,"editorUserId":"e","aggregateTypes":["user"]})",
    R"({"query":{"offset":"10","limit":20,"asc":false},"sequence":"5"})",
    R"({"query":{"offset":10.0,"limit":"20"}})",
    R"({"queries":[{"userNameQuery":{"userName":"a","method":"TEXT_QUERY_METHOD_EQUALS"}}]})",
    R"({"expirationDate":null,"query":null})",
    // Valid, but for the two steps: unknown fields, and ListEvents' afterPosition.
    R"({"name":"n","extra":[1,{"a":null}]})",
    R"({"afterPosition":"17","limit":3})",
    // Refusals.
    R"({"name":1})",
    R"({"name":"a","accessTokenType":"JWT"})",
    R"({"accessTokenType":1.5})",
    R"({"accessTokenType":1,"access_token_type":1})",
    R"({"name":"a","name":"b"})",
    R"({"description":{}})",
    R"({"roles":["A",1]})",
    R"({"roles":["A",null]})",
    R"({"roles":"A"})",
    R"({"roles":[["A"]]})",
    R"({"range":{},"from":"2024-07-31T12:22:58Z"})",
    R"({"from":"yesterday"})",
    R"({"from":5})",
    R"({"range":[]})",
    R"({"range":{"since":{}}})",
    R"({"limit":-1})",
    R"({"limit":1e400})",
    R"({"limit":"12x"})",
    R"({"publicKey":"not base64!"})",
    R"({"name":"a\u0000b"})",
    "{\"na\\u0000me\":\"a\"}",
    "\xEF\xBB\xBF{}",
    R"({"name":"a"} x)",
    R"({"name":"a",})",
    "[]",
    "{",
    "\"text\"",
    "null",
    "{\"name\":\"\xff\"}",
};

}  // namespace

TEST_CASE("the one-pass reader makes what the two steps make, or declines and leaves nothing") {
  int taken = 0;
  for (const auto& rpc : mu::pipeline::rpc_table()) {
    for (const char* body : kBodies) {
      INFO(rpc.name << " " << body);
      auto direct = rpc.new_request();
      auto stepped = rpc.new_request();
      const bool one_pass = fill_message_direct(body, *direct);
      auto object = parse_message(body);
      const auto error = object.ok() ? fill_message(*object, *stepped)
                                     : std::optional<mu::domain::Error>(object.error());
      if (one_pass) {
        ++taken;
        REQUIRE_FALSE(error);
        CHECK(google::protobuf::util::MessageDifferencer::Equals(*direct, *stepped));
      } else {
        CHECK(direct->ByteSizeLong() == 0);
      }
    }
  }
  CHECK(taken > 0);
}

TEST_CASE("the one-pass reader takes the common bodies and leaves the rest to the two steps") {
  mgmt::UpdateMachineRequest update;
  REQUIRE(fill_message_direct(
      R"({"name":"n","description":"d","accessTokenType":"ACCESS_TOKEN_TYPE_JWT"})", update));
  CHECK(update.name() == "n");
  CHECK(update.access_token_type() == zitadel::user::v1::ACCESS_TOKEN_TYPE_JWT);

  admin::ListEventsRequest events;
  REQUIRE(fill_message_direct(R"({"range":{"since":"2024-07-31T12:22:58.702123Z"},"limit":3})",
                              events));
  CHECK(events.range().since().nanos() == 702123000);
  CHECK(events.limit() == 3);

  mgmt::UpdateOrgMemberRequest member;
  REQUIRE(fill_message_direct(R"({"roles":["A","B"]})", member));
  CHECK(member.roles_size() == 2);

  // An unknown field, a refusal after fields were set, a second oneof member: declined, and
  // what was set before is gone.
  for (const char* body : {R"({"name":"n","extra":1})", R"({"name":"n","accessTokenType":"X"})"}) {
    INFO(body);
    mgmt::UpdateMachineRequest m;
    CHECK_FALSE(fill_message_direct(body, m));
    CHECK(m.name().empty());
  }
  admin::ListEventsRequest both;
  CHECK_FALSE(fill_message_direct(
      R"({"range":{"since":"2024-07-31T12:22:58Z"},"from":"2024-07-31T12:22:58Z"})", both));
  CHECK_FALSE(both.has_range());
}
