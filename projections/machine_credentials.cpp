#include "projections/machine_credentials.hpp"

#include <algorithm>
#include <cstdint>

namespace mu::projections {
namespace {

constexpr const char* kCredFindKey = "mu_cred_find_key";
constexpr const char* kCredKeysAsc = "mu_cred_keys_asc";
constexpr const char* kCredKeysDesc = "mu_cred_keys_desc";
constexpr const char* kCredKeysCount = "mu_cred_keys_count";
constexpr const char* kCredKeysCheckpoint = "mu_cred_keys_checkpoint";
constexpr const char* kCredHasSecret = "mu_cred_has_secret";
constexpr const char* kCredClientsNamed = "mu_cred_clients_named";

#define MU_CRED_MICROS(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
#define MU_CRED_KEY_COLUMNS                                                                  \
  "id, user_id, owner, type, " MU_CRED_MICROS("expiration") ", public_key, " MU_CRED_MICROS( \
      "creation_date") ", " MU_CRED_MICROS("change_date") ", sequence"

constexpr const char* kCredFindKeySql =
    "SELECT " MU_CRED_KEY_COLUMNS " FROM machine_keys_read_model WHERE user_id = $1 AND id = $2";

constexpr const char* kCredKeysAscSql =
    "SELECT " MU_CRED_KEY_COLUMNS
    " FROM machine_keys_read_model WHERE user_id = $1 AND owner = $2 "
    "ORDER BY creation_date, id OFFSET $3 LIMIT $4";

constexpr const char* kCredKeysDescSql =
    "SELECT " MU_CRED_KEY_COLUMNS
    " FROM machine_keys_read_model WHERE user_id = $1 AND owner = $2 "
    "ORDER BY creation_date DESC, id DESC OFFSET $3 LIMIT $4";

constexpr const char* kCredKeysCountSql =
    "SELECT count(*) FROM machine_keys_read_model WHERE user_id = $1 AND owner = $2";

constexpr const char* kCredKeysCheckpointSql = "SELECT position, " MU_CRED_MICROS(
    "updated_at") " FROM current_states WHERE projection = 'machine_keys'";

constexpr const char* kCredHasSecretSql =
    "SELECT EXISTS (SELECT 1 FROM machine_secrets_read_model WHERE user_id = $1)";

// COLLATE "C": lower() folds ASCII only, as the unique user-name keys and the index do.
constexpr const char* kCredClientsNamedSql =
    "SELECT u.id, u.owner, u.user_name, u.state, s.secret_hash FROM users_read_model u "
    "LEFT JOIN machine_secrets_read_model s ON s.user_id = u.id "
    "WHERE lower(u.user_name COLLATE \"C\") = lower($1::text COLLATE \"C\") ORDER BY u.id";

#undef MU_CRED_KEY_COLUMNS
#undef MU_CRED_MICROS

MachineKeyView to_key(const pqxx::row& row) {
  MachineKeyView k;
  k.id = row[0].as<std::string>();
  k.user_id = row[1].as<std::string>();
  k.owner = row[2].as<std::string>();
  k.type = row[3].as<int>();
  k.expiration = domain::from_unix_micros(row[4].as<long long>());
  k.public_key = row[5].as<std::string>();
  k.creation_date = domain::from_unix_micros(row[6].as<long long>());
  k.change_date = domain::from_unix_micros(row[7].as<long long>());
  k.sequence = static_cast<std::uint64_t>(row[8].as<std::int64_t>());
  return k;
}

}  // namespace

MachineCredentials::MachineCredentials(pqxx::connection_base& conn) {
  conn.prepare(kCredFindKey, kCredFindKeySql);
  conn.prepare(kCredKeysAsc, kCredKeysAscSql);
  conn.prepare(kCredKeysDesc, kCredKeysDescSql);
  conn.prepare(kCredKeysCount, kCredKeysCountSql);
  conn.prepare(kCredKeysCheckpoint, kCredKeysCheckpointSql);
  conn.prepare(kCredHasSecret, kCredHasSecretSql);
  conn.prepare(kCredClientsNamed, kCredClientsNamedSql);
}

std::optional<MachineKeyView> MachineCredentials::find_key(pqxx::transaction_base& tx,
                                                           const std::string& user_id,
                                                           const std::string& key_id) {
  const auto result = tx.exec_prepared(kCredFindKey, user_id, key_id);
  if (result.empty()) return std::nullopt;
  return to_key(result[0]);
}

MachineKeyPage MachineCredentials::keys_of(pqxx::transaction_base& tx, const std::string& user_id,
                                           const std::string& owner, std::uint64_t offset,
                                           std::uint32_t limit, bool asc) {
  MachineKeyPage page;
  // OFFSET takes a bigint: an offset beyond it skips everything anyway.
  const auto skip = static_cast<std::int64_t>(
      std::min<std::uint64_t>(offset, static_cast<std::uint64_t>(INT64_MAX)));
  for (const auto& row :
       tx.exec_prepared(asc ? kCredKeysAsc : kCredKeysDesc, user_id, owner, skip, limit)) {
    page.keys.push_back(to_key(row));
  }
  page.total = tx.exec_prepared1(kCredKeysCount, user_id, owner)[0].as<std::uint64_t>();
  const auto checkpoint = tx.exec_prepared(kCredKeysCheckpoint);
  if (!checkpoint.empty()) {
    page.processed_position = checkpoint[0][0].as<std::int64_t>();
    page.view_timestamp = domain::from_unix_micros(checkpoint[0][1].as<long long>());
  }
  return page;
}

bool MachineCredentials::has_secret(pqxx::transaction_base& tx, const std::string& user_id) {
  return tx.exec_prepared1(kCredHasSecret, user_id)[0].as<bool>();
}

std::vector<ClientSecretView> MachineCredentials::clients_named(pqxx::transaction_base& tx,
                                                                const std::string& client_id) {
  std::vector<ClientSecretView> out;
  for (const auto& row : tx.exec_prepared(kCredClientsNamed, client_id)) {
    ClientSecretView c;
    c.user_id = row[0].as<std::string>();
    c.owner = row[1].as<std::string>();
    c.user_name = row[2].as<std::string>();
    c.user_state = static_cast<domain::UserState>(row[3].as<int>());
    if (!row[4].is_null()) c.secret_hash = row[4].as<std::string>();
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace mu::projections
