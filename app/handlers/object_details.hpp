// The parts many responses share, filled from what the command core and the read
// models know: zitadel.v1.ObjectDetails, and the localized event and aggregate types.
#pragma once

#include <string>

#include "app/commands/call_context.hpp"
#include "zitadel/event.pb.h"
#include "zitadel/object.pb.h"

namespace mu::handlers {

// Times at the epoch (not known) are left out.
void fill_details(const api::ObjectDetails& d, zitadel::v1::ObjectDetails& out);

// A response whose only field is `details`.
template <class Response>
Response details_response(const api::ObjectDetails& d) {
  Response res;
  fill_details(d, *res.mutable_details());
  return res;
}

void fill_event_type(const std::string& type, zitadel::event::v1::EventType& out);
void fill_aggregate_type(const std::string& type, zitadel::event::v1::AggregateType& out);

}  // namespace mu::handlers
