// The protobuf codec against the generated messages: what a gRPC client sends decodes
// into the api structs, what we encode parses back into ZITADEL's messages.
#include <catch2/catch.hpp>

#include <google/protobuf/any.pb.h>
#include <google/protobuf/descriptor.h>

#include "app/grpc/proto_codec.hpp"
#include "app/grpc/wkt_codec.hpp"
#include "domain/machine_user.hpp"
#include "google/rpc/status.pb.h"
#include "zitadel/admin.pb.h"
#include "zitadel/management.pb.h"
#include "zitadel/message.pb.h"

using namespace mu;
using domain::Code;
using nlohmann::json;
namespace mgmt = zitadel::management::v1;
namespace admin = zitadel::admin::v1;

namespace {

const domain::Timestamp kT =
    domain::from_unix_micros(1722428578702123LL);  // 2024-07-31T12:22:58.702123Z

template <class Message>
Message parsed(const std::string& bytes) {
  Message msg;
  REQUIRE(msg.ParseFromString(bytes));
  return msg;
}

// The request structs' fields as the wire has them: name, number and type of each field.
std::vector<std::tuple<std::string, int, int>> shape(const google::protobuf::Descriptor* d) {
  std::vector<std::tuple<std::string, int, int>> fields;
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    fields.emplace_back(f->name(), f->number(),
                        static_cast<int>(f->type()) * 10 + static_cast<int>(f->label()));
  }
  return fields;
}

}  // namespace

TEST_CASE("proto codec: UpdateMachine: the request's fields, the user id from the message",
          "[grpc]") {
  mgmt::UpdateMachineRequest msg;
  msg.set_user_id("69629023906488334");
  msg.set_name("Büro");
  msg.set_description("d");
  msg.set_access_token_type(zitadel::user::v1::ACCESS_TOKEN_TYPE_JWT);
  auto r = grpc::decode_update_machine(msg.SerializeAsString());
  REQUIRE(r.ok());
  CHECK(r->user_id == "69629023906488334");
  CHECK(r->name == "Büro");
  CHECK(r->description == "d");
  CHECK(r->access_token_type == domain::AccessTokenType::Jwt);

  // No bytes: every field at its default, as a JSON body of {} on REST.
  auto empty = grpc::decode_update_machine("");
  REQUIRE(empty.ok());
  CHECK(empty->user_id.empty());
  CHECK(empty->name.empty());
  CHECK(empty->access_token_type == domain::AccessTokenType::Bearer);
}

TEST_CASE("proto codec: AddMachineUser: user_id has presence", "[grpc]") {
  mgmt::AddMachineUserRequest msg;
  msg.set_user_name("svc");
  msg.set_name("Service");
  auto absent = grpc::decode_add_machine_user(msg.SerializeAsString());
  REQUIRE(absent.ok());
  CHECK(absent->user_name == "svc");
  CHECK(absent->name == "Service");
  CHECK_FALSE(absent->user_id.has_value());

  msg.set_user_id("");  // explicitly empty: on the wire, and refused later by validation
  auto empty = grpc::decode_add_machine_user(msg.SerializeAsString());
  REQUIRE(empty.ok());
  REQUIRE(empty->user_id.has_value());
  CHECK(empty->user_id->empty());

  msg.set_user_id("42");
  CHECK(grpc::decode_add_machine_user(msg.SerializeAsString())->user_id == "42");
}

