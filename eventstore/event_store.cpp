#include "eventstore/event_store.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <set>
#include <utility>

#include "domain/jsonb_text.hpp"
#include "domain/time.hpp"

namespace mu::eventstore {
namespace {

constexpr const char* kLoadHead = "mu_es_load_head";
constexpr const char* kLoadHeadLocked = "mu_es_load_head_locked";
constexpr const char* kReadStream = "mu_es_read_stream";
constexpr const char* kReadAfter = "mu_es_read_after";
constexpr const char* kUniqueHolder = "mu_es_unique_holder";
// The snapshot parameter ($7 of an append, $12 of append_one): JSON null for none.
const std::string& snapshot_param(const AppendRequest& request) {
  static const std::string kNone = "null";
  return request.snapshot.empty() ? kNone : request.snapshot;
}

constexpr const char* kAppendNew = "mu_es_append_new";
constexpr const char* kAppendExisting = "mu_es_append_existing";
constexpr const char* kAppendOneNew = "mu_es_append_one_new";
constexpr const char* kAppendOneExisting = "mu_es_append_one_existing";

// Parameters of every append statement:
//   $1 aggregate_type, $2 aggregate_id, $3 expected sequence, $4 owner, $5 creator,
//   $6 events   [{"type","revision","payload"}, ...] in order,
//   $7 snapshot (JSON null: none), $8 snapshot revision,
//   $9 keys to release, $10 keys to claim: [[type, value], ...],
//   $11 rpc, $12 transport, $13 request id (where the events came from).
//
// The first write of the statement is on the stream head (`head`): it orders competing
// writers, and when it yields no row (the head moved, or a new stream already exists)
// nothing else is written and the statement returns no event. Everything else reads
// `head`, so it runs after it.
//
// Each event's hash (migrations/0009) chains to the one before it in its stream, and the
// head keeps the last one. created_at is taken once the head is held, so that within a
// stream it grows with the sequence.

// SHA-256 over the canonical encoding of migrations/0009 (also domain/event_hash.cpp),
// written out in the statement: PostgreSQL does not inline the event_hash() function of
// that migration, and calling it cost every append (docs/decisions.md).
std::string hash_sql(const std::string& prev, const std::string& sequence, const std::string& doc,
                     const std::string& owner, const std::string& at) {
  const std::string fields[] = {"$1::text",
                                "$2::text",
                                "(" + sequence + ")::text",
                                "(" + doc + "->>'type')",
                                "((" + doc + "->>'revision')::smallint)::text",
                                "(" + doc + "->'payload')::text",
                                "$5::text",
                                owner,
                                "((extract(epoch FROM " + at + ") * 1000000)::bigint)::text",
                                "$11::text",
                                "$12::text",
                                "$13::text"};
  std::string sql = "sha256(convert_to(";
  for (std::size_t i = 0; i < std::size(fields); ++i) {
    if (i) sql += " || ";
    sql += "octet_length(" + fields[i] + ") || ':' || " + fields[i] + " || ','";
  }
  return sql + ", 'UTF8') || " + prev + ")";
}

// One event, the common case: the head's own write computes its hash from the hash it
// replaces (an UPDATE's SET reads the old row) at the instant `x` it takes.
std::string single_new_head() {
  return R"sql(
WITH x AS (SELECT clock_timestamp() AS at),
head AS (
  INSERT INTO streams AS s (aggregate_type, aggregate_id, sequence, owner, snapshot,
                            snapshot_revision, updated_at, created_at, last_hash)
  SELECT $1::text, $2::text, $3::bigint + 1, $4::text, nullif($7::jsonb, 'null'::jsonb),
         $8::integer, x.at, x.at, )sql" +
         hash_sql("'\\x'::bytea", "$3::bigint + 1", "($6::jsonb->0)", "$4::text", "x.at") +
         R"sql(
    FROM x
  ON CONFLICT (aggregate_type, aggregate_id) DO NOTHING
  RETURNING s.owner, s.created_at, s.last_hash AS hash, s.updated_at AS at
))sql";
}

