// The RPCs' messages, independent of any transport: REST/JSON decodes into
// them today, gRPC/gRPC-Web will decode protobuf into the same structs. Field
// names follow zitadel.management.v1 (our .proto files will carry the numbers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/audit.hpp"
#include "domain/machine_user.hpp"
#include "domain/time.hpp"

namespace mu::api {

// Idempotency-Key of a write: a retry with the same key and request gets the
// first response; the key is recorded with the call's events.
struct IdempotencyKey {
  std::string key;
  std::string request_hash;  // hex SHA-256 of the RPC, its parameters and its body
  std::string rpc;           // e.g. "UpdateMachine"
};

// Who calls and where: the organization the call acts in, and the editor whose
// id every event records as its creator (empty until authentication exists).
struct CallContext {
  std::string org_id;
  std::string editor_id;
  // The call's permission comes from an instance-wide role (IAM_OWNER, IAM_OWNER_VIEWER),
  // not only from one in org_id: instance-wide reads (ListEvents) look at every org.
  bool instance_wide = false;
  // If-Match: the sequence the caller last saw of the object it writes; a write
  // on an object that has moved on since is Aborted instead of applied.
  std::optional<std::uint64_t> expected_sequence = std::nullopt;
  std::optional<IdempotencyKey> idempotency = std::nullopt;
  // The RPC, transport and request id, recorded with every event the call writes.
  domain::Origin origin{};
};

// zitadel.v1.ObjectDetails
struct ObjectDetails {
  std::uint64_t sequence = 0;
  domain::Timestamp creation_date{};
  domain::Timestamp change_date{};
  std::string resource_owner;
};

struct AddMachineUserRequest {
  std::string user_name;
  std::string name;
  std::string description;
  domain::AccessTokenType access_token_type = domain::AccessTokenType::Bearer;
  // Has presence (`optional string user_id = 5`): absent means "generate one"; an
  // explicit "" is refused by validation, as ZITADEL does.
  std::optional<std::string> user_id;
};
struct AddMachineUserResponse {
  std::string user_id;
  ObjectDetails details;
};

struct UpdateMachineRequest {
  std::string user_id;
  std::string description;
  std::string name;
  domain::AccessTokenType access_token_type = domain::AccessTokenType::Bearer;
};
struct UpdateMachineResponse {
  ObjectDetails details;
};

struct GetUserByIDRequest {
  std::string id;
  // Ours (audit): the user as of a sequence or a time, folded from its events
  // instead of read from the read model.
  std::optional<domain::AsOf> as_of = std::nullopt;
};
// zitadel.user.v1.User with its machine part (the only kind this service has).
struct User {
  std::string id;
  ObjectDetails details;
  domain::UserState state = domain::UserState::Unspecified;
  std::string user_name;
  struct Machine {
    std::string name;
    std::string description;
    bool has_secret = false;
    domain::AccessTokenType access_token_type = domain::AccessTokenType::Bearer;
  } machine;
};
struct GetUserByIDResponse {
  User user;
};

// ListUserChanges: zitadel.change.v1.ChangeQuery over one user.
struct ListUserChangesRequest {
  domain::UserChangesQuery query;
};
// zitadel.change.v1.Change
struct Change {
  domain::Timestamp change_date{};
  std::string event_type;  // e.g. "user.machine.changed"
  std::uint64_t sequence = 0;
  std::string editor_id;
  std::string editor_display_name;  // the editor's name; empty for an unknown or system editor
  std::string resource_owner_id;
  std::string editor_preferred_login_name;  // the editor's user name
};
struct ListUserChangesResponse {
  std::vector<Change> result;
};

// Admin ListEvents: zitadel.admin.v1.ListEventsRequest, and our position cursor.
struct ListEventsRequest {
  domain::EventsQuery query;
};
// zitadel.event.v1.Event
struct Event {
  std::int64_t position = 0;  // ours: not in the message; the cursor of the next page
  std::string editor_user_id;
  std::string editor_display_name;  // the editor's name; empty for an unknown or system editor
  std::string aggregate_id;
  std::string aggregate_type;
  std::string resource_owner;
  std::uint64_t sequence = 0;
  domain::Timestamp creation_date{};
  nlohmann::json payload;  // a google.protobuf.Struct: the event's JSON object
  std::string type;
};
struct ListEventsResponse {
  std::vector<Event> events;
  // Ours: where the next page in the same direction starts (the last event's position,
  // or the request's cursor when the page is empty). Sent as a header, not in the body.
  std::uint64_t next_position = 0;
};

// Admin ListEventTypes / ListAggregateTypes: empty requests; the types this
// service writes.
struct ListEventTypesRequest {};
struct ListAggregateTypesRequest {};
struct ListEventTypesResponse {
  std::vector<std::string> event_types;
};
struct ListAggregateTypesResponse {
  std::vector<std::string> aggregate_types;
};

// Deactivate/Reactivate/Lock/Unlock/RemoveUser share one shape: {id} -> {details}.
struct UserLifecycleRequest {
  domain::Lifecycle action = domain::Lifecycle::Deactivate;
  std::string id;
};
struct UserLifecycleResponse {
  ObjectDetails details;
};

struct AddPersonalAccessTokenRequest {
  std::string user_id;
  std::optional<domain::Timestamp> expiration_date;  // none: never expires
};
struct AddPersonalAccessTokenResponse {
  std::string token_id;
  std::string token;  // shown here once; only its SHA-256 is stored
  ObjectDetails details;
};

struct RemovePersonalAccessTokenRequest {
  std::string user_id;
  std::string token_id;
};
struct RemovePersonalAccessTokenResponse {
  ObjectDetails details;
};

struct AddOrgRequest {
  std::string name;
};
struct AddOrgResponse {
  std::string id;
  ObjectDetails details;
};

struct GetMyOrgRequest {};
// zitadel.org.v1.Org
struct Org {
  std::string id;
  ObjectDetails details;
  std::string name;
};
struct GetMyOrgResponse {
  Org org;
};

// Add/UpdateOrgMember (in the organization the call acts in) and Add/UpdateIAMMember
// (instance-wide): a user and its roles.
struct AddMemberRequest {
  std::string user_id;
  std::vector<std::string> roles;
};
struct RemoveMemberRequest {
  std::string user_id;
};
struct MemberResponse {
  ObjectDetails details;
};

}  // namespace mu::api
