// Each RPC as an OpenAPI operation, by the rules every call of this service follows, so that
// no operation's parameters or answers are written by hand:
//   - every call: the path's {field}s as path parameters, x-zitadel-orgid and X-Request-Id;
//     the answers 400, 401, 403, 404 (also an unknown x-zitadel-orgid), 413, 415, 429, 500,
//     503; its 200 carries X-Request-Id;
//   - a write (mu.v1.writes): If-Match and Idempotency-Key, 409, and Idempotent-Replayed on 200;
//   - an answer about one object (it holds zitadel.v1.ObjectDetails, or a message that does):
//     ETag on 200;
//   - its options add the rest: openapiv2_operation its tags, mu.v1.parameters and
//     mu.v1.answer_headers our parameters and 200 headers (the overlay's components).
#pragma once

#include <string>

#include "proto/openapi/descriptors.hpp"
#include "proto/openapi/schemas.hpp"

namespace mu::openapi {

class Operations {
 public:
  // `path_parameters`: the overlay's descriptions of path parameters by name.
  Operations(const Json& path_parameters, Schemas& schemas);

  // Adds the RPC's operation under `prefix`. Throws when the RPC cannot be described (a path
  // field the request lacks, fields left over for a call without a body, no comment) or its
  // path and verb are taken.
  void add(const Rpc& rpc, const std::string& prefix);

  // The path items made, in the order first added.
  const Json& paths() const { return paths_; }
  // The path parameters' components (PathId, PathUserId, PathUserId2 for a field of that name
  // with other rules, ...).
  const Json& parameters() const { return parameters_; }

 private:
  Json path_parameter(const pb::FieldDescriptor& field);

  const Json& path_parameters_;
  Schemas& schemas_;
  Json paths_ = Json::object();
  Json parameters_ = Json::object();
  std::set<std::string> added_;
};

}  // namespace mu::openapi