TEST_CASE("proto codec: enum numbers out of range are kept, and validation refuses them",
          "[grpc]") {
  // UpdateMachineRequest.access_token_type (field 4, varint) = 7, and = -1 (ten bytes).
  const std::string seven = std::string("\x0a\x01u\x1a\x01n\x20\x07", 8);
  auto r = grpc::decode_update_machine(seven);
  REQUIRE(r.ok());
  CHECK(static_cast<int>(r->access_token_type) == 7);
  domain::UpdateMachine cmd{r->user_id, "org", r->name, r->description, r->access_token_type};
  auto refused = domain::validate(cmd);
  REQUIRE(refused);
  CHECK(refused->code == Code::InvalidArgument);
  CHECK(refused->message.find("AccessTokenType") != std::string::npos);

  const std::string minus_one = std::string("\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
  auto negative = grpc::decode_add_machine_user(minus_one);
  REQUIRE(negative.ok());
  CHECK(static_cast<int>(negative->access_token_type) == -1);
}

TEST_CASE("proto codec: bytes that are no message are grpc-go's unmarshal error", "[grpc]") {
  const std::string truncated_varint("\x20\xff", 2);
  const std::string string_past_end(
      "\x0a\x05"
      "ab",
      4);
  const std::string bad_tag("\xff\xff\xff\xff\xff\xff", 6);
  for (const auto& bytes : {truncated_varint, string_past_end, bad_tag}) {
    auto r = grpc::decode_update_machine(bytes);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::Internal);
    CHECK(r.error().id.empty());
    CHECK(r.error().message ==
          "grpc: error unmarshalling request: proto: cannot parse invalid wire-format data");
  }
  CHECK_FALSE(grpc::decode_get_my_org(bad_tag).ok());
  CHECK_FALSE(grpc::decode_list_event_types(bad_tag).ok());
  CHECK_FALSE(grpc::decode_list_events(string_past_end).ok());
  // A proto3 string must be UTF-8, in protobuf-go as here.
  CHECK(grpc::decode_add_org(std::string("\x0a\x02\xc3\x28", 4)).error().code == Code::Internal);
  // Unknown fields are skipped, as by every protobuf parser.
  CHECK(grpc::decode_add_org(std::string("\x0a\x01x\xa0\x06\x01", 6))->name == "x");
}

TEST_CASE("proto codec: lifecycle, token, org and member requests", "[grpc]") {
  mgmt::LockUserRequest lock;
  lock.set_id("7");
  auto l = grpc::decode_user_lifecycle(lock.SerializeAsString(), domain::Lifecycle::Lock);
  REQUIRE(l.ok());
  CHECK(l->action == domain::Lifecycle::Lock);
  CHECK(l->id == "7");
  CHECK(grpc::decode_user_lifecycle(lock.SerializeAsString(), domain::Lifecycle::Remove)->action ==
        domain::Lifecycle::Remove);

  mgmt::RemovePersonalAccessTokenRequest rm;
  rm.set_user_id("7");
  rm.set_token_id("9");
  auto pat = grpc::decode_remove_personal_access_token(rm.SerializeAsString());
  REQUIRE(pat.ok());
  CHECK(pat->user_id == "7");
  CHECK(pat->token_id == "9");

  mgmt::AddOrgRequest org;
  org.set_name("ACME");
  CHECK(grpc::decode_add_org(org.SerializeAsString())->name == "ACME");

  admin::UpdateIAMMemberRequest member;  // one wire shape for the four member requests
  member.set_user_id("5");
  member.add_roles("IAM_OWNER");
  member.add_roles("IAM_OWNER_VIEWER");
  auto m = grpc::decode_member(member.SerializeAsString());
  REQUIRE(m.ok());
  CHECK(m->user_id == "5");
  CHECK(m->roles == std::vector<std::string>{"IAM_OWNER", "IAM_OWNER_VIEWER"});
  admin::RemoveIAMMemberRequest remove;
  remove.set_user_id("5");
  CHECK(grpc::decode_remove_member(remove.SerializeAsString())->user_id == "5");
}

