#include "domain/machine_credentials.hpp"
#include "domain/base64url.hpp"

#include "domain/sha256.hpp"
#include "domain/validation.hpp"

namespace mu::domain {

namespace {

// A user the call may act on: it exists and belongs to the call's organization.
bool acts_on(const MachineUser& u, std::string_view org_id) {
  return u.exists() && u.owner == org_id;
}

Result<std::vector<NewEvent>> one_event(std::string_view type, nlohmann::json payload) {
  return std::vector<NewEvent>{NewEvent{std::string(type), 1, std::move(payload)}};
}

Error user_not_existing(std::string id) {
  return {Code::FailedPrecondition, std::move(id), "Errors.User.NotExisting"};
}

}  // namespace

std::optional<Error> validate(const GenerateMachineSecret& c) {
  return check_min_length("GenerateMachineSecretRequest", "UserId", c.user_id, 1);
}

std::optional<Error> validate(const RemoveMachineSecret& c) {
  return check_length("RemoveMachineSecretRequest", "UserId", c.user_id, 1, 200);
}

std::optional<Error> validate(const AddMachineKey& c) {
  constexpr std::string_view r = "AddMachineKeyRequest";
  if (auto e = check_min_length(r, "UserId", c.user_id, 1)) return e;
  // protoc-gen-validate's enum rules {defined_only: true, not_in: [0]}: the list first.
  if (c.type == static_cast<int>(MachineKeyType::Unspecified)) {
    return invalid_argument("invalid AddMachineKeyRequest.Type: value must not be in list [0]");
  }
  if (c.type != static_cast<int>(MachineKeyType::Json)) {
    return invalid_argument(
        "invalid AddMachineKeyRequest.Type: value must be one of the defined enum values");
  }
  // ZITADEL checks a given key before the expiration.
  if (!c.public_key.empty() && !rsa_public_key_pem(c.public_key)) {
    return Error{Code::InvalidArgument, "COMMAND-5F3h1", "Errors.User.Machine.Key.Invalid"};
  }
  if (c.expiration && *c.expiration < c.now) {
    return Error{Code::InvalidArgument, "DOMAIN-dv3t5", "Errors.AuthNKey.ExpireBeforeNow"};
  }
  return std::nullopt;
}

std::optional<Error> validate(const RemoveMachineKey& c) {
  constexpr std::string_view r = "RemoveMachineKeyRequest";
  return first_error([&] { return check_length(r, "UserId", c.user_id, 1, 200); },
                     [&] { return check_length(r, "KeyId", c.key_id, 1, 200); });
}

std::optional<Error> validate_get_machine_key(std::string_view user_id, std::string_view key_id) {
  constexpr std::string_view r = "GetMachineKeyByIDsRequest";
  return first_error([&] { return check_length(r, "UserId", user_id, 1, 200); },
                     [&] { return check_length(r, "KeyId", key_id, 1, 200); });
}

std::optional<Error> validate_list_machine_keys(std::string_view user_id) {
  return check_length("ListMachineKeysRequest", "UserId", user_id, 1, 200);
}

Result<std::vector<NewEvent>> decide(const MachineUser& u, const GenerateMachineSecret& c) {
  if (!acts_on(u, c.org_id)) return user_not_existing("COMMAND-x8910n");
  return one_event(event_type::kSecretSet, {{"hashedSecret", c.hashed_secret}});
}

Result<std::vector<NewEvent>> decide(const MachineUser& u, const RemoveMachineSecret& c) {
  if (!acts_on(u, c.org_id)) return user_not_existing("COMMAND-x7s802");
  if (!u.has_secret) {
    return Error{Code::FailedPrecondition, "COMMAND-coi82n",
                 "Errors.User.Machine.Secret.NotExisting"};
  }
  return one_event(event_type::kSecretRemoved, nlohmann::json::object());
}

Result<std::vector<NewEvent>> decide(const MachineUser& u, const AddMachineKey& c) {
  if (!acts_on(u, c.org_id)) {
    return Error{Code::FailedPrecondition, "COMMAND-bnipwm1", "Errors.User.NotFound"};
  }
  // Key ids are generated, so this guards only against a reused id.
  if (u.keys.count(c.key_id)) {
    return Error{Code::AlreadyExists, "COMMAND-091mops", "Errors.User.Machine.Key.AlreadyExists"};
  }
  return one_event(event_type::kKeyAdded, {{"keyId", c.key_id},
                                           {"type", c.type},
                                           {"expirationDate", to_rfc3339(c.expires())},
                                           {"publicKey", base64_encode(c.public_key)}});
}

Result<std::vector<NewEvent>> decide(const MachineUser& u, const RemoveMachineKey& c) {
  if (!acts_on(u, c.org_id) || !u.keys.count(c.key_id)) {
    return Error{Code::NotFound, "COMMAND-4m77G", "Errors.User.Machine.Key.NotFound"};
  }
  return one_event(event_type::kKeyRemoved, {{"keyId", c.key_id}});
}

Result<std::vector<NewEvent>> decide(const MachineUser& u, const IssueToken& c) {
  if (!u.exists()) return Error{Code::FailedPrecondition, "OIDC-sk2ld", "Errors.User.NotExisting"};
  if (u.state != UserState::Active) {
    return Error{Code::FailedPrecondition, "OIDC-Ad2gk", "Errors.User.NotActive"};
  }
  if (c.key_id) {
    auto key = u.keys.find(*c.key_id);
    if (key == u.keys.end() || key->second <= c.now) {
      return Error{Code::FailedPrecondition, "OIDC-B4n2x", "Errors.User.Machine.Key.NotFound"};
    }
  } else if (!u.has_secret) {
    return Error{Code::FailedPrecondition, "OIDC-3n9sk", "Errors.User.Machine.Secret.NotExisting"};
  }
  nlohmann::json payload{{"tokenId", c.token_id},
                         {"tokenType", c.type == AccessTokenType::Jwt ? "jwt" : "bearer"},
                         {"expiration", to_rfc3339(c.expiration)},
                         {"audience", c.audience},
                         {"scopes", c.scopes},
                         {"grant", c.key_id ? "jwt-bearer" : "client_credentials"}};
  if (c.key_id) payload["keyId"] = *c.key_id;
  if (c.token_hash) payload["tokenHash"] = *c.token_hash;
  return one_event(event_type::kTokenIssued, std::move(payload));
}

Result<std::vector<NewEvent>> decide(const MachineUser& u, const RevokeToken& c) {
  if (!u.exists()) return Error{Code::FailedPrecondition, "OIDC-sk2ld", "Errors.User.NotExisting"};
  return one_event(event_type::kTokenRevoked, {{"tokenId", c.token_id}});
}

Error machine_key_not_found() {
  return {Code::NotFound, "QUERY-Dgr3g", "Errors.AuthNKey.NotFound"};
}

}  // namespace mu::domain
