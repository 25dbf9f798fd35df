// For the unit tests of the command core: a CommandStore in memory, with the faults the
// core must answer (a rival writer between read and append, a lost COMMIT, a lost
// one-statement append, a server process that stays, a database that cannot be reached),
// a clock that only moves when slept on, and the counts the tests check (what was read,
// locked, appended, committed). No I/O.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "app/commands/command_context.hpp"
#include "app/commands/command_store.hpp"
#include "domain/machine_user.hpp"

namespace mu::commands::testing {

struct FakeStream {
  eventstore::StreamHead head;
  std::vector<domain::StoredEvent> events;
  std::vector<domain::Hash> hashes;  // of each event
};

// How a write's connection is lost: not at all, after the write took effect, or before.
enum class Lost { No, AfterWrite, BeforeWrite };

class FakeCommandStore final : public CommandStore {
 public:
  using StreamKey = std::pair<std::string, std::string>;  // (aggregate type, id)

  // ---- The database ----
  std::map<StreamKey, FakeStream> streams;
  std::map<std::pair<std::string, std::string>, std::string> unique_keys;  // -> aggregate id
  std::set<std::pair<std::string, std::string>> idempotency_keys;          // (caller, key)
  std::vector<std::pair<std::string, std::string>> delivered;  // NOTIFYs of committed writes
  std::set<std::uint64_t> committed_tx;

  // ---- What the core did ----
  int transactions = 0;
  int commits = 0;
  std::vector<bool> head_reads_locked;  // every head read in a transaction: FOR UPDATE?
  int autocommit_head_reads = 0;
  int appends = 0;  // in a transaction
  int one_statement_appends = 0;
  int reduced = 0;  // events reduced into the inline read models
  int reconnects = 0;
  int status_questions = 0;  // transaction_status and backend_gone

  // ---- Faults ----
  // Runs at every append (in a transaction or in one statement) before the head is checked:
  // another writer, who got there first.
  std::function<void()> rival;
  Lost lose_next_commit = Lost::No;
  Lost lose_next_append_one = Lost::No;
  std::optional<eventstore::TransactionStatus> forced_status;  // instead of the truth
  bool backend_stays = false;  // the server process of a lost append never goes
  bool unreachable = false;    // reconnect() fails

  // Commits user events as another writer would, the head's snapshot with them.
  void write_user(const std::string& id, std::vector<domain::NewEvent> events,
                  const std::string& owner = "org1") {
    auto& s = streams[{"user", id}];
    std::vector<domain::StoredEvent> stored;
    for (auto& e : events) {
      auto ev = stored_event("user", id, s.head.sequence + stored.size() + 1, std::move(e), owner,
                             "rival", next_tx_++);
      stored.push_back(std::move(ev));
    }
    auto all = s.events;
    all.insert(all.end(), stored.begin(), stored.end());
    const auto state = domain::reduce(all);
    apply_write({"user", id}, stored,
                {domain::to_snapshot(state), domain::kMachineUserSnapshotRevision, owner, {}, {}});
  }

  // A machine user as AddMachineUser makes it, named `name`.
  void add_user(const std::string& id, const std::string& name, const std::string& owner = "org1") {
    write_user(id,
               {{std::string(domain::event_type::kMachineAdded),
                 1,
                 {{"userName", id}, {"name", name}, {"description", ""}, {"accessTokenType", 0}}}},
               owner);
  }

  const FakeStream& stream(const std::string& id, const std::string& type = "user") const {
    return streams.at({type, id});
  }
  std::size_t event_count(const std::string& id, const std::string& type = "user") const {
    const auto it = streams.find({type, id});
    return it == streams.end() ? 0 : it->second.events.size();
  }

  // ---- CommandStore ----
  std::unique_ptr<CommandTransaction> begin() override {
    ++transactions;
    return std::make_unique<Transaction>(*this, next_tx_++);
  }

