#include "app/pipeline/rpc_table.hpp"

#include <array>
#include <stdexcept>

#include "google/api/annotations.pb.h"
#include "mu/options.pb.h"
#include "zitadel/options.pb.h"

namespace mu::pipeline {

namespace {

namespace pb = google::protobuf;

// The services served, and the prefix of their REST routes (ZITADEL's gateway mounts
// each service's routes under it; ours are also served without it).
struct ServedService {
  std::string_view name;
  std::string_view rest_prefix;
};
constexpr std::array kServices{
    ServedService{"zitadel.management.v1.ManagementService", "/management/v1"},
    ServedService{"zitadel.admin.v1.AdminService", "/admin/v1"},
};

HttpBinding http_of(const pb::MethodDescriptor& m) {
  if (!m.options().HasExtension(google::api::http)) {
    throw std::logic_error(m.full_name() + " has no google.api.http option");
  }
  const auto& rule = m.options().GetExtension(google::api::http);
  HttpBinding out;
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      out = {"GET", rule.get(), rule.body()};
      break;
    case google::api::HttpRule::kPut:
      out = {"PUT", rule.put(), rule.body()};
      break;
    case google::api::HttpRule::kPost:
      out = {"POST", rule.post(), rule.body()};
      break;
    case google::api::HttpRule::kDelete:
      out = {"DELETE", rule.delete_(), rule.body()};
      break;
    case google::api::HttpRule::kPatch:
      out = {"PATCH", rule.patch(), rule.body()};
      break;
    default:
      throw std::logic_error(m.full_name() + ": google.api.http without a method and path");
  }
  if (out.body != "" && out.body != "*") {
    throw std::logic_error(m.full_name() + ": body \"" + out.body +
                           "\" (only \"*\" or none are served)");
  }
  return out;
}

std::vector<RpcEntry> build() {
  const auto& bindings = handlers::handler_bindings();
  std::vector<bool> bound(bindings.size(), false);
  std::vector<RpcEntry> table;
  for (const auto& served : kServices) {
    const auto* service =
        pb::DescriptorPool::generated_pool()->FindServiceByName(std::string(served.name));
    if (!service) throw std::logic_error("no descriptor for " + std::string(served.name));
    for (int i = 0; i < service->method_count(); ++i) {
      const auto& m = *service->method(i);
      RpcEntry e;
      e.method = &m;
      e.service = service->full_name();
      e.name = m.name();
      e.full_name = e.service + "/" + e.name;
      e.rest_prefix = served.rest_prefix;
      e.http = http_of(m);
      const auto& auth = m.options().GetExtension(zitadel::v1::auth_option);
      if (auth.permission().empty()) {
        throw std::logic_error(m.full_name() + " has no zitadel.v1.auth_option permission");
      }
      e.permission = auth.permission();
      e.writes = m.options().GetExtension(mu::v1::writes);
      for (std::size_t b = 0; b < bindings.size(); ++b) {
        if (bindings[b].request != m.input_type()) continue;
        if (bindings[b].response != m.output_type()) {
          throw std::logic_error("the handler of " + m.full_name() + " returns " +
                                 bindings[b].response->full_name());
        }
        e.handle = bindings[b].handle;
        bound[b] = true;
      }
      if (!e.handle) throw std::logic_error(m.full_name() + " has no handler");
      table.push_back(std::move(e));
    }
  }
  for (std::size_t b = 0; b < bindings.size(); ++b) {
    if (!bound[b]) {
      throw std::logic_error("a handler takes " + bindings[b].request->full_name() +
                             ", which no served RPC takes");
    }
  }
  return table;
}

MessagePtr new_message(const pb::Descriptor* type) {
  const auto* prototype = pb::MessageFactory::generated_factory()->GetPrototype(type);
  return MessagePtr(prototype->New());
}

}  // namespace

MessagePtr RpcEntry::new_request() const {
  return new_message(method->input_type());
}

MessagePtr RpcEntry::new_response() const {
  return new_message(method->output_type());
}

const std::vector<RpcEntry>& rpc_table() {
  static const std::vector<RpcEntry> table = build();
  return table;
}

const RpcEntry* rpc_of_grpc_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return nullptr;
  path.remove_prefix(1);
  for (const auto& e : rpc_table()) {
    if (e.full_name == path) return &e;
  }
  return nullptr;
}

bool serves_service(std::string_view service) {
  for (const auto& s : kServices) {
    if (s.name == service) return true;
  }
  return false;
}

}  // namespace mu::pipeline
