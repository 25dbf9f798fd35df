#include "proto/openapi/schemas.hpp"

#include <algorithm>
#include <stdexcept>

namespace mu::openapi {

namespace {

const std::string kComponents = "#/components/schemas/";

Json schema_ref(const std::string& name) {
  return Json{{"$ref", kComponents + name}};
}

// The schemas protojson's scalars share, by component name.
Json scalar_component(const std::string& name) {
  if (name == "uint64")
    return {{"type", "string"},
            {"description", "A uint64 as protojson writes it: a decimal string."},
            {"format", "uint64"},
            {"pattern", "^(0|[1-9][0-9]{0,19})$"},
            {"examples", {"2"}}};
  if (name == "int64")
    return {{"type", "string"},
            {"description", "An int64 as protojson writes it: a decimal string."},
            {"pattern", "^(0|-?[1-9][0-9]{0,18})$"}};
  if (name == "uint64Input")
    return {{"description",
             "A uint64 as protojson reads it: a decimal string or an integral JSON number."},
            {"anyOf",
             {{{"type", "string"}, {"pattern", "^[0-9]{1,20}$"}},
              {{"type", "integer"}, {"minimum", 0}, {"maximum", 18446744073709551615ULL}}}}};
  if (name == "int64Input")
    return {{"description",
             "An int64 as protojson reads it: a decimal string or an integral JSON number."},
            {"anyOf",
             {{{"type", "string"}, {"pattern", "^-?[0-9]{1,19}$"}},
              {{"type", "integer"},
               {"minimum", -9223372036854775807LL - 1},
               {"maximum", 9223372036854775807LL}}}}};
  if (name == "uint32Input")
    return {{"description",
             "A uint32 as protojson reads it: an integral JSON number or a decimal string."},
            {"anyOf",
             {{{"type", "integer"}, {"minimum", 0}, {"maximum", 4294967295U}},
              {{"type", "string"}, {"pattern", "^[0-9]{1,10}$"}}}}};
  if (name == "int32Input")
    return {{"description",
             "An int32 as protojson reads it: an integral JSON number or a decimal string."},
            {"anyOf",
             {{{"type", "integer"}, {"minimum", -2147483648LL}, {"maximum", 2147483647}},
              {{"type", "string"}, {"pattern", "^-?[0-9]{1,10}$"}}}}};
  if (name == "timestamp")
    return {{"type", "string"},
            {"description",
             "google.protobuf.Timestamp as protojson writes it: RFC 3339 in UTC with 0, 3, 6 or 9 "
             "fractional digits."},
            {"format", "date-time"},
            {"pattern",
             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{3}|\\.[0-9]{6}|\\.[0-"
             "9]{9})?Z$"},
            {"examples", {"2024-07-31T12:22:58.702Z"}}};
  if (name == "timestampInput")
    return {{"type", "string"},
            {"description",
             "google.protobuf.Timestamp as protojson reads it: RFC 3339 with any offset."},
            {"format", "date-time"},
            {"examples", {"2026-11-29T00:00:00Z"}}};
  throw std::logic_error("no scalar schema " + name);
}

// google.protobuf's types that protojson writes in their own JSON form; nullptr for others.
const char* well_known(const std::string& full_name) {
  static const std::map<std::string, const char*> kinds = {
      {"google.protobuf.Timestamp", "timestamp"}, {"google.protobuf.Duration", "duration"},
      {"google.protobuf.Struct", "object"},       {"google.protobuf.Value", "value"},
      {"google.protobuf.ListValue", "array"},     {"google.protobuf.Empty", "object"},
      {"google.protobuf.FieldMask", "string"},    {"google.protobuf.Any", "any"},
      {"google.protobuf.DoubleValue", "wrapper"}, {"google.protobuf.FloatValue", "wrapper"},
      {"google.protobuf.Int64Value", "wrapper"},  {"google.protobuf.UInt64Value", "wrapper"},
      {"google.protobuf.Int32Value", "wrapper"},  {"google.protobuf.UInt32Value", "wrapper"},
      {"google.protobuf.BoolValue", "wrapper"},   {"google.protobuf.StringValue", "wrapper"},
      {"google.protobuf.BytesValue", "wrapper"}};
  const auto it = kinds.find(full_name);
  return it == kinds.end() ? nullptr : it->second;
}

std::string describe(const std::string& head, const std::vector<std::string>& comment) {
  return comment.empty() ? head : head + " " + join_paragraphs(comment);
}

bool says_its_type(const Json& schema) {
  for (const char* key : {"type", "$ref", "anyOf", "oneOf", "allOf", "const", "enum"})
    if (schema.contains(key)) return true;
  return false;
}

// validate.rules as JSON Schema keywords: a string's min_len, max_len and in; a repeated field's
// min_items, max_items and the rules of its items. `item`: the rules are those of one item.
Json rules_schema(const OptionMessage& rules, const pb::FieldDescriptor& field, bool item,
                  const std::string& where) {
  Json out = Json::object();
  const auto kinds = rules.set_fields();  // one at most: a oneof
  if (kinds.empty()) return out;
  const std::string& kind = kinds.front();
  if (kind == "repeated") {
    if (!field.is_repeated() || item)
      throw std::runtime_error(where + "validate.rules.repeated on a field that is not repeated");
    const auto repeated = *rules.message("repeated");
    repeated.allow_only({"min_items", "max_items", "items"}, where);
    if (repeated.has("min_items")) out["minItems"] = repeated.uint64("min_items");
    if (repeated.has("max_items")) out["maxItems"] = repeated.uint64("max_items");
    if (const auto items = repeated.message("items")) {
      Json each = rules_schema(*items, field, true, where);
      if (!each.empty()) out["items"] = std::move(each);
    }
  } else if (kind == "string") {
    if (field.type() != pb::FieldDescriptor::TYPE_STRING || (field.is_repeated() && !item))
      throw std::runtime_error(where + "validate.rules.string on a field that is not a string");
    const auto string = *rules.message("string");
    string.allow_only({"min_len", "max_len", "in"}, where);
    if (string.has("min_len")) out["minLength"] = string.uint64("min_len");
    if (string.has("max_len")) out["maxLength"] = string.uint64("max_len");
    if (string.has("in")) out["enum"] = string.strings("in");
  } else if (kind == "enum") {
    if (field.type() != pb::FieldDescriptor::TYPE_ENUM || (field.is_repeated() && !item))
      throw std::runtime_error(where + "validate.rules.enum on a field that is not an enum");
    const auto enum_rules = *rules.message("enum");
    enum_rules.allow_only({"defined_only", "not_in"}, where);
    // defined_only is what the enum's schema already says; not_in leaves out values, which a
    // request may give by name or number.
    if (enum_rules.has("not_in")) {
      Json excluded = Json::array();
      for (const auto number : enum_rules.int32s("not_in")) {
        excluded.push_back(number);
        if (const auto* value = field.enum_type()->FindValueByNumber(number))
          excluded.push_back(value->name());
      }
      out["not"] = {{"enum", std::move(excluded)}};
    }
  } else {
    throw std::runtime_error(where + "validate.rules." + kind + " is not described");
  }
  return out;
}

}  // namespace

std::string component_name(const std::string& full_name, const std::string& package) {
  std::string prefix = package.substr(0, package.find('.'));
  if (const auto dot = package.find('.'); dot != std::string::npos) {
    prefix = package.substr(dot + 1, package.find('.', dot + 1) - dot - 1);
  }
  std::string name = package.empty() ? full_name : full_name.substr(package.size() + 1);
  std::string out = prefix;
  for (char c : name)
    if (c != '.') out += c;
  return out;
}

Schemas::Schemas(const Descriptors& descriptors, std::set<std::string> always_in_answers,
                 Json rest_fields)
    : descriptors_(descriptors),
      always_in_answers_(std::move(always_in_answers)),
      rest_fields_(std::move(rest_fields)) {}

Json Schemas::rules(const pb::FieldDescriptor& field) const {
  const auto rules = descriptors_.field_rules(field);
  if (!rules) return Json::object();
  return rules_schema(*rules, field, false, field.full_name() + ": ");
}

void Schemas::declare(const pb::Descriptor& message, Direction direction) {
  if (!used_[direction].insert(&message).second) return;
  for (int i = 0; i < message.field_count(); ++i) {
    const auto* type = message.field(i)->message_type();
    if (type && !well_known(type->full_name())) declare(*type, direction);
  }
}

std::string Schemas::name_of(const pb::Descriptor& message, Direction direction) const {
  const auto it = used_.find(direction);
  if (it == used_.end() || !it->second.count(&message))
    throw std::logic_error(message.full_name() + " is used without being declared");
  std::string name = component_name(message.full_name(), message.file()->package());
  const auto answers = used_.find(Direction::Answer);
  const bool both = answers != used_.end() && answers->second.count(&message);
  return direction == Direction::Request && both ? name + "Input" : name;
}

void Schemas::add(const std::string& name, const std::string& full_name, Json schema) {
  const auto [it, added] = owners_.emplace(name, full_name);
  if (!added && it->second != full_name)
    throw std::runtime_error("the component name " + name + " is both " + it->second + "'s and " +
                             full_name + "'s");
  components_[name] = std::move(schema);
}

Json Schemas::ref(const pb::Descriptor& message, Direction direction) {
  const auto name = name_of(message, direction);
  if (!components_.contains(name)) {
    add(name, message.full_name(), Json::object());  // first, so that recursion finds it
    Json schema = message_schema(message, direction, {});
    components_[name] = std::move(schema);
  }
  return schema_ref(name);
}

Json Schemas::body_ref(const pb::Descriptor& request,
                       const std::vector<const pb::FieldDescriptor*>& path) {
  const auto name = name_of(request, Direction::Request);
  const auto key = request.full_name() + " as a body";
  if (owners_.count(name) && owners_.at(name) != key)
    throw std::runtime_error(request.full_name() +
                             " is a request body and also held by another message");
  if (!components_.contains(name)) {
    add(name, key, Json::object());
    Json schema = message_schema(request, Direction::Request, path);
    components_[name] = std::move(schema);
  }
  return schema_ref(name);
}

Json Schemas::message_schema(const pb::Descriptor& message, Direction direction,
                             const std::vector<const pb::FieldDescriptor*>& left_out) {
  std::string head = message.full_name();
  if (!left_out.empty()) {
    head += " without";
    for (std::size_t i = 0; i < left_out.size(); ++i)
      head += (i == 0 ? " " : " and ") + left_out[i]->json_name();
    head += " (from the path)";
  }
  Json schema = {{"type", "object"}, {"description", describe(head + ".", comment_of(message))}};
  const auto options = descriptors_.message_options(message);
  const auto left = [&](const pb::FieldDescriptor* field) {
    for (const auto* p : left_out)
      if (p == field) return true;
    return false;
  };
  Json properties = Json::object();
  for (int i = 0; i < message.field_count(); ++i) {
    const auto& field = *message.field(i);
    if (!left(&field)) properties[field.json_name()] = field_schema(field, direction);
  }
  for (const auto& name : options.rest_fields) {
    const std::string where = message.full_name() + ": mu.v1.rest_fields " + name;
    if (direction == Direction::Answer)
      throw std::runtime_error(where + ": the message is in an answer, which never has it");
    if (!rest_fields_.contains(name))
      throw std::runtime_error(where + ": not in the overlay's restFields");
    if (properties.contains(name)) throw std::runtime_error(where + ": a field of the message");
    if (!says_its_type(rest_fields_[name]))
      throw std::runtime_error("overlay restFields." + name + ": must say its type");
    properties[name] = rest_fields_[name];
    rest_fields_used_.insert(name);
  }

  // What the message always has: its openapiv2_schema's list (proto names, written as JSON
  // names; a field the path sets is not in the body), then in answers the fields every
  // answer carries.
  Json required = Json::array();
  for (const auto& name : options.required) {
    const auto* field = message.FindFieldByName(name);
    if (!field)
      throw std::runtime_error(message.full_name() + ": openapiv2_schema requires \"" + name +
                               "\", which is not a field (proto names)");
    if (!left(field)) required.push_back(field->json_name());
  }
  for (int i = 0; i < message.field_count(); ++i) {
    const auto& field = *message.field(i);
    const auto name = field.json_name();
    if (direction == Direction::Answer && !field.is_repeated() && always_in_answers_.count(name) &&
        std::find(required.begin(), required.end(), name) == required.end())
      required.push_back(name);
  }
  schema["properties"] = std::move(properties);
  if (!required.empty()) schema["required"] = std::move(required);
  if (direction == Direction::Answer) schema["additionalProperties"] = false;
  return schema;
}

Json Schemas::field_schema(const pb::FieldDescriptor& field, Direction direction) {
  Json schema;
  if (field.is_map()) {
    schema = {
        {"type", "object"},
        {"additionalProperties", value_schema(*field.message_type()->map_value(), direction)}};
  } else if (field.is_repeated()) {
    schema = {{"type", "array"}, {"items", value_schema(field, direction)}};
  } else {
    schema = value_schema(field, direction);
  }
  if (field.options().deprecated()) schema["deprecated"] = true;
  const auto comment = comment_of(field);
  if (!comment.empty()) schema["description"] = join_paragraphs(comment);
  // The rules say what the server accepts: answers are described by what it writes.
  if (direction == Direction::Request) schema.merge_patch(rules(field));
  return schema;
}

Json Schemas::value_schema(const pb::FieldDescriptor& field, Direction direction) {
  const bool answer = direction == Direction::Answer;
  switch (field.type()) {
    case pb::FieldDescriptor::TYPE_STRING:
      return {{"type", "string"}};
    case pb::FieldDescriptor::TYPE_BYTES:
      return {{"type", "string"}, {"contentEncoding", "base64"}};
    case pb::FieldDescriptor::TYPE_BOOL:
      return {{"type", "boolean"}};
    case pb::FieldDescriptor::TYPE_INT64:
    case pb::FieldDescriptor::TYPE_SINT64:
    case pb::FieldDescriptor::TYPE_SFIXED64:
      return scalar_ref(answer ? "int64" : "int64Input");
    case pb::FieldDescriptor::TYPE_UINT64:
    case pb::FieldDescriptor::TYPE_FIXED64:
      return scalar_ref(answer ? "uint64" : "uint64Input");
    case pb::FieldDescriptor::TYPE_INT32:
    case pb::FieldDescriptor::TYPE_SINT32:
    case pb::FieldDescriptor::TYPE_SFIXED32:
      if (!answer) return scalar_ref("int32Input");
      return {{"type", "integer"}, {"minimum", -2147483648LL}, {"maximum", 2147483647}};
    case pb::FieldDescriptor::TYPE_UINT32:
    case pb::FieldDescriptor::TYPE_FIXED32:
      if (!answer) return scalar_ref("uint32Input");
      return {{"type", "integer"}, {"minimum", 0}, {"maximum", 4294967295U}};
    case pb::FieldDescriptor::TYPE_DOUBLE:
    case pb::FieldDescriptor::TYPE_FLOAT:
      // protojson writes the non-finite values as strings, and reads numbers from strings.
      if (!answer) return {{"anyOf", {{{"type", "number"}}, {{"type", "string"}}}}};
      return {{"anyOf",
               {{{"type", "number"}},
                {{"type", "string"}, {"enum", {"NaN", "Infinity", "-Infinity"}}}}}};
    case pb::FieldDescriptor::TYPE_ENUM:
      return enum_ref(*field.enum_type(), direction);
    case pb::FieldDescriptor::TYPE_MESSAGE:
    case pb::FieldDescriptor::TYPE_GROUP:
      break;
  }
  const pb::Descriptor& type = *field.message_type();
  if (const char* kind = well_known(type.full_name())) {
    const std::string k = kind;
    if (k == "timestamp") return scalar_ref(answer ? "timestamp" : "timestampInput");
    if (k == "duration") return {{"type", "string"}, {"pattern", "^-?[0-9]+(\\.[0-9]{1,9})?s$"}};
    if (k == "object") return {{"type", "object"}};
    if (k == "array") return {{"type", "array"}};
    if (k == "string") return {{"type", "string"}};
    if (k == "value") return Json::object();  // any JSON value
    if (k == "any")
      return {{"type", "object"},
              {"properties", {{"@type", {{"type", "string"}}}}},
              {"required", {"@type"}}};
    return value_schema(*type.FindFieldByName("value"), direction);  // a wrapper: its value
  }
  // A message declared inside another is written out in place, as part of it.
  if (type.containing_type()) {
    if (!inlining_.insert(&type).second)
      throw std::runtime_error(type.full_name() +
                               " holds itself: nested messages are written in place");
    Json schema = message_schema(type, direction, {});
    inlining_.erase(&type);
    return schema;
  }
  return ref(type, direction);
}

Json Schemas::enum_ref(const pb::EnumDescriptor& type, Direction direction) {
  if (type.full_name() == "google.protobuf.NullValue") return {{"type", "null"}};
  const auto name = component_name(type.full_name(), type.file()->package());
  if (!components_.contains(name)) {
    Json names = Json::array();
    for (int i = 0; i < type.value_count(); ++i) names.push_back(type.value(i)->name());
    add(name, type.full_name(),
        {{"type", "string"},
         {"enum", std::move(names)},
         {"description", describe(type.full_name() + ", by name.", comment_of(type))}});
  }
  if (direction == Direction::Answer) return schema_ref(name);
  const auto input = name + "Input";
  if (!components_.contains(input)) {
    Json numbers = Json::array();
    for (int i = 0; i < type.value_count(); ++i) numbers.push_back(type.value(i)->number());
    std::string description = type.full_name() + " as protojson reads it: its name or its number.";
    if (const auto* zero = type.FindValueByNumber(0))
      description += " Default " + zero->name() + " (0).";
    add(input, type.full_name() + " (input)",
        {{"description", description},
         {"anyOf", {schema_ref(name), {{"type", "integer"}, {"enum", std::move(numbers)}}}}});
  }
  return schema_ref(input);
}

Json Schemas::scalar_ref(const std::string& name) {
  if (!components_.contains(name)) add(name, "protojson's " + name, scalar_component(name));
  return schema_ref(name);
}

Json Schemas::components(const Json& patches) const {
  for (const auto& [name, schema] : rest_fields_.items()) {
    if (!rest_fields_used_.count(name))
      throw std::runtime_error("overlay restFields." + name + ": no message names it");
  }
  Json out = components_;
  for (const auto& [name, patch] : patches.items()) {
    if (!out.contains(name))
      throw std::runtime_error("overlay schemas." + name + ": no such generated schema");
    const Json before = out[name].value("properties", Json::object());
    out[name].merge_patch(patch);
    const Json after = out[name].value("properties", Json::object());
    for (const auto& [property, schema] : after.items()) {
      if (!before.contains(property) && !says_its_type(schema))
        throw std::runtime_error("overlay schemas." + name + ".properties." + property +
                                 ": a property the message lacks must say its type");
    }
    for (const auto& property : out[name].value("required", Json::array())) {
      if (!after.contains(property.get<std::string>()))
        throw std::runtime_error("overlay schemas." + name + ": required " + property.dump() +
                                 " is not a property");
    }
  }
  return out;
}

}  // namespace mu::openapi
