// The REST routes of the machine-user RPCs, under /management/v1 and without
// the prefix. Pure: a method and a target in, the RPC and its path parameters
// (percent-decoded) out, or why not (404 unknown path, 501 known path with
// another method).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace mu::rest {

enum class Rpc {
  Healthz,
  AddMachineUser,
  UpdateMachine,
  GetUserByID,
  DeactivateUser,
  ReactivateUser,
  LockUser,
  UnlockUser,
  RemoveUser,
};

struct RouteMatch {
  Rpc rpc;
  std::string user_id;  // the {userId} / {id} path parameter, when the route has one
};

domain::Result<RouteMatch> match_route(std::string_view method, std::string_view target);

// Percent-decoding of one path segment; nullopt when malformed.
std::optional<std::string> percent_decode(std::string_view segment);

}  // namespace mu::rest
