#include "app/handlers/audit_requests.hpp"

#include "app/handlers/wkt_codec.hpp"

namespace mu::handlers {

namespace {

// A timestamp field of the request, when set; `field` names it in the error.
std::optional<domain::Error> read_time(bool present, const google::protobuf::Timestamp& ts,
                                       std::string_view field,
                                       std::optional<domain::Timestamp>& out) {
  if (!present) return std::nullopt;
  auto t = from_proto_timestamp(ts, field);
  if (!t.ok()) return t.error();
  out = *t;
  return std::nullopt;
}

}  // namespace

domain::Result<domain::EventsQuery> events_query(const zitadel::admin::v1::ListEventsRequest& req,
                                                 std::uint64_t after_position) {
  domain::EventsQuery q;
  q.sequence = req.sequence();
  q.limit = req.limit();
  q.asc = req.asc();
  q.editor_user_id = req.editor_user_id();
  q.event_types.assign(req.event_types().begin(), req.event_types().end());
  q.aggregate_id = req.aggregate_id();
  q.aggregate_types.assign(req.aggregate_types().begin(), req.aggregate_types().end());
  q.resource_owner = req.resource_owner();
  q.after_position = after_position;
  std::optional<domain::Error> error;
  if (req.has_range()) {
    error = read_time(req.range().has_since(), req.range().since(), "range.since", q.since);
    if (!error) {
      error = read_time(req.range().has_until(), req.range().until(), "range.until", q.until);
    }
  } else if (req.has_from()) {
    error = read_time(true, req.from(), "from", q.from);
  } else {
    // The deprecated creation_date acts as `from` when the oneof is unset: ZITADEL still
    // honours it, so we read it despite the deprecation.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    error = read_time(req.has_creation_date(), req.creation_date(), "creation_date", q.from);
#pragma GCC diagnostic pop
  }
  if (error) return *error;
  return q;
}

}  // namespace mu::handlers
