#include "app/rest/protojson.hpp"

#include <limits>

#include "app/rest/json_reader.hpp"

namespace mu::rest {

using domain::invalid_argument;
using nlohmann::json;

domain::Result<json> parse_message(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
  auto msg = read_json(body);
  if (!msg.ok()) return msg.error();
  if (!msg->is_object()) return invalid_argument("request body must be a JSON object");
  return msg;
}

namespace {

// The field's value, or nullptr when absent or null. Both spellings at once
// is ambiguous, and protojson refuses it too.
domain::Result<const json*> lookup(const json& msg, Field f) {
  auto a = msg.find(std::string(f.json_name));
  auto b = f.proto_name == f.json_name ? msg.end() : msg.find(std::string(f.proto_name));
  if (a != msg.end() && b != msg.end()) {
    return invalid_argument("duplicate field \"" + std::string(f.json_name) + "\"");
  }
  auto it = a != msg.end() ? a : b;
  if (it == msg.end() || it->is_null()) return static_cast<const json*>(nullptr);
  return &*it;
}

domain::Error wrong_type(Field f, std::string_view expected, const json& value) {
  return invalid_argument("invalid value for " + std::string(expected) + " field " +
                          std::string(f.json_name) + ": " + excerpt(value.dump()));
}

}  // namespace

std::optional<domain::Error> read_string(const json& msg, Field f, std::string& out) {
  auto found = lookup(msg, f);
  if (!found.ok()) return found.error();
  const json* v = *found;
  if (!v) return std::nullopt;
  if (!v->is_string()) return wrong_type(f, "string", *v);
  out = v->get<std::string>();
  return std::nullopt;
}

std::optional<domain::Error> read_optional_string(const json& msg, Field f,
                                                  std::optional<std::string>& out) {
  auto found = lookup(msg, f);
  if (!found.ok()) return found.error();
  if (!*found) return std::nullopt;
  std::string value;
  if (auto e = read_string(msg, f, value)) return e;
  out = std::move(value);
  return std::nullopt;
}

std::optional<domain::Error> read_enum(const json& msg, Field f, const EnumNames& names, int& out) {
  auto found = lookup(msg, f);
  if (!found.ok()) return found.error();
  const json* v = *found;
  if (!v) return std::nullopt;
  if (v->is_string()) {
    for (const auto& [name, number] : names) {
      if (v->get<std::string>() == name) {
        out = number;
        return std::nullopt;
      }
    }
    return wrong_type(f, "enum", *v);
  }
  if (v->is_number_integer()) {
    const auto n = v->get<long long>();
    if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max()) {
      return wrong_type(f, "enum", *v);
    }
    out = static_cast<int>(n);
    return std::nullopt;
  }
  return wrong_type(f, "enum", *v);
}

std::optional<domain::Error> read_strings(const json& msg, Field f, std::vector<std::string>& out) {
  auto found = lookup(msg, f);
  if (!found.ok()) return found.error();
  const json* v = *found;
  if (!v) return std::nullopt;
  if (!v->is_array()) return wrong_type(f, "repeated string", *v);
  std::vector<std::string> values;
  for (const auto& item : *v) {
    if (!item.is_string()) return wrong_type(f, "repeated string", *v);
    values.push_back(item.get<std::string>());
  }
  out = std::move(values);
  return std::nullopt;
}

std::optional<domain::Error> read_unsigned(const json& msg, Field f, std::uint64_t max,
                                           std::uint64_t& out) {
  auto found = lookup(msg, f);
  if (!found.ok()) return found.error();
  const json* v = *found;
  if (!v) return std::nullopt;
  const std::string_view type =
      max > std::numeric_limits<std::uint32_t>::max() ? "uint64" : "uint32";
  std::uint64_t n = 0;
  if (v->is_number_unsigned()) {
    n = v->get<std::uint64_t>();
  } else if (v->is_number_float()) {
    // protojson takes 5.0 (and 5e0) for 5, nothing with a fraction.
    const double d = v->get<double>();
    if (!(d >= 0 && d <= static_cast<double>(max)) ||
        d != static_cast<double>(static_cast<std::uint64_t>(d))) {
      return wrong_type(f, type, *v);
    }
    n = static_cast<std::uint64_t>(d);
  } else if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos) {
      return wrong_type(f, type, *v);
    }
    try {
      n = std::stoull(s);
    } catch (const std::exception&) {
      return wrong_type(f, type, *v);
    }
  } else {
    return wrong_type(f, type, *v);  // negative numbers, bools, objects ...
  }
  if (n > max) return wrong_type(f, type, *v);
  out = n;
  return std::nullopt;
}

std::optional<domain::Error> read_bool(const json& msg, Field f, bool& out) {
  auto found = lookup(msg, f);
  if (!found.ok()) return found.error();
  const json* v = *found;
  if (!v) return std::nullopt;
  if (!v->is_boolean()) return wrong_type(f, "bool", *v);
  out = v->get<bool>();
  return std::nullopt;
}

domain::Result<const json*> read_message(const json& msg, Field f) {
  auto found = lookup(msg, f);
  if (!found.ok()) return found.error();
  const json* v = *found;
  if (v && !v->is_object()) return wrong_type(f, "message", *v);
  return v;
}

std::optional<domain::Error> read_timestamp(const json& msg, Field f,
                                            std::optional<domain::Timestamp>& out) {
  auto found = lookup(msg, f);
  if (!found.ok()) return found.error();
  const json* v = *found;
  if (!v) return std::nullopt;
  if (!v->is_string()) return wrong_type(f, "timestamp", *v);
  auto t = domain::parse_rfc3339(v->get<std::string>());
  if (!t) return wrong_type(f, "timestamp (RFC 3339)", *v);
  out = *t;
  return std::nullopt;
}

}  // namespace mu::rest