TEST_CASE("proto codec: messages decoded as one of their kind have one wire shape", "[grpc]") {
  const auto member = shape(mgmt::AddOrgMemberRequest::descriptor());
  CHECK(member.size() == 2);
  CHECK(shape(mgmt::UpdateOrgMemberRequest::descriptor()) == member);
  CHECK(shape(admin::AddIAMMemberRequest::descriptor()) == member);
  CHECK(shape(admin::UpdateIAMMemberRequest::descriptor()) == member);
  CHECK(shape(admin::RemoveIAMMemberRequest::descriptor()) ==
        shape(mgmt::RemoveOrgMemberRequest::descriptor()));
  const auto details = shape(mgmt::DeactivateUserResponse::descriptor());
  CHECK(details.size() == 1);
  for (const auto* d :
       {mgmt::ReactivateUserResponse::descriptor(), mgmt::LockUserResponse::descriptor(),
        mgmt::UnlockUserResponse::descriptor(), mgmt::RemoveUserResponse::descriptor(),
        mgmt::AddOrgMemberResponse::descriptor(), mgmt::UpdateOrgMemberResponse::descriptor(),
        mgmt::RemoveOrgMemberResponse::descriptor(), admin::AddIAMMemberResponse::descriptor(),
        admin::UpdateIAMMemberResponse::descriptor(),
        admin::RemoveIAMMemberResponse::descriptor()}) {
    CHECK(shape(d) == details);
  }
}

TEST_CASE("proto codec: timestamps: microseconds both ways, out of range refused", "[grpc]") {
  auto ts = grpc::to_proto_timestamp(kT);
  CHECK(ts.seconds() == 1722428578);
  CHECK(ts.nanos() == 702123000);
  CHECK(grpc::from_proto_timestamp(ts, "t").value() == kT);

  auto before_1970 = grpc::to_proto_timestamp(domain::from_unix_micros(-1));
  CHECK(before_1970.seconds() == -1);
  CHECK(before_1970.nanos() == 999999000);
  CHECK(grpc::from_proto_timestamp(before_1970, "t").value() == domain::from_unix_micros(-1));

  google::protobuf::Timestamp fine;
  fine.set_seconds(1);
  fine.set_nanos(123456789);  // below a microsecond: dropped
  CHECK(grpc::from_proto_timestamp(fine, "t").value() == domain::from_unix_micros(1123456));

  google::protobuf::Timestamp year_10000;
  year_10000.set_seconds(253402300800LL);
  auto e = grpc::from_proto_timestamp(year_10000, "expiration_date");
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().code == Code::InvalidArgument);
  CHECK(e.error().message.starts_with("expiration_date: "));
  google::protobuf::Timestamp negative_nanos;
  negative_nanos.set_nanos(-1);
  CHECK_FALSE(grpc::from_proto_timestamp(negative_nanos, "t").ok());
}

TEST_CASE("proto codec: AddPersonalAccessToken: expiration_date has presence", "[grpc]") {
  mgmt::AddPersonalAccessTokenRequest msg;
  msg.set_user_id("7");
  auto never = grpc::decode_add_personal_access_token(msg.SerializeAsString());
  REQUIRE(never.ok());
  CHECK(never->user_id == "7");
  CHECK_FALSE(never->expiration_date.has_value());

  msg.mutable_expiration_date();  // present at the epoch: a date, though in the past
  CHECK(grpc::decode_add_personal_access_token(msg.SerializeAsString())->expiration_date ==
        domain::Timestamp{});
  *msg.mutable_expiration_date() = grpc::to_proto_timestamp(kT);
  CHECK(grpc::decode_add_personal_access_token(msg.SerializeAsString())->expiration_date == kT);
  msg.mutable_expiration_date()->set_seconds(-62135596801LL);  // before year 1
  auto refused = grpc::decode_add_personal_access_token(msg.SerializeAsString());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Code::InvalidArgument);
}

