// protoc-gen-validate's string length rule and wording, which ZITADEL returns
// unchanged: "invalid UpdateMachineRequest.Name: value length must be between 1
// and 200 runes, inclusive". Lengths count Unicode code points.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "domain/error.hpp"

namespace mu::domain {

std::optional<Error> check_length(std::string_view request, std::string_view field,
                                  std::string_view value, std::size_t min, std::size_t max);
// A rule with min_len alone: "value length must be at least 1 runes".
std::optional<Error> check_min_length(std::string_view request, std::string_view field,
                                      std::string_view value, std::size_t min);

// The first error of a list of checks, each a callable returning optional<Error>.
template <class... Checks>
std::optional<Error> first_error(Checks&&... checks) {
  std::optional<Error> result;
  ((result = result ? result : checks()), ...);
  return result;
}

}  // namespace mu::domain
