#include "app/handlers/wkt_codec.hpp"

#include <cmath>
#include <cstdint>
#include <string>

namespace mu::handlers {

namespace {

// google/protobuf/timestamp.proto: 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
constexpr std::int64_t kMinSeconds = -62135596800LL;
constexpr std::int64_t kMaxSeconds = 253402300799LL;
constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

void to_value(const nlohmann::json& j, google::protobuf::Value& out);

google::protobuf::ListValue to_list(const nlohmann::json& array) {
  google::protobuf::ListValue list;
  for (const auto& item : array) to_value(item, *list.add_values());
  return list;
}

void to_value(const nlohmann::json& j, google::protobuf::Value& out) {
  switch (j.type()) {
    case nlohmann::json::value_t::object:
      *out.mutable_struct_value() = to_proto_struct(j);
      break;
    case nlohmann::json::value_t::array:
      *out.mutable_list_value() = to_list(j);
      break;
    case nlohmann::json::value_t::string:
      out.set_string_value(j.get<std::string>());
      break;
    case nlohmann::json::value_t::boolean:
      out.set_bool_value(j.get<bool>());
      break;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      out.set_number_value(j.get<double>());
      break;
    default:  // null, and the binary and discarded values JSON text never holds
      out.set_null_value(google::protobuf::NULL_VALUE);
      break;
  }
}

nlohmann::json from_value(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kStructValue:
      return from_proto_struct(v.struct_value());
    case google::protobuf::Value::kListValue: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : v.list_value().values()) array.push_back(from_value(item));
      return array;
    }
    case google::protobuf::Value::kStringValue:
      return v.string_value();
    case google::protobuf::Value::kBoolValue:
      return v.bool_value();
    case google::protobuf::Value::kNumberValue: {
      double d = v.number_value();
      if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= kMaxExactInteger) {
        return static_cast<std::int64_t>(d);
      }
      return d;
    }
    default:  // NULL_VALUE, or no kind set
      return nullptr;
  }
}

}  // namespace

google::protobuf::Timestamp to_proto_timestamp(domain::Timestamp t) {
  std::int64_t us = domain::to_unix_micros(t);
  std::int64_t seconds = us / kMicrosPerSecond;
  std::int64_t rest = us % kMicrosPerSecond;
  if (rest < 0) {  // before 1970: nanos stay positive, seconds go one further back
    rest += kMicrosPerSecond;
    --seconds;
  }
  google::protobuf::Timestamp ts;
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<std::int32_t>(rest * 1000));
  return ts;
}

domain::Result<domain::Timestamp> from_proto_timestamp(const google::protobuf::Timestamp& ts,
                                                       std::string_view field) {
  if (ts.seconds() < kMinSeconds || ts.seconds() > kMaxSeconds || ts.nanos() < 0 ||
      ts.nanos() > 999'999'999) {
    return domain::invalid_argument(
        std::string(field) +
        ": not a valid google.protobuf.Timestamp (0001-01-01T00:00:00Z to "
        "9999-12-31T23:59:59.999999999Z)");
  }
  return domain::from_unix_micros(ts.seconds() * kMicrosPerSecond + ts.nanos() / 1000);
}

google::protobuf::Struct to_proto_struct(const nlohmann::json& object) {
  google::protobuf::Struct s;
  if (!object.is_object()) return s;
  auto& fields = *s.mutable_fields();
  for (const auto& [key, value] : object.items()) to_value(value, fields[key]);
  return s;
}

nlohmann::json from_proto_struct(const google::protobuf::Struct& s) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [key, value] : s.fields()) object[key] = from_value(value);
  return object;
}

}  // namespace mu::handlers
