#include "projections/catch_up.hpp"

#include <array>
#include <string_view>
#include <vector>

#include "eventstore/copy_stream.hpp"
#include "eventstore/event_store.hpp"

namespace mu::projections {

namespace {

// The window: committed in target, not in done (every transaction older than done's
// xmin is visible in done), past the position reached.
constexpr const char* kWindow =
    "tx_id >= pg_snapshot_xmin($1::pg_snapshot) AND NOT pg_visible_in_snapshot(tx_id, "
    "$1::pg_snapshot) AND pg_visible_in_snapshot(tx_id, $2::pg_snapshot) AND position > $3";

struct Checkpoint {
  std::string done;
  std::string target;
  std::int64_t position = 0;
};

Checkpoint lock_checkpoint(pqxx::transaction_base& tx, const std::string& name) {
  tx.exec_params(
      "INSERT INTO projection_checkpoints (projection) VALUES ($1) ON CONFLICT DO NOTHING", name);
  // A window not begun yet ends at what is committed now.
  const auto row = tx.exec_params1(
      "SELECT done_snapshot::text, coalesce(target_snapshot, pg_current_snapshot())::text, "
      "position FROM projection_checkpoints WHERE projection = $1 FOR UPDATE",
      name);
  return {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::int64_t>()};
}

// Whole window done: done becomes target. Else: remember how far into it.
void advance(pqxx::transaction_base& tx, const std::string& name, const Checkpoint& c,
             bool window_done, std::int64_t last_position, std::size_t reduced) {
  if (window_done) {
    tx.exec_params(
        "UPDATE projection_checkpoints SET done_snapshot = $2::pg_snapshot, target_snapshot = "
        "NULL, position = 0, events = events + $3, updated_at = now() WHERE projection = $1",
        name, c.target, static_cast<std::int64_t>(reduced));
  } else {
    tx.exec_params(
        "UPDATE projection_checkpoints SET target_snapshot = $2::pg_snapshot, position = $3, "
        "events = events + $4, updated_at = now() WHERE projection = $1",
        name, c.target, last_position, static_cast<std::int64_t>(reduced));
  }
}

}  // namespace

std::size_t catch_up_step(pqxx::transaction_base& tx, const std::string& checkpoint,
                          std::size_t limit, const ReduceBatch& reduce) {
  const auto c = lock_checkpoint(tx, checkpoint);
  // Not prepared: the planner sees the window and picks the tx_id index for a recent
  // one, the position index for a rebuild from the beginning.
  const auto rows =
      tx.exec_params(std::string("SELECT ") + eventstore::kEventColumns + " FROM events WHERE " +
                         kWindow + " ORDER BY position LIMIT $4",
                     c.done, c.target, c.position, static_cast<std::int64_t>(limit));
  std::vector<domain::StoredEvent> events;
  events.reserve(rows.size());
  for (const auto& row : rows) events.push_back(eventstore::event_from_row(row));
  if (!events.empty()) reduce(tx, events);
  const bool window_done = events.size() < limit;
  if (!events.empty() || window_done) {
    advance(tx, checkpoint, c, window_done, events.empty() ? c.position : events.back().position,
            events.size());
  }
  return events.size();
}

std::size_t catch_up_window(pqxx::transaction_base& tx, const std::string& checkpoint,
                            const std::function<void(const domain::StoredEvent&)>& each) {
  const auto c = lock_checkpoint(tx, checkpoint);
  const std::string query =
      std::string("SELECT ") + eventstore::kEventColumns + " FROM events WHERE " +
      "tx_id >= pg_snapshot_xmin(" + tx.quote(c.done) +
      "::pg_snapshot) AND NOT pg_visible_in_snapshot(tx_id, " + tx.quote(c.done) +
      "::pg_snapshot) AND pg_visible_in_snapshot(tx_id, " + tx.quote(c.target) +
      "::pg_snapshot) AND position > " + std::to_string(c.position) + " ORDER BY position";
  std::int64_t last = c.position;
  std::array<std::string_view, eventstore::kEventColumnCount> text;
  const auto total =
      eventstore::stream_rows(tx, query, text.size(), [&](const std::vector<std::string>& fields) {
        for (std::size_t i = 0; i < text.size(); ++i) text[i] = fields[i];
        const auto e = eventstore::event_from_text(text);
        each(e);
        last = e.position;
        return true;
      });
  advance(tx, checkpoint, c, true, last, total);
  return total;
}

std::optional<domain::StoredEvent> next_event(pqxx::transaction_base& tx,
                                              const std::string& checkpoint) {
  const auto c = lock_checkpoint(tx, checkpoint);
  const auto rows =
      tx.exec_params(std::string("SELECT ") + eventstore::kEventColumns + " FROM events WHERE " +
                         kWindow + " ORDER BY position LIMIT 1",
                     c.done, c.target, c.position);
  if (rows.empty()) return std::nullopt;
  return eventstore::event_from_row(rows[0]);
}

std::int64_t skip_next_event(pqxx::transaction_base& tx, const std::string& checkpoint) {
  const auto c = lock_checkpoint(tx, checkpoint);
  const auto rows = tx.exec_params(
      std::string("SELECT position FROM events WHERE ") + kWindow + " ORDER BY position LIMIT 1",
      c.done, c.target, c.position);
  if (rows.empty()) return 0;
  const auto position = rows[0][0].as<std::int64_t>();
  advance(tx, checkpoint, c, false, position, 0);
  return position;
}

CheckpointState checkpoint_state(pqxx::transaction_base& tx, const std::string& checkpoint) {
  CheckpointState s;
  const auto rows = tx.exec_params(
      "SELECT done_snapshot::text, events FROM projection_checkpoints WHERE projection = $1",
      checkpoint);
  s.done_snapshot = rows.empty() ? "3:3:" : rows[0][0].as<std::string>();
  s.events_reduced = rows.empty() ? 0 : rows[0][1].as<std::int64_t>();
  const auto behind = tx.exec_params1(
      "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 "
      "FROM events WHERE tx_id >= pg_snapshot_xmin($1::pg_snapshot) AND NOT "
      "pg_visible_in_snapshot(tx_id, $1::pg_snapshot)",
      s.done_snapshot);
  s.events_behind = behind[0].as<std::int64_t>();
  s.seconds_behind = behind[1].as<double>();
  return s;
}

void reset_checkpoint(pqxx::transaction_base& tx, const std::string& checkpoint) {
  tx.exec_params(
      "INSERT INTO projection_checkpoints (projection) VALUES ($1) ON CONFLICT (projection) DO "
      "UPDATE SET done_snapshot = '3:3:', target_snapshot = NULL, position = 0, events = 0, "
      "updated_at = now()",
      checkpoint);
}

void copy_checkpoint(pqxx::transaction_base& tx, const std::string& from, const std::string& to) {
  tx.exec_params(
      "INSERT INTO projection_checkpoints (projection, done_snapshot, target_snapshot, position, "
      "events) SELECT $2, done_snapshot, target_snapshot, position, events FROM "
      "projection_checkpoints WHERE projection = $1 ON CONFLICT (projection) DO UPDATE SET "
      "done_snapshot = excluded.done_snapshot, target_snapshot = excluded.target_snapshot, "
      "position = excluded.position, events = excluded.events, updated_at = now()",
      from, to);
}

}  // namespace mu::projections
