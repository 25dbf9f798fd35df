#include "app/grpc/proto_codec.hpp"

#include <climits>
#include <utility>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "app/grpc/wkt_codec.hpp"
#include "domain/audit.hpp"
#include "zitadel/admin.pb.h"
#include "zitadel/management.pb.h"

namespace mu::grpc {

namespace mgmt = zitadel::management::v1;
namespace admin = zitadel::admin::v1;

namespace {

// What grpc-go answers when the request does not unmarshal, before any interceptor or
// handler of ZITADEL's runs: status.Errorf(codes.Internal, "grpc: error unmarshalling
// request: %v", err), err being protobuf-go's "proto: cannot parse invalid wire-format
// data". (protobuf-go puts a space or a no-break space after "proto:", so that no one
// matches the text; we write a space.) A string field that is not UTF-8 fails the parse
// too, in protobuf-go and here; C++ protobuf does not tell that apart, so it gets the same text.
domain::Error unmarshal_error() {
  return {domain::Code::Internal, "",
          "grpc: error unmarshalling request: proto: cannot parse invalid wire-format data"};
}

template <class Message>
domain::Result<Message> parse(std::string_view bytes) {
  Message msg;
  if (bytes.size() > static_cast<std::size_t>(INT_MAX) ||
      !msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return unmarshal_error();
  }
  return msg;
}

// Proto3 enums are open: a number the enum does not define is kept, and the request's
// validation refuses it, as on the REST path.
domain::AccessTokenType token_type(int wire) {
  return static_cast<domain::AccessTokenType>(wire);
}

std::optional<domain::Error> read_time(bool present, const google::protobuf::Timestamp& ts,
                                       std::string_view field,
                                       std::optional<domain::Timestamp>& out) {
  if (!present) return std::nullopt;
  auto t = from_proto_timestamp(ts, field);
  if (!t.ok()) return t.error();
  out = *t;
  return std::nullopt;
}

// Deterministic: a Struct's map entries in key order instead of hash order, so that
// the same response is the same bytes (retries, digests, tests).
std::string serialize(const google::protobuf::MessageLite& msg) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    msg.SerializeToCodedStream(&coded);
  }
  return out;
}

std::vector<std::string> strings(const google::protobuf::RepeatedPtrField<std::string>& items) {
  return {items.begin(), items.end()};
}

// Times at the epoch (not known) are left out, as on REST.
void fill(const api::ObjectDetails& d, zitadel::v1::ObjectDetails& out) {
  out.set_sequence(d.sequence);
  if (d.creation_date != domain::Timestamp{}) {
    *out.mutable_creation_date() = to_proto_timestamp(d.creation_date);
  }
  if (d.change_date != domain::Timestamp{}) {
    *out.mutable_change_date() = to_proto_timestamp(d.change_date);
  }
  out.set_resource_owner(d.resource_owner);
}

// Every response whose only field is `details = 1`.
template <class Message>
std::string details_only(const api::ObjectDetails& d) {
  Message msg;
  fill(d, *msg.mutable_details());
  return serialize(msg);
}

void localized(const std::string& key, const std::string& message,
               zitadel::v1::LocalizedMessage& out) {
  out.set_key(key);
  out.set_localized_message(message);
}

void fill_event_type(const std::string& t, zitadel::event::v1::EventType& out) {
  out.set_type(t);
  localized(domain::event_type_key(t), domain::event_type_message(t), *out.mutable_localized());
}

void fill_aggregate_type(const std::string& t, zitadel::event::v1::AggregateType& out) {
  out.set_type(t);
  localized(domain::aggregate_type_key(t), domain::aggregate_type_message(t),
            *out.mutable_localized());
}

}  // namespace

// ---- requests -----------------------------------------------------------------

