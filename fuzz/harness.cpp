#include "fuzz/harness.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/pipeline/preconditions.hpp"
#include "app/pipeline/rpc.hpp"
#include "app/rest/error_body.hpp"
#include "app/rest/messages_json.hpp"
#include "domain/audit.hpp"
#include "domain/event.hpp"
#include "domain/machine_user.hpp"
#include "domain/org.hpp"
#include "domain/time.hpp"

namespace mu::fuzz {

namespace {

using domain::Error;
using domain::NewEvent;
using domain::Result;
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
  const std::string snapshot = domain::to_snapshot(model).dump();
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

}  // namespace

void init_from_environment() {
  const char* v = std::getenv("MU_FUZZ_STRICT");
  g_strict = v && *v && std::string_view(v) != "0";
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

void process(const api::AddMachineUserRequest& req) {
  // As the handler does: an absent id is generated, an explicit one (even "") validated.
  domain::AddMachineUser cmd{req.user_id.value_or(kNewUserId),
                             kOrg,
                             req.user_name,
                             req.name,
                             req.description,
                             req.access_token_type};
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

void process(const api::UpdateMachineRequest& req) {
  const domain::UpdateMachine cmd{req.user_id, kOrg, req.name, req.description,
                                  req.access_token_type};
  if (auto e = domain::validate(cmd)) return check_error(*e);
  accepted("UpdateMachine.userId", cmd.user_id);
  accepted("UpdateMachine.name", cmd.name);
  accepted("UpdateMachine.description", cmd.description);
  const auto user = existing_user(cmd.user_id);
  commit_user(user, cmd.user_id, domain::decide(user, cmd));
  commit_user({}, cmd.user_id, domain::decide(domain::MachineUser{}, cmd));  // NotFound
}

void process(const api::AddPersonalAccessTokenRequest& req) {
  domain::AddPersonalAccessToken cmd{
      req.user_id, kOrg, "", kTokenHash, req.expiration_date.value_or(domain::kNoExpiration), kNow};
  if (auto e = domain::validate(cmd)) return check_error(*e);
  accepted("AddPersonalAccessToken.userId", cmd.user_id);
  cmd.token_id = kNewTokenId + "0";
  const auto user = existing_user(cmd.user_id);
  domain::MachineUser after;
  commit_user(user, cmd.user_id, domain::decide(user, cmd), &after);
  if (g_strict && req.expiration_date) {
    auto it = after.tokens.find(cmd.token_id);
    if (it == after.tokens.end() || it->second != cmd.expiration) {
      finding("a PAT's expiration does not read back from its event",
              domain::to_rfc3339(cmd.expiration));
    }
  }
}

void process(const api::AddOrgRequest& req) {
  domain::AddOrg cmd{"", req.name};
  if (auto e = domain::validate(cmd)) return check_error(*e);
  accepted("AddOrg.name", cmd.name);
  cmd.org_id = kNewOrgId;
  (void)domain::org_name_unique_key(cmd.name);
  commit_scope({}, domain::kOrgAggregate, cmd.org_id, domain::decide(domain::MemberScope{}, cmd));
  commit_scope(scope_of(domain::ScopeKind::Org), domain::kOrgAggregate, kOrg,
               domain::decide(scope_of(domain::ScopeKind::Org), cmd));  // AlreadyExists
}

void process(domain::ScopeKind kind, bool update, const api::AddMemberRequest& req) {
  auto scope = scope_of(kind);
  if (update) {
    const domain::ChangeMember cmd{kind, req.user_id, req.roles};
    if (auto e = domain::validate(cmd)) return check_error(*e);
    accepted("member userId", cmd.user_id);
    for (const auto& r : cmd.roles) accepted("member role", r);
    scope.members[cmd.user_id] = {kind == domain::ScopeKind::Org ? domain::Role::OrgUserManager
                                                                 : domain::Role::IamOwner};
    commit_scope(scope, aggregate_of(kind), scope.id, domain::decide(scope, cmd));
    return;
  }
  domain::AddMember cmd{kind, req.user_id, req.roles, false};
  if (auto e = domain::validate(cmd)) return check_error(*e);
  accepted("member userId", cmd.user_id);
  for (const auto& r : cmd.roles) accepted("member role", r);
  commit_scope(scope, aggregate_of(kind), scope.id, domain::decide(scope, cmd));  // no such user
  cmd.user_exists = true;
  commit_scope(scope, aggregate_of(kind), scope.id, domain::decide(scope, cmd));
}

void list_user_changes(std::string_view body, const std::string& id) {
  auto decoded = rest::decode_list_user_changes(body, id);
  if (!decoded.ok()) return check_error(decoded.error());
  accepted_body(body);
  const auto& q = decoded->query;
  if (q.user_id != id) finding("ListUserChanges did not take the path's user id", q.user_id);
  if (auto e = domain::validate(q)) return check_error(*e);
  accepted("ListUserChanges user id", q.user_id);
  const auto page = domain::page_size(q.limit);
  if (page == 0 || page > domain::kMaxAuditPage) {
    finding("a change query's page size is out of 1..1000", std::to_string(page));
  }
}

void list_events(std::string_view body) {
  auto decoded = rest::decode_list_events(body);
  if (!decoded.ok()) return check_error(decoded.error());
  accepted_body(body);
  const auto& q = decoded->query;
  if (auto e = domain::validate(q)) return check_error(*e);
  if (q.event_types.size() > domain::kMaxEventTypesFilter ||
      q.aggregate_types.size() > domain::kMaxAggregateTypesFilter) {
    finding("ListEvents accepted more types than its limits", body);
  }
  if (q.since && q.until && *q.until <= *q.since)
    finding("ListEvents accepted an empty range", body);
  for (const auto& t : q.event_types) accepted("ListEvents event type", t);
  accepted("ListEvents aggregate id", q.aggregate_id);
}

void dispatch(const rest::RouteMatch& m, std::string_view body,
              const std::optional<std::string>& if_match) {
  auto expected = pipeline::decode_if_match(if_match);
  if (!expected.ok()) return check_error(expected.error());

  using api::Rpc;
  using domain::Lifecycle;
  using domain::ScopeKind;
  const std::string& id = m.param(0);
  switch (m.rpc) {
    case Rpc::AddMachineUser:
      return process_result(body, rest::decode_add_machine_user(body));
    case Rpc::UpdateMachine:
      return process_result(body, rest::decode_update_machine(body, id));
    case Rpc::GetUserByID: {
      auto decoded = rest::decode_get_user_by_id(id, m.query);  // asOf
      if (!decoded.ok()) return check_error(decoded.error());
      return get_user(id);
    }
    case Rpc::DeactivateUser:
      return change_state(Lifecycle::Deactivate, id);
    case Rpc::ReactivateUser:
      return change_state(Lifecycle::Reactivate, id);
    case Rpc::LockUser:
      return change_state(Lifecycle::Lock, id);
    case Rpc::UnlockUser:
      return change_state(Lifecycle::Unlock, id);
    case Rpc::RemoveUser:
      return change_state(Lifecycle::Remove, id);
    case Rpc::AddPersonalAccessToken:
      return process_result(body, rest::decode_add_personal_access_token(body, id));
    case Rpc::RemovePersonalAccessToken:
      return remove_pat(id, m.param(1));
    case Rpc::AddOrg:
      return process_result(body, rest::decode_add_org(body));
    case Rpc::AddOrgMember:
    case Rpc::AddIAMMember:
    case Rpc::UpdateOrgMember:
    case Rpc::UpdateIAMMember: {
      const bool update = m.rpc == Rpc::UpdateOrgMember || m.rpc == Rpc::UpdateIAMMember;
      const auto kind = m.rpc == Rpc::AddOrgMember || m.rpc == Rpc::UpdateOrgMember
                            ? ScopeKind::Org
                            : ScopeKind::Instance;
      auto decoded = update ? rest::decode_member(body, id) : rest::decode_member(body);
      if (!decoded.ok()) return check_error(decoded.error());
      accepted_body(body);
      return process(kind, update, *decoded);
    }
    case Rpc::RemoveOrgMember:
      return remove_member(ScopeKind::Org, id);
    case Rpc::RemoveIAMMember:
      return remove_member(ScopeKind::Instance, id);
    case Rpc::ListUserChanges:
      return list_user_changes(body, id);
    case Rpc::ListEvents:
      return list_events(body);
    default:  // GetMyOrg, and RPCs added since: nothing decoded from the request
      return;
  }
}

namespace {

// The {} segments of each route's pattern; nullopt for RPCs this file does not know.
std::optional<std::size_t> parameter_count(api::Rpc rpc) {
  using api::Rpc;
  switch (rpc) {
    case Rpc::AddMachineUser:
    case Rpc::AddOrg:
    case Rpc::GetMyOrg:
    case Rpc::AddOrgMember:
    case Rpc::AddIAMMember:
    case Rpc::ListEvents:
    case Rpc::ListEventTypes:
    case Rpc::ListAggregateTypes:
      return 0;
    case Rpc::UpdateMachine:
    case Rpc::GetUserByID:
    case Rpc::DeactivateUser:
    case Rpc::ReactivateUser:
    case Rpc::LockUser:
    case Rpc::UnlockUser:
    case Rpc::RemoveUser:
    case Rpc::AddPersonalAccessToken:
    case Rpc::UpdateOrgMember:
    case Rpc::RemoveOrgMember:
    case Rpc::UpdateIAMMember:
    case Rpc::RemoveIAMMember:
    case Rpc::ListUserChanges:
      return 1;
    case Rpc::RemovePersonalAccessToken:
      return 2;
    default:
      return std::nullopt;
  }
}

}  // namespace

void route_and_dispatch(std::string_view method, std::string_view target, std::string_view body,
                        const std::optional<std::string>& if_match) {
  auto route = rest::match_route(method, target);
  if (!route.ok()) return check_error(route.error());
  const auto expected = parameter_count(route->rpc);
  if (expected && route->params.size() != *expected) {
    finding("route has the wrong number of path parameters",
            std::string(method) + " " + std::string(target));
  }
  for (const auto& p : route->params) {
    if (p.empty()) finding("route matched an empty path parameter", target);
  }
  dispatch(*route, body, if_match);
}

}  // namespace mu::fuzz
