#include "app/handlers/object_details.hpp"

#include "app/handlers/wkt_codec.hpp"
#include "domain/audit.hpp"

namespace mu::handlers {

void fill_details(const api::ObjectDetails& d, zitadel::v1::ObjectDetails& out) {
  out.set_sequence(d.sequence);
  if (d.creation_date != domain::Timestamp{}) {
    *out.mutable_creation_date() = to_proto_timestamp(d.creation_date);
  }
  if (d.change_date != domain::Timestamp{}) {
    *out.mutable_change_date() = to_proto_timestamp(d.change_date);
  }
  out.set_resource_owner(d.resource_owner);
}

void fill_event_type(const std::string& type, zitadel::event::v1::EventType& out) {
  out.set_type(type);
  auto& localized = *out.mutable_localized();
  localized.set_key(domain::event_type_key(type));
  localized.set_localized_message(domain::event_type_message(type));
}

void fill_aggregate_type(const std::string& type, zitadel::event::v1::AggregateType& out) {
  out.set_type(type);
  auto& localized = *out.mutable_localized();
  localized.set_key(domain::aggregate_type_key(type));
  localized.set_localized_message(domain::aggregate_type_message(type));
}

}  // namespace mu::handlers
