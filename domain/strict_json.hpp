// Reading JSON text strictly, as ZITADEL's protojson decoder and PostgreSQL need it: bounded
// nesting, no duplicate keys, no byte-order mark, no NUL in strings, no numbers outside
// double's range. Pure and bounded: it never recurses on the input's depth and never echoes
// unbounded input in its errors. Request bodies (app/rest) and JWT headers and claims
// (domain/jwt) are read with it, so both refuse the same things.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"

namespace mu::domain {

// Deeper than this is refused. ZITADEL's messages need 3; protojson's own limit is 100.
inline constexpr std::size_t kMaxJsonDepth = 100;

// The text as a JSON value (of any type), or InvalidArgument saying what is wrong and at
// which byte. `what` names the text in the messages ("request body", "JWT header").
Result<nlohmann::json> read_strict_json(std::string_view text, std::string_view what);

// At most `max_bytes` of `text`, cut on a UTF-8 character boundary, with "..."
// when cut: for quoting input in error messages.
std::string excerpt(std::string_view text, std::size_t max_bytes = 64);

}  // namespace mu::domain
