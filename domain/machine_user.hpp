// The machine-user aggregate: its events, its write model (reduced from the
// events) and the decisions of its commands. Pure: no I/O, no clock, no ids.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/event.hpp"
#include "domain/result.hpp"
#include "domain/time.hpp"

namespace mu::domain {

inline constexpr std::string_view kUserAggregate = "user";

namespace event_type {
inline constexpr std::string_view kMachineAdded = "user.machine.added";
inline constexpr std::string_view kMachineChanged = "user.machine.changed";
inline constexpr std::string_view kDeactivated = "user.deactivated";
inline constexpr std::string_view kReactivated = "user.reactivated";
inline constexpr std::string_view kLocked = "user.locked";
inline constexpr std::string_view kUnlocked = "user.unlocked";
inline constexpr std::string_view kRemoved = "user.removed";
inline constexpr std::string_view kPatAdded = "user.personal.access.token.added";
inline constexpr std::string_view kPatRemoved = "user.personal.access.token.removed";
inline constexpr std::string_view kSecretSet = "user.machine.secret.set";
inline constexpr std::string_view kSecretRemoved = "user.machine.secret.removed";
inline constexpr std::string_view kKeyAdded = "user.machine.key.added";
inline constexpr std::string_view kKeyRemoved = "user.machine.key.removed";
inline constexpr std::string_view kTokenIssued = "user.token.v2.added";
inline constexpr std::string_view kTokenRevoked = "user.token.removed";
}  // namespace event_type
// PAT payloads: added {"tokenId", "expiration" (RFC 3339), "tokenHash" (hex SHA-256 of the
// token; the token itself is never stored)}; removed {"tokenId"}.
// Credential payloads (ZITADEL's): secret set {"hashedSecret"} (the salted hash alone, see
// client_secret.hpp), secret removed {}; key added {"keyId", "type" (1: JSON),
// "expirationDate" (RFC 3339), "publicKey" (the PKIX PEM, base64 as ZITADEL's []byte)};
// key removed {"keyId"}. The commands are in machine_credentials.hpp.
// An OAuth access token issued by the token endpoint (IssueToken): {"tokenId", "tokenType"
// ("bearer" or "jwt"), "expiration" (RFC 3339), "audience" [...], "scopes" [...], "grant"
// ("client_credentials" or "jwt-bearer"), "keyId" (jwt-bearer), "tokenHash" (hex SHA-256,
// opaque tokens only)}: never the token. Revoked (RevokeToken): user.token.removed {"tokenId"}.

// zitadel.user.v1.AccessTokenType; the numbers are the wire values.
enum class AccessTokenType { Bearer = 0, Jwt = 1 };

// zitadel.user.v1.UserState; the numbers are the wire values.
enum class UserState {
  Unspecified = 0,
  Active = 1,
  Inactive = 2,
  Deleted = 3,
  Locked = 4,
  Suspend = 5,
  Initial = 6,
};

std::string_view to_string(AccessTokenType t);  // "ACCESS_TOKEN_TYPE_BEARER"
std::string_view to_string(UserState s);        // "USER_STATE_ACTIVE"

// The write model. `sequence` is the last event reduced (0: no such stream).
struct MachineUser {
  std::string id;
  std::string owner;  // organization id
  std::string user_name;
  std::string name;
  std::string description;
  AccessTokenType access_token_type = AccessTokenType::Bearer;
  UserState state = UserState::Unspecified;
  std::uint64_t sequence = 0;
  std::map<std::string, Timestamp> tokens;  // personal access token id -> expiration
  bool has_secret = false;                  // a client secret is set (its hash is not kept here)
  std::map<std::string, Timestamp> keys;    // machine key id -> expiration
  // No other dates: no decision needs them. Dates a call returns come from the read
  // model, whose values the database's clock sets (events' created_at).

