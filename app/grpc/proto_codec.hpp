// The RPCs' messages in protobuf, for gRPC and gRPC-Web: request bytes in, response
// bytes out, the same api structs as the REST/JSON codec (app/rest/messages_json.hpp).
// The messages are ZITADEL's (proto/zitadel/*.proto): every id comes from the message,
// there is no path. Fields at their default are absent on the wire, as proto3 has it:
// an empty string, 0 or the enum's first value is what the REST path reads for a field
// left out, and validation decides as it does there.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "app/handlers/api.hpp"
#include "domain/error.hpp"
#include "domain/result.hpp"

namespace mu::grpc {

// Bytes that do not parse as the request message are what grpc-go (ZITADEL's server)
// answers before any handler runs: Internal, "grpc: error unmarshalling request: ...".
domain::Result<api::AddMachineUserRequest> decode_add_machine_user(std::string_view bytes);
domain::Result<api::UpdateMachineRequest> decode_update_machine(std::string_view bytes);
domain::Result<api::GetUserByIDRequest> decode_get_user_by_id(std::string_view bytes);
// Deactivate/Reactivate/Lock/Unlock/RemoveUserRequest: `action` names the message.
domain::Result<api::UserLifecycleRequest> decode_user_lifecycle(std::string_view bytes,
                                                                domain::Lifecycle action);
domain::Result<api::AddPersonalAccessTokenRequest> decode_add_personal_access_token(
    std::string_view bytes);
domain::Result<api::RemovePersonalAccessTokenRequest> decode_remove_personal_access_token(
    std::string_view bytes);
domain::Result<api::AddOrgRequest> decode_add_org(std::string_view bytes);
domain::Result<api::GetMyOrgRequest> decode_get_my_org(std::string_view bytes);
// Add/UpdateOrgMemberRequest and Add/UpdateIAMMemberRequest: one wire shape
// {string user_id = 1; repeated string roles = 2;}.
domain::Result<api::AddMemberRequest> decode_member(std::string_view bytes);
// RemoveOrgMemberRequest and RemoveIAMMemberRequest: {string user_id = 1;}.
domain::Result<api::RemoveMemberRequest> decode_remove_member(std::string_view bytes);
domain::Result<api::ListUserChangesRequest> decode_list_user_changes(std::string_view bytes);
// ZITADEL's filters only: our position cursor (after_position) is not in the message.
domain::Result<api::ListEventsRequest> decode_list_events(std::string_view bytes);
domain::Result<api::ListEventTypesRequest> decode_list_event_types(std::string_view bytes);
domain::Result<api::ListAggregateTypesRequest> decode_list_aggregate_types(std::string_view bytes);

// The serialized response messages.
std::string encode(const api::AddMachineUserResponse& r);
std::string encode(const api::UpdateMachineResponse& r);
std::string encode(const api::GetUserByIDResponse& r);
std::string encode(const api::UserLifecycleResponse& r);  // every lifecycle response: {details}
std::string encode(const api::AddPersonalAccessTokenResponse& r);
std::string encode(const api::RemovePersonalAccessTokenResponse& r);
std::string encode(const api::AddOrgResponse& r);
std::string encode(const api::GetMyOrgResponse& r);
std::string encode(const api::ListUserChangesResponse& r);
std::string encode(const api::ListEventsResponse& r);  // next_position is not in the message
std::string encode(const api::ListEventTypesResponse& r);
std::string encode(const api::ListAggregateTypesResponse& r);
std::string encode(const api::MemberResponse& r);  // every member response: {details}

// The `grpc-status-details-bin` trailer's value (before base64): a serialized
// google.rpc.Status {code, message = e.full_message(), details = [Any{zitadel.v1.ErrorDetail
// {id, message}}]}. nullopt for an error without an id (validation errors): grpc-go sends
// the trailer only when the status has details, and ZITADEL's validation errors have none.
std::optional<std::string> status_details(const domain::Error& e);

// The reverse, for clients and tests: the error in a grpc-status-details-bin value, from
// its first zitadel.v1.ErrorDetail (nullopt when the bytes are no google.rpc.Status or
// carry no such detail).
std::optional<domain::Error> decode_status_details(std::string_view bytes);

}  // namespace mu::grpc