TEST_CASE("proto codec: ListUserChanges and ListEvents requests", "[grpc]") {
  mgmt::ListUserChangesRequest changes;
  changes.set_user_id("7");
  changes.mutable_query()->set_sequence(12);
  changes.mutable_query()->set_limit(50);
  changes.mutable_query()->set_asc(true);
  auto c = grpc::decode_list_user_changes(changes.SerializeAsString());
  REQUIRE(c.ok());
  CHECK(c->query.user_id == "7");
  CHECK(c->query.sequence == 12);
  CHECK(c->query.limit == 50);
  CHECK(c->query.asc);

  admin::ListEventsRequest events;
  events.set_sequence(3);
  events.set_limit(10);
  events.set_editor_user_id("e");
  events.add_event_types("user.machine.changed");
  events.set_aggregate_id("a");
  events.add_aggregate_types("user");
  events.set_resource_owner("o");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"  // a client may still send it
  *events.mutable_creation_date() = grpc::to_proto_timestamp(kT);
#pragma GCC diagnostic pop
  auto deprecated = grpc::decode_list_events(events.SerializeAsString());
  REQUIRE(deprecated.ok());
  const auto& q = deprecated->query;
  CHECK(q.sequence == 3);
  CHECK(q.limit == 10);
  CHECK_FALSE(q.asc);
  CHECK(q.editor_user_id == "e");
  CHECK(q.event_types == std::vector<std::string>{"user.machine.changed"});
  CHECK(q.aggregate_id == "a");
  CHECK(q.aggregate_types == std::vector<std::string>{"user"});
  CHECK(q.resource_owner == "o");
  CHECK(q.from == kT);  // creation_date acts as from
  CHECK_FALSE(q.since);

  // The range wins over the deprecated creation_date; an unset bound stays unset.
  *events.mutable_range()->mutable_since() = grpc::to_proto_timestamp(kT);
  auto range = grpc::decode_list_events(events.SerializeAsString());
  REQUIRE(range.ok());
  CHECK(range->query.since == kT);
  CHECK_FALSE(range->query.until);
  CHECK_FALSE(range->query.from);

  // range then from on the wire: one oneof, the last one wins.
  admin::ListEventsRequest from;
  *from.mutable_from() = grpc::to_proto_timestamp(kT);
  auto both = grpc::decode_list_events(events.SerializeAsString() + from.SerializeAsString());
  REQUIRE(both.ok());
  CHECK(both->query.from == kT);
  CHECK_FALSE(both->query.since);
}

TEST_CASE("proto codec: responses parse back into ZITADEL's messages", "[grpc]") {
  api::ObjectDetails details{2, kT, kT + std::chrono::seconds(1), "69629023906488334"};

  auto add =
      parsed<mgmt::AddMachineUserResponse>(grpc::encode(api::AddMachineUserResponse{"7", details}));
  CHECK(add.user_id() == "7");
  CHECK(add.details().sequence() == 2);
  CHECK(grpc::from_proto_timestamp(add.details().creation_date(), "").value() == kT);
  CHECK(add.details().change_date().seconds() == add.details().creation_date().seconds() + 1);
  CHECK(add.details().resource_owner() == "69629023906488334");

  // Dates not known (the epoch) are left out, as on REST.
  auto update = parsed<mgmt::UpdateMachineResponse>(
      grpc::encode(api::UpdateMachineResponse{{5, {}, {}, "o"}}));
  REQUIRE(update.has_details());
  CHECK_FALSE(update.details().has_creation_date());
  CHECK_FALSE(update.details().has_change_date());

  api::GetUserByIDResponse get;
  get.user.id = "7";
  get.user.details = details;
  get.user.state = domain::UserState::Locked;
  get.user.user_name = "svc";
  get.user.machine = {"Service", "d", true, domain::AccessTokenType::Jwt};
  auto user = parsed<mgmt::GetUserByIDResponse>(grpc::encode(get)).user();
  CHECK(user.id() == "7");
  CHECK(user.state() == zitadel::user::v1::USER_STATE_LOCKED);
  CHECK(user.user_name() == "svc");
  REQUIRE(user.type_case() == zitadel::user::v1::User::kMachine);
  CHECK(user.machine().name() == "Service");
  CHECK(user.machine().description() == "d");
  CHECK(user.machine().has_secret());
  CHECK(user.machine().access_token_type() == zitadel::user::v1::ACCESS_TOKEN_TYPE_JWT);
  // A machine user at every default is still a machine user.
  CHECK(parsed<mgmt::GetUserByIDResponse>(grpc::encode(api::GetUserByIDResponse{}))
            .user()
            .has_machine());

  auto pat = parsed<mgmt::AddPersonalAccessTokenResponse>(
      grpc::encode(api::AddPersonalAccessTokenResponse{"9", "secret", details}));
  CHECK(pat.token_id() == "9");
  CHECK(pat.token() == "secret");
  CHECK(pat.details().sequence() == 2);

  auto org =
      parsed<mgmt::GetMyOrgResponse>(grpc::encode(api::GetMyOrgResponse{{"1", details, "ACME"}}));
  CHECK(org.org().id() == "1");
  CHECK(org.org().name() == "ACME");
  CHECK(org.org().state() == zitadel::org::v1::ORG_STATE_ACTIVE);

  CHECK(parsed<mgmt::AddOrgResponse>(grpc::encode(api::AddOrgResponse{"1", details})).id() == "1");
  CHECK(parsed<mgmt::LockUserResponse>(grpc::encode(api::UserLifecycleResponse{details}))
            .details()
            .sequence() == 2);
  CHECK(parsed<admin::RemoveIAMMemberResponse>(grpc::encode(api::MemberResponse{details}))
            .details()
            .sequence() == 2);
  CHECK(parsed<mgmt::RemovePersonalAccessTokenResponse>(
            grpc::encode(api::RemovePersonalAccessTokenResponse{details}))
            .details()
            .resource_owner() == "69629023906488334");
}

