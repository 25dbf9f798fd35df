#include "app/rest/messages_json.hpp"

#include <charconv>
#include <limits>

#include "app/rest/protojson.hpp"
#include "app/rest/routes.hpp"
#include "domain/validation.hpp"

namespace mu::rest {

using nlohmann::json;

namespace {

const EnumNames kAccessTokenTypes = {{"ACCESS_TOKEN_TYPE_BEARER", 0}, {"ACCESS_TOKEN_TYPE_JWT", 1}};

std::optional<domain::Error> read_token_type(const json& msg, domain::AccessTokenType& out) {
  int number = static_cast<int>(out);
  auto error = read_enum(msg, {"accessTokenType", "access_token_type"}, kAccessTokenTypes, number);
  out = static_cast<domain::AccessTokenType>(number);
  return error;
}

using domain::first_error;

// protojson leaves fields at their default value out of its output.
// zitadel.v1.LocalizedMessage.
json localized(const std::string& key, const std::string& message) {
  return {{"key", key}, {"localizedMessage", message}};
}

// A message whose only field is repeated: protojson leaves an empty one out ({}).
json with_repeated(const char* name, json items) {
  if (items.empty()) return json::object();
  json out = json::object();
  out[name] = std::move(items);
  return out;
}

void put_string(json& j, const char* name, const std::string& v) {
  if (!v.empty()) j[name] = v;
}
void put_time(json& j, const char* name, domain::Timestamp t) {
  if (t != domain::Timestamp{}) j[name] = domain::to_rfc3339(t);
}

}  // namespace

domain::Result<api::AddMachineUserRequest> decode_add_machine_user(std::string_view body) {
  auto msg = parse_message(body);
  if (!msg.ok()) return msg.error();
  api::AddMachineUserRequest r;
  auto error = first_error(
      [&] {
        return read_string(*msg, {"userName", "user_name"}, r.user_name);
      },
      [&] {
        return read_string(*msg, {"name", "name"}, r.name);
      },
      [&] {
        return read_string(*msg, {"description", "description"}, r.description);
      },
      [&] { return read_token_type(*msg, r.access_token_type); },
      [&] {
        return read_optional_string(*msg, {"userId", "user_id"}, r.user_id);
      });
  if (error) return *error;
  return r;
}

domain::Result<api::UpdateMachineRequest> decode_update_machine(std::string_view body,
                                                                const std::string& path_user_id) {
  auto msg = parse_message(body);
  if (!msg.ok()) return msg.error();
  api::UpdateMachineRequest r;
  auto error = first_error(
      [&] {
        return read_string(*msg, {"userId", "user_id"}, r.user_id);
      },
      [&] {
        return read_string(*msg, {"name", "name"}, r.name);
      },
      [&] {
        return read_string(*msg, {"description", "description"}, r.description);
      },
      [&] { return read_token_type(*msg, r.access_token_type); });
  if (error) return *error;
  r.user_id = path_user_id;
  return r;
}

domain::Result<api::AddPersonalAccessTokenRequest> decode_add_personal_access_token(
    std::string_view body, const std::string& path_user_id) {
  auto msg = parse_message(body);
  if (!msg.ok()) return msg.error();
  api::AddPersonalAccessTokenRequest r;
  if (auto e = read_timestamp(*msg, {"expirationDate", "expiration_date"}, r.expiration_date))
    return *e;
  r.user_id = path_user_id;
  return r;
}

domain::Result<api::AddOrgRequest> decode_add_org(std::string_view body) {
  auto msg = parse_message(body);
  if (!msg.ok()) return msg.error();
  api::AddOrgRequest r;
  if (auto e = read_string(*msg, {"name", "name"}, r.name)) return *e;
  return r;
}

domain::Result<api::GetUserByIDRequest> decode_get_user_by_id(const std::string& path_user_id,
                                                              std::string_view query) {
  api::GetUserByIDRequest r{path_user_id};
  auto as_of = query_parameter(query, "asOf");
  if (!as_of.ok()) return as_of.error();
  if (*as_of) {
    auto at = domain::parse_as_of(**as_of);
    if (!at.ok()) return at.error();
    r.as_of = *at;
  }
  return r;
}

domain::Result<api::ListUserChangesRequest> decode_list_user_changes(
    std::string_view body, const std::string& path_user_id) {
  auto msg = parse_message(body);
  if (!msg.ok()) return msg.error();
  api::ListUserChangesRequest r;
  r.query.user_id = path_user_id;
  auto query = read_message(*msg, {"query", "query"});
  if (!query.ok()) return query.error();
  if (const json* q = *query) {
    std::uint64_t limit = 0;
    auto error = first_error(
        [&] {
          return read_unsigned(*q, {"sequence", "sequence"},
                               std::numeric_limits<std::uint64_t>::max(), r.query.sequence);
        },
        [&] {
          return read_unsigned(*q, {"limit", "limit"}, std::numeric_limits<std::uint32_t>::max(),
                               limit);
        },
        [&] {
          return read_bool(*q, {"asc", "asc"}, r.query.asc);
        });
    if (error) return *error;
    r.query.limit = static_cast<std::uint32_t>(limit);
  }
  return r;
}

domain::Result<api::ListEventsRequest> decode_list_events(std::string_view body) {
  auto msg = parse_message(body);
  if (!msg.ok()) return msg.error();
  api::ListEventsRequest r;
  auto& q = r.query;
  std::uint64_t limit = 0;
  const json* range = nullptr;
  std::optional<domain::Timestamp> creation_date;
  auto error = first_error(
      [&] {
        return read_unsigned(*msg, {"sequence", "sequence"},
                             std::numeric_limits<std::uint64_t>::max(), q.sequence);
      },
      [&] {
        return read_unsigned(*msg, {"limit", "limit"}, std::numeric_limits<std::uint32_t>::max(),
                             limit);
      },
      [&] {
        return read_bool(*msg, {"asc", "asc"}, q.asc);
      },
      [&] {
        return read_string(*msg, {"editorUserId", "editor_user_id"}, q.editor_user_id);
      },
      [&] {
        return read_strings(*msg, {"eventTypes", "event_types"}, q.event_types);
      },
      [&] {
        return read_string(*msg, {"aggregateId", "aggregate_id"}, q.aggregate_id);
      },
      [&] {
        return read_strings(*msg, {"aggregateTypes", "aggregate_types"}, q.aggregate_types);
      },
      [&] {
        return read_string(*msg, {"resourceOwner", "resource_owner"}, q.resource_owner);
      },
      [&] {
        return read_timestamp(*msg, {"creationDate", "creation_date"}, creation_date);
      },
      [&]() -> std::optional<domain::Error> {
        auto found = read_message(*msg, {"range", "range"});
        if (!found.ok()) return found.error();
        range = *found;
        return std::nullopt;
      },
      [&] {
        return read_timestamp(*msg, {"from", "from"}, q.from);
      },
      [&] {
        // Ours, not in ZITADEL's message: the position of the last event seen.
        return read_unsigned(*msg, {"afterPosition", "after_position"},
                             std::numeric_limits<std::int64_t>::max(), q.after_position);
      });
  if (error) return *error;
  if (range) {
    if (q.from) {
      return domain::invalid_argument(
          "range and from are one oneof (creation_date_filter): set one of them");
    }
    error = first_error(
        [&] {
          return read_timestamp(*range, {"since", "since"}, q.since);
        },
        [&] {
          return read_timestamp(*range, {"until", "until"}, q.until);
        });
    if (error) return *error;
  }
  // The deprecated creation_date acts as `from` when neither range nor from is set.
  if (!q.from && !range && creation_date) q.from = creation_date;
  q.limit = static_cast<std::uint32_t>(limit);
  return r;
}

domain::Result<api::AddMemberRequest> decode_member(std::string_view body,
                                                    const std::string& path_user_id) {
  auto msg = parse_message(body);
  if (!msg.ok()) return msg.error();
  api::AddMemberRequest r;
  auto error = first_error(
      [&] {
        return read_string(*msg, {"userId", "user_id"}, r.user_id);
      },
      [&] {
        return read_strings(*msg, {"roles", "roles"}, r.roles);
      });
  if (error) return *error;
  if (!path_user_id.empty()) r.user_id = path_user_id;
  return r;
}

json encode(const api::ObjectDetails& d) {
  json j = json::object();
  if (d.sequence != 0) j["sequence"] = uint64_string(d.sequence);
  put_time(j, "creationDate", d.creation_date);
  put_time(j, "changeDate", d.change_date);
  put_string(j, "resourceOwner", d.resource_owner);
  return j;
}

json encode(const api::AddMachineUserResponse& r) {
  return {{"userId", r.user_id}, {"details", encode(r.details)}};
}

json encode(const api::UpdateMachineResponse& r) {
  return {{"details", encode(r.details)}};
}

json encode(const api::UserLifecycleResponse& r) {
  return {{"details", encode(r.details)}};
}

json encode(const api::GetUserByIDResponse& r) {
  const auto& u = r.user;
  json machine = json::object();
  put_string(machine, "name", u.machine.name);
  put_string(machine, "description", u.machine.description);
  if (u.machine.has_secret) machine["hasSecret"] = true;
  if (u.machine.access_token_type != domain::AccessTokenType::Bearer) {
    machine["accessTokenType"] = domain::to_string(u.machine.access_token_type);
  }
  json user = json::object();
  put_string(user, "id", u.id);
  user["details"] = encode(u.details);
  if (u.state != domain::UserState::Unspecified) user["state"] = domain::to_string(u.state);
  put_string(user, "userName", u.user_name);
  user["machine"] = std::move(machine);
  return {{"user", std::move(user)}};
}

}  // namespace mu::rest