domain::Result<api::AddMachineUserRequest> decode_add_machine_user(std::string_view bytes) {
  auto msg = parse<mgmt::AddMachineUserRequest>(bytes);
  if (!msg.ok()) return msg.error();
  api::AddMachineUserRequest r;
  r.user_name = msg->user_name();
  r.name = msg->name();
  r.description = msg->description();
  r.access_token_type = token_type(msg->access_token_type());
  if (msg->has_user_id()) r.user_id = msg->user_id();
  return r;
}

domain::Result<api::UpdateMachineRequest> decode_update_machine(std::string_view bytes) {
  auto msg = parse<mgmt::UpdateMachineRequest>(bytes);
  if (!msg.ok()) return msg.error();
  api::UpdateMachineRequest r;
  r.user_id = msg->user_id();
  r.description = msg->description();
  r.name = msg->name();
  r.access_token_type = token_type(msg->access_token_type());
  return r;
}

domain::Result<api::GetUserByIDRequest> decode_get_user_by_id(std::string_view bytes) {
  auto msg = parse<mgmt::GetUserByIDRequest>(bytes);
  if (!msg.ok()) return msg.error();
  return api::GetUserByIDRequest{msg->id()};
}

namespace {

template <class Message>
domain::Result<api::UserLifecycleRequest> lifecycle(std::string_view bytes,
                                                    domain::Lifecycle action) {
  auto msg = parse<Message>(bytes);
  if (!msg.ok()) return msg.error();
  return api::UserLifecycleRequest{action, msg->id()};
}

}  // namespace

domain::Result<api::UserLifecycleRequest> decode_user_lifecycle(std::string_view bytes,
                                                                domain::Lifecycle action) {
  switch (action) {
    case domain::Lifecycle::Deactivate:
      return lifecycle<mgmt::DeactivateUserRequest>(bytes, action);
    case domain::Lifecycle::Reactivate:
      return lifecycle<mgmt::ReactivateUserRequest>(bytes, action);
    case domain::Lifecycle::Lock:
      return lifecycle<mgmt::LockUserRequest>(bytes, action);
    case domain::Lifecycle::Unlock:
      return lifecycle<mgmt::UnlockUserRequest>(bytes, action);
    case domain::Lifecycle::Remove:
      return lifecycle<mgmt::RemoveUserRequest>(bytes, action);
  }
  return domain::Error{domain::Code::Internal, "", "unknown user lifecycle action"};
}

domain::Result<api::AddPersonalAccessTokenRequest> decode_add_personal_access_token(
    std::string_view bytes) {
  auto msg = parse<mgmt::AddPersonalAccessTokenRequest>(bytes);
  if (!msg.ok()) return msg.error();
  api::AddPersonalAccessTokenRequest r;
  r.user_id = msg->user_id();
  if (auto e = read_time(msg->has_expiration_date(), msg->expiration_date(), "expiration_date",
                         r.expiration_date)) {
    return *e;
  }
  return r;
}

domain::Result<api::RemovePersonalAccessTokenRequest> decode_remove_personal_access_token(
    std::string_view bytes) {
  auto msg = parse<mgmt::RemovePersonalAccessTokenRequest>(bytes);
  if (!msg.ok()) return msg.error();
  return api::RemovePersonalAccessTokenRequest{msg->user_id(), msg->token_id()};
}

domain::Result<api::AddOrgRequest> decode_add_org(std::string_view bytes) {
  auto msg = parse<mgmt::AddOrgRequest>(bytes);
  if (!msg.ok()) return msg.error();
  return api::AddOrgRequest{msg->name()};
}

domain::Result<api::GetMyOrgRequest> decode_get_my_org(std::string_view bytes) {
  auto msg = parse<mgmt::GetMyOrgRequest>(bytes);
  if (!msg.ok()) return msg.error();
  return api::GetMyOrgRequest{};
}

domain::Result<api::AddMemberRequest> decode_member(std::string_view bytes) {
  auto msg = parse<mgmt::AddOrgMemberRequest>(bytes);
  if (!msg.ok()) return msg.error();
  return api::AddMemberRequest{msg->user_id(), strings(msg->roles())};
}