  std::optional<eventstore::StreamHead> read_head(const std::string& type,
                                                  const std::string& id) override {
    ++autocommit_head_reads;
    return head_of(type, id);
  }

  std::vector<domain::StoredEvent> read_events(const std::string& type, const std::string& id,
                                               std::uint64_t after_sequence) override {
    return events_after(type, id, after_sequence);
  }

  eventstore::Appended append_one(const eventstore::AppendRequest& request,
                                  const eventstore::StreamHead& head,
                                  const eventstore::StatementShares&) override {
    ++one_statement_appends;
    if (rival) rival();
    const auto now = head_of(request.aggregate_type, request.aggregate_id);
    if (!now || now->sequence != head.sequence || now->last_hash != head.last_hash) {
      throw eventstore::ConcurrencyConflict("the head moved");
    }
    const auto tx = next_tx_++;
    std::vector<domain::StoredEvent> stored{stored_event(
        request.aggregate_type, request.aggregate_id, head.sequence + 1, request.events.front(),
        request.owner.empty() ? head.owner : request.owner, request.creator, tx)};
    const auto lost = std::exchange(lose_next_append_one, Lost::No);
    if (lost == Lost::BeforeWrite) {
      throw eventstore::LostAppend(kLostPid, head.sequence + 1, hash_of(stored.front()));
    }
    auto appended = apply_write({request.aggregate_type, request.aggregate_id}, stored,
                                {request.snapshot, request.snapshot_revision, request.owner,
                                 request.claim, request.release});
    committed_tx.insert(tx);
    if (lost == Lost::AfterWrite) {
      throw eventstore::LostAppend(kLostPid, head.sequence + 1, *appended.last_hash);
    }
    return appended;
  }

  void reconnect() override {
    ++reconnects;
    if (unreachable) throw std::runtime_error("fake: the database cannot be reached");
  }

  eventstore::TransactionStatus transaction_status(std::uint64_t tx_id) override {
    ++status_questions;
    if (forced_status) return *forced_status;
    return committed_tx.count(tx_id) ? eventstore::TransactionStatus::Committed
                                     : eventstore::TransactionStatus::Aborted;
  }

  bool backend_gone(int backend_pid, const std::string&) override {
    ++status_questions;
    if (backend_pid != kLostPid) throw std::logic_error("fake: asked about another process");
    return !backend_stays;
  }

  bool event_stored(const std::string& type, const std::string& id,
                    const domain::Hash& hash) override {
    const auto it = streams.find({type, id});
    if (it == streams.end()) return false;
    const auto& hashes = it->second.hashes;
    return std::find(hashes.begin(), hashes.end(), hash) != hashes.end();
  }

  domain::Error failure(const std::exception& e) override {
    return {domain::Code::Unavailable, "FAKE-failure", e.what()};
  }

  static constexpr int kLostPid = 4242;

 private:
  struct HeadWrite {
    std::string snapshot;  // JSON text, as AppendRequest holds it
    int snapshot_revision = 0;
    std::string owner;
    std::vector<eventstore::UniqueKey> claim;
    std::vector<eventstore::UniqueKey> release;
  };

  class Transaction final : public CommandTransaction {
   public:
    Transaction(FakeCommandStore& store, std::uint64_t tx_id) : store_(store), tx_id_(tx_id) {}

