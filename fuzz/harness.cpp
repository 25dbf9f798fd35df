#include "fuzz/harness.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>

#include "app/handlers/audit_requests.hpp"
#include "app/handlers/wkt_codec.hpp"
#include "app/pipeline/preconditions.hpp"
#include "app/rest/error_body.hpp"
#include "app/rest/rest_request.hpp"
#include "domain/audit.hpp"
#include "domain/event.hpp"
#include "domain/machine_user.hpp"
#include "domain/org.hpp"
#include "domain/time.hpp"

namespace mu::fuzz {

namespace {

namespace pb = google::protobuf;
using domain::Error;
using domain::NewEvent;
using domain::Result;
using domain::ScopeKind;
using nlohmann::json;

bool g_strict = false;

// The call's organization, and the ids the handlers would generate.
const std::string kOrg = "100000000000000001";
const std::string kNewUserId = "100000000000000002";
const std::string kNewTokenId = "100000000000000003";
const std::string kNewOrgId = "100000000000000004";
const std::string kEditor = "100000000000000005";
const domain::Timestamp kNow = domain::from_unix_micros(1767225600000000LL);  // 2026-01-01
const std::string kTokenHash(64, 'a');  // hex SHA-256 of the token; its value does not matter

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 300)) {
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  if (s.size() > 300) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

// A value the service accepted and would store or query with.
void accepted(std::string_view what, std::string_view value) {
  if (g_strict && value.find('\0') != std::string_view::npos) {
    finding("accepted value contains U+0000 (PostgreSQL text/jsonb refuse it)",
            std::string(what) + " = \"" + std::string(value) + "\"");
  }
}

// The append as the event store does it (the event list as JSON text, which
// PostgreSQL parses into jsonb and hands back as text), then each event
// reduced into the write model, whose snapshot must read back as it was.
template <class Model, class FromSnapshot>
void commit(Model model, std::string_view aggregate_type, const std::string& id,
            const Result<std::vector<NewEvent>>& decided, FromSnapshot from_snapshot,
            int snapshot_revision, Model* out = nullptr) {
  if (!decided.ok()) return check_error(decided.error());
  json list = json::array();
  for (const auto& e : *decided) {
    list.push_back({{"type", e.type}, {"revision", e.revision}, {"payload", e.payload}});
  }
  const json stored = json::parse(list.dump());
  std::uint64_t sequence = model.sequence;
  for (const auto& e : stored) {
    domain::StoredEvent se;
    se.aggregate_type = std::string(aggregate_type);
    se.aggregate_id = id;
    se.sequence = ++sequence;
    se.position = static_cast<std::int64_t>(sequence);
    se.type = e.at("type").get<std::string>();
    se.revision = e.at("revision").get<int>();
    se.payload = e.at("payload");
    se.creator = kEditor;
    se.owner = kOrg;
    se.created_at = kNow;
    domain::apply(model, se);
  }
  const std::string snapshot = domain::to_snapshot(model);
  auto back = from_snapshot(json::parse(snapshot), snapshot_revision);
  if (!back || !(*back == model)) finding("write model does not survive its snapshot", snapshot);
  if (out) *out = std::move(model);
}

void commit_user(const domain::MachineUser& model, const std::string& id,
                 const Result<std::vector<NewEvent>>& decided, domain::MachineUser* out = nullptr) {
  commit(model, domain::kUserAggregate, id, decided, &domain::from_snapshot,
         domain::kMachineUserSnapshotRevision, out);
}

void commit_scope(const domain::MemberScope& model, std::string_view aggregate_type,
                  const std::string& id, const Result<std::vector<NewEvent>>& decided) {
  commit(model, aggregate_type, id, decided, &domain::from_snapshot_scope,
         domain::kMemberScopeSnapshotRevision);
}

// A user of the call's organization in the state that lets `action` succeed.
domain::MachineUser existing_user(const std::string& id,
                                  domain::UserState state = domain::UserState::Active) {
  domain::MachineUser u;
  u.id = id;
  u.owner = kOrg;
  u.user_name = "existing-bot";
  u.name = "Existing bot";
  u.description = "exists";
  u.state = state;
  u.sequence = 3;
  u.tokens[kNewTokenId] = domain::kNoExpiration;
  return u;
}

domain::MemberScope scope_of(domain::ScopeKind kind) {
  domain::MemberScope s;
  s.exists = true;
  s.sequence = 2;
  if (kind == domain::ScopeKind::Org) {
    s.id = kOrg;
    s.name = "Default";
  } else {
    s.id = std::string(domain::kInstanceId);
  }
  return s;
}

std::string_view aggregate_of(domain::ScopeKind kind) {
  return kind == domain::ScopeKind::Org ? domain::kOrgAggregate : domain::kInstanceAggregate;
}

// An independent reading of an accepted body: nlohmann's SAX parser (iterative,
// so any depth is fine), with a set of keys per open object.
class StrictJson : public nlohmann::json_sax<json> {
 public:
  std::string problem;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t v, const string_t&) override {
    return std::isfinite(v) || fail("a number outside double's range");
  }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    keys_.emplace_back();
    return true;
  }
  bool key(string_t& k) override {
    return keys_.back().insert(k).second || fail("duplicate key \"" + k + "\"");
  }
  bool end_object() override {
    keys_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    return fail(std::string("not JSON: ") + e.what());
  }

 private:
  bool fail(std::string why) {
    problem = std::move(why);
    return false;
  }
  std::vector<std::set<std::string>> keys_;
};

