// The REST routes of the RPCs, read from each RPC's google.api.http option (the RPC
// table): management calls under /management/v1, admin calls under /admin/v1, and
// both without the prefix. Pure: a method and a target in, the RPC and its path
// parameters (percent-decoded) out, or why not (404 unknown path, 501 known path
// with another method).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/pipeline/rpc_table.hpp"
#include "domain/result.hpp"

namespace mu::rest {

struct RouteMatch {
  const pipeline::RpcEntry* rpc = nullptr;
  std::vector<std::string> params;  // the {} segments, in order (e.g. user id, token id)
  std::vector<std::string> fields;  // the request field each of them sets (e.g. "user_id")
  std::string query;                // the target's query, after '?', as sent

  const std::string& param(std::size_t i) const {
    static const std::string kNone;
    return i < params.size() ? params[i] : kNone;
  }
};

// The message of the error a known path with another method gets (REST answers it 405).
inline constexpr const char* kMethodNotAllowed = "Method Not Allowed";

domain::Result<RouteMatch> match_route(std::string_view method, std::string_view target);

// A decoded path parameter must be at most this long, valid UTF-8 and free of
// control characters (NUL included); otherwise InvalidArgument.
inline constexpr std::size_t kMaxPathParameterBytes = 200;
std::optional<domain::Error> check_path_parameter(std::string_view decoded);

// Percent-decoding of one path segment; nullopt when malformed.
std::optional<std::string> percent_decode(std::string_view segment);

// The value of parameter `name` in a query ("a=1&b=2"), percent-decoded with '+' as a
// space (as grpc-gateway reads a query); nullopt when absent. A malformed escape, or
// the name given twice, is InvalidArgument.
domain::Result<std::optional<std::string>> query_parameter(std::string_view query,
                                                           std::string_view name);

}  // namespace mu::rest
