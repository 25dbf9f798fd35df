#include "projections/users_batch_reducer.hpp"

#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include <pqxx/stream_to>

#include <nlohmann/json.hpp>

#include "domain/machine_user.hpp"
#include "domain/time.hpp"

namespace mu::projections {

namespace {

namespace et = domain::event_type;
using nlohmann::json;

struct Row {
  std::string owner;
  int state = 1;
  std::string user_name, name, description;
  int access_token_type = 0;
  long long creation_us = 0, change_us = 0;
  std::int64_t sequence = 0, position = 0;
  bool dirty = false;
};

// What UsersProjection's statements do, on a row in memory (nullopt: no row).
void fold_event(std::optional<Row>& row, const domain::StoredEvent& e) {
  const auto seq = static_cast<std::int64_t>(e.sequence);
  const auto at = domain::to_unix_micros(e.created_at);
  if (e.type == et::kMachineAdded) {
    if (row) return;  // ON CONFLICT DO NOTHING
    row = Row{e.owner,
              1,
              domain::payload_string(e.payload, "userName"),
              domain::payload_string(e.payload, "name"),
              domain::payload_string(e.payload, "description"),
              domain::payload_int(e.payload, "accessTokenType"),
              at,
              at,
              seq,
              e.position,
              true};
    return;
  }
  if (!row || row->sequence >= seq) return;  // guarded by `sequence < $event`
  if (e.type == et::kMachineChanged) {
    // Only the fields the payload holds, as ->> with coalesce reads them.
    auto text = [&](const char* key, std::string& into) {
      if (!e.payload.is_object()) return;
      auto it = e.payload.find(key);
      if (it == e.payload.end() || it->is_null()) return;
      into = it->is_string() ? it->get<std::string>() : it->dump();
    };
    text("name", row->name);
    text("description", row->description);
    if (e.payload.is_object()) {
      auto it = e.payload.find("accessTokenType");
      if (it != e.payload.end() && it->is_number_integer()) row->access_token_type = it->get<int>();
    }
  } else if (const auto state = domain::state_after(e.type)) {
    row->state = static_cast<int>(*state);
  } else if (e.type == et::kRemoved) {
    row.reset();
    return;
  } else {
    return;
  }
  row->change_us = at;
  row->sequence = seq;
  row->position = e.position;
  row->dirty = true;
}

}  // namespace

void UsersBatchReducer::reduce(pqxx::transaction_base& tx,
                               const std::vector<domain::StoredEvent>& events) {
  std::set<std::string> ids;
  for (const auto& e : events) {
    if (e.aggregate_type == domain::kUserAggregate) ids.insert(e.aggregate_id);
  }
  if (ids.empty()) return;
  const auto table = tx.quote_name(table_);

  std::map<std::string, std::optional<Row>> rows;
  std::set<std::string> in_table;
  for (const auto& id : ids) rows[id];
  const auto found = tx.exec_params(
      "SELECT id, owner, state, user_name, name, description, access_token_type, "
      "(extract(epoch FROM creation_date) * 1000000)::bigint, "
      "(extract(epoch FROM change_date) * 1000000)::bigint, sequence, position FROM " +
          table + " WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))",
      json(ids).dump());
  for (const auto& r : found) {
    const auto id = r[0].as<std::string>();
    in_table.insert(id);
    rows[id] = Row{r[1].as<std::string>(),
                   r[2].as<int>(),
                   r[3].as<std::string>(),
                   r[4].as<std::string>(),
                   r[5].as<std::string>(),
                   r[6].as<int>(),
                   r[7].as<long long>(),
                   r[8].as<long long>(),
                   r[9].as<std::int64_t>(),
                   r[10].as<std::int64_t>(),
                   false};
  }
  for (const auto& e : events) {
    if (e.aggregate_type == domain::kUserAggregate) fold_event(rows[e.aggregate_id], e);
  }

  auto gone = json::array();
  auto upserts = json::array();
  for (const auto& [id, row] : rows) {
    if (!row) {
      if (in_table.count(id)) gone.push_back(id);
      continue;
    }
    if (!row->dirty) continue;
    upserts.push_back({{"id", id},
                       {"owner", row->owner},
                       {"state", row->state},
                       {"user_name", row->user_name},
                       {"name", row->name},
                       {"description", row->description},
                       {"access_token_type", row->access_token_type},
                       {"creation_us", row->creation_us},
                       {"change_us", row->change_us},
                       {"sequence", row->sequence},
                       {"position", row->position}});
  }
  if (!gone.empty()) {
    tx.exec_params(
        "DELETE FROM " + table + " WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))",
        gone.dump());
  }
  if (!upserts.empty()) {
    tx.exec_params(
        "INSERT INTO " + table +
            " (id, owner, state, user_name, name, description, access_token_type, creation_date, "
            "change_date, sequence, position) SELECT id, owner, state, user_name, name, "
            "description, access_token_type, 'epoch'::timestamptz + creation_us * interval '1 "
            "microsecond', 'epoch'::timestamptz + change_us * interval '1 microsecond', sequence, "
            "position FROM jsonb_to_recordset($1::jsonb) AS r(id text, owner text, state smallint, "
            "user_name text, name text, description text, access_token_type smallint, "
            "creation_us bigint, change_us bigint, sequence bigint, position bigint) "
            "ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, state = excluded.state, "
            "user_name = excluded.user_name, name = excluded.name, description = "
            "excluded.description, access_token_type = excluded.access_token_type, creation_date "
            "= excluded.creation_date, change_date = excluded.change_date, sequence = "
            "excluded.sequence, position = excluded.position",
        upserts.dump(-1, ' ', false, json::error_handler_t::replace));
  }
}

// The rows by user id, in an open-addressing index over one vector of rows. A replay
// looks a user up for every event, in an order that jumps across all users; the
// node-based unordered_map cost two or three cache misses a look-up (a fifth of a
// replay's time), this index about one: the slot (hash and row number) is small, and
// the row is touched anyway.
struct UsersFold::Rows {
  struct Entry {
    std::string id;
    std::optional<Row> row;
  };
  struct Slot {
    std::uint32_t hash = 0;
    std::uint32_t entry = 0;  // 1 + the index in `entries`; 0: empty
  };
  std::vector<Entry> entries;
  std::vector<Slot> slots = std::vector<Slot>(1024);

