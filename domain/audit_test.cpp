#include "domain/audit.hpp"

#include <catch2/catch.hpp>

using namespace mu::domain;
// validate() is called qualified: the generated protos declare a namespace ::validate
// (protoc-gen-validate's package), which a unity batch may bring in beside this file.

TEST_CASE("event and aggregate types have ZITADEL's keys and English texts") {
  CHECK(event_type_key("user.machine.changed") == "EventTypes.user.machine.changed");
  CHECK(event_type_message("user.machine.changed") == "Technical user changed");
  CHECK(event_type_message("user.locked") == "User locked");
  // A type without a text reads as its key.
  CHECK(event_type_message("user.something.new") == "EventTypes.user.something.new");
  CHECK(aggregate_type_key("org") == "AggregateTypes.org");
  CHECK(aggregate_type_message("org") == "Organization");
  CHECK(aggregate_type_message("project") == "AggregateTypes.project");
}

TEST_CASE("a change query's limit is 1 to 1000, and 0 means 1000") {
  CHECK(page_size(0) == 1000);
  CHECK(page_size(1) == 1);
  CHECK(page_size(1000) == 1000);
  CHECK(page_size(1001) == 1000);
  CHECK(page_size(4000000000u) == 1000);
}

TEST_CASE("a change query needs a user id of 1 to 200 characters") {
  CHECK_FALSE(mu::domain::validate(UserChangesQuery{"123"}));
  for (const std::string& bad : {std::string(), std::string(201, '1')}) {
    const auto e = mu::domain::validate(UserChangesQuery{bad});
    REQUIRE(e);
    CHECK(e->code == Code::InvalidArgument);
    CHECK(e->message.find("UserId") != std::string::npos);
  }
}

TEST_CASE("an events query takes at most 30 event types and 10 aggregate types") {
  EventsQuery q;
  CHECK_FALSE(mu::domain::validate(q));
  q.event_types.assign(30, "user.machine.changed");
  q.aggregate_types.assign(10, "user");
  CHECK_FALSE(mu::domain::validate(q));

  auto refused = [](const EventsQuery& bad, std::string_view field) {
    const auto e = mu::domain::validate(bad);
    REQUIRE(e);
    CHECK(e->code == Code::InvalidArgument);
    CHECK(e->message.find(field) != std::string::npos);
  };
  auto more = q;
  more.event_types.emplace_back("user.locked");
  refused(more, "EventTypes: value must contain no more than 30 item(s)");
  more = q;
  more.aggregate_types.emplace_back("org");
  refused(more, "AggregateTypes: value must contain no more than 10 item(s)");
  more = q;
  more.event_types[3] = "";
  refused(more, "EventTypes");
  more = q;
  more.aggregate_types[0] = "\xff";
  refused(more, "AggregateTypes");
}

TEST_CASE("an events query's ids are at most 200 characters and its range is not empty") {
  EventsQuery q;
  q.editor_user_id = std::string(201, '1');
  CHECK(mu::domain::validate(q)->message.find("EditorUserId") != std::string::npos);
  q = {};
  q.aggregate_id = std::string(201, '1');
  CHECK(mu::domain::validate(q)->message.find("AggregateId") != std::string::npos);
  q = {};
  q.resource_owner = std::string(201, '1');
  CHECK(mu::domain::validate(q)->message.find("ResourceOwner") != std::string::npos);
  q = {};
  q.since = *parse_rfc3339("2026-11-28T10:00:00Z");
  q.until = q.since;
  CHECK(mu::domain::validate(q)->message.find("Range") != std::string::npos);
  q.until = *parse_rfc3339("2026-11-28T10:00:01Z");
  CHECK_FALSE(mu::domain::validate(q));
  q.since.reset();  // either bound alone is fine
  CHECK_FALSE(mu::domain::validate(q));
}

namespace {

StoredEvent event_at(std::uint64_t seq, std::string type, nlohmann::json payload, int second) {
  StoredEvent e;
  e.aggregate_type = "user";
  e.aggregate_id = "u1";
  e.sequence = seq;
  e.type = std::move(type);
  e.payload = std::move(payload);
  e.owner = "org1";
  e.created_at = *parse_rfc3339("2026-11-28T10:00:0" + std::to_string(second) + "Z");
  return e;
}

}  // namespace

TEST_CASE("asOf is a sequence or an RFC 3339 timestamp") {
  CHECK(parse_as_of("3")->sequence == 3u);
  CHECK_FALSE(parse_as_of("3")->time);
  const auto t = parse_as_of("2026-11-28T10:00:02.5+01:00");
  REQUIRE(t.ok());
  CHECK(t->time == parse_rfc3339("2026-11-28T09:00:02.5Z"));
  for (const char* bad :
       {"", "0", "-1", "12345678901234567890", "yesterday", "2026-13-01T00:00:00Z", "3 ", "0x10"}) {
    const auto e = parse_as_of(bad);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == Code::InvalidArgument);
  }
}

TEST_CASE("a user as of a sequence or a time is folded by the write model's apply") {
  const std::vector<StoredEvent> events = {
      event_at(1, "user.machine.added", {{"userName", "bot"}, {"name", "first"}}, 1),
      event_at(2, "user.machine.changed", {{"name", "second"}}, 3),
      event_at(3, "user.locked", nlohmann::json::object(), 5),
      event_at(4, "user.removed", {{"userName", "bot"}}, 7),
  };
  auto at = user_as_of(events, AsOf{2, std::nullopt});
  REQUIRE(at);
  CHECK(at->user.name == "second");
  CHECK(at->user.state == UserState::Active);
  CHECK(at->user.sequence == 2);
  CHECK(at->creation_date == events[0].created_at);
  CHECK(at->change_date == events[1].created_at);

  // By time: the last event written at or before it.
  at = user_as_of(events, AsOf{std::nullopt, parse_rfc3339("2026-11-28T10:00:06Z")});
  REQUIRE(at);
  CHECK(at->user.state == UserState::Locked);
  CHECK(at->user.sequence == 3);
  at = user_as_of(events, AsOf{std::nullopt, events[2].created_at});
  REQUIRE(at);
  CHECK(at->user.sequence == 3);

  // After its removal: still readable, as deleted. Before its creation: none.
  at = user_as_of(events, AsOf{99, std::nullopt});
  REQUIRE(at);
  CHECK(at->user.state == UserState::Deleted);
  CHECK(at->user.name == "second");
  CHECK_FALSE(user_as_of(events, AsOf{std::nullopt, parse_rfc3339("2026-11-28T10:00:00Z")}));
  CHECK_FALSE(user_as_of({}, AsOf{1, std::nullopt}));
}
