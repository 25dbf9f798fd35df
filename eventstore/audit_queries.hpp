// Reads of the event store for auditors: the changes of one user (ListUserChanges) and
// the events of any filter (ListEvents, `machine-users audit events`). Plain reads of
// the events table, through its indexes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "domain/audit.hpp"
#include "domain/time.hpp"

namespace mu::eventstore {

struct ChangeRow {
  std::uint64_t sequence = 0;
  std::string type;
  domain::Timestamp created_at{};
  std::string creator;
  std::string owner;
};

// The user's events owned by `owner` (another organization's user reads as none), in
// sequence order as the query asks, after its cursor, at most page_size(limit) of them.
std::vector<ChangeRow> user_changes(pqxx::transaction_base& tx, const domain::UserChangesQuery& q,
                                    const std::string& owner);

// One event as ListEvents and `audit events` show it.
struct EventRow {
  std::int64_t position = 0;
  std::string aggregate_type;
  std::string aggregate_id;
  std::uint64_t sequence = 0;
  std::string type;
  std::string payload;  // the JSON text
  std::string creator;
  std::string owner;
  domain::Timestamp created_at{};
  std::string rpc;
  std::string transport;
  std::string request_id;
};
// The columns of an EventRow, in the order events_select selects them.
inline constexpr std::size_t kEventRowColumns = 12;
EventRow event_row_from(const std::vector<std::string>& columns);

// Where readers of the (transaction, position) order may look: below this transaction id
// (xid8 text), every transaction of this database has ended. Read in a statement of its
// own *before* the events' snapshot: a transaction still open then had its id listed (or
// took one after, above the bound), so an event below the bound that is not visible now
// cannot exist. Unlike the snapshot's xmin, transactions of other databases on the
// cluster (another service, a pg_dump) do not hold it back.
std::string visibility_horizon(pqxx::transaction_base& tx);

// Where a page of the (transaction, position) order may look, read in one statement of
// its own before the page's snapshot (see visibility_horizon): the horizon, and the
// transaction of the event at `after_position` (empty when it is 0). nullopt when no
// event has that position (the caller's error).
struct EventsWindow {
  std::string horizon;
  std::string cursor_tx;
};
std::optional<EventsWindow> events_window(pqxx::transaction_base& tx, std::uint64_t after_position);

// The SELECT of the events `q` asks for, its values quoted by `tx`, so that one text
// serves a page (exec) and a stream (COPY). `only_owner`, when not empty, keeps the
// events of that organization alone. `w`: events_window(), read before.
// `limit` 0: every matching event (the stream), else at most that many.
std::string events_select(pqxx::transaction_base& tx, const domain::EventsQuery& q,
                          const std::string& only_owner, const EventsWindow& w, std::size_t limit);

// A page of events_select.
std::vector<EventRow> list_events(pqxx::transaction_base& tx, const std::string& select);

}  // namespace mu::eventstore
