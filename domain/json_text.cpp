#include "domain/json_text.hpp"

namespace mu::domain {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

JsonObjectText& JsonObjectText::integer(std::string_view key, std::int64_t value) {
  name(key);
  append_integer(out_, value);
  return *this;
}

JsonObjectText& JsonObjectText::unsigned_integer(std::string_view key, std::uint64_t value) {
  name(key);
  append_integer(out_, value);
  return *this;
}

}  // namespace mu::domain
