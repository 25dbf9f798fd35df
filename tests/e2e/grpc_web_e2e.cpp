// gRPC-Web on the HTTP/1.1 port, driven with ZITADEL's messages (our protos):
// the same calls as REST give the same results; every bad input gets the status
// grpc-go would give, and none appends an event.
#include <catch2/catch.hpp>

#include "app/grpc/grpc_web_framing.hpp"
#include "app/grpc/status_codec.hpp"
#include "domain/base64url.hpp"
#include "tests/e2e/service_fixture.hpp"
#include "tests/support/raw_http.hpp"
#include "zitadel/management.pb.h"

using namespace mu::testing;
using nlohmann::json;
namespace mgmt = zitadel::management::v1;

namespace {

constexpr const char* kManagement = "/zitadel.management.v1.ManagementService/";

std::string frame(std::string_view payload, unsigned char flag = 0) {
  std::string out(1, static_cast<char>(flag));
  const auto n = static_cast<std::uint32_t>(payload.size());
  for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<char>((n >> shift) & 0xff));
  return out + std::string(payload);
}

// A gRPC-Web answer taken apart: the message (if any) and the trailers.
struct WebReply {
  int http_status = 0;
  std::string content_type;
  std::map<std::string, std::string> headers;
  std::string message;
  std::map<std::string, std::string> trailers;
  int grpc_status() const { return std::stoi(trailers.at("grpc-status")); }
};

WebReply parse_web_reply(const HttpResult& r) {
  WebReply w;
  w.http_status = r.status;
  w.content_type = r.header("content-type");
  w.headers = r.headers;
  std::string body = r.body;
  if (w.content_type.starts_with("application/grpc-web-text")) {
    body = mu::grpc::decode_grpc_web_text(body).value();
  }
  std::size_t at = 0;
  while (at + 5 <= body.size()) {
    const auto flag = static_cast<unsigned char>(body[at]);
    std::uint32_t n = 0;
    for (int i = 1; i <= 4; ++i) n = (n << 8) | static_cast<unsigned char>(body[at + i]);
    REQUIRE(at + 5 + n <= body.size());
    const std::string payload = body.substr(at + 5, n);
    at += 5 + n;
    if (flag & 0x80) {
      std::size_t line = 0;
      while (line < payload.size()) {
        auto end = payload.find("\r\n", line);
        if (end == std::string::npos) end = payload.size();
        const auto text = payload.substr(line, end - line);
        const auto colon = text.find(':');
        if (colon != std::string::npos) w.trailers[text.substr(0, colon)] = text.substr(colon + 1);
        line = end + 2;
      }
    } else {
      w.message = payload;
    }
  }
  REQUIRE(at == body.size());
  return w;
}

class WebCaller {
 public:
  explicit WebCaller(Service& s) : s_(s), http_("127.0.0.1", s.server().port()) {}

  WebReply call(const std::string& method, const google::protobuf::Message& m,
                std::map<std::string, std::string> headers = {}) {
    return raw(method, frame(m.SerializeAsString()), std::move(headers));
  }
  WebReply raw(const std::string& method, const std::string& body,
               std::map<std::string, std::string> headers = {},
               const std::string& content_type = "application/grpc-web+proto") {
    headers.try_emplace("authorization", "Bearer " + s_.admin_token());
    headers["content-type"] = content_type;
    headers.try_emplace("x-grpc-web", "1");
    return parse_web_reply(http_.request("POST", kManagement + method, body, headers));
  }

 private:
  Service& s_;
  HttpClient http_;
};

template <class Message>
Message parse(const std::string& bytes) {
  Message m;
  REQUIRE(m.ParseFromString(bytes));
  return m;
}

}  // namespace

