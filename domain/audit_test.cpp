#include "domain/audit.hpp"

#include <catch2/catch.hpp>

using namespace mu::domain;

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

TEST_CASE("a change query's limit is 1 to 1000; 0 means 1000") {
  CHECK(page_size(0) == 1000);
  CHECK(page_size(1) == 1);
  CHECK(page_size(1000) == 1000);
  CHECK(page_size(1001) == 1000);
  CHECK(page_size(4000000000u) == 1000);
}

TEST_CASE("a change query needs a user id of 1 to 200 characters") {
  CHECK_FALSE(validate(UserChangesQuery{"123"}));
  for (const std::string& bad : {std::string(), std::string(201, '1')}) {
    const auto e = validate(UserChangesQuery{bad});
    REQUIRE(e);
    CHECK(e->code == Code::InvalidArgument);
    CHECK(e->message.find("UserId") != std::string::npos);
  }
}
