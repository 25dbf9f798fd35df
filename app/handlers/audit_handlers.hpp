// Audit calls: who changed what, and when.
#pragma once

#include "app/commands/backend.hpp"
#include "app/commands/call_context.hpp"
#include "domain/result.hpp"
#include "zitadel/admin.pb.h"
#include "zitadel/management.pb.h"

namespace mu::handlers {

using commands::Backend;

namespace mgmt = zitadel::management::v1;
namespace admin = zitadel::admin::v1;

// One user's events in the organization the call acts in, with their editors' names.
domain::Result<mgmt::ListUserChangesResponse> list_user_changes(
    Backend& b, const api::CallContext& ctx, const mgmt::ListUserChangesRequest& req);

// The events of every filter, a page in (transaction, position) order, after
// ctx.extras.after_position; where the next page starts goes to ctx.reply. An
// organization's role (ORG_OWNER) sees its organization's events alone.
domain::Result<admin::ListEventsResponse> list_events(Backend& b, const api::CallContext& ctx,
                                                      const admin::ListEventsRequest& req);

// The types this service writes.
domain::Result<admin::ListEventTypesResponse> list_event_types(
    Backend& b, const api::CallContext& ctx, const admin::ListEventTypesRequest& req);
domain::Result<admin::ListAggregateTypesResponse> list_aggregate_types(
    Backend& b, const api::CallContext& ctx, const admin::ListAggregateTypesRequest& req);

}  // namespace mu::handlers