std::string single_existing_head() {
  return R"sql(
WITH x AS (SELECT clock_timestamp() AS at),
head AS (
  UPDATE streams AS s
     SET sequence = $3::bigint + 1,
         snapshot = nullif($7::jsonb, 'null'::jsonb),
         snapshot_revision = $8::integer,
         updated_at = x.at,
         last_hash = )sql" +
         hash_sql("s.last_hash", "$3::bigint + 1", "($6::jsonb->0)",
                  "coalesce(nullif($4::text, ''), s.owner)", "x.at") +
         R"sql(
    FROM x
   WHERE s.aggregate_type = $1::text AND s.aggregate_id = $2::text AND s.sequence = $3::bigint
  RETURNING s.owner, s.created_at, s.last_hash AS hash, x.at AS at
))sql";
}

constexpr const char* kSingleEvent = R"sql(,
ev AS (
  INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, revision, payload,
                      creator, owner, created_at, rpc, transport, request_id, hash)
  SELECT $1::text, $2::text, $3::bigint + 1, $6::jsonb->0->>'type',
         ($6::jsonb->0->>'revision')::smallint, $6::jsonb->0->'payload', $5::text,
         coalesce(nullif($4::text, ''), head.owner), head.at, $11::text, $12::text, $13::text,
         head.hash
    FROM head
  RETURNING sequence, position, owner, (extract(epoch FROM created_at) * 1000000)::bigint AS us,
            tx_id::text::bigint AS tx
),)sql";

std::string batch_chain() {
  return R"sql(
src AS (
  SELECT e.doc, e.ord FROM jsonb_array_elements($6::jsonb) WITH ORDINALITY AS e(doc, ord)
),
chain (ord, at, hash) AS (
  SELECT 0::bigint, NULL::timestamptz, (SELECT last_hash FROM cur)
  UNION ALL
  SELECT c.ord + 1, x.at, )sql" +
         hash_sql("c.hash", "$3::bigint + c.ord + 1", "s.doc", "(SELECT owner FROM cur)", "x.at") +
         R"sql(
    FROM chain c JOIN src s ON s.ord = c.ord + 1
   CROSS JOIN LATERAL (SELECT clock_timestamp() AS at) x
),
last AS (SELECT hash FROM chain ORDER BY ord DESC LIMIT 1),)sql";
}

constexpr const char* kBatchNewHead = R"sql(
WITH RECURSIVE cur AS (SELECT $4::text AS owner, '\x'::bytea AS last_hash),)sql";

constexpr const char* kBatchNewHeadWrite = R"sql(
head AS (
  INSERT INTO streams AS s (aggregate_type, aggregate_id, sequence, owner, snapshot,
                            snapshot_revision, updated_at, created_at, last_hash)
  SELECT $1::text, $2::text, $3::bigint + jsonb_array_length($6::jsonb), $4::text,
         nullif($7::jsonb, 'null'::jsonb), $8::integer, clock_timestamp(),
         -- A new stream's creation is its first event's instant.
         (SELECT at FROM chain WHERE ord = 1), (SELECT hash FROM last)
  ON CONFLICT (aggregate_type, aggregate_id) DO NOTHING
  RETURNING s.owner, s.created_at, s.last_hash AS hash, s.updated_at AS at
))sql";

constexpr const char* kBatchExistingHead = R"sql(
WITH RECURSIVE cur AS (
  SELECT coalesce(nullif($4::text, ''), owner) AS owner, last_hash FROM streams
   WHERE aggregate_type = $1::text AND aggregate_id = $2::text AND sequence = $3::bigint
),)sql";

constexpr const char* kBatchExistingHeadWrite = R"sql(
head AS (
  UPDATE streams AS s
     SET sequence = $3::bigint + jsonb_array_length($6::jsonb),
         snapshot = nullif($7::jsonb, 'null'::jsonb),
         snapshot_revision = $8::integer,
         updated_at = clock_timestamp(),
         last_hash = (SELECT hash FROM last)
   WHERE s.aggregate_type = $1::text AND s.aggregate_id = $2::text AND s.sequence = $3::bigint
     AND EXISTS (SELECT 1 FROM cur) AND s.last_hash IS NOT DISTINCT FROM (SELECT last_hash FROM cur)
  RETURNING s.owner, s.created_at, s.last_hash AS hash, s.updated_at AS at
))sql";

