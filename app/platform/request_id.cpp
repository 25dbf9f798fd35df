#include "app/platform/request_id.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

namespace mu::platform {

std::optional<domain::Error> check_request_id(std::string_view given) {
  const bool printable =
      std::all_of(given.begin(), given.end(), [](char c) { return c >= 0x20 && c <= 0x7E; });
  if (given.empty() || given.size() > 128 || !printable) {
    return domain::invalid_argument("X-Request-Id must be 1 to 128 printable ASCII characters");
  }
  return std::nullopt;
}

std::string new_request_id() {
  // Not a secret, only unlikely to repeat: a seeded generator per thread is enough.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(rng()));
  return std::string(id);
}

domain::Result<std::string> resolve_request_id(const std::optional<std::string>& given) {
  if (!given) return new_request_id();
  if (auto bad = check_request_id(*given)) return *bad;
  return *given;
}

}  // namespace mu::platform
