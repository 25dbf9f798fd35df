#include "app/rest/rest_api.hpp"

#include "app/handlers/authorization.hpp"
#include "app/handlers/machine_user_handlers.hpp"
#include "app/handlers/org_handlers.hpp"
#include "app/rest/error_body.hpp"
#include "app/rest/messages_json.hpp"
#include "app/rest/routes.hpp"

namespace mu::rest {

namespace {

using api::Rpc;
using domain::Error;
using nlohmann::json;

http::HttpResponse json_response(const json& body) {
  http::HttpResponse res;
  res.body = body.dump();
  return res;
}

std::optional<domain::Lifecycle> lifecycle_of(Rpc rpc) {
  switch (rpc) {
    case Rpc::DeactivateUser:
      return domain::Lifecycle::Deactivate;
    case Rpc::ReactivateUser:
      return domain::Lifecycle::Reactivate;
    case Rpc::LockUser:
      return domain::Lifecycle::Lock;
    case Rpc::UnlockUser:
      return domain::Lifecycle::Unlock;
    case Rpc::RemoveUser:
      return domain::Lifecycle::Remove;
    default:
      return std::nullopt;
  }
}

// Decodes the request (its validation comes after authorization, so it runs
// here, on the worker), calls the handler, encodes the answer.
template <class Request, class Handler>
domain::Result<json> call(const domain::Result<Request>& decoded, Handler&& handler) {
  if (!decoded.ok()) return decoded.error();
  auto result = handler(*decoded);
  if (!result.ok()) return result.error();
  return encode(*result);
}

template <class Request>
domain::Result<Request> ok(Request r) {
  return r;
}

domain::Result<json> dispatch(handlers::Backend& b, const api::CallContext& ctx,
                              const RouteMatch& m, const std::string& body) {
  using namespace handlers;
  const auto& id = m.param(0);
  auto with = [&](auto fn) { return [&b, &ctx, fn](const auto& req) { return fn(b, ctx, req); }; };
  if (auto action = lifecycle_of(m.rpc)) {
    return call(ok(api::UserLifecycleRequest{*action, id}), with(change_user_state));
  }
  switch (m.rpc) {
    case Rpc::AddMachineUser:
      return call(decode_add_machine_user(body), with(add_machine_user));
    case Rpc::UpdateMachine:
      return call(decode_update_machine(body, id), with(update_machine));
    case Rpc::GetUserByID:
      return call(ok(api::GetUserByIDRequest{id}), with(get_user_by_id));
    case Rpc::AddPersonalAccessToken:
      return call(decode_add_personal_access_token(body, id), with(add_personal_access_token));
    case Rpc::RemovePersonalAccessToken:
      return call(ok(api::RemovePersonalAccessTokenRequest{id, m.param(1)}),
                  with(remove_personal_access_token));
    case Rpc::AddOrg:
      return call(decode_add_org(body), with(add_org));
    case Rpc::GetMyOrg:
      return call(ok(api::GetMyOrgRequest{}), with(get_my_org));
    case Rpc::AddOrgMember:
    case Rpc::AddIAMMember: {
      const auto kind =
          m.rpc == Rpc::AddOrgMember ? domain::ScopeKind::Org : domain::ScopeKind::Instance;
      return call(decode_member(body),
                  [&](const auto& req) { return add_member(b, ctx, kind, req); });
    }
    case Rpc::UpdateOrgMember:
    case Rpc::UpdateIAMMember: {
      const auto kind =
          m.rpc == Rpc::UpdateOrgMember ? domain::ScopeKind::Org : domain::ScopeKind::Instance;
      return call(decode_member(body, id),
                  [&](const auto& req) { return change_member(b, ctx, kind, req); });
    }
    case Rpc::RemoveOrgMember:
    case Rpc::RemoveIAMMember: {
      const auto kind =
          m.rpc == Rpc::RemoveOrgMember ? domain::ScopeKind::Org : domain::ScopeKind::Instance;
      return call(ok(api::RemoveMemberRequest{id}),
                  [&](const auto& req) { return remove_member(b, ctx, kind, req); });
    }
    default:
      return Error{domain::Code::Unimplemented, "", "Method Not Allowed"};
  }
}

std::optional<std::string> header(const http::HttpRequest& req, const char* name) {
  const std::string* v = req.header(name);
  return v ? std::optional<std::string>(*v) : std::nullopt;
}

}  // namespace

void RestApi::operator()(http::HttpRequest req, http::Responder respond) {
  auto route = match_route(req.method, req.target);
  if (!route.ok()) return respond(error_response(route.error()));
  const auto permission = api::required_permission(route->rpc);
  if (!permission) return respond(json_response({{"status", "ok"}}));  // health

  handlers::Credentials credentials{header(req, "authorization"), header(req, "x-zitadel-orgid")};
  auto if_match = header(req, "if-match");
  auto job = [m = std::move(*route), credentials = std::move(credentials),
              body = std::move(req.body), if_match = std::move(if_match), perm = *permission,
              respond, &ids = ids_, &cache = auth_cache_](runtime::DbSession& db) {
    handlers::Backend backend{db, ids, cache};
    // Authentication, permission, then the request's validation and the command.
    auto ctx = handlers::authorize(backend, credentials, perm);
    if (ctx.ok()) {
      auto expected = decode_if_match(if_match);  // part of the request's validation
      if (!expected.ok()) return respond(error_response(expected.error()));
      ctx->expected_sequence = *expected;
    }
    auto result = ctx.ok() ? dispatch(backend, *ctx, m, body) : domain::Result<json>(ctx.error());
    respond(result.ok() ? json_response(*result) : error_response(result.error()));
  };
  if (!pool_.try_submit(std::move(job))) {
    respond(error_response(
        Error{domain::Code::ResourceExhausted, "", "the service is at capacity; retry shortly"}));
  }
}

}  // namespace mu::rest