  std::optional<Row>& operator[](const std::string& id) {
    const auto hash = std::hash<std::string_view>{}(id);
    const auto tag = static_cast<std::uint32_t>(hash);
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      auto& slot = slots[i];
      if (slot.entry == 0) {
        entries.push_back({id, std::nullopt});
        slot = {tag, static_cast<std::uint32_t>(entries.size())};
        if (entries.size() * 2 > slots.size()) grow();
        return entries.back().row;
      }
      if (slot.hash == tag && entries[slot.entry - 1].id == id) return entries[slot.entry - 1].row;
    }
  }

  // Doubles the slots (kept at most half full) and places every entry again.
  void grow() {
    std::vector<Slot> bigger(slots.size() * 2);
    const std::size_t mask = bigger.size() - 1;
    for (std::size_t e = 0; e < entries.size(); ++e) {
      const auto hash = std::hash<std::string_view>{}(entries[e].id);
      std::size_t i = hash & mask;
      while (bigger[i].entry != 0) i = (i + 1) & mask;
      bigger[i] = {static_cast<std::uint32_t>(hash), static_cast<std::uint32_t>(e + 1)};
    }
    slots = std::move(bigger);
  }
};

UsersFold::UsersFold() : rows_(std::make_unique<Rows>()) {}
UsersFold::~UsersFold() = default;

void UsersFold::apply(const domain::StoredEvent& e) {
  if (e.aggregate_type == domain::kUserAggregate) fold_event((*rows_)[e.aggregate_id], e);
}

std::size_t UsersFold::copy_into(pqxx::transaction_base& tx, const std::string& table) {
  pqxx::stream_to copy(tx, table,
                       std::vector<std::string>{"id", "owner", "state", "user_name", "name",
                                                "description", "access_token_type", "creation_date",
                                                "change_date", "sequence", "position"});
  std::size_t n = 0;
  for (const auto& [id, row] : rows_->entries) {
    if (!row) continue;
    copy << std::make_tuple(
        id, row->owner, row->state, row->user_name, row->name, row->description,
        row->access_token_type, domain::to_rfc3339(domain::from_unix_micros(row->creation_us)),
        domain::to_rfc3339(domain::from_unix_micros(row->change_us)), row->sequence, row->position);
    ++n;
  }
  copy.complete();
  return n;
}

}  // namespace mu::projections