// Events without an owner in the request take the stream's.
constexpr const char* kBatchEvents = R"sql(,
ev AS (
  INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, revision, payload,
                      creator, owner, created_at, rpc, transport, request_id, hash)
  SELECT $1::text, $2::text, $3::bigint + e.ord, e.doc->>'type', (e.doc->>'revision')::smallint,
         e.doc->'payload', $5::text, coalesce(nullif($4::text, ''), head.owner), c.at,
         $11::text, $12::text, $13::text, c.hash
    FROM head CROSS JOIN src AS e JOIN chain AS c ON c.ord = e.ord
   ORDER BY e.ord
  RETURNING sequence, position, owner, (extract(epoch FROM created_at) * 1000000)::bigint AS us,
            tx_id::text::bigint AS tx
),)sql";

// Every form ends alike. A claim of a key the aggregate already holds succeeds; one held
// by another aggregate returns no row (ON CONFLICT ... WHERE), which is how a taken key is
// found without aborting the statement.
constexpr const char* kKeysAndResult = R"sql(
released AS (
  DELETE FROM unique_constraints AS u
   USING head, jsonb_array_elements($9::jsonb) AS r(k)
   WHERE u.unique_type = r.k->>0 AND u.unique_value = r.k->>1 AND u.aggregate_id = $2::text
  RETURNING 1
),
claimed AS (
  INSERT INTO unique_constraints AS u (unique_type, unique_value, aggregate_id)
  SELECT r.k->>0, r.k->>1, $2::text
    FROM head CROSS JOIN jsonb_array_elements($10::jsonb) AS r(k)
  ON CONFLICT (unique_type, unique_value) DO UPDATE SET aggregate_id = excluded.aggregate_id
   WHERE u.aggregate_id = excluded.aggregate_id
  RETURNING u.unique_type, u.unique_value
)
SELECT 0 AS kind, sequence, position, us, owner AS a, NULL::text AS b, tx,
       (SELECT (extract(epoch FROM head.created_at) * 1000000)::bigint FROM head) AS created_us,
       (SELECT head.hash FROM head) AS head_hash,
       (SELECT (extract(epoch FROM head.at) * 1000000)::bigint FROM head) AS head_us
  FROM ev
UNION ALL
SELECT 1, NULL, NULL, NULL, unique_type, unique_value, NULL, NULL, NULL, NULL FROM claimed
)sql";

std::vector<domain::StoredEvent> to_events(const pqxx::result& result) {
  std::vector<domain::StoredEvent> events;
  events.reserve(result.size());
  for (const auto& row : result) events.push_back(event_from_row(row));
  return events;
}

std::string key_list(const std::vector<UniqueKey>& keys) {
  auto list = nlohmann::json::array();
  for (const auto& k : keys) list.push_back({k.type, k.value});
  return list.dump();
}

bool same_key(const UniqueKey& a, const UniqueKey& b) {
  return a.type == b.type && a.value == b.value;
}

// Duplicates dropped; a key both released and claimed is only claimed (it stays with,
// or moves to, this aggregate), because one statement must not touch a row twice.
std::pair<std::vector<UniqueKey>, std::vector<UniqueKey>> normalise_keys(
    const AppendRequest& request) {
  std::vector<UniqueKey> claim;
  for (const auto& k : request.claim) {
    if (std::none_of(claim.begin(), claim.end(), [&](const auto& c) { return same_key(c, k); })) {
      claim.push_back(k);
    }
  }
  std::vector<UniqueKey> release;
  for (const auto& k : request.release) {
    const auto seen = [&](const auto& c) { return same_key(c, k); };
    if (std::none_of(claim.begin(), claim.end(), seen) &&
        std::none_of(release.begin(), release.end(), seen)) {
      release.push_back(k);
    }
  }
  return {std::move(claim), std::move(release)};
}

std::string describe(const UniqueKey& key) {
  return "unique key taken: " + key.type + " " + key.value;
}

// The events are already written when a taken key is found; make sure that a caller
// who commits anyway commits nothing.
void poison(pqxx::transaction_base& tx) {
  try {
    tx.exec("DO $$ BEGIN RAISE EXCEPTION 'append refused: unique key taken'; END $$");
  } catch (const pqxx::sql_error&) {
    // Expected: the transaction is now aborted.
  }
}

