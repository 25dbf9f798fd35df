#include "app/rest/rest_api.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>

#include "app/pipeline/rpc_table.hpp"
#include "app/platform/log.hpp"
#include "app/platform/metrics.hpp"
#include "app/platform/readiness.hpp"
#include "app/platform/request_id.hpp"
#include "app/rest/error_body.hpp"
#include "app/rest/openapi.hpp"
#include "app/rest/protojson.hpp"
#include "app/rest/rest_request.hpp"
#include "app/rest/routes.hpp"

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

using domain::Error;
using nlohmann::json;

http::HttpResponse json_response(const json& body) {
  http::HttpResponse res;
  res.body = body.dump();
  return res;
}

// The sequence a response reports, which is the ETag of the object it is about: its
// details' (zitadel.v1.ObjectDetails), or those of the one object it holds (a user, an org).
std::optional<std::uint64_t> sequence_of(const google::protobuf::Message& m, int depth = 0) {
  const auto* type = m.GetDescriptor();
  const auto* reflection = m.GetReflection();
  if (const auto* details = type->FindFieldByName("details");
      details && !details->is_repeated() &&
      details->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE &&
      reflection->HasField(m, details)) {
    const auto& d = reflection->GetMessage(m, details);
    const auto* seq = d.GetDescriptor()->FindFieldByName("sequence");
    if (!seq || seq->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_UINT64)
      return std::nullopt;
    const auto n = d.GetReflection()->GetUInt64(d, seq);
    return n == 0 ? std::nullopt : std::optional<std::uint64_t>(n);
  }
  if (depth > 0) return std::nullopt;
  for (int i = 0; i < type->field_count(); ++i) {
    const auto* f = type->field(i);
    if (f->is_repeated() || f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
        !reflection->HasField(m, f))
      continue;
    if (auto n = sequence_of(reflection->GetMessage(m, f), depth + 1)) return n;
  }
  return std::nullopt;
}

// The same for a response kept as protojson (an idempotent replay): details.sequence, a
// uint64 written as a string, in the message or in its user or org.
std::optional<std::uint64_t> sequence_of_json(const std::string& body) {
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return std::nullopt;
  for (const char* holder : {"", "user", "org"}) {
    const json* msg = &parsed;
    if (*holder) {
      auto it = parsed.find(holder);
      if (it == parsed.end() || !it->is_object()) continue;
      msg = &*it;
    }
    auto details = msg->find("details");
    if (details == msg->end() || !details->is_object()) continue;
    auto seq = details->find("sequence");
    if (seq == details->end() || !seq->is_string()) continue;
    std::uint64_t n = 0;
    const auto& text = seq->get_ref<const std::string&>();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc{} && end == text.data() + text.size() && n > 0) return n;
  }
  return std::nullopt;
}

using Answer = std::function<void(http::HttpResponse)>;

