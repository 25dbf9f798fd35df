#include "app/pipeline/preconditions.hpp"

#include <charconv>
#include <string_view>

namespace mu::pipeline {

domain::Result<std::optional<std::uint64_t>> decode_if_match(
    const std::optional<std::string>& header) {
  using Expected = std::optional<std::uint64_t>;
  if (!header) return Expected{};
  std::string_view v = *header;
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v == "*") return Expected{};
  if (v.starts_with("W/")) v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc{} || end != v.data() + v.size()) {
    return domain::invalid_argument("If-Match must be the object's sequence, e.g. \"2\"");
  }
  return Expected{n};
}

}  // namespace mu::pipeline
