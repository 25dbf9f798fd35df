#include "app/handlers/handler_bindings.hpp"

#include <type_traits>

#include "app/handlers/audit_handlers.hpp"
#include "app/handlers/machine_credential_handlers.hpp"
#include "app/handlers/machine_user_handlers.hpp"
#include "app/handlers/org_handlers.hpp"

namespace mu::handlers {

namespace {

// The request and response types of a typed handler.
template <class F>
struct Signature;
template <class Request, class Response>
struct Signature<domain::Result<Response> (*)(Backend&, const api::CallContext&, const Request&)> {
  using Req = Request;
  using Resp = Response;
};

template <auto fn>
domain::Result<MessagePtr> erased(Backend& b, const api::CallContext& ctx,
                                  const google::protobuf::Message& request) {
  using S = Signature<decltype(fn)>;
  const auto* req = dynamic_cast<const typename S::Req*>(&request);
  if (!req) return domain::Error{domain::Code::Internal, "", "the request does not match the call"};
  auto out = fn(b, ctx, *req);
  if (!out.ok()) return out.error();
  return MessagePtr(std::make_unique<typename S::Resp>(std::move(*out)));
}

template <auto fn>
HandlerBinding bind() {
  using S = Signature<decltype(fn)>;
  return {S::Req::descriptor(), S::Resp::descriptor(), &erased<fn>};
}

}  // namespace

const std::vector<HandlerBinding>& handler_bindings() {
  static const std::vector<HandlerBinding> bindings{
      bind<add_machine_user>(),
      bind<update_machine>(),
      bind<get_user_by_id>(),
      bind<deactivate_user>(),
      bind<reactivate_user>(),
      bind<lock_user>(),
      bind<unlock_user>(),
      bind<remove_user>(),
      bind<add_personal_access_token>(),
      bind<remove_personal_access_token>(),
      bind<generate_machine_secret>(),
      bind<remove_machine_secret>(),
      bind<add_machine_key>(),
      bind<get_machine_key_by_ids>(),
      bind<list_machine_keys>(),
      bind<remove_machine_key>(),
      bind<add_org>(),
      bind<get_my_org>(),
      bind<add_org_member>(),
      bind<update_org_member>(),
      bind<remove_org_member>(),
      bind<add_iam_member>(),
      bind<update_iam_member>(),
      bind<remove_iam_member>(),
      bind<list_user_changes>(),
      bind<list_events>(),
      bind<list_event_types>(),
      bind<list_aggregate_types>(),
  };
  return bindings;
}

}  // namespace mu::handlers
