// Reading a request body as JSON, as strictly as ZITADEL's protojson decoder and
// PostgreSQL need: the domain's strict reader (domain/strict_json.hpp), whose messages
// name the text "request body".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"
#include "domain/strict_json.hpp"

namespace mu::rest {

inline constexpr std::size_t kMaxJsonDepth = domain::kMaxJsonDepth;

// The body as a JSON value (of any type), or InvalidArgument saying what is wrong
// and at which byte.
inline domain::Result<nlohmann::json> read_json(std::string_view body) {
  return domain::read_strict_json(body, "request body");
}

using domain::excerpt;

}  // namespace mu::rest
