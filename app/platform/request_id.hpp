// Request ids: the caller's X-Request-Id (or gRPC metadata x-request-id) when it is
// one, else a generated one. Every response echoes it and every event records it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/error.hpp"
#include "domain/result.hpp"

namespace mu::platform {

// InvalidArgument unless `given` is 1 to 128 printable ASCII characters.
std::optional<domain::Error> check_request_id(std::string_view given);

// 16 lower-case hex digits, random.
std::string new_request_id();

// The call's id: the caller's when given (checked as above), else a new one.
domain::Result<std::string> resolve_request_id(const std::optional<std::string>& given);

}  // namespace mu::platform
