// handler_bindings() for the fuzz targets, in place of app/handlers/handler_bindings.cpp.
//
// The RPC table joins every RPC with its handler, and refuses to build without one.
// The real bindings pull in every handler, and with them libpqxx, the event store and
// the projections; the targets stop before any handler runs (they need the database).
// So every RPC of the served services is bound here to a stub, derived from the same
// descriptors the table reads: the table's names, routes, permissions and write flags
// still come from the protos' options, which is all that the router and the REST
// decoders read. Whether the real handlers cover every RPC is the RPC table's unit
// test's business, not the fuzzers'.
#include <set>

#include <google/protobuf/descriptor.h>

#include "app/handlers/handler_bindings.hpp"
#include "zitadel/admin.pb.h"
#include "zitadel/management.pb.h"

namespace mu::handlers {

namespace {

namespace pb = google::protobuf;

domain::Result<MessagePtr> not_run(Backend&, const api::CallContext&, const pb::Message&) {
  return domain::Error{domain::Code::Internal, "", "no handler runs in the fuzz targets"};
}

}  // namespace

const std::vector<HandlerBinding>& handler_bindings() {
  static const std::vector<HandlerBinding> bindings = [] {
    std::vector<HandlerBinding> out;
    std::set<const pb::Descriptor*> bound;
    // The files of the two services' messages hold the services themselves.
    for (const pb::FileDescriptor* file :
         {zitadel::management::v1::AddMachineUserRequest::descriptor()->file(),
          zitadel::admin::v1::ListEventsRequest::descriptor()->file()}) {
      for (int s = 0; s < file->service_count(); ++s) {
        const auto& service = *file->service(s);
        for (int m = 0; m < service.method_count(); ++m) {
          const auto& method = *service.method(m);
          // One binding per request type, as the real list has it.
          if (bound.insert(method.input_type()).second) {
            out.push_back({method.input_type(), method.output_type(), &not_run});
          }
        }
      }
    }
    return out;
  }();
  return bindings;
}

}  // namespace mu::handlers
