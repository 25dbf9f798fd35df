// JSON text written straight into a string, with no document in between: what a write stores
// beside its stream head on every call (the write model's snapshot). Strings are escaped as
// nlohmann's dump() and PostgreSQL's escape_json escape them (the two-character escapes,
// \u00xx in lower-case hex for other control characters, every other byte as it is).
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace mu::domain {

void append_json_string(std::string& out, std::string_view s);

// An integer's decimal digits (as JSON writes it), without printf or a temporary string.
template <class Int>
void append_integer(std::string& out, Int n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

// One JSON object: members in the order written. A nested object is written through the
// writer object() returns, closed before the outer one goes on.
class JsonObjectText {
 public:
  explicit JsonObjectText(std::string& out) : out_(out) { out_ += '{'; }

  JsonObjectText& string(std::string_view key, std::string_view value) {
    name(key);
    append_json_string(out_, value);
    return *this;
  }
  JsonObjectText& integer(std::string_view key, std::int64_t value);
  JsonObjectText& unsigned_integer(std::string_view key, std::uint64_t value);
  JsonObjectText& boolean(std::string_view key, bool value) {
    name(key);
    out_ += value ? "true" : "false";
    return *this;
  }
  // An array of strings.
  template <class Range, class ToText>
  JsonObjectText& strings(std::string_view key, const Range& values, ToText to_text) {
    name(key);
    out_ += '[';
    bool first = true;
    for (const auto& v : values) {
      if (!first) out_ += ',';
      first = false;
      append_json_string(out_, to_text(v));
    }
    out_ += ']';
    return *this;
  }
  JsonObjectText object(std::string_view key) {
    name(key);
    return JsonObjectText(out_);
  }
  void close() { out_ += '}'; }

 private:
  void name(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    append_json_string(out_, key);
    out_ += ':';
  }

  std::string& out_;
  bool first_ = true;
};

}  // namespace mu::domain
