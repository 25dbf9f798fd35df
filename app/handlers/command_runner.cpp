#include "app/handlers/command_runner.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "app/platform/metrics.hpp"
#include "domain/permissions.hpp"
#include "eventstore/notifications.hpp"
#include "eventstore/transaction_status.hpp"
#include "projections/async_runner.hpp"
#include "projections/registry.hpp"

namespace mu::handlers {

namespace {

using domain::MachineUser;
using domain::MemberScope;

// What the runner needs to know of each kind of stream.
struct UserStream {
  using State = MachineUser;
  static constexpr int kRevision = domain::kMachineUserSnapshotRevision;
  static std::optional<State> from_snapshot(const nlohmann::json& j, int rev) {
    return domain::from_snapshot(j, rev);
  }
  static eventstore::AppendRequest keys(eventstore::AppendRequest req, const State& before,
                                        const std::vector<domain::NewEvent>& events) {
    auto names = domain::unique_name_changes(before, req.owner, events);
    for (auto& v : names.claim) req.claim.push_back({std::string(domain::kUserNameUniqueType), v});
    for (auto& v : names.release)
      req.release.push_back({std::string(domain::kUserNameUniqueType), v});
    return req;
  }
};

struct ScopeStream {
  using State = MemberScope;
  static constexpr int kRevision = domain::kMemberScopeSnapshotRevision;
  static std::optional<State> from_snapshot(const nlohmann::json& j, int rev) {
    return domain::from_snapshot_scope(j, rev);
  }
  static eventstore::AppendRequest keys(eventstore::AppendRequest req, const State&,
                                        const std::vector<domain::NewEvent>& events) {
    for (const auto& e : events) {
      if (e.type == domain::event_type::kOrgAdded) {
        req.claim.push_back(
            {std::string(domain::kOrgNameUniqueType),
             domain::org_name_unique_key(domain::payload_string(e.payload, "name"))});
      }
    }
    return req;
  }
};

template <class Stream>
struct Loaded {
  typename Stream::State state;
  std::uint64_t sequence = 0;
};

template <class Stream>
Loaded<Stream> load(platform::DbSession& db, pqxx::transaction_base& tx, const std::string& type,
                    const std::string& id, bool lock) {
  auto head = db.store().load_head(tx, type, id, lock);
  if (!head) return {};
  if (auto snap = Stream::from_snapshot(head->snapshot, head->snapshot_revision);
      snap && snap->sequence == head->sequence) {
    return {std::move(*snap), head->sequence};
  }
  // No usable snapshot (another revision): the events are the truth.
  typename Stream::State state{};
  for (const auto& e : db.store().read_stream(tx, type, id)) apply(state, e);
  return {state, head->sequence};
}

// The append of the decided events, and the write model after them (folded by the same
// apply), which the stream head keeps as its snapshot.
template <class Stream>
struct Planned {
  eventstore::AppendRequest request;
  typename Stream::State after;
};

template <class Stream>
Planned<Stream> append_request(const std::string& type, const StreamRef& stream,
                               const Loaded<Stream>& loaded, std::vector<domain::NewEvent> events) {
  eventstore::AppendRequest req;
  req.aggregate_type = type;
  req.aggregate_id = stream.id;
  req.owner = stream.owner;
  req.creator = stream.editor_id;
  req.origin = stream.origin;
  req.expected_sequence = loaded.sequence;

  typename Stream::State after = loaded.state;
  std::uint64_t seq = loaded.sequence;
  for (const auto& e : events) {
    domain::StoredEvent s;
    s.aggregate_type = type;
    s.aggregate_id = stream.id;
    s.sequence = ++seq;
    s.type = e.type;
    s.revision = e.revision;
    s.payload = e.payload;
    s.owner = req.owner;
    s.creator = req.creator;
    apply(after, s);
  }
  req.snapshot = to_snapshot(after);
  req.snapshot_revision = Stream::kRevision;
  req = Stream::keys(std::move(req), loaded.state, events);
  req.events = std::move(events);
  return {std::move(req), std::move(after)};
}

// What the stream head is after an append: the write-model cache's entry.
template <class Stream>
typename WriteModelCache<typename Stream::State>::Entry cache_entry(
    typename Stream::State after, const eventstore::Appended& appended) {
  typename WriteModelCache<typename Stream::State>::Entry entry{std::move(after), {}};
  const auto& last = appended.events.back();
  entry.head.sequence = last.sequence;
  entry.head.owner = last.owner;
  entry.head.last_hash = appended.last_hash;
  entry.head.created_us = domain::to_unix_micros(appended.stream_created_at);
  entry.head.updated_us = appended.updated_us;
  return entry;
}

void back_off(int attempt) {
  // Jitter so that the losers of one round do not collide again in the next.
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> micros(0, 200 * attempt);
  std::this_thread::sleep_for(std::chrono::microseconds(micros(rng)));
}

// Runs inside the command's transaction before its stream is read.
using BeforeDecide = std::function<void(pqxx::transaction_base&)>;

// A claimed key was taken by a call that committed first.
struct KeyTaken {};

// A write whose connection broke before its outcome came back (during COMMIT, or during a
// one-statement append): reconnect and ask `probe` what became of it, until known or the
// deadline passes. When the database cannot be reached at all the answer is Unknown at
// once: in an outage every call in flight lands here, and holding each worker for the whole
// deadline would keep the calls behind them from their quick 503.
using Probe = std::function<eventstore::TransactionStatus(pqxx::connection_base&)>;
eventstore::TransactionStatus settle(platform::DbSession& db, const Probe& probe) {
  using eventstore::TransactionStatus;
  const auto deadline = std::chrono::steady_clock::now() + kInDoubtDeadline;
  for (;;) {
    try {
      db.reset();
      db.connection();
    } catch (const std::exception& e) {
      (void)db.failure(e);
      return TransactionStatus::Unknown;
    }
    try {
      const auto status = probe(db.connection());
      if (status != TransactionStatus::InProgress) return status;
    } catch (const std::exception& e) {
      (void)db.failure(e);  // lost again meanwhile: try again until the deadline
    }
    if (std::chrono::steady_clock::now() >= deadline) return TransactionStatus::Unknown;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// Called with each committed append and the write model after it.
template <class Stream>
using OnCommitted =
    std::function<void(const eventstore::Appended&, const typename Stream::State& after)>;

// The transaction path: any command, any number of events, keys, idempotency.
template <class Stream>
domain::Result<CommandOutcome> run(Backend& b, const std::string& type, const StreamRef& stream,
                                   const Decision<typename Stream::State>& decide,
                                   const domain::Error& taken, const BeforeDecide& before = {},
                                   int first_attempt = 1,
                                   const OnCommitted<Stream>& committed = {}) {
  platform::DbSession& db = b.db;
  for (int attempt = first_attempt; attempt <= kMaxCommandAttempts; ++attempt) {
    CommandOutcome out;
    eventstore::Appended appended;
    typename Stream::State after{};
    bool changes_auth = false;
    try {
      pqxx::work tx(db.connection());
      if (before) before(tx);
      // The first attempt is optimistic; after losing a race, the head is locked
      // from the read on, so the next decision cannot be overtaken.
      auto loaded = load<Stream>(db, tx, type, stream.id, attempt > 1);
      if (stream.expected_sequence && *stream.expected_sequence != loaded.sequence) {
        return domain::Error{domain::Code::Aborted, "COMMAND-IfMatch",
                             "the object is at sequence " + std::to_string(loaded.sequence) +
                                 ", not " + std::to_string(*stream.expected_sequence) +
                                 " as If-Match says; read it again"};
      }
      auto decided = decide(loaded.state);
      if (!decided.ok()) return decided.error();
      auto planned = append_request<Stream>(type, stream, loaded, std::move(decided).value());
      after = std::move(planned.after);

      appended = db.store().append(tx, planned.request);
      out.events = appended.events;
      out.stream_created_at = appended.stream_created_at;
      db.reduce_inline(tx, out.events);
      changes_auth = std::any_of(out.events.begin(), out.events.end(), [](const auto& e) {
        return domain::affects_authentication(e.type);
      });
      // Delivered at COMMIT, to every instance's cache.
      if (changes_auth) eventstore::notify(tx, kAuthChannel, stream.id);
      // Wakes the async runners. Only when some run: NOTIFY takes a database-wide lock
      // at COMMIT, which orders committing writers one after another.
      if (projections::any_async()) eventstore::notify(tx, projections::kEventsChannel, "");
      if (const auto* key = stream.idempotency) {
        const auto& last = out.events.back();
        if (!db.idempotency().claim(tx, {stream.editor_id, key->key, key->request_hash, key->rpc,
                                         type, stream.id, last.sequence, std::nullopt})) {
          throw KeyTaken{};
        }
      }
      tx.commit();
    } catch (const eventstore::ConcurrencyConflict&) {
      ++platform::metrics().command_conflicts;
      if (attempt < kMaxCommandAttempts) ++platform::metrics().command_retries;
      back_off(attempt);
      continue;
    } catch (const eventstore::UniqueKeyTaken&) {
      return taken;
    } catch (const KeyTaken&) {
      return domain::Error{domain::Code::Aborted, kIdempotencyReplay,
                           "another call with this Idempotency-Key committed first"};
    } catch (const pqxx::in_doubt_error&) {
      ++platform::metrics().in_doubt_commits;
      // The events may or may not be in. Answer the truth, not a guess.
      switch (settle(db, [tx_id = out.events.back().tx_id](pqxx::connection_base& c) {
        return eventstore::transaction_status(c, tx_id);
      })) {
        case eventstore::TransactionStatus::Committed:
          break;  // as if COMMIT had answered
        case eventstore::TransactionStatus::Aborted:
          continue;  // nothing was written: run the command again
        default:
          return domain::Error{
              domain::Code::Unavailable, "COMMAND-InDoubt",
              "the database connection was lost during COMMIT and the outcome of the write is "
              "unknown; a retry with the same Idempotency-Key is safe"};
      }
    } catch (const std::exception& e) {
      return db.failure(e);
    }
    if (changes_auth) b.auth_cache.clear();
    platform::metrics().events_appended += out.events.size();
    // After an in-doubt COMMIT settled as committed, `appended` lacks nothing: it came
    // back before the COMMIT.
    if (committed) committed(appended, after);
    return out;
  }
  return domain::Error{domain::Code::Aborted, "COMMAND-CONFLICT",
                       "the object was changed concurrently too often; try again"};
}

using UserEntry = UserWriteModels::Entry;

// The outcome of a one-statement append found committed after its connection broke: its
// event and its stream's creation, read back.
domain::Result<CommandOutcome> committed_one(platform::DbSession& db, const std::string& type,
                                             const std::string& id,
                                             const eventstore::LostAppend& lost) {
  try {
    pqxx::nontransaction tx(db.connection());
    const auto head = db.store().load_head(tx, type, id);
    const auto events = db.store().read_stream(tx, type, id, lost.sequence - 1);
    if (!head || events.empty() || events.front().sequence != lost.sequence) {
      throw std::runtime_error("the committed event is not there to read back");
    }
    CommandOutcome out;
    out.events = {events.front()};
    out.stream_created_at = domain::from_unix_micros(head->created_us);
    platform::metrics().events_appended += 1;
    return out;
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

// The write model of a user from its stream head alone (one autocommit read), or nullopt
// when the head has no usable snapshot (the transaction path then folds the events).
std::optional<UserEntry> load_user(platform::DbSession& db, const std::string& type,
                                   const std::string& id) {
  pqxx::nontransaction tx(db.connection());
  auto head = db.store().load_head(tx, type, id);
  if (!head) return std::nullopt;
  auto state = UserStream::from_snapshot(head->snapshot, head->snapshot_revision);
  if (!state || state->sequence != head->sequence) return std::nullopt;
  return UserEntry{std::move(*state), std::move(*head)};
}

// The one-statement path of a user command: the write model from the cache (or one read),
// the decision, then one autocommit statement that appends the one event and reduces it
// into the inline read models (eventstore::EventStore::append_one). nullopt: the command
// takes the transaction path instead, which is always right; this one only when it can
// answer with certainty (see the cases below).
// `conflicted`: the stream moved under it (the transaction path should then lock at once).
std::optional<domain::Result<CommandOutcome>> run_user_one_statement(
    Backend& b, const std::string& type, const StreamRef& stream,
    const Decision<MachineUser>& decide, bool& conflicted) {
  // A key is claimed in the events' transaction: that needs the transaction path.
  if (stream.idempotency) return std::nullopt;
  platform::DbSession& db = b.db;
  auto entry = b.users.find(stream.id);
  const bool cached = entry.has_value();
  try {
    if (!cached) entry = load_user(db, type, stream.id);
  } catch (const std::exception& e) {
    return domain::Result<CommandOutcome>(db.failure(e));
  }
  if (!entry) return std::nullopt;  // no stream, or no usable snapshot
  // A cached entry may be stale: only the transaction path's read may refuse the call.
  if (stream.expected_sequence && *stream.expected_sequence != entry->head.sequence) {
    return std::nullopt;
  }
  auto decided = decide(entry->state);
  if (!decided.ok()) {
    if (cached) return std::nullopt;
    return domain::Result<CommandOutcome>(decided.error());
  }
  auto events = std::move(decided).value();
  // Events that change who may call are announced in the transaction (NOTIFY), and the
  // inline read models must all be able to take the event in SQL.
  if (events.size() != 1 || domain::affects_authentication(events.front().type)) {
    return std::nullopt;
  }
  const auto shares = projections::statement_shares(type, events.front().type);
  if (!shares) return std::nullopt;
  auto planned = append_request<UserStream>(
      type, stream, Loaded<UserStream>{entry->state, entry->head.sequence}, std::move(events));
  if (!eventstore::EventStore::one_statement_fits(planned.request, entry->head)) {
    return std::nullopt;
  }

  eventstore::Appended appended;
  try {
    appended = db.store().append_one(db.connection(), planned.request, entry->head, *shares);
  } catch (const eventstore::ConcurrencyConflict&) {
    // Another call (here or in another instance) moved the stream: decide again on what
    // the transaction path reads, under the head's lock.
    b.users.forget(stream.id);
    ++platform::metrics().command_conflicts;
    ++platform::metrics().command_retries;
    conflicted = true;
    return std::nullopt;
  } catch (const eventstore::LostAppend& lost) {
    b.users.forget(stream.id);
    ++platform::metrics().in_doubt_commits;
    switch (settle(db, [&](pqxx::connection_base& c) {
      return eventstore::settle_lost_append(c, lost, type, stream.id);
    })) {
      case eventstore::TransactionStatus::Committed:
        return committed_one(db, type, stream.id, lost);
      case eventstore::TransactionStatus::Aborted:
        return std::nullopt;  // nothing was written: the transaction path runs it
      default:
        return domain::Result<CommandOutcome>(domain::Error{
            domain::Code::Unavailable, "COMMAND-InDoubt",
            "the database connection was lost while the write was under way and its outcome "
            "is unknown; read the object to see whether it was applied, or retry with an "
            "Idempotency-Key"});
    }
  } catch (const std::exception& e) {
    b.users.forget(stream.id);
    return domain::Result<CommandOutcome>(db.failure(e));
  }
  b.users.remember(stream.id, cache_entry<UserStream>(std::move(planned.after), appended));
  platform::metrics().events_appended += 1;
  ++platform::metrics().one_statement_commands;
  CommandOutcome out;
  out.events = std::move(appended.events);
  out.stream_created_at = appended.stream_created_at;
  return domain::Result<CommandOutcome>(std::move(out));
}

}  // namespace

domain::Result<CommandOutcome> run_user_command(Backend& b, const StreamRef& stream,
                                                const Decision<MachineUser>& decide) {
  const std::string type(domain::kUserAggregate);
  bool conflicted = false;
  if (auto done = run_user_one_statement(b, type, stream, decide, conflicted)) {
    return std::move(*done);
  }
  return run<UserStream>(
      b, type, stream, decide,
      // The user stream's unique key is its user name (per organization).
      {domain::Code::AlreadyExists, "V3-DKcYh", "Errors.User.AlreadyExists"}, {},
      // After losing a race in the one-statement path, the head is read under its lock.
      conflicted ? 2 : 1, [&](const eventstore::Appended& appended, const MachineUser& after) {
        if (appended.last_hash) {
          b.users.remember(stream.id, cache_entry<UserStream>(after, appended));
        } else {
          b.users.forget(stream.id);
        }
      });
}

domain::Result<CommandOutcome> run_scope_command(Backend& b, domain::ScopeKind kind,
                                                 const StreamRef& stream,
                                                 const ScopeDecision& decide,
                                                 const std::string& member_user_id) {
  const auto type =
      kind == domain::ScopeKind::Org ? domain::kOrgAggregate : domain::kInstanceAggregate;
  bool member_exists = false;
  BeforeDecide lock_member;
  if (!member_user_id.empty()) {
    lock_member = [&](pqxx::transaction_base& tx) {
      const std::string user_type(domain::kUserAggregate);
      member_exists = load<UserStream>(b.db, tx, user_type, member_user_id, true).state.exists();
    };
  }
  return run<ScopeStream>(
      b, std::string(type), stream, [&](const MemberScope& s) { return decide(s, member_exists); },
      {domain::Code::AlreadyExists, "COMMAND-Bm2dx", "Organisation's name or id already taken"},
      lock_member);
}

}  // namespace mu::handlers