domain::Result<api::RemoveMemberRequest> decode_remove_member(std::string_view bytes) {
  auto msg = parse<mgmt::RemoveOrgMemberRequest>(bytes);
  if (!msg.ok()) return msg.error();
  return api::RemoveMemberRequest{msg->user_id()};
}

domain::Result<api::ListUserChangesRequest> decode_list_user_changes(std::string_view bytes) {
  auto msg = parse<mgmt::ListUserChangesRequest>(bytes);
  if (!msg.ok()) return msg.error();
  api::ListUserChangesRequest r;
  r.query.user_id = msg->user_id();
  r.query.sequence = msg->query().sequence();
  r.query.limit = msg->query().limit();
  r.query.asc = msg->query().asc();
  return r;
}

domain::Result<api::ListEventsRequest> decode_list_events(std::string_view bytes) {
  auto msg = parse<admin::ListEventsRequest>(bytes);
  if (!msg.ok()) return msg.error();
  api::ListEventsRequest r;
  auto& q = r.query;
  q.sequence = msg->sequence();
  q.limit = msg->limit();
  q.asc = msg->asc();
  q.editor_user_id = msg->editor_user_id();
  q.event_types = strings(msg->event_types());
  q.aggregate_id = msg->aggregate_id();
  q.aggregate_types = strings(msg->aggregate_types());
  q.resource_owner = msg->resource_owner();
  // A oneof holds one of range and from (the last one on the wire), so unlike JSON
  // there is no "both set" to refuse.
  std::optional<domain::Error> error;
  if (msg->has_range()) {
    error = read_time(msg->range().has_since(), msg->range().since(), "range.since", q.since);
    if (!error) {
      error = read_time(msg->range().has_until(), msg->range().until(), "range.until", q.until);
    }
  } else if (msg->has_from()) {
    error = read_time(true, msg->from(), "from", q.from);
  } else {
    // The deprecated creation_date acts as `from` when the oneof is unset: ZITADEL still
    // honours it, so we read it despite the deprecation.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    error = read_time(msg->has_creation_date(), msg->creation_date(), "creation_date", q.from);
#pragma GCC diagnostic pop
  }
  if (error) return *error;
  return r;
}

domain::Result<api::ListEventTypesRequest> decode_list_event_types(std::string_view bytes) {
  auto msg = parse<admin::ListEventTypesRequest>(bytes);
  if (!msg.ok()) return msg.error();
  return api::ListEventTypesRequest{};
}

domain::Result<api::ListAggregateTypesRequest> decode_list_aggregate_types(std::string_view bytes) {
  auto msg = parse<admin::ListAggregateTypesRequest>(bytes);
  if (!msg.ok()) return msg.error();
  return api::ListAggregateTypesRequest{};
}

// ---- responses ----------------------------------------------------------------

std::string encode(const api::AddMachineUserResponse& r) {
  mgmt::AddMachineUserResponse msg;
  msg.set_user_id(r.user_id);
  fill(r.details, *msg.mutable_details());
  return serialize(msg);
}

std::string encode(const api::UpdateMachineResponse& r) {
  return details_only<mgmt::UpdateMachineResponse>(r.details);
}

std::string encode(const api::GetUserByIDResponse& r) {
  mgmt::GetUserByIDResponse msg;
  const auto& u = r.user;
  auto& user = *msg.mutable_user();
  user.set_id(u.id);
  fill(u.details, *user.mutable_details());
  user.set_state(static_cast<zitadel::user::v1::UserState>(u.state));
  user.set_user_name(u.user_name);
  // Set even when every field is at its default: the user is a machine user.
  auto& machine = *user.mutable_machine();
  machine.set_name(u.machine.name);
  machine.set_description(u.machine.description);
  machine.set_has_secret(u.machine.has_secret);
  machine.set_access_token_type(
      static_cast<zitadel::user::v1::AccessTokenType>(u.machine.access_token_type));
  return serialize(msg);
}

