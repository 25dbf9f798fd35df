// Character counting as protoc-gen-validate does it: Unicode code points ("runes").
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mu::domain {

// Number of code points in a UTF-8 string, or nullopt when it is not valid UTF-8.
std::optional<std::size_t> count_code_points(std::string_view utf8);

// Why `text` cannot be an identifier that reaches the database (ids in paths and
// headers): longer than max_bytes, a control character (NUL included: PostgreSQL
// takes parameters as C strings), or not UTF-8. nullopt when it can.
std::optional<std::string_view> identifier_problem(std::string_view text, std::size_t max_bytes);

// ASCII letters folded to lower case, every other byte kept: the case-insensitive
// form of unique names (full Unicode folding would need ICU).
std::string ascii_lower(std::string_view text);

// The value of a hexadecimal digit (either case), or -1: for percent-decoding and
// COPY's escapes.
inline int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace mu::domain