void get_user(const std::string& id) {
  if (auto e = domain::validate_user_id("GetUserByIDRequest", id)) return check_error(*e);
  accepted("GetUserByID id", id);
}

void change_state(domain::Lifecycle action, const std::string& id) {
  const domain::ChangeUserState cmd{action, id, kOrg};
  if (auto e = domain::validate(cmd)) return check_error(*e);
  accepted("user id (path)", id);
  using domain::UserState;
  const UserState state = action == domain::Lifecycle::Reactivate ? UserState::Inactive
                          : action == domain::Lifecycle::Unlock   ? UserState::Locked
                                                                  : UserState::Active;
  const auto user = existing_user(id, state);
  commit_user(user, id, domain::decide(user, cmd));
  commit_user({}, id, domain::decide(domain::MachineUser{}, cmd));  // NotFound
}

void remove_pat(const std::string& user_id, const std::string& token_id) {
  const domain::RemovePersonalAccessToken cmd{user_id, kOrg, token_id};
  if (auto e = domain::validate(cmd)) return check_error(*e);
  accepted("user id (path)", user_id);
  accepted("token id (path)", token_id);
  auto user = existing_user(user_id);
  user.tokens[token_id] = domain::kNoExpiration;
  commit_user(user, user_id, domain::decide(user, cmd));
}

void remove_member(domain::ScopeKind kind, const std::string& user_id) {
  const domain::RemoveMember cmd{kind, user_id};
  if (auto e = domain::validate(cmd)) return check_error(*e);
  accepted("member user id (path)", user_id);
  auto scope = scope_of(kind);
  scope.members[user_id] = {kind == domain::ScopeKind::Org ? domain::Role::OrgOwner
                                                           : domain::Role::IamOwner};
  commit_scope(scope, aggregate_of(kind), scope.id, domain::decide(scope, cmd));
}

// Add*Member and Update*Member, as app/handlers/org_handlers.cpp maps them.
template <class Request>
void member(ScopeKind kind, bool update, const Request& req) {
  auto scope = scope_of(kind);
  std::vector<std::string> roles(req.roles().begin(), req.roles().end());
  if (update) {
    const domain::ChangeMember cmd{kind, req.user_id(), std::move(roles)};
    if (auto e = domain::validate(cmd)) return check_error(*e);
    accepted("member userId", cmd.user_id);
    for (const auto& r : cmd.roles) accepted("member role", r);
    scope.members[cmd.user_id] = {kind == ScopeKind::Org ? domain::Role::OrgUserManager
                                                         : domain::Role::IamOwner};
    commit_scope(scope, aggregate_of(kind), scope.id, domain::decide(scope, cmd));
    return;
  }
  domain::AddMember cmd{kind, req.user_id(), std::move(roles), false};
  if (auto e = domain::validate(cmd)) return check_error(*e);
  accepted("member userId", cmd.user_id);
  for (const auto& r : cmd.roles) accepted("member role", r);
  commit_scope(scope, aggregate_of(kind), scope.id, domain::decide(scope, cmd));  // no such user
  cmd.user_exists = true;
  commit_scope(scope, aggregate_of(kind), scope.id, domain::decide(scope, cmd));
}

// The {} segments of a route's template, counted here rather than by the router.
std::size_t parameter_count(std::string_view path) {
  std::size_t n = 0;
  for (char c : path) n += c == '{' ? 1 : 0;
  return n;
}

// The message as a T, when it is one.
template <class T>
const T* as(const pb::Message& m) {
  return dynamic_cast<const T*>(&m);
}

}  // namespace

void init_from_environment() {
  const char* v = std::getenv("MU_FUZZ_STRICT");
  g_strict = v && *v && std::string_view(v) != "0";
  // Built once before the first input, so that its allocations (and a table the
  // protos cannot build, which throws) are not charged to an input.
  (void)pipeline::rpc_table();
}