// A bytea column as PostgreSQL's text output writes it (\x and hex digits).
std::optional<domain::Hash> hash_of(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  const std::string_view text(f.c_str(), f.size());
  domain::Hash h;
  if (text.size() != 66 || text.substr(0, 2) != "\\x" || !domain::from_hex(text.substr(2), h)) {
    return std::nullopt;
  }
  return h;
}

}  // namespace

EventStore::EventStore(pqxx::connection_base& conn) {
  // libpqxx prepares lazily on first use; preparing the same definitions again (another
  // EventStore on this connection) is allowed.
  const std::string load_head =
      "SELECT sequence, owner, snapshot::text, snapshot_revision, last_hash, "
      "(extract(epoch FROM created_at) * 1000000)::bigint, "
      "(extract(epoch FROM updated_at) * 1000000)::bigint FROM streams "
      "WHERE aggregate_type = $1 AND aggregate_id = $2";
  conn.prepare(kLoadHead, load_head);
  conn.prepare(kLoadHeadLocked, load_head + " FOR UPDATE");
  conn.prepare(kReadStream, std::string("SELECT ") + kEventColumns +
                                " FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 "
                                "AND sequence > $3 ORDER BY sequence");
  conn.prepare(kReadAfter, std::string("SELECT ") + kEventColumns +
                               " FROM events WHERE position > $1 ORDER BY position LIMIT $2");
  conn.prepare(
      kUniqueHolder,
      "SELECT aggregate_id FROM unique_constraints WHERE unique_type = $1 AND unique_value = $2");
  conn.prepare(kAppendNew,
               kBatchNewHead + batch_chain() + kBatchNewHeadWrite + kBatchEvents + kKeysAndResult);
  conn.prepare(kAppendExisting, kBatchExistingHead + batch_chain() + kBatchExistingHeadWrite +
                                    kBatchEvents + kKeysAndResult);
  conn.prepare(kAppendOneNew, single_new_head() + kSingleEvent + kKeysAndResult);
  conn.prepare(kAppendOneExisting, single_existing_head() + kSingleEvent + kKeysAndResult);
}

std::optional<StreamHead> EventStore::load_head(pqxx::transaction_base& tx,
                                                const std::string& aggregate_type,
                                                const std::string& aggregate_id, bool lock) {
  const auto result =
      tx.exec_prepared(lock ? kLoadHeadLocked : kLoadHead, aggregate_type, aggregate_id);
  if (result.empty()) return std::nullopt;
  const auto& row = result[0];
  StreamHead head;
  head.sequence = static_cast<std::uint64_t>(row[0].as<std::int64_t>());
  head.owner = row[1].as<std::string>();
  if (!row[2].is_null()) head.snapshot = nlohmann::json::parse(row[2].as<std::string>());
  head.snapshot_revision = row[3].as<int>();
  head.last_hash = hash_of(row[4]);
  head.created_us = row[5].as<long long>();
  head.updated_us = row[6].as<long long>();
  return head;
}

std::vector<domain::StoredEvent> EventStore::read_stream(pqxx::transaction_base& tx,
                                                         const std::string& aggregate_type,
                                                         const std::string& aggregate_id,
                                                         std::uint64_t after_sequence) {
  return to_events(tx.exec_prepared(kReadStream, aggregate_type, aggregate_id,
                                    static_cast<std::int64_t>(after_sequence)));
}

std::vector<domain::StoredEvent> EventStore::read_after(pqxx::transaction_base& tx,
                                                        std::int64_t after_position,
                                                        std::size_t limit) {
  return to_events(tx.exec_prepared(kReadAfter, after_position, static_cast<std::int64_t>(limit)));
}

std::optional<std::string> EventStore::unique_key_holder(pqxx::transaction_base& tx,
                                                         const UniqueKey& key) {
  const auto result = tx.exec_prepared(kUniqueHolder, key.type, key.value);
  if (result.empty()) return std::nullopt;
  return result[0][0].as<std::string>();
}

