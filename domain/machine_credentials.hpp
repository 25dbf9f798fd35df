// The credentials of a machine user for OAuth: its client secret and its keys. Commands on
// the user's write model (machine_user.hpp), with ZITADEL's rules and error ids
// (internal/command/user_machine_secret.go, user_machine_key.go). Secrets and private keys
// never reach a command: the secret's salted hash and the key's public half do.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/machine_key.hpp"
#include "domain/machine_user.hpp"

namespace mu::domain {

// GenerateMachineSecret: the handler makes the secret and hashes it (client_secret.hpp).
// Generating again replaces the secret.
struct GenerateMachineSecret {
  std::string user_id;
  std::string org_id;
  std::string hashed_secret;
};

struct RemoveMachineSecret {
  std::string user_id;
  std::string org_id;
};

// AddMachineKey. `public_key` is the client's PEM until validated, then the key to store:
// the client's, as rsa_public_key_pem writes it, or the public half of a generated pair.
struct AddMachineKey {
  std::string user_id;
  std::string org_id;
  std::string key_id;
  int type = 0;  // the wire's KeyType: proto3 enums are open, so any number can arrive
  std::optional<Timestamp> expiration;  // none: kNoExpiration
  std::string public_key;
  Timestamp now{};  // to refuse an expiration in the past

  Timestamp expires() const { return expiration.value_or(kNoExpiration); }
};

struct RemoveMachineKey {
  std::string user_id;
  std::string org_id;
  std::string key_id;
};

// An access token the token endpoint issues, decided on the user's write model so that a
// user deactivated, locked or removed, or a secret or key removed, stops new tokens at once
// (the decision and that change cannot both commit). The token's form follows the user's
// accessTokenType at the decision (`type` is filled from the write model by the caller's
// decision function; see app/oauth).
struct IssueToken {
  std::string user_id;
  std::string token_id;
  AccessTokenType type = AccessTokenType::Bearer;
  std::optional<std::string> token_hash;  // hex SHA-256 of an opaque token
  Timestamp expiration{};
  std::vector<std::string> audience;
  std::vector<std::string> scopes;
  // How the client proved itself: its secret, or the key `key_id` (jwt-bearer).
  std::optional<std::string> key_id;
  Timestamp now{};  // the key must not have expired
};

// Request validation, in protoc-gen-validate's wording (InvalidArgument without an id), then
// for AddMachineKey ZITADEL's checks of the key and its expiration: a public key that is not
// a PEM PKIX RSA key is InvalidArgument COMMAND-5F3h1, an expiration in the past
// InvalidArgument DOMAIN-dv3t5.
std::optional<Error> validate(const GenerateMachineSecret& cmd);
std::optional<Error> validate(const RemoveMachineSecret& cmd);
std::optional<Error> validate(const AddMachineKey& cmd);
std::optional<Error> validate(const RemoveMachineKey& cmd);

// The lookups of keys (GetMachineKeyByIDs, ListMachineKeys): their requests' rules.
std::optional<Error> validate_get_machine_key(std::string_view user_id, std::string_view key_id);
std::optional<Error> validate_list_machine_keys(std::string_view user_id);

// Decisions. A user of another organization is as missing as an unknown one.
Result<std::vector<NewEvent>> decide(const MachineUser& user, const GenerateMachineSecret& cmd);
Result<std::vector<NewEvent>> decide(const MachineUser& user, const RemoveMachineSecret& cmd);
Result<std::vector<NewEvent>> decide(const MachineUser& user, const AddMachineKey& cmd);
Result<std::vector<NewEvent>> decide(const MachineUser& user, const RemoveMachineKey& cmd);

// Refusals (every one the token endpoint answers as OAuth's error, not as these):
// FailedPrecondition "Errors.User.NotExisting" (no such user), "Errors.User.NotActive"
// (deactivated or locked), "Errors.User.Machine.Secret.NotExisting",
// "Errors.User.Machine.Key.NotFound" (removed or expired).
Result<std::vector<NewEvent>> decide(const MachineUser& user, const IssueToken& cmd);

// Revokes an issued token (the revocation endpoint found it and its owner). A removed user's
// tokens are gone already: FailedPrecondition "Errors.User.NotExisting".
struct RevokeToken {
  std::string user_id;
  std::string token_id;
};
Result<std::vector<NewEvent>> decide(const MachineUser& user, const RevokeToken& cmd);

// GetMachineKeyByIDs' answer for a key that is not there (or not the caller's to see).
Error machine_key_not_found();

}  // namespace mu::domain