  bool exists() const { return state != UserState::Unspecified && state != UserState::Deleted; }
  friend bool operator==(const MachineUser&, const MachineUser&) = default;
};

// Folds one event into the write model. Unknown event types are ignored, so that
// events added later (PATs, keys, ...) leave older reducers working.
void apply(MachineUser& user, const StoredEvent& event);

// The state a lifecycle event (deactivated, reactivated, locked, unlocked) leads
// to; nullopt for any other event. Shared by the write model and the read model.
std::optional<UserState> state_after(std::string_view event_type);
MachineUser reduce(const std::vector<StoredEvent>& events);

// The write model as stored beside the stream head (the snapshot), so that a
// command loads its state with one read. A snapshot of another revision is
// ignored and the stream replayed instead. Written as JSON text (every write stores one);
// read back from the JSON document the stream head holds.
inline constexpr int kMachineUserSnapshotRevision = 3;  // 2: with tokens; 3: secret, keys
std::string to_snapshot(const MachineUser& user);
std::optional<MachineUser> from_snapshot(const nlohmann::json& snapshot, int revision);

// ---- Commands ---------------------------------------------------------------
// Each command is validated first (request validation, InvalidArgument with
// protoc-gen-validate's wording), then decided against the write model.

struct AddMachineUser {
  std::string user_id;  // given by the caller or generated before deciding
  std::string org_id;   // the organization the call acts in
  std::string user_name;
  std::string name;
  std::string description;
  AccessTokenType access_token_type = AccessTokenType::Bearer;
};

struct UpdateMachine {
  std::string user_id;
  std::string org_id;
  std::string name;
  std::string description;
  AccessTokenType access_token_type = AccessTokenType::Bearer;
};

enum class Lifecycle { Deactivate, Reactivate, Lock, Unlock, Remove };

struct ChangeUserState {
  Lifecycle action = Lifecycle::Deactivate;
  std::string user_id;
  std::string org_id;
};

// A personal access token: the handler makes the token and its id; the events
// carry only the token's hash. Without an expiration it never expires (as in ZITADEL).
inline const Timestamp kNoExpiration =
    from_unix_micros(253402300799000000LL);  // 9999-12-31T23:59:59Z

struct AddPersonalAccessToken {
  std::string user_id;
  std::string org_id;
  std::string token_id;
  std::string token_hash;  // hex SHA-256
  Timestamp expiration = kNoExpiration;
  Timestamp now{};  // to refuse an expiration in the past
};

struct RemovePersonalAccessToken {
  std::string user_id;
  std::string org_id;
  std::string token_id;
};

// Request validation: InvalidArgument errors without an id.
std::optional<Error> validate(const AddMachineUser& cmd);
std::optional<Error> validate(const UpdateMachine& cmd);
std::optional<Error> validate(const ChangeUserState& cmd);
std::optional<Error> validate(const AddPersonalAccessToken& cmd);
std::optional<Error> validate(const RemovePersonalAccessToken& cmd);
// GetUserByID's only rule: the id is 1..200 characters.
std::optional<Error> validate_user_id(std::string_view request_name, std::string_view user_id);

// Decisions: the events to append, or why not.
Result<std::vector<NewEvent>> decide(const MachineUser& user, const AddMachineUser& cmd);
Result<std::vector<NewEvent>> decide(const MachineUser& user, const UpdateMachine& cmd);
Result<std::vector<NewEvent>> decide(const MachineUser& user, const ChangeUserState& cmd);
Result<std::vector<NewEvent>> decide(const MachineUser& user, const AddPersonalAccessToken& cmd);
Result<std::vector<NewEvent>> decide(const MachineUser& user, const RemovePersonalAccessToken& cmd);

// The user-name uniqueness key within an organization (case-insensitive).
std::string user_name_unique_key(std::string_view org_id, std::string_view user_name);
inline constexpr std::string_view kUserNameUniqueType = "usernames";

// What the events do to unique user names: an added user claims its name in its
// organization, a removed one frees it.
struct UniqueNameChanges {
  std::vector<std::string> claim;
  std::vector<std::string> release;
};
UniqueNameChanges unique_name_changes(const MachineUser& before, std::string_view owner,
                                      const std::vector<NewEvent>& events);

}  // namespace mu::domain