    std::optional<eventstore::StreamHead> read_head(const std::string& type, const std::string& id,
                                                    bool lock) override {
      store_.head_reads_locked.push_back(lock);
      return store_.head_of(type, id);
    }
    std::vector<domain::StoredEvent> read_events(const std::string& type, const std::string& id,
                                                 std::uint64_t after_sequence) override {
      return store_.events_after(type, id, after_sequence);
    }
    eventstore::Appended append(const eventstore::AppendRequest& request) override {
      ++store_.appends;
      if (store_.rival) store_.rival();
      const auto head = store_.head_of(request.aggregate_type, request.aggregate_id);
      if ((head ? head->sequence : 0) != request.expected_sequence) {
        throw eventstore::ConcurrencyConflict("the head moved");
      }
      for (const auto& k : request.claim) {
        const auto it = store_.unique_keys.find({k.type, k.value});
        if (it != store_.unique_keys.end() && it->second != request.aggregate_id) {
          throw eventstore::UniqueKeyTaken(k, "taken");
        }
      }
      const std::string owner = request.owner.empty() && head ? head->owner : request.owner;
      std::uint64_t seq = request.expected_sequence;
      for (const auto& e : request.events) {
        staged_.push_back(store_.stored_event(request.aggregate_type, request.aggregate_id, ++seq,
                                              e, owner, request.creator, tx_id_));
      }
      key_ = {request.aggregate_type, request.aggregate_id};
      write_ = {request.snapshot, request.snapshot_revision, owner, request.claim, request.release};
      // What the append answers: the events, and the head as it will be.
      eventstore::Appended out;
      out.events = staged_;
      const auto created = head ? head->created_us : domain::to_unix_micros(staged_[0].created_at);
      out.stream_created_at = domain::from_unix_micros(created);
      out.last_hash = hash_of(staged_.back());
      out.updated_us = domain::to_unix_micros(staged_.back().created_at);
      return out;
    }
    void reduce_inline(const std::vector<domain::StoredEvent>& events) override {
      store_.reduced += static_cast<int>(events.size());
    }
    void notify(const std::string& channel, const std::string& payload) override {
      notified_.emplace_back(channel, payload);
    }
    bool claim_idempotency_key(const eventstore::IdempotencyRecord& record) override {
      if (store_.idempotency_keys.count({record.caller, record.key})) return false;
      claimed_ = std::make_pair(record.caller, record.key);
      return true;
    }
    void commit() override {
      const auto lost = std::exchange(store_.lose_next_commit, Lost::No);
      if (lost == Lost::BeforeWrite) throw CommitInDoubt("fake: lost before COMMIT");
      ++store_.commits;
      if (!staged_.empty()) store_.apply_write(key_, staged_, write_);
      if (claimed_) store_.idempotency_keys.insert(*claimed_);
      store_.delivered.insert(store_.delivered.end(), notified_.begin(), notified_.end());
      store_.committed_tx.insert(tx_id_);
      if (lost == Lost::AfterWrite) throw CommitInDoubt("fake: lost after COMMIT");
    }

   private:
    FakeCommandStore& store_;
    std::uint64_t tx_id_;
    StreamKey key_;
    std::vector<domain::StoredEvent> staged_;
    HeadWrite write_;
    std::optional<std::pair<std::string, std::string>> claimed_;
    std::vector<std::pair<std::string, std::string>> notified_;
  };

  std::optional<eventstore::StreamHead> head_of(const std::string& type,
                                                const std::string& id) const {
    const auto it = streams.find({type, id});
    if (it == streams.end()) return std::nullopt;
    return it->second.head;
  }

  std::vector<domain::StoredEvent> events_after(const std::string& type, const std::string& id,
                                                std::uint64_t after) const {
    std::vector<domain::StoredEvent> out;
    if (const auto it = streams.find({type, id}); it != streams.end()) {
      for (const auto& e : it->second.events) {
        if (e.sequence > after) out.push_back(e);
      }
    }
    return out;
  }

  domain::StoredEvent stored_event(const std::string& type, const std::string& id,
                                   std::uint64_t sequence, domain::NewEvent e,
                                   const std::string& owner, const std::string& creator,
                                   std::uint64_t tx) {
    domain::StoredEvent s;
    s.aggregate_type = type;
    s.aggregate_id = id;
    s.sequence = sequence;
    s.position = ++position_;
    s.tx_id = tx;
    s.type = std::move(e.type);
    s.revision = e.revision;
    s.payload = std::move(e.payload);
    s.creator = creator;
    s.owner = owner;
    s.created_at = domain::from_unix_micros(kEpochUs + position_);
    return s;
  }