TEST_CASE("gRPC-Web: AddMachineUser, UpdateMachine and GetUserByID as REST gives them") {
  Service s;
  WebCaller web(s);

  mgmt::AddMachineUserRequest add;
  add.set_user_name("web-bot");
  add.set_name("Web Bot");
  auto added = web.call("AddMachineUser", add);
  REQUIRE(added.http_status == 200);
  CHECK(added.content_type == "application/grpc-web+proto");
  REQUIRE(added.grpc_status() == 0);
  const auto id = parse<mgmt::AddMachineUserResponse>(added.message).user_id();
  CHECK_FALSE(id.empty());
  CHECK_FALSE(added.headers["x-request-id"].empty());

  mgmt::UpdateMachineRequest update;
  update.set_user_id(id);
  update.set_name("Web Bot 2");
  update.set_description("over gRPC-Web");
  update.set_access_token_type(zitadel::user::v1::ACCESS_TOKEN_TYPE_JWT);
  auto updated = web.call("UpdateMachine", update);
  REQUIRE(updated.grpc_status() == 0);
  const auto details = parse<mgmt::UpdateMachineResponse>(updated.message).details();
  CHECK(details.sequence() == 2);
  CHECK(details.resource_owner() == s.org1());
  CHECK(s.last_payload(id) ==
        json{{"name", "Web Bot 2"}, {"description", "over gRPC-Web"}, {"accessTokenType", 1}});
  {  // The event records the RPC and the transport it came by.
    pqxx::connection conn(s.database().url());
    pqxx::nontransaction tx(conn);
    auto origin = tx.exec("SELECT rpc, transport FROM events WHERE aggregate_id = " + tx.quote(id) +
                          " ORDER BY sequence DESC LIMIT 1");
    CHECK(origin[0][0].as<std::string>() ==
          "zitadel.management.v1.ManagementService/UpdateMachine");
    CHECK(origin[0][1].as<std::string>() == "grpc-web");
  }

  mgmt::GetUserByIDRequest get;
  get.set_id(id);
  auto got = web.call("GetUserByID", get, {{"x-request-id", "web-get-1"}});
  REQUIRE(got.grpc_status() == 0);
  CHECK(got.headers["x-request-id"] == "web-get-1");
  const auto user = parse<mgmt::GetUserByIDResponse>(got.message).user();
  const auto rest = s.call("GET", "/management/v1/users/" + id);
  REQUIRE(rest.status == 200);
  CHECK(user.id() == rest.body["user"]["id"]);
  CHECK(user.user_name() == rest.body["user"]["userName"]);
  CHECK(user.machine().name() == rest.body["user"]["machine"]["name"]);
  CHECK(user.machine().description() == rest.body["user"]["machine"]["description"]);
  CHECK(zitadel::user::v1::AccessTokenType_Name(user.machine().access_token_type()) ==
        rest.body["user"]["machine"]["accessTokenType"]);
  CHECK(std::to_string(user.details().sequence()) == rest.body["user"]["details"]["sequence"]);
  CHECK(zitadel::user::v1::UserState_Name(user.state()) == rest.body["user"]["state"]);

  SECTION("grpc-web-text: the same call in base64") {
    auto text = web.raw("GetUserByID", mu::domain::base64_encode(frame(get.SerializeAsString())),
                        {}, "application/grpc-web-text");
    CHECK(text.content_type == "application/grpc-web-text+proto");
    REQUIRE(text.grpc_status() == 0);
    CHECK(parse<mgmt::GetUserByIDResponse>(text.message).user().id() == id);
  }
  SECTION("x-zitadel-orgid: another organization's user is not found there") {
    auto other = web.call("GetUserByID", get, {{"x-zitadel-orgid", s.org2()}});
    CHECK(other.grpc_status() == 5);
  }
}

TEST_CASE("gRPC-Web: errors carry ZITADEL's status, message and ErrorDetail") {
  Service s;
  WebCaller web(s);
  const auto id = s.add_user("err-bot");
  const auto events = s.count_events();

  mgmt::UpdateMachineRequest same;
  same.set_user_id(id);
  same.set_name("Name of err-bot");
  auto not_changed = web.call("UpdateMachine", same);
  CHECK(not_changed.http_status == 200);  // gRPC-Web: the status is in the trailers
  CHECK(not_changed.message.empty());
  CHECK(not_changed.grpc_status() == 9);
  CHECK(not_changed.trailers["grpc-message"] == "Errors.User.NotChanged (COMMAND-2n8vs)");
  auto detail = mu::grpc::decode_status_details(
      mu::domain::base64_decode(not_changed.trailers.at("grpc-status-details-bin")).value());
  REQUIRE(detail);
  CHECK(detail->id == "COMMAND-2n8vs");
  CHECK(detail->message == "Errors.User.NotChanged");

  mgmt::UpdateMachineRequest missing;
  missing.set_user_id("4711");
  missing.set_name("x");
  auto not_found = web.call("UpdateMachine", missing);
  CHECK(not_found.grpc_status() == 5);
  CHECK(not_found.trailers["grpc-message"] == "User could not be found (COMMAND-5M0od)");

  mgmt::UpdateMachineRequest invalid;
  invalid.set_user_id(id);  // no name
  auto bad = web.call("UpdateMachine", invalid);
  CHECK(bad.grpc_status() == 3);
  CHECK(bad.trailers.count("grpc-status-details-bin") == 0);  // validation: no detail

  auto anonymous = web.call("UpdateMachine", same, {{"authorization", ""}});
  CHECK(anonymous.grpc_status() == 16);
  auto wrong_token = web.call("UpdateMachine", same, {{"authorization", "Bearer nope"}});
  CHECK(wrong_token.grpc_status() == 16);

  CHECK(s.count_events() == events);
}

