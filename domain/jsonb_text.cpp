#include "domain/jsonb_text.hpp"

#include "domain/json_text.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

namespace mu::domain {
namespace {

// PostgreSQL's escape_json (src/backend/utils/adt/json.c) escapes as append_json_string does;
// U+0000 it refuses.
bool put_string(std::string& out, std::string_view s) {
  if (s.find('\0') != std::string_view::npos) return false;  // jsonb cannot hold U+0000
  append_json_string(out, s);
  return true;
}

bool put(std::string& out, const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      out += "null";
      return true;
    case nlohmann::json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return true;
    case nlohmann::json::value_t::number_integer:
      append_integer(out, v.get<std::int64_t>());
      return true;
    case nlohmann::json::value_t::number_unsigned:
      append_integer(out, v.get<std::uint64_t>());
      return true;
    case nlohmann::json::value_t::string:
      return put_string(out, v.get_ref<const std::string&>());
    case nlohmann::json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ", ";
        first = false;
        if (!put(out, e)) return false;
      }
      out += ']';
      return true;
    }
    case nlohmann::json::value_t::object: {
      // jsonb orders keys by length first, then by their bytes (compareJsonbScalarValue
      // on keys: lengthCompareJsonbString).
      std::vector<const std::string*> keys;
      keys.reserve(v.size());
      for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(&it.key());
      std::sort(keys.begin(), keys.end(), [](const std::string* a, const std::string* b) {
        if (a->size() != b->size()) return a->size() < b->size();
        return std::string_view(*a).compare(*b) < 0;  // bytes, unsigned (char_traits<char>)
      });
      out += '{';
      bool first = true;
      for (const auto* key : keys) {
        if (!first) out += ", ";
        first = false;
        if (!put_string(out, *key)) return false;
        out += ": ";
        if (!put(out, v.at(*key))) return false;
      }
      out += '}';
      return true;
    }
    default:
      return false;  // floating point, binary, discarded: PostgreSQL's business
  }
}

}  // namespace

std::optional<std::string> jsonb_text(const nlohmann::json& value) {
  std::string out;
  if (!put(out, value)) return std::nullopt;
  return out;
}

}  // namespace mu::domain