bool strict() {
  return g_strict;
}

void finding(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "FINDING: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               printable(detail).c_str());
  std::fflush(stderr);
  std::abort();
}

void check_error(const Error& e) {
  // A throw from here leaves the target: the error path must never throw.
  const std::string body = rest::error_json(e);
  const auto res = rest::error_response(e);
  if (res.status < 400 || res.status > 599) {
    finding("error status outside 4xx/5xx", std::to_string(res.status) + " " + body);
  }
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) finding("error_json is not a JSON object", body);
  const auto code = j.find("code");
  if (code == j.end() || !code->is_number_integer() ||
      code->get<long long>() != static_cast<long long>(e.code)) {
    finding("error_json lost the code", body);
  }
  const auto message = j.find("message");
  if (message == j.end() || !message->is_string()) finding("error_json has no message", body);
  const auto details = j.find("details");
  if (details == j.end() || !details->is_array()) finding("error_json has no details", body);
}

void accepted_body(std::string_view body) {
  if (!g_strict) return;
  const auto start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return;  // an empty message
  if (body.substr(start).starts_with("\xEF\xBB\xBF") || body.starts_with("\xEF\xBB\xBF")) {
    finding("a body with a byte-order mark was accepted", body);
  }
  StrictJson sax;
  bool ok = false;
  try {
    ok = json::sax_parse(body, &sax);
  } catch (const json::exception& e) {  // the lexer's number overflow (406) throws
    sax.problem = e.what();
  }
  if (!ok) finding("an accepted body is not strict JSON (" + sax.problem + ")", body);
}

void accepted_timestamps(const pb::Message& message) {
  if (!g_strict) return;
  if (const auto* ts = as<pb::Timestamp>(message)) {
    auto t = handlers::from_proto_timestamp(*ts, "timestamp");
    if (!t.ok()) return check_error(t.error());
    const auto text = domain::to_rfc3339(*t);
    const auto again = domain::parse_rfc3339(text);
    if (!again || *again != *t) {
      finding("an accepted timestamp does not read back from its RFC 3339 form", text);
    }
    return;
  }
  const auto* r = message.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (!f->is_repeated()) {
      accepted_timestamps(r->GetMessage(message, f));
      continue;
    }
    for (int i = 0; i < r->FieldSize(message, f); ++i) {
      accepted_timestamps(r->GetRepeatedMessage(message, f, i));
    }
  }
}

const pipeline::RpcEntry& rpc_named(std::string_view name) {
  for (const auto& e : pipeline::rpc_table()) {
    if (e.name == name) return e;
  }
  finding("the protos have no RPC of this name", name);
}

rest::RouteMatch route_to(const pipeline::RpcEntry& rpc, std::vector<std::string> params,
                          std::string query) {
  rest::RouteMatch m{&rpc, std::move(params), {}, std::move(query)};
  std::string_view path = rpc.http.path;
  while (!path.empty()) {
    const auto open = path.find('{');
    const auto close = path.find('}', open);
    if (open == std::string_view::npos || close == std::string_view::npos) break;
    m.fields.emplace_back(path.substr(open + 1, close - open - 1));
    path.remove_prefix(close + 1);
  }
  if (m.fields.size() != m.params.size()) {
    finding("route_to was given the wrong number of path parameters", rpc.http.path);
  }
  return m;
}

std::optional<pipeline::DecodedRequest> decode(const rest::RouteMatch& route,
                                               std::string_view body) {
  auto decoded = rest::decode_request(route, body);
  if (!decoded.ok()) {
    if (decoded.error().code == domain::Code::Internal) {
      finding("a request made the decoder answer Internal", decoded.error().message);
    }
    check_error(decoded.error());
    return std::nullopt;
  }
  if (route.rpc->http.body == "*") accepted_body(body);
  const auto& message = *decoded->message;
  if (message.GetDescriptor() != route.rpc->method->input_type()) {
    finding("decode_request made another RPC's message", message.GetDescriptor()->full_name());
  }
  for (std::size_t i = 0; i < route.fields.size(); ++i) {
    const auto* field = message.GetDescriptor()->FindFieldByName(route.fields[i]);
    if (!field || message.GetReflection()->GetString(message, field) != route.param(i)) {
      finding("the path's {" + route.fields[i] + "} did not win over the body's", route.param(i));
    }
  }
  accepted_timestamps(message);
  return std::move(*decoded);
}