TEST_CASE("proto codec: audit responses: localized types, editors, payloads", "[grpc]") {
  api::ListUserChangesResponse changes;
  changes.result.push_back({kT, "user.machine.changed", 3, "e", "Editor", "o", "editor"});
  auto c = parsed<mgmt::ListUserChangesResponse>(grpc::encode(changes));
  REQUIRE(c.result_size() == 1);
  CHECK(grpc::from_proto_timestamp(c.result(0).change_date(), "").value() == kT);
  CHECK(c.result(0).event_type().key() == "EventTypes.user.machine.changed");
  CHECK(c.result(0).event_type().localized_message() ==
        domain::event_type_message("user.machine.changed"));
  CHECK(c.result(0).sequence() == 3);
  CHECK(c.result(0).editor_id() == "e");
  CHECK(c.result(0).editor_display_name() == "Editor");
  CHECK(c.result(0).resource_owner_id() == "o");
  CHECK(c.result(0).editor_preferred_login_name() == "editor");
  CHECK(grpc::encode(api::ListUserChangesResponse{}).empty());

  api::ListEventsResponse events;
  events.next_position = 99;  // ours, a header: not in the message
  events.events.push_back({41, "e", "Editor", "7", "user", "o", 3, kT,
                           json{{"name", "n"}, {"accessTokenType", 1}}, "user.machine.changed"});
  events.events.push_back({42, "", "", "8", "org", "o", 1, {}, json(nullptr), "org.added"});
  auto e = parsed<admin::ListEventsResponse>(grpc::encode(events));
  REQUIRE(e.events_size() == 2);
  const auto& first = e.events(0);
  CHECK(first.editor().user_id() == "e");
  CHECK(first.editor().display_name() == "Editor");
  CHECK(first.editor().service() == "zitadel");
  CHECK(first.aggregate().id() == "7");
  CHECK(first.aggregate().type().type() == "user");
  CHECK(first.aggregate().type().localized().key() == "AggregateTypes.user");
  CHECK(first.aggregate().resource_owner() == "o");
  CHECK(first.sequence() == 3);
  CHECK(first.type().type() == "user.machine.changed");
  CHECK(first.type().localized().key() == "EventTypes.user.machine.changed");
  CHECK(first.payload().fields().at("accessTokenType").number_value() == 1.0);
  CHECK(grpc::from_proto_struct(first.payload()) == json{{"name", "n"}, {"accessTokenType", 1}});
  CHECK_FALSE(e.events(1).has_payload());
  CHECK_FALSE(e.events(1).has_creation_date());
  CHECK(e.events(1).editor().service() == "zitadel");
  // The same response is the same bytes (a Struct's keys in order, not in hash order),
  // and our cursor is not among them.
  for (char k = 'a'; k <= 'p'; ++k) events.events[0].payload[std::string(3, k)] = k;
  api::ListEventsResponse without_cursor = events;
  without_cursor.next_position = 0;
  CHECK(grpc::encode(without_cursor) == grpc::encode(events));

  auto types = parsed<admin::ListEventTypesResponse>(
      grpc::encode(api::ListEventTypesResponse{{"user.locked", "org.added"}}));
  REQUIRE(types.event_types_size() == 2);
  CHECK(types.event_types(1).type() == "org.added");
  CHECK(types.event_types(1).localized().key() == "EventTypes.org.added");
  auto aggregates = parsed<admin::ListAggregateTypesResponse>(
      grpc::encode(api::ListAggregateTypesResponse{{"user"}}));
  REQUIRE(aggregates.aggregate_types_size() == 1);
  CHECK(aggregates.aggregate_types(0).localized().localized_message() ==
        domain::aggregate_type_message("user"));
}