Appended EventStore::append(pqxx::transaction_base& tx, const AppendRequest& request) {
  if (request.events.empty()) throw std::invalid_argument("append needs at least one event");
  auto events = nlohmann::json::array();
  for (const auto& e : request.events) {
    events.push_back({{"type", e.type}, {"revision", e.revision}, {"payload", e.payload}});
  }
  const auto [claim, release] = normalise_keys(request);
  const auto expected = static_cast<std::int64_t>(request.expected_sequence);

  pqxx::result result;
  try {
    result = tx.exec_prepared(
        request.events.size() == 1
            ? (request.expected_sequence == 0 ? kAppendOneNew : kAppendOneExisting)
            : (request.expected_sequence == 0 ? kAppendNew : kAppendExisting),
        request.aggregate_type, request.aggregate_id, expected, request.owner, request.creator,
        events.dump(), snapshot_param(request), request.snapshot_revision, key_list(release),
        key_list(claim), request.origin.rpc, request.origin.transport, request.origin.request_id);
  } catch (const pqxx::unique_violation& e) {
    // Not expected (the statement avoids them), but if a constraint still fires the
    // meaning is clear from the table it guards.
    const std::string what = e.what();
    if (what.find("unique_constraints") != std::string::npos && !claim.empty()) {
      throw UniqueKeyTaken(claim.front(), describe(claim.front()));
    }
    throw ConcurrencyConflict("stream " + request.aggregate_type + "/" + request.aggregate_id +
                              " was written concurrently");
  } catch (const pqxx::transaction_rollback&) {
    // Serialization failure or deadlock: deciding again is the remedy.
    throw ConcurrencyConflict("stream " + request.aggregate_type + "/" + request.aggregate_id +
                              " was written concurrently");
  }

  std::vector<domain::StoredEvent> stored;
  domain::Timestamp stream_created_at{};
  std::optional<domain::Hash> head_hash;
  long long head_us = 0;
  std::set<std::pair<std::string, std::string>> claimed;
  for (const auto& row : result) {
    if (row[0].as<int>() == 1) {
      claimed.emplace(row[4].as<std::string>(), row[5].as<std::string>());
      continue;
    }
    const auto sequence = static_cast<std::uint64_t>(row[1].as<std::int64_t>());
    const auto& in = request.events.at(sequence - request.expected_sequence - 1);
    domain::StoredEvent e;
    e.aggregate_type = request.aggregate_type;
    e.aggregate_id = request.aggregate_id;
    e.sequence = sequence;
    e.position = row[2].as<std::int64_t>();
    e.type = in.type;
    e.revision = in.revision;
    e.payload = in.payload;
    e.creator = request.creator;
    e.owner = row[4].as<std::string>();
    e.created_at = domain::from_unix_micros(row[3].as<long long>());
    e.tx_id = static_cast<std::uint64_t>(row[6].as<std::int64_t>());
    stream_created_at = domain::from_unix_micros(row[7].as<long long>());
    head_hash = hash_of(row[8]);
    head_us = row[9].as<long long>();
    stored.push_back(std::move(e));
  }
  if (stored.empty()) {
    throw ConcurrencyConflict("stream " + request.aggregate_type + "/" + request.aggregate_id +
                              " is no longer at sequence " +
                              std::to_string(request.expected_sequence));
  }
  for (const auto& key : claim) {
    if (claimed.count({key.type, key.value}) == 0) {
      poison(tx);
      throw UniqueKeyTaken(key, describe(key));
    }
  }
  std::sort(stored.begin(), stored.end(),
            [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  return {std::move(stored), stream_created_at, head_hash, head_us};
}

namespace {

// append_one's statement. Its parameters, the shares' six first (StatementShares):
//   $7 the head's hash now, $8 the event's hash, $9 event type, $10 revision, $11 creator,
//   $12 snapshot (JSON null: none), $13 snapshot revision, $14 rpc, $15 transport,
//   $16 request id.
// The head's update comes first and decides, as in every append: when the head is no longer
// at the sequence and hash the command decided on, nothing is written and no row returned.
std::string one_statement_sql(const StatementShares& shares) {
  std::string sql = R"sql(
WITH head AS (
  UPDATE streams AS s
     SET sequence = $3::bigint,
         snapshot = nullif($12::jsonb, 'null'::jsonb),
         snapshot_revision = $13::integer,
         updated_at = greatest(clock_timestamp(),
                               'epoch'::timestamptz + $5::bigint * interval '1 microsecond'),
         last_hash = $8::bytea
   WHERE s.aggregate_type = $1::text AND s.aggregate_id = $2::text
     AND s.sequence = $3::bigint - 1 AND s.last_hash = $7::bytea
  RETURNING s.created_at, s.updated_at
),
ev AS (
  INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, revision, payload,
                      creator, owner, created_at, rpc, transport, request_id, hash)
  SELECT $1::text, $2::text, $3::bigint, $9::text, $10::smallint, $4::jsonb, $11::text,
         $6::text, 'epoch'::timestamptz + $5::bigint * interval '1 microsecond', $14::text,
         $15::text, $16::text, $8::bytea
    FROM head
  RETURNING position, tx_id::text::bigint AS tx
))sql";
  for (std::size_t i = 0; i < shares.shares.size(); ++i) {
    sql += ",\nshare_" + std::to_string(i) + " AS (" + shares.shares[i] + ")";
  }
  return sql + R"sql(
SELECT ev.position, ev.tx, (extract(epoch FROM head.created_at) * 1000000)::bigint,
       (extract(epoch FROM head.updated_at) * 1000000)::bigint
  FROM ev CROSS JOIN head)sql";
}

