#include "app/rest/rest_api.hpp"

#include "app/handlers/machine_user_handlers.hpp"
#include "app/rest/error_body.hpp"
#include "app/rest/messages_json.hpp"
#include "app/rest/routes.hpp"

namespace mu::rest {

namespace {

using domain::Error;

http::HttpResponse json_response(const nlohmann::json& body) {
  http::HttpResponse res;
  res.body = body.dump();
  return res;
}

domain::Lifecycle lifecycle_of(Rpc rpc) {
  switch (rpc) {
    case Rpc::DeactivateUser:
      return domain::Lifecycle::Deactivate;
    case Rpc::ReactivateUser:
      return domain::Lifecycle::Reactivate;
    case Rpc::LockUser:
      return domain::Lifecycle::Lock;
    case Rpc::UnlockUser:
      return domain::Lifecycle::Unlock;
    default:
      return domain::Lifecycle::Remove;
  }
}

// Until authentication exists, the header is the only way to name the
// organization, so it is required.
domain::Result<api::CallContext> call_context(const http::HttpRequest& req) {
  const std::string* org = req.header("x-zitadel-orgid");
  if (!org || org->empty()) {
    return domain::invalid_argument(
        "missing x-zitadel-orgid header: it names the organization the call acts in");
  }
  return api::CallContext{*org, ""};
}

}  // namespace

void RestApi::operator()(http::HttpRequest req, http::Responder respond) {
  auto route = match_route(req.method, req.target);
  if (!route.ok()) return respond(error_response(route.error()));
  const RouteMatch& m = *route;
  if (m.rpc == Rpc::Healthz) return respond(json_response({{"status", "ok"}}));

  auto ctx = call_context(req);
  if (!ctx.ok()) return respond(error_response(ctx.error()));

  // The call, bound to its decoded request; it runs on a worker thread.
  std::function<nlohmann::json(handlers::Backend&, Error&)> call;
  auto bind = [&](auto decoded, auto handler) -> std::optional<Error> {
    if (!decoded.ok()) return decoded.error();
    call = [ctx = *ctx, request = std::move(decoded).value(), handler](
               handlers::Backend& b, Error& error) -> nlohmann::json {
      auto result = handler(b, ctx, request);
      if (!result.ok()) {
        error = result.error();
        return nullptr;
      }
      return encode(*result);
    };
    return std::nullopt;
  };

  std::optional<Error> bad_request;
  switch (m.rpc) {
    case Rpc::AddMachineUser:
      bad_request = bind(decode_add_machine_user(req.body), handlers::add_machine_user);
      break;
    case Rpc::UpdateMachine:
      bad_request = bind(decode_update_machine(req.body, m.user_id), handlers::update_machine);
      break;
    case Rpc::GetUserByID:
      bad_request =
          bind(domain::Result<api::GetUserByIDRequest>(api::GetUserByIDRequest{m.user_id}),
               handlers::get_user_by_id);
      break;
    default:
      bad_request = bind(domain::Result<api::UserLifecycleRequest>(
                             api::UserLifecycleRequest{lifecycle_of(m.rpc), m.user_id}),
                         handlers::change_user_state);
      break;
  }
  if (bad_request) return respond(error_response(*bad_request));

  auto job = [call = std::move(call), respond, &ids = ids_](runtime::DbSession& db) {
    handlers::Backend backend{db, ids};
    Error error;
    auto body = call(backend, error);
    respond(body.is_null() ? error_response(error) : json_response(body));
  };
  if (!pool_.try_submit(std::move(job))) {
    respond(error_response(
        Error{domain::Code::ResourceExhausted, "", "the service is at capacity; retry shortly"}));
  }
}

}  // namespace mu::rest
