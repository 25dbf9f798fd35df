// The audit requests as the domain's queries: pure, no database, so that the fuzz
// targets run the very mapping the handlers run.
#pragma once

#include <cstdint>

#include "domain/audit.hpp"
#include "domain/result.hpp"
#include "zitadel/admin.pb.h"

namespace mu::handlers {

// ListEventsRequest's filters, with our position cursor. Of the oneof, range or from;
// without either, the deprecated creation_date acts as from. A time outside
// google.protobuf.Timestamp's range is InvalidArgument naming the field.
domain::Result<domain::EventsQuery> events_query(const zitadel::admin::v1::ListEventsRequest& req,
                                                 std::uint64_t after_position);

}  // namespace mu::handlers
