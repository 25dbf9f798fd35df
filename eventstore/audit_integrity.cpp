#include "eventstore/audit_integrity.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <exception>
#include <functional>
#include <thread>

#include "eventstore/audit_queries.hpp"
#include "eventstore/copy_stream.hpp"
#include "eventstore/copy_text.hpp"

namespace mu::eventstore {

namespace {

using domain::Hash;
using domain::Seal;

// One advisory lock key for every sealer of the database ("mu_seal").
constexpr std::int64_t kSealLock = 0x6d755f7365616c;

// The events as seals digest them, in (transaction, position) order with transaction ids
// as numbers. The order names the table's columns: a bare `tx_id` in ORDER BY is the
// output column `tx_id::text`, and as text 1000 sorts before 741.
constexpr const char* kEventsInOrder =
    "SELECT e.tx_id::text, e.position, encode(e.hash, 'hex') FROM events e";
constexpr const char* kInOrder = " ORDER BY e.tx_id, e.position";

Hash hash_or_zero(const std::string& hex) {
  Hash h{};
  domain::from_hex(hex, h);
  return h;
}

std::string event_name(const std::string& type, const std::string& id, const std::string& seq,
                       const std::string& position) {
  return "event " + type + "/" + id + " sequence " + seq + " (position " + position + ")";
}

bool same(const Seal& a, const Seal& b) {
  return a.id == b.id && a.upto_tx == b.upto_tx && a.upto_position == b.upto_position &&
         a.events == b.events && a.prev_digest == b.prev_digest && a.digest == b.digest &&
         a.signature_hex == b.signature_hex;
}

std::vector<Seal> read_seals(pqxx::transaction_base& tx) {
  std::vector<Seal> seals;
  for (const auto& r :
       tx.exec("SELECT id, upto_tx::text, upto_position, events, encode(prev_digest, 'hex'), "
               "encode(digest, 'hex'), signature FROM seals ORDER BY id")) {
    Seal s;
    s.id = r[0].as<std::uint64_t>();
    s.upto_tx = std::stoull(r[1].as<std::string>());
    s.upto_position = r[2].as<std::int64_t>();
    s.events = r[3].as<std::uint64_t>();
    s.prev_digest = hash_or_zero(r[4].as<std::string>());
    s.digest = hash_or_zero(r[5].as<std::string>());
    s.signature_hex = r[6].as<std::string>();
    seals.push_back(std::move(s));
  }
  return seals;
}

}  // namespace

std::optional<Seal> seal_now(pqxx::connection& conn, const std::string& private_pem, bool wait) {
  const auto public_pem = domain::public_key_pem(private_pem);
  if (!public_pem) throw std::runtime_error("the seal key is no Ed25519 private key");
  std::string horizon;
  {
    pqxx::nontransaction read(conn);  // before the snapshot of what is sealed
    horizon = visibility_horizon(read);
  }
  pqxx::work tx(conn);
  if (wait) {
    tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kSealLock) + ")");
  } else if (!tx.exec1("SELECT pg_try_advisory_xact_lock(" + std::to_string(kSealLock) + ")")[0]
                  .as<bool>()) {
    return std::nullopt;
  }
  Seal seal;
  seal.id = 1;
  std::string after = "'0'::xid8, 0";
  const auto last = tx.exec(
      "SELECT id, upto_tx::text, upto_position, encode(digest, 'hex') FROM seals "
      "ORDER BY id DESC LIMIT 1");
  if (!last.empty()) {
    seal.id = last[0][0].as<std::uint64_t>() + 1;
    after = tx.quote(last[0][1].as<std::string>()) + "::xid8, " + last[0][2].as<std::string>();
    seal.prev_digest = hash_or_zero(last[0][3].as<std::string>());
  }
  domain::SealDigest digest(seal.prev_digest, seal.id == 1);
  stream_rows(tx,
              std::string(kEventsInOrder) + " WHERE (e.tx_id, e.position) > (" + after +
                  ") AND e.tx_id < " + tx.quote(horizon) + "::xid8" + kInOrder,
              3, [&](const std::vector<std::string>& f) {
                Hash h{};
                if (!domain::from_hex(f[2], h)) {
                  throw std::runtime_error("the event at position " + f[1] +
                                           " has no hash: run `machine-users audit verify`");
                }
                seal.upto_tx = std::stoull(f[0]);
                seal.upto_position = std::stoll(f[1]);
                digest.add(seal.upto_position, h);
                ++seal.events;
                return true;
              });
  if (seal.events == 0) return std::nullopt;
  seal.digest = digest.finish();
  auto signature = domain::sign_hex(private_pem, domain::statement(seal));
  if (!signature) throw std::runtime_error("cannot sign with the seal key");
  seal.signature_hex = *signature;
  tx.exec_params(
      "INSERT INTO seals (id, upto_tx, upto_position, events, prev_digest, digest, signature, "
      "public_key) VALUES ($1, $2::xid8, $3, $4, decode($5, 'hex'), decode($6, 'hex'), $7, $8)",
      static_cast<std::int64_t>(seal.id), std::to_string(seal.upto_tx), seal.upto_position,
      static_cast<std::int64_t>(seal.events), domain::to_hex(seal.prev_digest),
      domain::to_hex(seal.digest), seal.signature_hex, *public_pem);
  tx.commit();
  return seal;
}

