// The machine-user messages in REST/JSON: request bodies in, responses out.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "app/handlers/api.hpp"
#include "app/pipeline/messages.hpp"
#include "app/pipeline/rpc.hpp"
#include "domain/result.hpp"

namespace mu::rest {

// Path parameters win over body fields of the same name, as in grpc-gateway.
domain::Result<api::AddMachineUserRequest> decode_add_machine_user(std::string_view body);
domain::Result<api::UpdateMachineRequest> decode_update_machine(std::string_view body,
                                                                const std::string& path_user_id);

domain::Result<api::AddPersonalAccessTokenRequest> decode_add_personal_access_token(
    std::string_view body, const std::string& path_user_id);
domain::Result<api::AddOrgRequest> decode_add_org(std::string_view body);
// GetUserByID's path id and query (asOf: a sequence or an RFC 3339 timestamp).
domain::Result<api::GetUserByIDRequest> decode_get_user_by_id(const std::string& path_user_id,
                                                              std::string_view query);
domain::Result<api::ListUserChangesRequest> decode_list_user_changes(
    std::string_view body, const std::string& path_user_id);
// ListEvents: ZITADEL's filters, and afterPosition (ours).
domain::Result<api::ListEventsRequest> decode_list_events(std::string_view body);
// AddOrgMember/AddIAMMember; with a path user id, UpdateOrgMember/UpdateIAMMember.
domain::Result<api::AddMemberRequest> decode_member(std::string_view body,
                                                    const std::string& path_user_id = "");

nlohmann::json encode(const api::ObjectDetails& d);
nlohmann::json encode(const api::AddMachineUserResponse& r);
nlohmann::json encode(const api::UpdateMachineResponse& r);
nlohmann::json encode(const api::GetUserByIDResponse& r);
nlohmann::json encode(const api::UserLifecycleResponse& r);
nlohmann::json encode(const api::AddPersonalAccessTokenResponse& r);
nlohmann::json encode(const api::RemovePersonalAccessTokenResponse& r);
nlohmann::json encode(const api::AddOrgResponse& r);
nlohmann::json encode(const api::GetMyOrgResponse& r);
nlohmann::json encode(const api::ListUserChangesResponse& r);
nlohmann::json encode(const api::ListEventsResponse& r);  // next_position goes in a header
nlohmann::json encode(const api::ListEventTypesResponse& r);
nlohmann::json encode(const api::ListAggregateTypesResponse& r);
nlohmann::json encode(const api::MemberResponse& r);

// Any response as its protojson text: the REST body, and the canonical form that
// the idempotency store keeps for every transport.
std::string encode_json(const pipeline::Response& r);

}  // namespace mu::rest
