// The parts responses share: details without unknown times, localized types.
#include <catch2/catch.hpp>

#include "app/handlers/object_details.hpp"
#include "zitadel/management.pb.h"

using namespace mu;

TEST_CASE("object details: times at the epoch are left out") {
  const auto t = domain::from_unix_micros(1722428578702123LL);
  auto res = handlers::details_response<zitadel::management::v1::UpdateMachineResponse>(
      {3, t, domain::Timestamp{}, "o"});
  CHECK(res.details().sequence() == 3);
  CHECK(res.details().creation_date().seconds() == 1722428578);
  CHECK_FALSE(res.details().has_change_date());
  CHECK(res.details().resource_owner() == "o");
}

TEST_CASE("event and aggregate types carry ZITADEL's localization keys") {
  zitadel::event::v1::EventType known, unknown;
  handlers::fill_event_type("user.machine.changed", known);
  CHECK(known.type() == "user.machine.changed");
  CHECK(known.localized().key() == "EventTypes.user.machine.changed");
  CHECK(known.localized().localized_message() == "Technical user changed");
  handlers::fill_event_type("x.y", unknown);
  CHECK(unknown.localized().localized_message() == "EventTypes.x.y");
  zitadel::event::v1::AggregateType org;
  handlers::fill_aggregate_type("org", org);
  CHECK(org.localized().key() == "AggregateTypes.org");
  CHECK(org.localized().localized_message() == "Organization");
}
