// Reads of the machine keys and client secrets that the auth projection keeps
// (auth_projections.hpp): for the management API's key calls and GetUserByID's hasSecret,
// and for the token endpoint, which finds a client by its client_id (the user name) and a key
// by its user and id. Expiry and the user's state are not judged here: the caller decides.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "domain/machine_user.hpp"
#include "domain/time.hpp"

namespace mu::projections {

// A row of machine_keys_read_model: a key that was added and not removed (expired or not).
struct MachineKeyView {
  std::string id;
  std::string user_id;
  std::string owner;  // the user's organization
  int type = 0;       // zitadel.authn.v1.KeyType
  domain::Timestamp expiration{};
  std::string public_key;  // PEM, PKIX ("" only for an event whose key did not decode)
  domain::Timestamp creation_date{};
  domain::Timestamp change_date{};
  std::uint64_t sequence = 0;  // of the user stream: the key's addition

  friend bool operator==(const MachineKeyView&, const MachineKeyView&) = default;
};

// A page of one user's keys, and how far the read model is.
struct MachineKeyPage {
  std::vector<MachineKeyView> keys;
  std::uint64_t total = 0;              // every key of the user in that organization
  std::int64_t processed_position = 0;  // the machine_keys checkpoint (current_states)
  domain::Timestamp view_timestamp{};   // when it moved
};

// A machine user whose user name is a client_id, with its secret's hash if it has one.
struct ClientSecretView {
  std::string user_id;
  std::string owner;
  std::string user_name;
  domain::UserState user_state = domain::UserState::Unspecified;
  std::optional<std::string> secret_hash;  // client_secret.hpp's format

  friend bool operator==(const ClientSecretView&, const ClientSecretView&) = default;
};

class MachineCredentials {
 public:
  explicit MachineCredentials(pqxx::connection_base& conn);  // prepares its statements

  // The user's key, if it was added and not removed (nor the user).
  std::optional<MachineKeyView> find_key(pqxx::transaction_base& tx, const std::string& user_id,
                                         const std::string& key_id);

  // The keys of the user that belong to `owner` (another organization's user has none), by
  // creation (then id), oldest first when `asc`; `offset` skipped, at most `limit`.
  MachineKeyPage keys_of(pqxx::transaction_base& tx, const std::string& user_id,
                         const std::string& owner, std::uint64_t offset, std::uint32_t limit,
                         bool asc);

  bool has_secret(pqxx::transaction_base& tx, const std::string& user_id);

  // Every machine user (of any organization) named `client_id`, folding ASCII case as user
  // names are unique, with or without a secret, ordered by id. User names are unique per
  // organization only, so there may be several: the caller tries the secret against each
  // (a 64-character random secret matches at most one).
  std::vector<ClientSecretView> clients_named(pqxx::transaction_base& tx,
                                              const std::string& client_id);
};

}  // namespace mu::projections
