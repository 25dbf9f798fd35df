// Every handler, bound to its RPC by the request message it takes: each RPC of
// ZITADEL's services has a request type of its own, so the type names the RPC and
// nothing here repeats a method name, a path or a permission (those are the proto's).
#pragma once

#include <memory>
#include <vector>

#include <google/protobuf/message.h>

#include "app/commands/backend.hpp"
#include "app/commands/call_context.hpp"
#include "domain/result.hpp"

namespace mu::handlers {

using commands::Backend;

using MessagePtr = std::unique_ptr<google::protobuf::Message>;

// A handler behind one signature: the request is of the bound type (checked).
using Handler = domain::Result<MessagePtr> (*)(Backend&, const api::CallContext&,
                                               const google::protobuf::Message& request);

struct HandlerBinding {
  const google::protobuf::Descriptor* request;
  const google::protobuf::Descriptor* response;
  Handler handle;
};

const std::vector<HandlerBinding>& handler_bindings();

}  // namespace mu::handlers
