// The pure steps of a command around its decision: what the runner knows of each kind of
// stream, its write model loaded from the head (or folded from the events when the
// snapshot is of another revision), the append planned from the decided events (with the
// write model after them as the head's new snapshot, and the unique keys they claim or
// release), and the write-model cache's entry after an append. Both paths use them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/commands/backend.hpp"
#include "app/commands/command_runner.hpp"
#include "app/commands/command_store.hpp"
#include "domain/machine_user.hpp"
#include "domain/org.hpp"

namespace mu::commands {

// A machine user's stream: its write model, and user names as unique keys.
struct UserStream {
  using State = domain::MachineUser;
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

// An organization's or the instance's stream: its members, and org names as unique keys.
struct ScopeStream {
  using State = domain::MemberScope;
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

// The write model in a transaction: the head's snapshot, or the events folded.
template <class Stream>
Loaded<Stream> load(CommandTransaction& tx, const std::string& type, const std::string& id,
                    bool lock) {
  auto head = tx.read_head(type, id, lock);
  if (!head) return {};
  if (auto snap = Stream::from_snapshot(head->snapshot, head->snapshot_revision);
      snap && snap->sequence == head->sequence) {
    return {std::move(*snap), head->sequence};
  }
  // No usable snapshot (another revision): the events are the truth.
  typename Stream::State state{};
  for (const auto& e : tx.read_events(type, id)) apply(state, e);
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
Planned<Stream> plan_append(const std::string& type, const StreamRef& stream,
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

}  // namespace mu::commands
