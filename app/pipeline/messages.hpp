// Any request and any response of the RPCs, as one type each, so that one
// pipeline and one table carry every call. A transport decodes its bytes into a
// Request and encodes a Response; the structs themselves are in api.hpp.
#pragma once

#include <variant>

#include "app/handlers/api.hpp"

namespace mu::pipeline {

using Request =
    std::variant<api::AddMachineUserRequest, api::UpdateMachineRequest, api::GetUserByIDRequest,
                 api::UserLifecycleRequest, api::AddPersonalAccessTokenRequest,
                 api::RemovePersonalAccessTokenRequest, api::AddOrgRequest, api::GetMyOrgRequest,
                 api::AddMemberRequest, api::RemoveMemberRequest, api::ListUserChangesRequest,
                 api::ListEventsRequest, api::ListEventTypesRequest,
                 api::ListAggregateTypesRequest>;

using Response =
    std::variant<api::AddMachineUserResponse, api::UpdateMachineResponse, api::GetUserByIDResponse,
                 api::UserLifecycleResponse, api::AddPersonalAccessTokenResponse,
                 api::RemovePersonalAccessTokenResponse, api::AddOrgResponse, api::GetMyOrgResponse,
                 api::MemberResponse, api::ListUserChangesResponse, api::ListEventsResponse,
                 api::ListEventTypesResponse, api::ListAggregateTypesResponse>;

}  // namespace mu::pipeline
