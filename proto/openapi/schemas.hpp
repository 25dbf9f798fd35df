// Component schemas from message and enum descriptors, as protojson (grpc-gateway, which
// ZITADEL's REST side runs) maps them to JSON: lowerCamelCase names, 64-bit integers as
// decimal strings, enums by name, google.protobuf.Timestamp as an RFC 3339 string, Struct as
// an object, repeated fields as arrays. The options say the rest: a request field's
// validate.rules its limits, a message's openapiv2_schema what it always has (`required`),
// mu.v1.rest_fields the fields of ours it has beside its own.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/openapi/descriptors.hpp"

namespace mu::openapi {

using Json = nlohmann::ordered_json;

// Answers are written by protojson and described exactly (no other fields, no other spellings);
// requests are read by protojson, which accepts more: 64- and 32-bit integers as strings or
// numbers, enums by name or number, timestamps with any offset. Unknown request fields are
// ignored, so request schemas do not forbid them.
enum class Direction { Answer, Request };

class Schemas {
 public:
  // `always_in_answers`: field names that every answer schema with such a field requires;
  // `rest_fields`: the schemas of the fields that mu.v1.rest_fields name, by name.
  Schemas(const Descriptors& descriptors, std::set<std::string> always_in_answers,
          Json rest_fields);

  // Says where a message is used (and so every message it holds), before the first ref():
  // a message used in both directions gets two components, the request's named ...Input.
  void declare(const pb::Descriptor& message, Direction direction);

  // {"$ref": ...} to the message's component for the direction, built on first use.
  Json ref(const pb::Descriptor& message, Direction direction);

  // {"$ref": ...} to the schema of a request body: the request message without the fields
  // its path sets (grpc-gateway: the path's value wins), under the message's own name.
  Json body_ref(const pb::Descriptor& request, const std::vector<const pb::FieldDescriptor*>& path);

  // Every component built, in the order first used, with the overlay's merge patches
  // (RFC 7386, keyed by component name) applied. Throws when a patch names no component, adds
  // a property without saying its type, or leaves `required` naming a missing property.
  Json components(const Json& patches) const;

  // The limits of a request field's value that its validate.rules say ({} for none), e.g.
  // {"minLength": 1, "maxLength": 200}. Throws on a rule it cannot describe.
  Json rules(const pb::FieldDescriptor& field) const;

 private:
  std::string name_of(const pb::Descriptor& message, Direction direction) const;
  Json message_schema(const pb::Descriptor& message, Direction direction,
                      const std::vector<const pb::FieldDescriptor*>& left_out);
  Json field_schema(const pb::FieldDescriptor& field, Direction direction);
  Json value_schema(const pb::FieldDescriptor& field, Direction direction);
  Json enum_ref(const pb::EnumDescriptor& type, Direction direction);
  Json scalar_ref(const std::string& name);
  void add(const std::string& name, const std::string& full_name, Json schema);

  const Descriptors& descriptors_;
  std::set<std::string> always_in_answers_;
  Json rest_fields_;
  std::set<std::string> rest_fields_used_;
  std::map<Direction, std::set<const pb::Descriptor*>> used_;
  std::set<const pb::Descriptor*> inlining_;   // nested messages being written out in place
  std::map<std::string, std::string> owners_;  // component name -> what it was made from
  Json components_ = Json::object();
};

// The component name of a message or enum: the package's second component (zitadel.user.v1
// gives "user", zitadel.v1 "v1"), then its name within the package, dots dropped:
// "userUser", "v1ObjectDetails", "adminListEventsRequest".
std::string component_name(const std::string& full_name, const std::string& package);

}  // namespace mu::openapi