namespace mu::rest {

json encode(const api::AddPersonalAccessTokenResponse& r) {
  return {{"tokenId", r.token_id}, {"token", r.token}, {"details", encode(r.details)}};
}

json encode(const api::RemovePersonalAccessTokenResponse& r) {
  return {{"details", encode(r.details)}};
}

json encode(const api::AddOrgResponse& r) {
  return {{"id", r.id}, {"details", encode(r.details)}};
}

json encode(const api::GetMyOrgResponse& r) {
  json org = {{"id", r.org.id}, {"details", encode(r.org.details)}, {"state", "ORG_STATE_ACTIVE"}};
  put_string(org, "name", r.org.name);
  return {{"org", std::move(org)}};
}

json encode(const api::MemberResponse& r) {
  return {{"details", encode(r.details)}};
}

json encode(const api::ListUserChangesResponse& r) {
  json result = json::array();
  for (const auto& c : r.result) {
    json change = json::object();
    change["changeDate"] = domain::to_rfc3339(c.change_date);
    change["eventType"] =
        localized(domain::event_type_key(c.event_type), domain::event_type_message(c.event_type));
    change["sequence"] = uint64_string(c.sequence);
    put_string(change, "editorId", c.editor_id);
    put_string(change, "editorDisplayName", c.editor_display_name);
    put_string(change, "resourceOwnerId", c.resource_owner_id);
    put_string(change, "editorPreferredLoginName", c.editor_preferred_login_name);
    result.push_back(std::move(change));
  }
  return with_repeated("result", std::move(result));
}

namespace {

json event_type_json(const std::string& t) {
  return {{"type", t},
          {"localized", localized(domain::event_type_key(t), domain::event_type_message(t))}};
}
json aggregate_type_json(const std::string& t) {
  return {
      {"type", t},
      {"localized", localized(domain::aggregate_type_key(t), domain::aggregate_type_message(t))}};
}

}  // namespace

json encode(const api::ListEventsResponse& r) {
  json events = json::array();
  for (const auto& e : r.events) {
    json editor = json::object();
    put_string(editor, "userId", e.editor_user_id);
    put_string(editor, "displayName", e.editor_display_name);
    editor["service"] = "zitadel";
    json aggregate = json::object();
    put_string(aggregate, "id", e.aggregate_id);
    aggregate["type"] = aggregate_type_json(e.aggregate_type);
    put_string(aggregate, "resourceOwner", e.resource_owner);
    json event = json::object();
    event["editor"] = std::move(editor);
    event["aggregate"] = std::move(aggregate);
    if (e.sequence != 0) event["sequence"] = uint64_string(e.sequence);
    put_time(event, "creationDate", e.creation_date);
    if (e.payload.is_object()) event["payload"] = e.payload;
    event["type"] = event_type_json(e.type);
    events.push_back(std::move(event));
  }
  return with_repeated("events", std::move(events));
}

json encode(const api::ListEventTypesResponse& r) {
  json types = json::array();
  for (const auto& t : r.event_types) types.push_back(event_type_json(t));
  return with_repeated("eventTypes", std::move(types));
}

json encode(const api::ListAggregateTypesResponse& r) {
  json types = json::array();
  for (const auto& t : r.aggregate_types) types.push_back(aggregate_type_json(t));
  return with_repeated("aggregateTypes", std::move(types));
}

std::string encode_json(const pipeline::Response& r) {
  // A message that quotes input must not make the answer fail: bytes that are not
  // UTF-8 are written as U+FFFD.
  return std::visit([](const auto& m) { return encode(m); }, r)
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace mu::rest