std::string encode(const api::UserLifecycleResponse& r) {
  // Deactivate/Reactivate/Lock/Unlock/RemoveUserResponse are all {details = 1}.
  return details_only<mgmt::DeactivateUserResponse>(r.details);
}

std::string encode(const api::AddPersonalAccessTokenResponse& r) {
  mgmt::AddPersonalAccessTokenResponse msg;
  msg.set_token_id(r.token_id);
  msg.set_token(r.token);
  fill(r.details, *msg.mutable_details());
  return serialize(msg);
}

std::string encode(const api::RemovePersonalAccessTokenResponse& r) {
  return details_only<mgmt::RemovePersonalAccessTokenResponse>(r.details);
}

std::string encode(const api::AddOrgResponse& r) {
  mgmt::AddOrgResponse msg;
  msg.set_id(r.id);
  fill(r.details, *msg.mutable_details());
  return serialize(msg);
}

std::string encode(const api::GetMyOrgResponse& r) {
  mgmt::GetMyOrgResponse msg;
  auto& org = *msg.mutable_org();
  org.set_id(r.org.id);
  fill(r.org.details, *org.mutable_details());
  // Organizations here are never deactivated or removed, as on REST.
  org.set_state(zitadel::org::v1::ORG_STATE_ACTIVE);
  org.set_name(r.org.name);
  return serialize(msg);
}

std::string encode(const api::MemberResponse& r) {
  // Add/Update/RemoveOrgMemberResponse and the IAM ones are all {details = 1}.
  return details_only<mgmt::AddOrgMemberResponse>(r.details);
}

std::string encode(const api::ListUserChangesResponse& r) {
  mgmt::ListUserChangesResponse msg;
  for (const auto& c : r.result) {
    auto& change = *msg.add_result();
    *change.mutable_change_date() = to_proto_timestamp(c.change_date);
    localized(domain::event_type_key(c.event_type), domain::event_type_message(c.event_type),
              *change.mutable_event_type());
    change.set_sequence(c.sequence);
    change.set_editor_id(c.editor_id);
    change.set_editor_display_name(c.editor_display_name);
    change.set_resource_owner_id(c.resource_owner_id);
    change.set_editor_preferred_login_name(c.editor_preferred_login_name);
  }
  return serialize(msg);
}

std::string encode(const api::ListEventsResponse& r) {
  admin::ListEventsResponse msg;
  for (const auto& e : r.events) {
    auto& event = *msg.add_events();
    auto& editor = *event.mutable_editor();
    editor.set_user_id(e.editor_user_id);
    editor.set_display_name(e.editor_display_name);
    editor.set_service("zitadel");
    auto& aggregate = *event.mutable_aggregate();
    aggregate.set_id(e.aggregate_id);
    fill_aggregate_type(e.aggregate_type, *aggregate.mutable_type());
    aggregate.set_resource_owner(e.resource_owner);
    event.set_sequence(e.sequence);
    if (e.creation_date != domain::Timestamp{}) {
      *event.mutable_creation_date() = to_proto_timestamp(e.creation_date);
    }
    if (e.payload.is_object()) *event.mutable_payload() = to_proto_struct(e.payload);
    fill_event_type(e.type, *event.mutable_type());
  }
  return serialize(msg);
}

std::string encode(const api::ListEventTypesResponse& r) {
  admin::ListEventTypesResponse msg;
  for (const auto& t : r.event_types) fill_event_type(t, *msg.add_event_types());
  return serialize(msg);
}

std::string encode(const api::ListAggregateTypesResponse& r) {
  admin::ListAggregateTypesResponse msg;
  for (const auto& t : r.aggregate_types) fill_aggregate_type(t, *msg.add_aggregate_types());
  return serialize(msg);
}

}  // namespace mu::grpc