void process(const mgmt::AddMachineUserRequest& req) {
  // As the handler does: an absent id is generated, an explicit one (even "") validated.
  // Proto3 enums are open: a number the enum does not define reaches validation.
  domain::AddMachineUser cmd{req.has_user_id() ? req.user_id() : kNewUserId,
                             kOrg,
                             req.user_name(),
                             req.name(),
                             req.description(),
                             static_cast<domain::AccessTokenType>(req.access_token_type())};
  if (auto e = domain::validate(cmd)) return check_error(*e);
  accepted("AddMachineUser.userName", cmd.user_name);
  accepted("AddMachineUser.name", cmd.name);
  accepted("AddMachineUser.description", cmd.description);
  accepted("AddMachineUser.userId", cmd.user_id);
  const domain::MachineUser none;
  const auto decided = domain::decide(none, cmd);
  commit_user(none, cmd.user_id, decided);
  if (decided.ok()) {
    const auto changes = domain::unique_name_changes(none, kOrg, *decided);
    if (changes.claim.size() != 1) finding("AddMachineUser claims no user name", cmd.user_name);
  }
  const auto user = existing_user(cmd.user_id);
  commit_user(user, cmd.user_id, domain::decide(user, cmd));  // AlreadyExists
}

void process(const mgmt::UpdateMachineRequest& req) {
  const domain::UpdateMachine cmd{req.user_id(), kOrg, req.name(), req.description(),
                                  static_cast<domain::AccessTokenType>(req.access_token_type())};
  if (auto e = domain::validate(cmd)) return check_error(*e);
  accepted("UpdateMachine.userId", cmd.user_id);
  accepted("UpdateMachine.name", cmd.name);
  accepted("UpdateMachine.description", cmd.description);
  const auto user = existing_user(cmd.user_id);
  commit_user(user, cmd.user_id, domain::decide(user, cmd));
  commit_user({}, cmd.user_id, domain::decide(domain::MachineUser{}, cmd));  // NotFound
}

void process(const mgmt::AddPersonalAccessTokenRequest& req) {
  domain::Timestamp expiration = domain::kNoExpiration;
  if (req.has_expiration_date()) {
    auto t = handlers::from_proto_timestamp(req.expiration_date(), "expiration_date");
    if (!t.ok()) return check_error(t.error());
    expiration = *t;
  }
  domain::AddPersonalAccessToken cmd{req.user_id(), kOrg, "", kTokenHash, expiration, kNow};
  if (auto e = domain::validate(cmd)) return check_error(*e);
  accepted("AddPersonalAccessToken.userId", cmd.user_id);
  cmd.token_id = kNewTokenId + "0";
  const auto user = existing_user(cmd.user_id);
  domain::MachineUser after;
  commit_user(user, cmd.user_id, domain::decide(user, cmd), &after);
  if (g_strict && req.has_expiration_date()) {
    auto it = after.tokens.find(cmd.token_id);
    if (it == after.tokens.end() || it->second != cmd.expiration) {
      finding("a PAT's expiration does not read back from its event",
              domain::to_rfc3339(cmd.expiration));
    }
  }
}

void process(const mgmt::AddOrgRequest& req) {
  // The caller becomes the new org's owner, as the handler has it.
  domain::AddOrg cmd{"", req.name(), kEditor};
  if (auto e = domain::validate(cmd)) return check_error(*e);
  accepted("AddOrg.name", cmd.name);
  cmd.org_id = kNewOrgId;
  (void)domain::org_name_unique_key(cmd.name);
  commit_scope({}, domain::kOrgAggregate, cmd.org_id, domain::decide(domain::MemberScope{}, cmd));
  commit_scope(scope_of(ScopeKind::Org), domain::kOrgAggregate, kOrg,
               domain::decide(scope_of(ScopeKind::Org), cmd));  // AlreadyExists
}

void process(const mgmt::AddOrgMemberRequest& req) {
  member(ScopeKind::Org, false, req);
}
void process(const mgmt::UpdateOrgMemberRequest& req) {
  member(ScopeKind::Org, true, req);
}
void process(const admin::AddIAMMemberRequest& req) {
  member(ScopeKind::Instance, false, req);
}
void process(const admin::UpdateIAMMemberRequest& req) {
  member(ScopeKind::Instance, true, req);
}

void process(const mgmt::ListUserChangesRequest& req) {
  const domain::UserChangesQuery q{req.user_id(), req.query().sequence(), req.query().limit(),
                                   req.query().asc()};
  if (auto e = domain::validate(q)) return check_error(*e);
  accepted("ListUserChanges user id", q.user_id);
  const auto page = domain::page_size(q.limit);
  if (page == 0 || page > domain::kMaxAuditPage) {
    finding("a change query's page size is out of 1..1000", std::to_string(page));
  }
}

