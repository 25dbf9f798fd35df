// Audit queries' rules, pure: the English texts of event and aggregate types (ZITADEL's
// LocalizedMessage), and the limits of a change query.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <vector>

#include "domain/error.hpp"
#include "domain/event.hpp"
#include "domain/machine_user.hpp"
#include "domain/result.hpp"
#include "domain/time.hpp"

namespace mu::domain {

// "EventTypes.<type>" and its English text; the key itself where there is none.
std::string event_type_key(std::string_view type);
std::string event_type_message(std::string_view type);
// "AggregateTypes.<type>" and its English text; the key itself where there is none.
std::string aggregate_type_key(std::string_view type);
std::string aggregate_type_message(std::string_view type);

// Every event type and aggregate type this service writes, in the order of the table.
std::vector<std::string_view> event_types();
std::vector<std::string_view> aggregate_types();

// Every page holds at most this many entries; a limit of 0 asks for this many too.
inline constexpr std::uint32_t kMaxAuditPage = 1000;
inline std::uint32_t page_size(std::uint32_t requested) {
  return requested == 0 || requested > kMaxAuditPage ? kMaxAuditPage : requested;
}

// zitadel.change.v1.ChangeQuery over one user's events.
struct UserChangesQuery {
  std::string user_id;
  std::uint64_t sequence = 0;  // > 0: exclusive cursor in the direction of `asc`
  std::uint32_t limit = 0;
  bool asc = false;
};
std::optional<Error> validate(const UserChangesQuery& q);

// zitadel.admin.v1.ListEventsRequest over every event. Events come in (transaction,
// position) order, newest first unless `asc`, and only those of transactions that
// have ended for every reader (tx_id below the snapshot's xmin): so that a cursor of
// positions never passes an event that commits late. See docs/decisions.md.
struct EventsQuery {
  std::uint64_t sequence = 0;  // ZITADEL's: each event's own aggregate sequence, > (asc) or <
  std::uint32_t limit = 0;
  bool asc = false;
  std::string editor_user_id;
  std::vector<std::string> event_types;  // at most kMaxEventTypesFilter
  std::string aggregate_id;
  std::vector<std::string> aggregate_types;  // at most kMaxAggregateTypesFilter
  std::string resource_owner;
  std::optional<Timestamp> since;    // range: created strictly after since ...
  std::optional<Timestamp> until;    // ... and strictly before until
  std::optional<Timestamp> from;     // strict bound in the direction of `asc` (or creation_date)
  std::uint64_t after_position = 0;  // ours: > 0, the position of the last event seen
};
inline constexpr std::size_t kMaxEventTypesFilter = 30;
inline constexpr std::size_t kMaxAggregateTypesFilter = 10;
std::optional<Error> validate(const EventsQuery& q);

// A moment of a stream's history: after the event with `sequence`, or after the last
// event written at or before `time`.
struct AsOf {
  std::optional<std::uint64_t> sequence;
  std::optional<Timestamp> time;
};
// A sequence (decimal digits, at least 1) or an RFC 3339 timestamp; InvalidArgument else.
Result<AsOf> parse_as_of(std::string_view text);

// A machine user as of a moment, folded by the write model's own apply, with the dates
// its details report: its (last) creation and the last event folded.
struct UserAsOf {
  MachineUser user;
  Timestamp creation_date{};
  Timestamp change_date{};
};
// nullopt when the user did not exist yet at that moment. A removed user is returned
// with state Deleted: its history stays readable.
std::optional<UserAsOf> user_as_of(const std::vector<StoredEvent>& events, const AsOf& at);

}  // namespace mu::domain
