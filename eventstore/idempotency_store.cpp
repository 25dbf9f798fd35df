#include "eventstore/idempotency_store.hpp"

namespace mu::eventstore {
namespace {

constexpr const char* kClaim = "mu_idem_claim";
constexpr const char* kFind = "mu_idem_find";
constexpr const char* kRecord = "mu_idem_record";
constexpr const char* kPurge = "mu_idem_purge";

#define MU_LIVE "created_at > now() - make_interval(hours => 24)"
static_assert(kIdempotencyKeyHours == 24, "keep MU_LIVE in step");

}  // namespace

IdempotencyStore::IdempotencyStore(pqxx::connection_base& conn) {
  // ON CONFLICT ... WHERE: an expired record is taken over; a live one is left alone
  // and no row comes back, without aborting the transaction.
  conn.prepare(kClaim,
               "INSERT INTO idempotency_keys AS k (caller, key, request_hash, rpc, aggregate_type, "
               "aggregate_id, sequence) VALUES ($1, $2, $3, $4, $5, $6, $7) "
               "ON CONFLICT (caller, key) DO UPDATE SET request_hash = excluded.request_hash, "
               "rpc = excluded.rpc, aggregate_type = excluded.aggregate_type, "
               "aggregate_id = excluded.aggregate_id, sequence = excluded.sequence, "
               "response = NULL, created_at = now() "
               "WHERE NOT (k." MU_LIVE ") RETURNING 1");
  conn.prepare(kFind,
               "SELECT request_hash, rpc, aggregate_type, aggregate_id, sequence, response "
               "FROM idempotency_keys WHERE caller = $1 AND key = $2 AND " MU_LIVE);
  conn.prepare(kRecord, "UPDATE idempotency_keys SET response = $3 WHERE caller = $1 AND key = $2");
  conn.prepare(kPurge, "DELETE FROM idempotency_keys WHERE NOT (" MU_LIVE ")");
}

#undef MU_LIVE

bool IdempotencyStore::claim(pqxx::transaction_base& tx, const IdempotencyRecord& r) {
  return !tx.exec_prepared(kClaim, r.caller, r.key, r.request_hash, r.rpc, r.aggregate_type,
                           r.aggregate_id, static_cast<std::int64_t>(r.sequence))
              .empty();
}

std::optional<IdempotencyRecord> IdempotencyStore::find(pqxx::transaction_base& tx,
                                                        const std::string& caller,
                                                        const std::string& key) {
  const auto result = tx.exec_prepared(kFind, caller, key);
  if (result.empty()) return std::nullopt;
  const auto& row = result[0];
  IdempotencyRecord r;
  r.caller = caller;
  r.key = key;
  r.request_hash = row[0].as<std::string>();
  r.rpc = row[1].as<std::string>();
  r.aggregate_type = row[2].as<std::string>();
  r.aggregate_id = row[3].as<std::string>();
  r.sequence = static_cast<std::uint64_t>(row[4].as<std::int64_t>());
  if (!row[5].is_null()) r.response = row[5].as<std::string>();
  return r;
}

void IdempotencyStore::record_response(pqxx::transaction_base& tx, const std::string& caller,
                                       const std::string& key, const std::string& response) {
  tx.exec_prepared(kRecord, caller, key, response);
}

std::size_t IdempotencyStore::purge_expired(pqxx::transaction_base& tx) {
  return tx.exec_prepared(kPurge).affected_rows();
}

}  // namespace mu::eventstore