// REST bodies are JSON. grpc-gateway (ZITADEL's REST side) reads any body as
// JSON whatever its Content-Type says, and curl -d sends
// application/x-www-form-urlencoded: those stay accepted. A type that names
// another encoding (gRPC-Web, protobuf, multipart, XML...) is 415 instead of
// "invalid JSON", so that a client on the wrong route learns why.
std::optional<Error> unsupported_content_type(const http::HttpRequest& req) {
  const auto header = req.header("content-type");
  if (!header) return std::nullopt;
  std::string type(header->substr(0, header->find(';')));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.erase(0, 1);
  for (auto& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (type.empty() || type == "application/json" || type.ends_with("+json") ||
      type == "text/plain" || type == "application/x-www-form-urlencoded") {
    return std::nullopt;
  }
  return Error{domain::Code::InvalidArgument, "",
               "unsupported Content-Type " + type + ": REST calls take application/json"};
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
// applied), /metrics and /openapi.json (the REST routes' description): GET without
// authentication, not API calls. True when the request was one of them (and is answered).
bool RestApi::operations_endpoint(const http::HttpRequest& req,
                                  const std::shared_ptr<CallRecord>& record, const Answer& answer) {
  const std::string_view path = record->path;
  if (oauth_ && oauth::OAuthEndpoints::serves(path)) {
    record->rpc = std::string(path.substr(1));
    (*oauth_)(req, path, record->request_id, [record, answer](http::HttpResponse res) {
      // For the metrics and the log line, in the API's terms: 5xx Internal, 401
      // Unauthenticated, other 4xx InvalidArgument.
      if (res.status >= 500) {
        record->code = static_cast<int>(domain::Code::Internal);
      } else if (res.status == 401) {
        record->code = static_cast<int>(domain::Code::Unauthenticated);
      } else if (res.status >= 400) {
        record->code = static_cast<int>(domain::Code::InvalidArgument);
      }
      answer(std::move(res));
    });
    return true;
  }
  if (path != "/healthz" && path != "/readyz" && path != "/metrics" && path != "/openapi.json")
    return false;
  record->rpc = std::string(path.substr(1));
  if (req.method != "GET" && req.method != "HEAD") {
    answer(failure(*record, Error{domain::Code::Unimplemented, "", kMethodNotAllowed}));
  } else if (path == "/openapi.json") {
    answer(openapi_response());
  } else if (path == "/healthz") {
    answer(json_response({{"status", "ok"}}));
  } else if (path == "/metrics") {
    auto res = http::text_response(200, platform::metrics().render());
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    answer(std::move(res));
  } else {
    auto check = [record, answer](platform::DbSession& db) {
      if (auto not_ready = platform::readiness(db)) return answer(failure(*record, *not_ready));
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
    platform::metrics().observe_request(record->rpc, record->code, seconds);
    platform::log_request({record->request_id, record->method, record->path, record->rpc,
                           record->caller, res.status, record->code, seconds * 1000.0,
                           record->bytes_in, res.body.size()});
    respond(std::move(res));
  };

  auto request_id = platform::resolve_request_id(req.header_copy("x-request-id"));
  if (!request_id.ok()) {
    record->request_id = "-";
    return answer(failure(*record, request_id.error()));
  }
  record->request_id = std::move(*request_id);

  if (operations_endpoint(req, record, answer)) return;

  auto route = match_route(req.method, req.target);
  if (!route.ok()) return answer(failure(*record, route.error()));
  record->rpc = route->rpc->name;
  if (auto bad = unsupported_content_type(req)) {
    auto res = failure(*record, *bad);
    res.status = 415;
    return answer(std::move(res));
  }

  pipeline::CallInput in{route->rpc,
                         "rest",
                         record->request_id,
                         {req.header_copy("authorization"), req.header_copy("x-zitadel-orgid")},
                         req.header_copy("if-match"),
                         req.header_copy("idempotency-key"),
                         route->params,
                         std::move(req.body)};
  auto decode = [m = std::move(*route)](const pipeline::CallInput& in) {
    return decode_request(m, in.body);
  };
  pipeline_.submit(std::move(in), std::move(decode), [record, answer](pipeline::Outcome out) {
    record->caller = std::move(out.caller);
    if (out.replayed) {
      http::HttpResponse res;
      res.body = std::move(*out.json);
      res.headers["idempotent-replayed"] = "true";
      // As the first answer had it.
      if (auto seq = sequence_of_json(res.body)) {
        res.headers["etag"] = "\"" + std::to_string(*seq) + "\"";
      }
      return answer(std::move(res));
    }
    if (!out.result.ok()) return answer(failure(*record, out.result.error()));
    http::HttpResponse res;
    if (out.json) {
      res.body = std::move(*out.json);
    } else {
      auto printed = print_message(**out.result);
      if (!printed.ok()) return answer(failure(*record, printed.error()));
      res.body = std::move(*printed);
    }
    // Ours, beside ZITADEL's message: where the next page starts (afterPosition).
    if (out.reply.next_position) {
      res.headers["x-next-position"] = std::to_string(*out.reply.next_position);
    }
    if (auto seq = sequence_of(**out.result)) {
      res.headers["etag"] = "\"" + std::to_string(*seq) + "\"";
    }
    answer(std::move(res));
  });
}

}  // namespace mu::rest
