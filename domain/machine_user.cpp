#include "domain/machine_user.hpp"

#include "domain/json_text.hpp"

#include <algorithm>

#include "domain/unicode.hpp"
#include "domain/validation.hpp"

namespace mu::domain {

std::string_view to_string(AccessTokenType t) {
  switch (t) {
    case AccessTokenType::Bearer:
      return "ACCESS_TOKEN_TYPE_BEARER";
    case AccessTokenType::Jwt:
      return "ACCESS_TOKEN_TYPE_JWT";
  }
  return "ACCESS_TOKEN_TYPE_BEARER";
}

std::string_view to_string(UserState s) {
  switch (s) {
    case UserState::Unspecified:
      return "USER_STATE_UNSPECIFIED";
    case UserState::Active:
      return "USER_STATE_ACTIVE";
    case UserState::Inactive:
      return "USER_STATE_INACTIVE";
    case UserState::Deleted:
      return "USER_STATE_DELETED";
    case UserState::Locked:
      return "USER_STATE_LOCKED";
    case UserState::Suspend:
      return "USER_STATE_SUSPEND";
    case UserState::Initial:
      return "USER_STATE_INITIAL";
  }
  return "USER_STATE_UNSPECIFIED";
}

// ---- Reducing ----------------------------------------------------------------

namespace {

AccessTokenType token_type_from(const nlohmann::json& payload, AccessTokenType fallback) {
  return payload_int(payload, "accessTokenType", static_cast<int>(fallback)) == 1
             ? AccessTokenType::Jwt
             : AccessTokenType::Bearer;
}

}  // namespace

std::optional<UserState> state_after(std::string_view type) {
  if (type == event_type::kDeactivated) return UserState::Inactive;
  if (type == event_type::kReactivated || type == event_type::kUnlocked) return UserState::Active;
  if (type == event_type::kLocked) return UserState::Locked;
  return std::nullopt;
}

void apply(MachineUser& user, const StoredEvent& e) {
  const auto& p = e.payload.is_object() ? e.payload : nlohmann::json::object();
  if (e.type == event_type::kMachineAdded) {
    // A removed user's id may be added again (as in ZITADEL): a fresh start.
    user = MachineUser{};
    user.id = e.aggregate_id;
    user.owner = e.owner;
    user.user_name = payload_string(p, "userName", "");
    user.name = payload_string(p, "name", "");
    user.description = payload_string(p, "description", "");
    user.access_token_type = token_type_from(p, AccessTokenType::Bearer);
    user.state = UserState::Active;
  } else if (e.type == event_type::kMachineChanged) {
    user.name = payload_string(p, "name", user.name);
    user.description = payload_string(p, "description", user.description);
    user.access_token_type = token_type_from(p, user.access_token_type);
  } else if (auto state = state_after(e.type)) {
    user.state = *state;
  } else if (e.type == event_type::kRemoved) {
    user.state = UserState::Deleted;
    user.tokens.clear();
    user.has_secret = false;
    user.keys.clear();
  } else if (e.type == event_type::kSecretSet) {
    user.has_secret = true;
  } else if (e.type == event_type::kSecretRemoved) {
    user.has_secret = false;
  } else if (e.type == event_type::kKeyAdded) {
    auto expiration = parse_rfc3339(payload_string(p, "expirationDate", ""));
    user.keys[payload_string(p, "keyId", "")] = expiration.value_or(kNoExpiration);
  } else if (e.type == event_type::kKeyRemoved) {
    user.keys.erase(payload_string(p, "keyId", ""));
  } else if (e.type == event_type::kPatAdded) {
    auto expiration = parse_rfc3339(payload_string(p, "expiration", ""));
    user.tokens[payload_string(p, "tokenId", "")] = expiration.value_or(kNoExpiration);
  } else if (e.type == event_type::kPatRemoved) {
    user.tokens.erase(payload_string(p, "tokenId", ""));
  } else {
    // Not ours to reduce; the sequence still moves (below), as the stream did.
  }
  user.sequence = e.sequence;
}

MachineUser reduce(const std::vector<StoredEvent>& events) {
  MachineUser user;
  for (const auto& e : events) apply(user, e);
  return user;
}

// ---- Snapshot ----------------------------------------------------------------

std::string to_snapshot(const MachineUser& u) {
  std::string out;
  out.reserve(160 + u.id.size() + u.owner.size() + u.user_name.size() + u.name.size() +
              u.description.size() + 40 * (u.tokens.size() + u.keys.size()));
  JsonObjectText snapshot(out);
  snapshot.string("id", u.id)
      .string("owner", u.owner)
      .string("userName", u.user_name)
      .string("name", u.name)
      .string("description", u.description)
      .integer("accessTokenType", static_cast<int>(u.access_token_type))
      .integer("state", static_cast<int>(u.state))
      .unsigned_integer("sequence", u.sequence);
  auto tokens = snapshot.object("tokens");
  for (const auto& [id, expiration] : u.tokens) tokens.integer(id, to_unix_micros(expiration));
  tokens.close();
  snapshot.boolean("hasSecret", u.has_secret);
  auto keys = snapshot.object("keys");
  for (const auto& [id, expiration] : u.keys) keys.integer(id, to_unix_micros(expiration));
  keys.close();
  snapshot.close();
  return out;
}

std::optional<MachineUser> from_snapshot(const nlohmann::json& s, int revision) {
  if (revision != kMachineUserSnapshotRevision || !s.is_object()) return std::nullopt;
  try {
    MachineUser u;
    u.id = s.at("id").get<std::string>();
    u.owner = s.at("owner").get<std::string>();
    u.user_name = s.at("userName").get<std::string>();
    u.name = s.at("name").get<std::string>();
    u.description = s.at("description").get<std::string>();
    u.access_token_type = static_cast<AccessTokenType>(s.at("accessTokenType").get<int>());
    u.state = static_cast<UserState>(s.at("state").get<int>());
    u.sequence = s.at("sequence").get<std::uint64_t>();
    for (const auto& [id, expiration] : s.at("tokens").items()) {
      u.tokens[id] = from_unix_micros(expiration.get<long long>());
    }
    u.has_secret = s.at("hasSecret").get<bool>();
    for (const auto& [id, expiration] : s.at("keys").items()) {
      u.keys[id] = from_unix_micros(expiration.get<long long>());
    }
    return u;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // unreadable: the caller replays the stream instead
  }
}

// ---- Validation --------------------------------------------------------------
// Wording as protoc-gen-validate words it, which ZITADEL returns unchanged.

namespace {

std::optional<Error> check_token_type(std::string_view request, AccessTokenType t) {
  if (t == AccessTokenType::Bearer || t == AccessTokenType::Jwt) return std::nullopt;
  return invalid_argument("invalid " + std::string(request) +
                          ".AccessTokenType: value must be one of the defined enum values");
}

std::string_view request_name(Lifecycle a) {
  switch (a) {
    case Lifecycle::Deactivate:
      return "DeactivateUserRequest";
    case Lifecycle::Reactivate:
      return "ReactivateUserRequest";
    case Lifecycle::Lock:
      return "LockUserRequest";
    case Lifecycle::Unlock:
      return "UnlockUserRequest";
    case Lifecycle::Remove:
      return "RemoveUserRequest";
  }
  return "Request";
}

}  // namespace

std::optional<Error> validate_user_id(std::string_view request, std::string_view user_id) {
  return check_length(request, "Id", user_id, 1, 200);
}

std::optional<Error> validate(const AddMachineUser& c) {
  constexpr std::string_view r = "AddMachineUserRequest";
  return first_error([&] { return check_length(r, "UserName", c.user_name, 1, 200); },
                     [&] { return check_length(r, "Name", c.name, 1, 200); },
                     [&] { return check_length(r, "Description", c.description, 0, 500); },
                     [&] { return check_token_type(r, c.access_token_type); },
                     // The caller's id or a generated one: the bounds of every user id.
                     [&] { return check_length(r, "UserId", c.user_id, 1, 200); });
}

std::optional<Error> validate(const UpdateMachine& c) {
  constexpr std::string_view r = "UpdateMachineRequest";
  return first_error([&] { return check_length(r, "UserId", c.user_id, 1, 200); },
                     [&] { return check_length(r, "Description", c.description, 0, 500); },
                     [&] { return check_length(r, "Name", c.name, 1, 200); },
                     [&] { return check_token_type(r, c.access_token_type); });
}

std::optional<Error> validate(const ChangeUserState& c) {
  return validate_user_id(request_name(c.action), c.user_id);
}

std::optional<Error> validate(const AddPersonalAccessToken& c) {
  if (auto e = check_length("AddPersonalAccessTokenRequest", "UserId", c.user_id, 1, 200)) return e;
  if (c.expiration <= c.now) {
    return invalid_argument(
        "invalid AddPersonalAccessTokenRequest.ExpirationDate: must be in the future");
  }
  return std::nullopt;
}

std::optional<Error> validate(const RemovePersonalAccessToken& c) {
  return first_error(
      [&] { return check_length("RemovePersonalAccessTokenRequest", "UserId", c.user_id, 1, 200); },
      [&] {
        return check_length("RemovePersonalAccessTokenRequest", "TokenId", c.token_id, 1, 200);
      });
}

// ---- Decisions ---------------------------------------------------------------

namespace {

Error not_found(std::string id) {
  return {Code::NotFound, std::move(id), "User could not be found"};
}

Error precondition(std::string id, std::string message) {
  return {Code::FailedPrecondition, std::move(id), std::move(message)};
}

// A user the call may act on: it exists and belongs to the call's organization.
// A user of another organization is indistinguishable from a missing one.
bool visible(const MachineUser& u, std::string_view org_id) {
  return u.exists() && u.owner == org_id;
}

std::vector<NewEvent> one(std::string_view type,
                          nlohmann::json payload = nlohmann::json::object()) {
  return {NewEvent{std::string(type), 1, std::move(payload)}};
}

}  // namespace

Result<std::vector<NewEvent>> decide(const MachineUser& u, const AddMachineUser& c) {
  // An id in use (a removed user's may be used again, as in ZITADEL).
  if (u.exists()) {
    return Error{Code::FailedPrecondition, "COMMAND-k2una", "Errors.User.AlreadyExisting"};
  }
  return one(event_type::kMachineAdded,
             {{"userName", c.user_name},
              {"name", c.name},
              {"description", c.description},
              {"accessTokenType", static_cast<int>(c.access_token_type)}});
}

Result<std::vector<NewEvent>> decide(const MachineUser& u, const UpdateMachine& c) {
  if (!visible(u, c.org_id)) return not_found("COMMAND-5M0od");
  nlohmann::json changed = nlohmann::json::object();
  if (c.name != u.name) changed["name"] = c.name;
  if (c.description != u.description) changed["description"] = c.description;
  if (c.access_token_type != u.access_token_type) {
    changed["accessTokenType"] = static_cast<int>(c.access_token_type);
  }
  if (changed.empty()) return precondition("COMMAND-2n8vs", "Errors.User.NotChanged");
  return one(event_type::kMachineChanged, std::move(changed));
}

Result<std::vector<NewEvent>> decide(const MachineUser& u, const ChangeUserState& c) {
  // Ids and rules as ZITADEL's command/user.go has them.
  switch (c.action) {
    case Lifecycle::Deactivate:
      if (!visible(u, c.org_id)) return not_found("COMMAND-3M9ds");
      if (u.state == UserState::Initial) {
        return precondition("COMMAND-ke0fw",
                            "User with state initial can only be deleted not deactivated");
      }
      if (u.state == UserState::Inactive)
        return precondition("COMMAND-5M0sf", "User already inactive");
      return one(event_type::kDeactivated);
    case Lifecycle::Reactivate:
      if (!visible(u, c.org_id)) return not_found("COMMAND-4M0sd");
      if (u.state != UserState::Inactive)
        return precondition("COMMAND-6M0sf", "User is not inactive");
      return one(event_type::kReactivated);
    case Lifecycle::Lock:
      if (!visible(u, c.org_id)) return not_found("COMMAND-5M9fs");
      if (u.state != UserState::Active && u.state != UserState::Initial) {
        return precondition("COMMAND-3NN8v", "User is not active or initial");
      }
      return one(event_type::kLocked);
    case Lifecycle::Unlock:
      if (!visible(u, c.org_id)) return not_found("COMMAND-M0dos");
      if (u.state != UserState::Locked) return precondition("COMMAND-4M0ds", "User is not locked");
      return one(event_type::kUnlocked);
    case Lifecycle::Remove:
      if (!visible(u, c.org_id)) return not_found("COMMAND-m9od");
      return one(event_type::kRemoved, {{"userName", u.user_name}});
  }
  return Error{Code::Internal, "", "unknown lifecycle action"};
}

Result<std::vector<NewEvent>> decide(const MachineUser& u, const AddPersonalAccessToken& c) {
  if (!visible(u, c.org_id)) return not_found("COMMAND-Dggw2");
  if (u.tokens.count(c.token_id))
    return Error{Code::AlreadyExists, "COMMAND-Wq8zi", "Token already exists"};
  return one(event_type::kPatAdded, {{"tokenId", c.token_id},
                                     {"expiration", to_rfc3339(c.expiration)},
                                     {"tokenHash", c.token_hash}});
}

Result<std::vector<NewEvent>> decide(const MachineUser& u, const RemovePersonalAccessToken& c) {
  if (!visible(u, c.org_id)) return not_found("COMMAND-Dggw2");
  if (!u.tokens.count(c.token_id)) {
    return Error{Code::NotFound, "COMMAND-4m77G", "Personal Access Token not found"};
  }
  return one(event_type::kPatRemoved, {{"tokenId", c.token_id}});
}

std::string user_name_unique_key(std::string_view org_id, std::string_view user_name) {
  // ASCII case folding: "Bot" and "bot" are one login name. Non-ASCII letters
  // are compared as written (full Unicode folding would need ICU).
  return std::string(org_id) + ':' + ascii_lower(user_name);
}

UniqueNameChanges unique_name_changes(const MachineUser& before, std::string_view owner,
                                      const std::vector<NewEvent>& events) {
  UniqueNameChanges changes;
  for (const auto& e : events) {
    if (e.type == event_type::kMachineAdded) {
      changes.claim.push_back(user_name_unique_key(owner, payload_string(e.payload, "userName")));
    } else if (e.type == event_type::kRemoved) {
      changes.release.push_back(user_name_unique_key(owner, before.user_name));
    }
  }
  return changes;
}

}  // namespace mu::domain
