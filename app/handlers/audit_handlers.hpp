// Audit calls: who changed what, and when.
#pragma once

#include "app/handlers/api.hpp"
#include "app/handlers/backend.hpp"
#include "domain/result.hpp"

namespace mu::handlers {

// zitadel.management.v1.ManagementService/ListUserChanges: one user's events in the
// organization the call acts in, with their editors' names.
domain::Result<api::ListUserChangesResponse> list_user_changes(
    Backend& b, const api::CallContext& ctx, const api::ListUserChangesRequest& req);

// zitadel.admin.v1.AdminService/ListEvents: the events of every filter, a page in
// (transaction, position) order, and where the next page starts. An organization's
// role (ORG_OWNER) sees its organization's events alone.
domain::Result<api::ListEventsResponse> list_events(Backend& b, const api::CallContext& ctx,
                                                    const api::ListEventsRequest& req);

// zitadel.admin.v1.AdminService/ListEventTypes and ListAggregateTypes.
domain::Result<api::ListEventTypesResponse> list_event_types(Backend& b,
                                                             const api::CallContext& ctx,
                                                             const api::ListEventTypesRequest& req);
domain::Result<api::ListAggregateTypesResponse> list_aggregate_types(
    Backend& b, const api::CallContext& ctx, const api::ListAggregateTypesRequest& req);

}  // namespace mu::handlers