TEST_CASE("gRPC-Web: bad input is a gRPC status or an HTTP error, never a crash or an event") {
  Service s;
  WebCaller web(s);
  const auto id = s.add_user("input-bot");
  const auto events = s.count_events();
  mgmt::UpdateMachineRequest update;
  update.set_user_id(id);
  update.set_name("changed");
  const auto message = update.SerializeAsString();

  // A frame longer than the body; a truncated header; no frame at all.
  CHECK(web.raw("UpdateMachine", frame(message).substr(0, 8)).grpc_status() == 13);
  CHECK(web.raw("UpdateMachine", std::string("\0\0", 2)).grpc_status() == 13);
  CHECK(web.raw("UpdateMachine", "").grpc_status() == 13);
  // A length over 1 MiB.
  std::string huge = frame(message);
  huge[1] = 0x01;  // 16 MiB and more
  auto too_long = web.raw("UpdateMachine", huge);
  CHECK(too_long.grpc_status() == 8);
  // The compressed flag without a negotiated compression.
  CHECK(web.raw("UpdateMachine", frame(message, 1)).grpc_status() == 13);
  // Bytes that are no UpdateMachineRequest.
  auto garbage = web.raw("UpdateMachine", frame("\xff\xff\xff\xff"));
  CHECK(garbage.grpc_status() == 13);
  CHECK(garbage.trailers["grpc-message"].starts_with("grpc: error unmarshalling request"));
  // Unknown methods and services.
  auto unknown = web.raw("ListUsers", frame(""));
  CHECK(unknown.grpc_status() == 12);
  CHECK(unknown.trailers["grpc-message"] ==
        "unknown method ListUsers for service zitadel.management.v1.ManagementService");
  HttpClient http("127.0.0.1", s.server().port());
  auto other =
      parse_web_reply(http.request("POST", "/zitadel.auth.v1.AuthService/GetMyUser", frame(""),
                                   {{"content-type", "application/grpc-web+proto"}}));
  CHECK(other.grpc_status() == 12);
  CHECK(other.trailers["grpc-message"] == "unknown service zitadel.auth.v1.AuthService");
  // Not gRPC-Web at all on a gRPC path: a JSON body, or GET.
  auto json_there = http.request("POST", std::string(kManagement) + "UpdateMachine", "{}",
                                 {{"content-type", "application/json"}});
  CHECK(json_there.status == 415);
  CHECK(http.request("GET", std::string(kManagement) + "UpdateMachine").status == 405);
  // gRPC-Web to a REST route: 415 in the REST error shape, not "invalid JSON".
  auto rest_route = http.request("PUT", "/management/v1/users/" + id + "/machine", frame(message),
                                 {{"content-type", "application/grpc-web+proto"},
                                  {"authorization", "Bearer " + s.admin_token()}});
  CHECK(rest_route.status == 415);
  CHECK(json::parse(rest_route.body)["code"] == 3);

  // Still serving, and nothing was written.
  CHECK(web.call("UpdateMachine", update).grpc_status() == 0);
  CHECK(s.count_events() == events + 1);
}

TEST_CASE("gRPC-Web: CORS preflights only for configured origins") {
  Service s({"--cors-origins", "https://console.example"});
  HttpClient http("127.0.0.1", s.server().port());
  const std::string path = std::string(kManagement) + "GetUserByID";
  auto allowed = http.request("OPTIONS", path, "",
                              {{"origin", "https://console.example"},
                               {"access-control-request-method", "POST"},
                               {"access-control-request-headers", "content-type,x-grpc-web"}});
  CHECK(allowed.status == 204);
  CHECK(allowed.header("access-control-allow-origin") == "https://console.example");
  CHECK(allowed.header("access-control-allow-methods").find("POST") != std::string::npos);
  auto refused = http.request("OPTIONS", path, "", {{"origin", "https://evil.example"}});
  CHECK(refused.status == 403);
  CHECK(refused.header("access-control-allow-origin").empty());

  mgmt::GetUserByIDRequest get;
  get.set_id(s.admin_id());
  auto call = http.request("POST", path, frame(get.SerializeAsString()),
                           {{"origin", "https://console.example"},
                            {"content-type", "application/grpc-web+proto"},
                            {"authorization", "Bearer " + s.admin_token()}});
  CHECK(call.header("access-control-allow-origin") == "https://console.example");
  CHECK(call.header("access-control-expose-headers").find("grpc-status") != std::string::npos);
  CHECK(parse_web_reply(call).grpc_status() == 0);
}