void process(const admin::ListEventsRequest& req, const api::CallExtras& extras) {
  // The handler's own mapping (app/handlers/audit_requests.cpp).
  auto query = handlers::events_query(req, extras.after_position);
  if (!query.ok()) return check_error(query.error());
  const auto& q = *query;
  if (auto e = domain::validate(q)) return check_error(*e);
  if (q.event_types.size() > domain::kMaxEventTypesFilter ||
      q.aggregate_types.size() > domain::kMaxAggregateTypesFilter) {
    finding("ListEvents accepted more types than its limits", req.ShortDebugString());
  }
  if (q.since && q.until && *q.until <= *q.since) {
    finding("ListEvents accepted an empty range", req.ShortDebugString());
  }
  for (const auto& t : q.event_types) accepted("ListEvents event type", t);
  accepted("ListEvents aggregate id", q.aggregate_id);
  accepted("ListEvents editor user id", q.editor_user_id);
  accepted("ListEvents resource owner", q.resource_owner);
}

void process(const pipeline::DecodedRequest& decoded) {
  using domain::Lifecycle;
  const pb::Message& m = *decoded.message;
  if (auto* r = as<mgmt::AddMachineUserRequest>(m)) return process(*r);
  if (auto* r = as<mgmt::UpdateMachineRequest>(m)) return process(*r);
  if (auto* r = as<mgmt::GetUserByIDRequest>(m)) return get_user(r->id());
  if (auto* r = as<mgmt::DeactivateUserRequest>(m))
    return change_state(Lifecycle::Deactivate, r->id());
  if (auto* r = as<mgmt::ReactivateUserRequest>(m))
    return change_state(Lifecycle::Reactivate, r->id());
  if (auto* r = as<mgmt::LockUserRequest>(m)) return change_state(Lifecycle::Lock, r->id());
  if (auto* r = as<mgmt::UnlockUserRequest>(m)) return change_state(Lifecycle::Unlock, r->id());
  if (auto* r = as<mgmt::RemoveUserRequest>(m)) return change_state(Lifecycle::Remove, r->id());
  if (auto* r = as<mgmt::AddPersonalAccessTokenRequest>(m)) return process(*r);
  if (auto* r = as<mgmt::RemovePersonalAccessTokenRequest>(m)) {
    return remove_pat(r->user_id(), r->token_id());
  }
  if (auto* r = as<mgmt::AddOrgRequest>(m)) return process(*r);
  if (auto* r = as<mgmt::AddOrgMemberRequest>(m)) return process(*r);
  if (auto* r = as<mgmt::UpdateOrgMemberRequest>(m)) return process(*r);
  if (auto* r = as<mgmt::RemoveOrgMemberRequest>(m))
    return remove_member(ScopeKind::Org, r->user_id());
  if (auto* r = as<admin::AddIAMMemberRequest>(m)) return process(*r);
  if (auto* r = as<admin::UpdateIAMMemberRequest>(m)) return process(*r);
  if (auto* r = as<admin::RemoveIAMMemberRequest>(m)) {
    return remove_member(ScopeKind::Instance, r->user_id());
  }
  if (auto* r = as<mgmt::ListUserChangesRequest>(m)) return process(*r);
  if (auto* r = as<admin::ListEventsRequest>(m)) return process(*r, decoded.extras);
  // GetMyOrg, ListEventTypes, ListAggregateTypes, and RPCs added since: their
  // request carries nothing the handler reads.
}

void decode_and_process(const rest::RouteMatch& route, std::string_view body) {
  if (auto decoded = decode(route, body)) process(*decoded);
}

void dispatch(const rest::RouteMatch& m, std::string_view body,
              const std::optional<std::string>& if_match) {
  auto expected = pipeline::decode_if_match(if_match);
  if (!expected.ok()) return check_error(expected.error());
  decode_and_process(m, body);
}

void route_and_dispatch(std::string_view method, std::string_view target, std::string_view body,
                        const std::optional<std::string>& if_match) {
  auto route = rest::match_route(method, target);
  if (!route.ok()) return check_error(route.error());
  const auto expected = parameter_count(route->rpc->http.path);
  if (route->params.size() != expected || route->fields.size() != expected) {
    finding("route has the wrong number of path parameters",
            std::string(method) + " " + std::string(target));
  }
  for (const auto& p : route->params) {
    if (p.empty()) finding("route matched an empty path parameter", target);
    accepted("path parameter", p);
  }
  dispatch(*route, body, if_match);
}

}  // namespace mu::fuzz