  // A stand-in for the chained hash: one of its own for every event (by its position).
  static domain::Hash hash_of(const domain::StoredEvent& e) {
    domain::Hash h{};
    const auto v = static_cast<std::uint64_t>(e.position);
    for (std::size_t i = 0; i < 8; ++i) h[i] = static_cast<unsigned char>(v >> (8 * i));
    h[31] = 0xfe;
    return h;
  }

  eventstore::Appended apply_write(const StreamKey& key,
                                   const std::vector<domain::StoredEvent>& stored,
                                   const HeadWrite& write) {
    auto& s = streams[key];
    const bool fresh = s.events.empty();
    for (const auto& e : stored) {
      s.events.push_back(e);
      s.hashes.push_back(hash_of(e));
    }
    auto& h = s.head;
    h.sequence = stored.back().sequence;
    if (fresh) {
      h.owner = write.owner;
      h.created_us = domain::to_unix_micros(stored.front().created_at);
    }
    // The head holds a document, as a load from PostgreSQL gives it.
    h.snapshot = write.snapshot.empty() ? nlohmann::json() : nlohmann::json::parse(write.snapshot);
    h.snapshot_revision = write.snapshot_revision;
    h.last_hash = s.hashes.back();
    h.updated_us = domain::to_unix_micros(stored.back().created_at);
    for (const auto& k : write.release) unique_keys.erase({k.type, k.value});
    for (const auto& k : write.claim) unique_keys[{k.type, k.value}] = key.second;
    return {stored, domain::from_unix_micros(h.created_us), h.last_hash, h.updated_us};
  }

  static constexpr long long kEpochUs = 1'800'000'000'000'000LL;
  std::int64_t position_ = 0;
  std::uint64_t next_tx_ = 1000;
};

// A clock that moves only when slept on: the core's waits cost no time in a test.
class FakeCommandClock final : public CommandClock {
 public:
  std::chrono::steady_clock::time_point now() override { return now_; }
  void sleep(std::chrono::microseconds d) override {
    now_ += d;
    ++sleeps;
  }
  std::chrono::steady_clock::duration elapsed() const { return now_ - start_; }
  int sleeps = 0;

 private:
  const std::chrono::steady_clock::time_point start_{};
  std::chrono::steady_clock::time_point now_{};
};

// The core's context on the fakes, with an empty write-model cache.
struct FakeCommandBench {
  FakeCommandStore store;
  UserWriteModels users{64};
  AuthCache auth_cache;
  FakeCommandClock clock;
  CommandContext ctx{store, users, auth_cache, clock};
};

// A user command's stream in organization org1, by editor1.
inline StreamRef user_ref(std::string id, std::optional<std::uint64_t> if_match = std::nullopt,
                          const api::IdempotencyKey* key = nullptr) {
  return StreamRef{
      std::move(id), "org1",
      "editor1",     if_match,
      key,           {"zitadel.management.v1.ManagementService/UpdateMachine", "rest", "req-1"}};
}

// UpdateMachine to `name` (description and token type as a user is added with), noting
// the name of each write model it is decided on.
inline Decision<domain::MachineUser> rename_to(const std::string& id, std::string name,
                                               std::vector<std::string>* seen = nullptr) {
  return [=](const domain::MachineUser& u) {
    if (seen) seen->push_back(u.name);
    return domain::decide(u, domain::UpdateMachine{id, "org1", name, "", {}});
  };
}

inline Decision<domain::MachineUser> change_state(const std::string& id, domain::Lifecycle action) {
  return [=](const domain::MachineUser& u) {
    return domain::decide(u, domain::ChangeUserState{action, id, "org1"});
  };
}

}  // namespace mu::commands::testing
