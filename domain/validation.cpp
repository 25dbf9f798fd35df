#include "domain/validation.hpp"

#include <string>

#include "domain/unicode.hpp"

namespace mu::domain {

std::optional<Error> check_length(std::string_view request, std::string_view field,
                                  std::string_view value, std::size_t min, std::size_t max) {
  const auto n = count_code_points(value);
  if (n && *n >= min && *n <= max) return std::nullopt;
  std::string msg = "invalid " + std::string(request) + "." + std::string(field) + ": ";
  if (!n) {
    msg += "value must be a valid UTF-8 string";
  } else if (min == 0) {
    msg += "value length must be at most " + std::to_string(max) + " runes";
  } else {
    msg += "value length must be between " + std::to_string(min) + " and " + std::to_string(max) +
           " runes, inclusive";
  }
  return invalid_argument(std::move(msg));
}

std::optional<Error> check_min_length(std::string_view request, std::string_view field,
                                      std::string_view value, std::size_t min) {
  const auto n = count_code_points(value);
  if (n && *n >= min) return std::nullopt;
  std::string msg = "invalid " + std::string(request) + "." + std::string(field) + ": ";
  msg += n ? "value length must be at least " + std::to_string(min) + " runes"
           : std::string("value must be a valid UTF-8 string");
  return invalid_argument(std::move(msg));
}

}  // namespace mu::domain
