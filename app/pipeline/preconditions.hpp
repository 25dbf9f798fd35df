// Preconditions a caller sets on a write, whatever the transport (REST header,
// gRPC metadata). Pure: no I/O, fuzzed with the decoders.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/result.hpp"

namespace mu::pipeline {

// If-Match: a sequence, bare or as an entity tag ("2", W/"2"); "*" means any.
// Malformed values are InvalidArgument.
domain::Result<std::optional<std::uint64_t>> decode_if_match(
    const std::optional<std::string>& header);

}  // namespace mu::pipeline