TEST_CASE("proto codec: JSON <-> google.protobuf.Struct", "[grpc]") {
  const json doc =
      json::parse(R"({"s":"x","t":true,"f":false,"n":null,"i":-3,"u":18446744073709551615,
                                   "d":1.5,"a":[1,"two",[null],{"k":{}}],"o":{"deep":{"x":[]}}})");
  auto s = grpc::to_proto_struct(doc);
  const auto& f = s.fields();
  CHECK(f.at("s").string_value() == "x");
  CHECK(f.at("t").bool_value());
  CHECK(f.at("f").kind_case() == google::protobuf::Value::kBoolValue);
  CHECK(f.at("n").kind_case() == google::protobuf::Value::kNullValue);
  CHECK(f.at("i").number_value() == -3.0);
  CHECK(f.at("u").number_value() == 18446744073709551615.0);  // a double, rounded
  CHECK(f.at("d").number_value() == 1.5);
  CHECK(f.at("a").list_value().values_size() == 4);
  CHECK(f.at("o")
            .struct_value()
            .fields()
            .at("deep")
            .struct_value()
            .fields()
            .at("x")
            .has_list_value());

  json back = grpc::from_proto_struct(s);
  CHECK(back["i"] == -3);
  CHECK(back["i"].is_number_integer());
  CHECK(back["d"] == 1.5);
  CHECK(back["u"].is_number_float());  // beyond 2^53: stays a double
  back.erase("u");
  json expected = doc;
  expected.erase("u");
  CHECK(back == expected);

  CHECK(grpc::to_proto_struct(json::array({1})).fields().empty());
  CHECK(grpc::from_proto_struct({}) == json::object());
}

TEST_CASE("proto codec: grpc-status-details-bin: a google.rpc.Status with ZITADEL's ErrorDetail",
          "[grpc]") {
  domain::Error e{Code::NotFound, "COMMAND-5M0od", "User could not be found"};
  auto bytes = grpc::status_details(e);
  REQUIRE(bytes);
  google::rpc::Status status;
  REQUIRE(status.ParseFromString(*bytes));
  CHECK(status.code() == 5);
  CHECK(status.message() == "User could not be found (COMMAND-5M0od)");
  REQUIRE(status.details_size() == 1);
  CHECK(status.details(0).type_url() == "type.googleapis.com/zitadel.v1.ErrorDetail");
  zitadel::v1::ErrorDetail detail;
  REQUIRE(status.details(0).UnpackTo(&detail));
  CHECK(detail.id() == "COMMAND-5M0od");
  CHECK(detail.message() == "User could not be found");

  CHECK(grpc::decode_status_details(*bytes) == e);
  CHECK_FALSE(grpc::decode_status_details("\xff"));
  google::rpc::Status without;
  without.set_code(3);
  CHECK_FALSE(grpc::decode_status_details(without.SerializeAsString()));

  // Validation errors have no id and no details: no trailer, as grpc-go sends none.
  CHECK_FALSE(grpc::status_details(domain::invalid_argument("invalid UpdateMachineRequest.Name")));
}