long long now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string bytea_param(const domain::Hash& h) {
  return "\\x" + domain::to_hex(h);
}

}  // namespace

bool EventStore::one_statement_fits(const AppendRequest& request, const StreamHead& head) {
  return request.events.size() == 1 && request.expected_sequence > 0 &&
         request.expected_sequence == head.sequence && head.last_hash.has_value() &&
         request.claim.empty() && request.release.empty() &&
         domain::jsonb_text(request.events.front().payload).has_value();
}

Appended EventStore::append_one(pqxx::connection_base& conn, const AppendRequest& request,
                                const StreamHead& head, const StatementShares& shares) {
  if (!one_statement_fits(request, head)) {
    throw std::invalid_argument("append_one: the request does not fit one statement");
  }
  const auto& in = request.events.front();
  const std::string payload = *domain::jsonb_text(in.payload);
  const std::string owner = request.owner.empty() ? head.owner : request.owner;
  const std::uint64_t sequence = head.sequence + 1;
  // Within a stream, time grows with the sequence, as the transaction path's does.
  const long long created_us = std::max(now_us(), head.updated_us + 1);

  thread_local domain::Sha256 sha;
  domain::HashedFields f;
  f.aggregate_type = request.aggregate_type;
  f.aggregate_id = request.aggregate_id;
  f.sequence = sequence;
  f.event_type = in.type;
  f.revision = in.revision;
  f.payload = payload;
  f.creator = request.creator;
  f.owner = owner;
  f.created_us = created_us;
  f.rpc = request.origin.rpc;
  f.transport = request.origin.transport;
  f.request_id = request.origin.request_id;
  const domain::Hash hash = sha.event_hash(f, domain::bytes_of(*head.last_hash));

  const std::string name = "mu_es_one_" + shares.key;
  if (prepared_one_.insert(name).second) conn.prepare(name, one_statement_sql(shares));
  const int pid = conn.backendpid();
  // Once per connection: which server run a lost statement would have to be settled on.
  if (server_run_.empty()) server_run_ = server_run(conn);
  pqxx::result result;
  try {
    pqxx::nontransaction tx(conn);
    result = tx.exec_prepared(
        name, request.aggregate_type, request.aggregate_id, static_cast<std::int64_t>(sequence),
        payload, created_us, owner, bytea_param(*head.last_hash), bytea_param(hash), in.type,
        in.revision, request.creator, snapshot_param(request), request.snapshot_revision,
        request.origin.rpc, request.origin.transport, request.origin.request_id);
  } catch (const pqxx::broken_connection&) {
    throw LostAppend(pid, sequence, hash, server_run_);
  } catch (const pqxx::unique_violation&) {
    throw ConcurrencyConflict("stream " + request.aggregate_type + "/" + request.aggregate_id +
                              " was written concurrently");
  } catch (const pqxx::transaction_rollback&) {
    throw ConcurrencyConflict("stream " + request.aggregate_type + "/" + request.aggregate_id +
                              " was written concurrently");
  }
  if (result.empty()) {
    throw ConcurrencyConflict("stream " + request.aggregate_type + "/" + request.aggregate_id +
                              " is no longer at sequence " + std::to_string(head.sequence));
  }
  const auto& row = result[0];
  domain::StoredEvent e;
  e.aggregate_type = request.aggregate_type;
  e.aggregate_id = request.aggregate_id;
  e.sequence = sequence;
  e.position = row[0].as<std::int64_t>();
  e.tx_id = static_cast<std::uint64_t>(row[1].as<std::int64_t>());
  e.type = in.type;
  e.revision = in.revision;
  e.payload = in.payload;
  e.creator = request.creator;
  e.owner = owner;
  e.created_at = domain::from_unix_micros(created_us);
  Appended out;
  out.events.push_back(std::move(e));
  out.stream_created_at = domain::from_unix_micros(row[2].as<long long>());
  out.last_hash = hash;
  out.updated_us = row[3].as<long long>();
  return out;
}