std::vector<Seal> stored_seals(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  return read_seals(tx);
}

std::string seal_log_line(const Seal& s) {
  return nlohmann::json{{"id", s.id},
                        {"uptoTx", std::to_string(s.upto_tx)},
                        {"uptoPosition", s.upto_position},
                        {"events", s.events},
                        {"prevDigest", domain::to_hex(s.prev_digest)},
                        {"digest", domain::to_hex(s.digest)},
                        {"signature", s.signature_hex},
                        {"statement", domain::statement(s)}}
      .dump();
}

std::optional<Seal> seal_from_log_line(const std::string& line) {
  try {
    const auto j = nlohmann::json::parse(line);
    Seal s;
    s.id = j.at("id").get<std::uint64_t>();
    s.upto_tx = std::stoull(j.at("uptoTx").get<std::string>());
    s.upto_position = j.at("uptoPosition").get<std::int64_t>();
    s.events = j.at("events").get<std::uint64_t>();
    if (!domain::from_hex(j.at("prevDigest").get<std::string>(), s.prev_digest) ||
        !domain::from_hex(j.at("digest").get<std::string>(), s.digest)) {
      return std::nullopt;
    }
    s.signature_hex = j.at("signature").get<std::string>();
    return s;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

namespace {

// The seals themselves: the log (when given) against the database, their chain, their
// signatures. The first that does not hold, or nothing.
std::optional<std::string> check_seals(const std::vector<Seal>& seals, const VerifyOptions& options,
                                       VerifyReport& report) {
  if (options.seal_log) {
    const auto& log = *options.seal_log;
    for (const auto& logged : log) {
      const auto it = std::find_if(seals.begin(), seals.end(),
                                   [&](const Seal& s) { return s.id == logged.id; });
      if (it == seals.end()) {
        return "seal " + std::to_string(logged.id) +
               " is in the seal log but not in the database (removed?)";
      }
      if (!same(*it, logged)) {
        return "seal " + std::to_string(logged.id) +
               " differs between the database and the seal log (rewritten?)";
      }
    }
    if (seals.size() > log.size()) {
      report.notes.push_back(std::to_string(seals.size() - log.size()) +
                             " seal(s) of the database are not in the seal log yet");
    }
  }
  for (std::size_t i = 0; i < seals.size(); ++i) {
    const auto& s = seals[i];
    const Hash expected_prev = i == 0 ? Hash{} : seals[i - 1].digest;
    if (s.id != i + 1 || s.prev_digest != expected_prev) {
      return "seal " + std::to_string(s.id) + ": it does not follow seal " + std::to_string(i) +
             " (a seal removed or inserted)";
    }
    if (options.public_pem &&
        !domain::signature_holds(*options.public_pem, domain::statement(s), s.signature_hex)) {
      return "seal " + std::to_string(s.id) +
             ": its signature does not hold under the public key (forged or changed)";
    }
  }
  if (!options.public_pem && !seals.empty()) {
    report.notes.push_back("signatures not checked: no public key given");
  }
  return std::nullopt;
}

struct SealWalk {
  std::uint64_t seals = 0, sealed_events = 0, unsealed_events = 0;
  std::optional<std::string> failure;
  std::vector<std::string> notes;
};

std::string does_not_hold(const Seal& s) {
  return "seal " + std::to_string(s.id) + " (" + std::to_string(s.events) +
         " events up to position " + std::to_string(s.upto_position) +
         ") does not hold: an event in it was changed, removed or added";
}

// Whether seal `i` holds as sealers made it while they ordered transaction ids as text
// (1000 before 999): the `events` events after the previous seal's last one in numeric
// order (the range was bounded by a transaction id, so they are its events), digested
// in text order, the last of that order its last event. The text sorts in the database's
// collation, as then; PostgreSQL sorts, so memory stays bounded.
bool holds_in_text_order(pqxx::transaction_base& tx, const std::vector<Seal>& seals,
                         std::size_t i) {
  const auto& s = seals[i];
  const std::string after = i == 0 ? "'0'::xid8, 0"
                                   : tx.quote(std::to_string(seals[i - 1].upto_tx)) + "::xid8, " +
                                         std::to_string(seals[i - 1].upto_position);
  domain::SealDigest digest(s.prev_digest, s.id == 1);
  std::uint64_t count = 0, last_tx = 0;
  std::int64_t last_position = 0;
  stream_rows(tx,
              "SELECT s.tx_id::text, s.position, encode(s.hash, 'hex') FROM (SELECT e.tx_id, "
              "e.position, e.hash FROM events e WHERE (e.tx_id, e.position) > (" +
                  after + ")" + kInOrder + " LIMIT " + std::to_string(s.events) +
                  ") s ORDER BY s.tx_id::text, s.position",
              3, [&](const std::vector<std::string>& f) {
                last_tx = std::stoull(f[0]);
                last_position = std::stoll(f[1]);
                digest.add(last_position, hash_or_zero(f[2]));
                ++count;
                return true;
              });
  return count == s.events && last_tx == s.upto_tx && last_position == s.upto_position &&
         digest.finish() == s.digest;
}

// Every event in (transaction, position) order against the seal covering it. A seal whose
// digest this order does not reproduce, reached before all its events were, may have been
// made in text order: it is checked in that order once the walk is done. Such a seal
// covers events after its last one too, and the seal after it starts after its last one
// (as the sealer did): some events are in two seals, and are counted once.
SealWalk walk_seals(pqxx::transaction_base& tx, const std::vector<Seal>& seals) {
  SealWalk w;
  std::size_t k = 0;
  std::optional<domain::SealDigest> digest;
  std::uint64_t count = 0;
  std::uint64_t covered_ahead = 0;  // the next events a text-order seal covers
  std::vector<std::size_t> text_order;
  stream_rows(tx, std::string(kEventsInOrder) + kInOrder, 3,
              [&](const std::vector<std::string>& f) {
                const bool covered = k < seals.size() || covered_ahead > 0;
                if (covered_ahead > 0) --covered_ahead;
                ++(covered ? w.sealed_events : w.unsealed_events);
                if (k == seals.size()) return true;
                const auto& s = seals[k];
                const std::uint64_t tx_id = std::stoull(f[0]);
                const std::int64_t position = std::stoll(f[1]);
                if (std::pair(tx_id, position) > std::pair(s.upto_tx, s.upto_position)) {
                  w.failure = "seal " + std::to_string(s.id) + ": its last event (position " +
                              std::to_string(s.upto_position) +
                              ") is not in the store (deleted or re-inserted?)";
                  return false;
                }
                if (!digest) digest.emplace(s.prev_digest, s.id == 1);
                digest->add(position, hash_or_zero(f[2]));
                ++count;
                if (tx_id == s.upto_tx && position == s.upto_position) {
                  if (count > s.events) {
                    w.failure = does_not_hold(s);
                    return false;
                  }
                  if (count < s.events || digest->finish() != s.digest) {
                    text_order.push_back(k);
                    covered_ahead = std::max(covered_ahead, s.events - count);
                  }
                  ++w.seals;
                  digest.reset();
                  count = 0;
                  ++k;
                }
                return true;
              });
  if (!w.failure && k < seals.size()) {
    w.failure = "seal " + std::to_string(seals[k].id) + ": its last event (position " +
                std::to_string(seals[k].upto_position) + ") is not in the store";
  }
  // Each of them came before whatever failed in the walk.
  std::string ids;
  for (const auto i : text_order) {
    if (!holds_in_text_order(tx, seals, i)) {
      w.failure = does_not_hold(seals[i]);
      return w;
    }
    ids += (ids.empty() ? "" : ", ") + std::to_string(seals[i].id);
  }
  if (!ids.empty()) {
    const bool one = text_order.size() == 1;
    w.notes.push_back(std::string(one ? "seal " : "seals ") + ids + (one ? " holds" : " hold") +
                      " in the order it was made in: transaction ids as text (1000 before 999), "
                      "as sealers took them before that was fixed; later seals take them as "
                      "numbers");
  }
  return w;
}

using ReadOnlySnapshot = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

}  // namespace

// What one pass over the chains found: events checked, and the first failure.
struct ChainPass {
  std::uint64_t events = 0;
  std::optional<std::string> failure;
};

// Each stream in `range` (a WHERE clause on aggregate_type, aggregate_id: whole streams) in
// sequence order: contiguous from 1, every hash recomputed.
ChainPass verify_chains(pqxx::transaction_base& tx, const std::string& range) {
  ChainPass report;
  domain::Sha256 sha;
  std::string type, id;
  std::uint64_t expected = 1;
  Hash prev{};
  stream_rows(
      tx,
      "SELECT aggregate_type, aggregate_id, sequence, event_type, revision, payload::text, "
      "creator, owner, created_at, rpc, transport, request_id, encode(hash, 'hex'), position "
      "FROM events " +
          range + " ORDER BY aggregate_type, aggregate_id, sequence",
      14, [&](const std::vector<std::string>& f) {
        if (f[0] != type || f[1] != id) {
          type = f[0];
          id = f[1];
          expected = 1;
        }
        const auto sequence = std::stoull(f[2]);
        if (sequence != expected) {
          report.failure = event_name(f[0], f[1], f[2], f[13]) + ": sequence " +
                           std::to_string(expected) + " before it is missing (deleted?)";
          return false;
        }
        const auto created_us = utc_timestamp_micros(f[8]);
        if (!created_us) throw std::runtime_error("audit verify: cannot read the time " + f[8]);
        domain::HashedFields h;
        h.aggregate_type = f[0];
        h.aggregate_id = f[1];
        h.sequence = sequence;
        h.event_type = f[3];
        h.revision = std::stoi(f[4]);
        h.payload = f[5];
        h.creator = f[6];
        h.owner = f[7];
        h.created_us = *created_us;
        h.rpc = f[9];
        h.transport = f[10];
        h.request_id = f[11];
        const auto computed = sha.event_hash(h, sequence == 1 ? "" : domain::bytes_of(prev));
        Hash stored{};
        if (!domain::from_hex(f[12], stored)) {
          report.failure =
              event_name(f[0], f[1], f[2], f[13]) + ": it has no hash (written around the append?)";
          return false;
        }
        if (stored != computed) {
          report.failure = event_name(f[0], f[1], f[2], f[13]) +
                           ": its hash does not match its fields and the event before it "
                           "(changed, or an event before it was)";
          return false;
        }
        prev = stored;
        ++expected;
        ++report.events;
        return true;
      });
  return report;
}

// Runs `work` on a thread of its own (joined when the handle goes), on a new connection reading
// `snapshot` (times as the passes read them: UTC, ISO); what it throws is kept in `error`.
std::jthread in_snapshot(const std::string& database_url, const std::string& snapshot,
                         std::exception_ptr& error,
                         std::function<void(pqxx::transaction_base&)> work) {
  return std::jthread([&database_url, &snapshot, &error, work = std::move(work)] {
    try {
      pqxx::connection conn(database_url);
      ReadOnlySnapshot tx(conn);
      tx.exec("SET TRANSACTION SNAPSHOT " + tx.quote(snapshot));
      tx.exec("SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO'");
      work(tx);
    } catch (...) {
      error = std::current_exception();
    }
  });
}

VerifyReport verify_store(const std::string& database_url, const VerifyOptions& options) {
  VerifyReport report;
  // One snapshot for every pass, shared by two connections: events appended meanwhile
  // are simply not seen. The seals' walk runs beside the chains' on a connection of its
  // own: each pass is PostgreSQL producing rows, and two cores produce them faster.
  pqxx::connection conn(database_url);
  ReadOnlySnapshot tx(conn);
  // created_at as text, read back here: cheaper for the server than extract(epoch).
  tx.exec("SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO'");
  const auto snapshot = tx.exec1("SELECT pg_export_snapshot()")[0].as<std::string>();
  const auto seals = read_seals(tx);
  if (auto bad = check_seals(seals, options, report)) {
    report.failure = std::move(bad);
    return report;
  }
  SealWalk walk;
  std::exception_ptr walk_error;
  std::jthread walker =
      in_snapshot(database_url, snapshot, walk_error,
                  [&](pqxx::transaction_base& t) { walk = walk_seals(t, seals); });

  // (1) The chains, in two passes over disjoint halves of the streams, split at the middle
  // stream, the second on a connection of its own in the same snapshot: each pass is mostly
  // PostgreSQL producing rows, and two backends produce them on two cores.
  std::string lower, upper;
  {
    const auto streams = tx.exec1("SELECT count(*) FROM streams")[0].as<std::uint64_t>();
    const auto middle = streams < 2
                            ? pqxx::result{}
                            : tx.exec(
                                  "SELECT aggregate_type, aggregate_id FROM streams ORDER BY "
                                  "aggregate_type, aggregate_id OFFSET " +
                                  std::to_string(streams / 2) + " LIMIT 1");
    if (!middle.empty()) {
      const std::string at = "(" + tx.quote(middle[0][0].as<std::string>()) + ", " +
                             tx.quote(middle[0][1].as<std::string>()) + ")";
      lower = "WHERE (aggregate_type, aggregate_id) < " + at;
      upper = "WHERE (aggregate_type, aggregate_id) >= " + at;
    }
  }
  ChainPass second;
  std::exception_ptr second_error;
  std::jthread second_half;  // joins when the scope ends, whichever way
  if (!upper.empty()) {
    second_half = in_snapshot(database_url, snapshot, second_error,
                              [&](pqxx::transaction_base& t) { second = verify_chains(t, upper); });
  }
  const ChainPass first = verify_chains(tx, lower);
  if (second_half.joinable()) second_half.join();
  if (second_error) std::rethrow_exception(second_error);
  report.events = first.events + second.events;
  report.failure = first.failure ? first.failure : second.failure;

  // (2) Each head against its stream's last event: a deleted last event, or events
  // without a head, show here.
  if (!report.failure) {
    report.streams = tx.exec1("SELECT count(*) FROM streams")[0].as<std::uint64_t>();
    const auto head = tx.exec(
        "SELECT s.aggregate_type || '/' || s.aggregate_id, s.sequence, "
        "coalesce((SELECT max(x.sequence) FROM events x WHERE x.aggregate_type = "
        "s.aggregate_type AND x.aggregate_id = s.aggregate_id), 0) FROM streams s LEFT JOIN "
        "events e ON e.aggregate_type = s.aggregate_type AND e.aggregate_id = s.aggregate_id AND "
        "e.sequence = s.sequence WHERE e.hash IS NULL OR e.hash IS DISTINCT FROM s.last_hash OR "
        "EXISTS (SELECT 1 FROM events x WHERE x.aggregate_type = s.aggregate_type AND "
        "x.aggregate_id = s.aggregate_id AND x.sequence > s.sequence) LIMIT 1");
    if (!head.empty()) {
      report.failure = "stream " + head[0][0].as<std::string>() + ": its head says sequence " +
                       head[0][1].as<std::string>() + " and its last hash, its last event is " +
                       head[0][2].as<std::string>() +
                       " or holds another hash (events deleted at the end, or the head changed)";
    }
  }
  if (!report.failure) {
    const auto headless = tx.exec(
        "SELECT e.aggregate_type || '/' || e.aggregate_id FROM events e WHERE NOT EXISTS (SELECT "
        "1 FROM streams s WHERE s.aggregate_type = e.aggregate_type AND s.aggregate_id = "
        "e.aggregate_id) LIMIT 1");
    if (!headless.empty()) {
      report.failure = "stream " + headless[0][0].as<std::string>() + ": events without a head";
    }
  }

  // (3) The seals' walk, when it is done.
  walker.join();
  if (walk_error) std::rethrow_exception(walk_error);
  if (!report.failure) report.failure = walk.failure;
  report.notes.insert(report.notes.end(), walk.notes.begin(), walk.notes.end());
  report.seals = walk.seals;
  report.sealed_events = walk.sealed_events;
  report.unsealed_events = walk.unsealed_events;
  return report;
}

}  // namespace mu::eventstore
