#include "app/handlers/command_runner.hpp"

#include <chrono>
#include <random>
#include <thread>

namespace mu::handlers {

namespace {

using domain::MachineUser;

struct Loaded {
  MachineUser state;
  std::uint64_t sequence = 0;
};

Loaded load(runtime::DbSession& db, pqxx::transaction_base& tx, const std::string& user_id,
            bool lock) {
  const std::string type(domain::kUserAggregate);
  auto head = db.store().load_head(tx, type, user_id, lock);
  if (!head) return {};
  if (auto snap = domain::from_snapshot(head->snapshot, head->snapshot_revision);
      snap && snap->sequence == head->sequence) {
    return {std::move(*snap), head->sequence};
  }
  // No usable snapshot (older revision): the events are the truth.
  auto state = domain::reduce(db.store().read_stream(tx, type, user_id));
  return {state, state.sequence};
}

eventstore::AppendRequest append_request(const CommandMeta& meta, const Loaded& loaded,
                                         std::vector<domain::NewEvent> events) {
  eventstore::AppendRequest req;
  req.aggregate_type = domain::kUserAggregate;
  req.aggregate_id = meta.user_id;
  req.owner = loaded.sequence == 0 || loaded.state.owner.empty() ? meta.org_id : loaded.state.owner;
  req.creator = meta.editor_id;
  req.expected_sequence = loaded.sequence;

  // The snapshot is the write model after the events, folded by the same apply.
  MachineUser after = loaded.state;
  std::uint64_t seq = loaded.sequence;
  for (const auto& e : events) {
    domain::StoredEvent s;
    s.aggregate_type = req.aggregate_type;
    s.aggregate_id = req.aggregate_id;
    s.sequence = ++seq;
    s.type = e.type;
    s.revision = e.revision;
    s.payload = e.payload;
    s.owner = req.owner;
    s.creator = req.creator;
    domain::apply(after, s);
  }
  req.snapshot = domain::to_snapshot(after);
  req.snapshot_revision = domain::kMachineUserSnapshotRevision;

  auto names = domain::unique_name_changes(loaded.state, req.owner, events);
  for (auto& v : names.claim) req.claim.push_back({std::string(domain::kUserNameUniqueType), v});
  for (auto& v : names.release)
    req.release.push_back({std::string(domain::kUserNameUniqueType), v});
  req.events = std::move(events);
  return req;
}

void back_off(int attempt) {
  // Jitter so that the losers of one round do not collide again in the next.
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> micros(0, 200 * attempt);
  std::this_thread::sleep_for(std::chrono::microseconds(micros(rng)));
}

}  // namespace

domain::Result<CommandOutcome> run_user_command(runtime::DbSession& db, const CommandMeta& meta,
                                                const Decision& decide) {
  for (int attempt = 1; attempt <= kMaxCommandAttempts; ++attempt) {
    try {
      pqxx::work tx(db.connection());
      // The first attempt is optimistic; after losing a race, the head is locked
      // from the read on, so the next decision cannot be overtaken.
      Loaded loaded = load(db, tx, meta.user_id, attempt > 1);
      auto decided = decide(loaded.state);
      if (!decided.ok()) return decided.error();
      auto request = append_request(meta, loaded, std::move(decided).value());

      CommandOutcome out;
      // A removal deletes the read model row; its creation date is read first.
      out.events = db.store().append(tx, request);
      out.row = db.users().apply_inline(tx, out.events);
      tx.commit();
      return out;
    } catch (const eventstore::ConcurrencyConflict&) {
      back_off(attempt);
    } catch (const eventstore::UniqueKeyTaken&) {
      return domain::Error{domain::Code::AlreadyExists, "COMMAND-k2una", "User already exists"};
    } catch (const std::exception& e) {
      return db.failure(e);
    }
  }
  return domain::Error{domain::Code::Aborted, "COMMAND-CONFLICT",
                       "the user was changed concurrently too often; try again"};
}

}  // namespace mu::handlers