std::string server_run(pqxx::connection_base& conn) {
  pqxx::nontransaction tx(conn);
  return tx.exec1("SELECT pg_postmaster_start_time()::text")[0].as<std::string>();
}

bool backend_gone(pqxx::connection_base& conn, int pid, const std::string& run) {
  if (!run.empty() && server_run(conn) != run) return true;
  pqxx::nontransaction tx(conn);
  // "Idle" is not enough: a backend still idle from its previous statement may not have read
  // the lost one yet (it sits in its socket) and runs it after we looked. Terminated, it
  // either ran the statement to its end (a commit holds interrupts off) or never will.
  // (A pid reused within the settling's seconds would name another session of ours, which
  // then settles its own call; Linux hands pids out in order up to pid_max.)
  tx.exec_params(
      "SELECT pg_terminate_backend(pid, 1000) FROM pg_stat_activity "
      "WHERE pid = $1 AND pid <> pg_backend_pid() AND usename = current_user",
      pid);
  return tx.exec_params("SELECT 1 FROM pg_stat_activity WHERE pid = $1", pid).empty();
}

bool event_stored(pqxx::connection_base& conn, const std::string& aggregate_type,
                  const std::string& aggregate_id, const domain::Hash& hash) {
  pqxx::nontransaction tx(conn);
  return !tx.exec_params(
                "SELECT 1 FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 AND "
                "hash = $3::bytea",
                aggregate_type, aggregate_id, bytea_param(hash))
              .empty();
}

domain::StoredEvent event_from_row(const pqxx::row& row) {
  std::array<std::string_view, kEventColumnCount> text;
  for (std::size_t i = 0; i < text.size(); ++i) {
    text[i] = std::string_view(row[static_cast<pqxx::row::size_type>(i)].c_str(),
                               row[static_cast<pqxx::row::size_type>(i)].size());
  }
  return event_from_text(text);
}

domain::StoredEvent event_from_text(const std::array<std::string_view, kEventColumnCount>& text) {
  auto number = [&](std::size_t column) -> std::int64_t {
    std::int64_t value = 0;
    const auto v = text[column];
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
    if (ec != std::errc() || end != v.data() + v.size()) {
      throw std::runtime_error("event column " + std::to_string(column) + " is not a number: \"" +
                               std::string(v.substr(0, 32)) + "\"");
    }
    return value;
  };
  domain::StoredEvent e;
  e.aggregate_type = text[0];
  e.aggregate_id = text[1];
  e.sequence = static_cast<std::uint64_t>(number(2));
  e.position = number(3);
  e.type = text[4];
  e.revision = static_cast<int>(number(5));
  // An event some other writer stored with a broken payload reads as a discarded value,
  // which every reducer treats as "no fields", instead of stopping the reader.
  e.payload = nlohmann::json::parse(text[6].begin(), text[6].end(), nullptr, false);
  e.creator = text[7];
  e.owner = text[8];
  e.created_at = domain::from_unix_micros(number(9));
  e.tx_id = static_cast<std::uint64_t>(number(10));
  return e;
}

}  // namespace mu::eventstore
