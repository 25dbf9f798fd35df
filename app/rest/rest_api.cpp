#include "app/rest/rest_api.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>

#include "app/handlers/audit_handlers.hpp"
#include "app/handlers/authorization.hpp"
#include "app/handlers/command_runner.hpp"
#include "app/handlers/idempotency.hpp"
#include "app/handlers/machine_user_handlers.hpp"
#include "app/handlers/org_handlers.hpp"
#include "app/handlers/request_id.hpp"
#include "app/rest/error_body.hpp"
#include "app/rest/messages_json.hpp"
#include "app/rest/protojson.hpp"
#include "app/rest/routes.hpp"
#include "app/runtime/log.hpp"
#include "app/runtime/metrics.hpp"
#include "eventstore/migrations.hpp"

namespace mu::rest {

// What the request log line says of a call, filled in as the call goes on.
struct CallRecord {
  std::string request_id;
  std::string method;
  std::string path;
  std::string rpc;
  std::string caller;
  std::size_t bytes_in = 0;
  int code = 0;  // the gRPC code answered (0: OK)
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

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

// A request without fields: any JSON object (unknown fields are ignored), or no body.
template <class Request>
domain::Result<Request> decode_empty(std::string_view body) {
  auto msg = parse_message(body);
  if (!msg.ok()) return msg.error();
  return Request{};
}

// `headers`: what the answer carries beside its body (ListEvents' cursor).
domain::Result<json> dispatch(handlers::Backend& b, const api::CallContext& ctx,
                              const RouteMatch& m, const std::string& body,
                              std::map<std::string, std::string>& headers) {
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
      return call(decode_get_user_by_id(id, m.query), with(get_user_by_id));
    case Rpc::AddPersonalAccessToken:
      return call(decode_add_personal_access_token(body, id), with(add_personal_access_token));
    case Rpc::RemovePersonalAccessToken:
      return call(ok(api::RemovePersonalAccessTokenRequest{id, m.param(1)}),
                  with(remove_personal_access_token));
    case Rpc::AddOrg:
      return call(decode_add_org(body), with(add_org));
    case Rpc::ListUserChanges:
      return call(decode_list_user_changes(body, id), with(list_user_changes));
    case Rpc::ListEvents:
      return call(decode_list_events(body), [&](const auto& req) {
        auto res = list_events(b, ctx, req);
        // Ours, beside ZITADEL's message: where the next page starts (afterPosition).
        if (res.ok()) headers["x-next-position"] = std::to_string(res->next_position);
        return res;
      });
    // Empty requests: the body is still read, so that malformed JSON is refused.
    case Rpc::ListEventTypes:
      return call(decode_empty<api::ListEventTypesRequest>(body), with(list_event_types));
    case Rpc::ListAggregateTypes:
      return call(decode_empty<api::ListAggregateTypesRequest>(body), with(list_aggregate_types));
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
      return Error{domain::Code::Unimplemented, "", kMethodNotAllowed};
  }
}

std::optional<std::string> header(const http::HttpRequest& req, const char* name) {
  const std::string* v = req.header(name);
  return v ? std::optional<std::string>(*v) : std::nullopt;
}

// X-Request-Id as the caller sent it (at most 128 printable ASCII characters), or
// one of ours: 16 hex digits.
domain::Result<std::string> request_id_of(const http::HttpRequest& req) {
  if (const std::string* given = req.header("x-request-id")) {
    if (auto bad = handlers::check_request_id(*given)) return *bad;
    return *given;
  }
  return handlers::new_request_id();
}

// The sequence a response reports, which is the ETag of the object it is about.
std::optional<std::uint64_t> sequence_of(const json& body) {
  const json* details = nullptr;
  if (auto d = body.find("details"); d != body.end()) details = &*d;
  if (auto u = body.find("user"); u != body.end() && u->contains("details")) {
    details = &(*u)["details"];
  }
  if (!details || !details->is_object()) return std::nullopt;
  auto seq = details->find("sequence");
  if (seq == details->end() || !seq->is_string()) return std::nullopt;
  try {
    return std::stoull(seq->get<std::string>());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

using Answer = std::function<void(http::HttpResponse)>;

http::HttpResponse text_response(int status, std::string body) {
  http::HttpResponse res;
  res.status = status;
  res.content_type = "text/plain; charset=utf-8";
  res.body = std::move(body);
  return res;
}

// An error's answer; its code goes to the record for the metrics and the log line.
http::HttpResponse failure(CallRecord& record, const Error& e) {
  record.code = static_cast<int>(e.code);
  auto res = error_response(e);
  // grpc-gateway answers a known path with another method 405 (code 12), not 501.
  if (e.code == domain::Code::Unimplemented && e.message == kMethodNotAllowed) res.status = 405;
  return res;
}

}  // namespace

// /healthz (the process serves), /readyz (PostgreSQL reachable and every migration
// applied) and /metrics: GET without authentication, not API calls. True when the
// request was one of them (and is answered).
bool RestApi::operations_endpoint(const http::HttpRequest& req,
                                  const std::shared_ptr<CallRecord>& record, const Answer& answer) {
  const std::string_view path = record->path;
  if (path != "/healthz" && path != "/readyz" && path != "/metrics") return false;
  record->rpc = std::string(path.substr(1));
  if (req.method != "GET" && req.method != "HEAD") {
    answer(failure(*record, Error{domain::Code::Unimplemented, "", kMethodNotAllowed}));
  } else if (path == "/healthz") {
    answer(json_response({{"status", "ok"}}));
  } else if (path == "/metrics") {
    auto res = text_response(200, runtime::metrics().render());
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    answer(std::move(res));
  } else {
    auto check = [record, answer](runtime::DbSession& db) {
      try {
        pqxx::read_transaction tx(db.connection());
        auto pending = eventstore::pending_migrations(tx, eventstore::embedded_migrations());
        if (!pending.empty()) {
          return answer(failure(*record, Error{domain::Code::Unavailable, "READY-migrations",
                                               "migrations not applied: " + pending.front() +
                                                   (pending.size() > 1 ? " and others" : "")}));
        }
      } catch (const std::exception& e) {
        return answer(failure(*record, db.failure(e)));
      }
      answer(json_response({{"status", "ready"}}));
    };
    if (!pool_.try_submit(std::move(check))) {
      answer(failure(*record, Error{domain::Code::Unavailable, "READY-busy",
                                    "every database worker is busy"}));
    }
  }
  return true;
}

void RestApi::operator()(http::HttpRequest req, http::Responder respond) {
  auto record = std::make_shared<CallRecord>();
  record->method = req.method;
  record->path = req.target.substr(0, req.target.find('?'));
  record->bytes_in = req.body.size();

  // Every answer carries the request id, is counted and is logged once.
  auto answer = [record, respond](http::HttpResponse res) {
    res.headers["x-request-id"] = record->request_id;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - record->started).count();
    runtime::metrics().observe_request(record->rpc.empty() ? "none" : record->rpc, record->code,
                                       seconds);
    runtime::log_request({record->request_id, record->method, record->path, record->rpc,
                          record->caller, res.status, record->code, seconds * 1000.0,
                          record->bytes_in, res.body.size()});
    respond(std::move(res));
  };

  auto request_id = request_id_of(req);
  if (!request_id.ok()) {
    record->request_id = "-";
    return answer(failure(*record, request_id.error()));
  }
  record->request_id = std::move(*request_id);

  if (operations_endpoint(req, record, answer)) return;

  auto route = match_route(req.method, req.target);
  if (!route.ok()) return answer(failure(*record, route.error()));
  record->rpc = std::string(api::rpc_name(route->rpc));

  handlers::Credentials credentials{header(req, "authorization"), header(req, "x-zitadel-orgid")};
  auto if_match = header(req, "if-match");
  std::optional<api::IdempotencyKey> idempotency;
  if (const std::string* key = req.header("idempotency-key"); key && api::is_write(route->rpc)) {
    if (auto bad = handlers::validate_idempotency_key(*key)) return answer(failure(*record, *bad));
    idempotency = api::IdempotencyKey{
        *key,
        handlers::request_hash(record->rpc, route->params, credentials.org_id.value_or(""),
                               if_match.value_or(""), req.body),
        record->rpc};
  }

  auto job = [m = std::move(*route), credentials = std::move(credentials),
              body = std::move(req.body), if_match = std::move(if_match),
              idempotency = std::move(idempotency), record, answer, &ids = ids_,
              &cache = auth_cache_](runtime::DbSession& db) {
    handlers::Backend backend{db, ids, cache};
    // Authentication, permission, then the request's validation and the command.
    auto ctx = handlers::authorize(backend, credentials, api::required_permission(m.rpc));
    if (!ctx.ok()) return answer(failure(*record, ctx.error()));
    record->caller = ctx->editor_id;
    ctx->origin = {api::full_rpc_name(m.rpc), "rest", record->request_id};
    auto expected = decode_if_match(if_match);  // part of the request's validation
    if (!expected.ok()) return answer(failure(*record, expected.error()));
    ctx->expected_sequence = *expected;
    ctx->idempotency = idempotency;

    std::map<std::string, std::string> headers;
    auto result = dispatch(backend, *ctx, m, body, headers);
    if (!result.ok()) {
      // With a key, a failed call may be a retry of one that succeeded (or one that lost
      // to a concurrent call with the key, on the key itself or on what that call wrote,
      // such as a user name): it answers as that call did. No lookup on the way in: the
      // key is claimed in the write's own transaction, so a first call costs nothing more.
      if (ctx->idempotency) {
        auto earlier = handlers::earlier_response(backend, *ctx);
        if (!earlier.ok()) return answer(failure(*record, earlier.error()));
        if (*earlier) {
          http::HttpResponse res;
          res.body = std::move(**earlier);
          res.headers["idempotent-replayed"] = "true";
          ++runtime::metrics().idempotent_replays;
          return answer(std::move(res));
        }
      }
      return answer(failure(*record, result.error()));
    }
    auto res = json_response(*result);
    res.headers.merge(headers);
    if (ctx->idempotency) handlers::remember_response(backend, *ctx, res.body);
    if (auto seq = sequence_of(*result)) res.headers["etag"] = "\"" + std::to_string(*seq) + "\"";
    answer(std::move(res));
  };
  if (!pool_.try_submit(std::move(job))) {
    answer(failure(*record, Error{domain::Code::ResourceExhausted, "",
                                  "the service is at capacity; retry shortly"}));
  }
}

}  // namespace mu::rest
