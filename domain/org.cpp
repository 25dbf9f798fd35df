#include "domain/org.hpp"

#include "domain/json_text.hpp"

#include <algorithm>

#include "domain/unicode.hpp"
#include "domain/validation.hpp"

namespace mu::domain {

namespace {

std::vector<Role> roles_from(const nlohmann::json& payload) {
  std::vector<Role> roles;
  auto it = payload.find("roles");
  if (it == payload.end() || !it->is_array()) return roles;
  for (const auto& r : *it) {
    if (!r.is_string()) continue;
    if (auto role = parse_role(r.get<std::string>())) roles.push_back(*role);
  }
  return roles;
}

bool is_member_event(std::string_view type, std::string_view suffix) {
  return type == std::string("org.member.") + std::string(suffix) ||
         type == std::string("instance.member.") + std::string(suffix);
}

std::string_view member_event(ScopeKind kind, std::string_view suffix_org,
                              std::string_view suffix_instance) {
  return kind == ScopeKind::Org ? suffix_org : suffix_instance;
}

enum class MemberCall { Add, Update, Remove };

std::string request_name(ScopeKind kind, MemberCall call) {
  static constexpr const char* kVerb[] = {"Add", "Update", "Remove"};
  return std::string(kVerb[static_cast<int>(call)]) +
         (kind == ScopeKind::Org ? "OrgMemberRequest" : "IAMMemberRequest");
}

// A member's user id and roles: at least one, each known and of the scope's kind.
std::optional<Error> check_member(ScopeKind kind, MemberCall call, const std::string& user_id,
                                  const std::vector<std::string>& roles) {
  const auto request = request_name(kind, call);
  if (auto e = check_length(request, "UserId", user_id, 1, 200)) return e;
  if (roles.empty())
    return invalid_argument("invalid " + request + ".Roles: value must contain at least 1 item(s)");
  for (const auto& name : roles) {
    auto role = parse_role(name);
    if (!role || (kind == ScopeKind::Org) != is_org_role(*role)) {
      return invalid_argument("invalid " + request + ".Roles: unknown role \"" + name + "\"" +
                              (kind == ScopeKind::Org
                                   ? " (organization roles: ORG_OWNER, ORG_USER_MANAGER)"
                                   : " (instance roles: IAM_OWNER)"));
    }
  }
  return std::nullopt;
}

// Roles as sent, without duplicates, in a stable order.
std::vector<std::string> normalized(std::vector<std::string> roles) {
  std::sort(roles.begin(), roles.end());
  roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
  return roles;
}

}  // namespace

void apply(MemberScope& s, const StoredEvent& e) {
  const auto& p = e.payload.is_object() ? e.payload : nlohmann::json::object();
  if (s.id.empty()) s.id = e.aggregate_id;
  if (e.type == event_type::kOrgAdded) {
    s.exists = true;
    s.name = payload_string(p, "name");
  } else if (is_member_event(e.type, "added") || is_member_event(e.type, "changed")) {
    s.members[payload_string(p, "userId")] = roles_from(p);
  } else if (is_member_event(e.type, "removed")) {
    s.members.erase(payload_string(p, "userId"));
  }
  if (e.aggregate_type == kInstanceAggregate) s.exists = true;
  s.sequence = e.sequence;
}

std::string to_snapshot(const MemberScope& s) {
  std::string out;
  out.reserve(96 + s.id.size() + s.name.size() + 48 * s.members.size());
  JsonObjectText snapshot(out);
  snapshot.string("id", s.id).string("name", s.name).boolean("exists", s.exists);
  auto members = snapshot.object("members");
  for (const auto& [user, roles] : s.members) {
    members.strings(user, roles, [](Role r) { return to_string(r); });
  }
  members.close();
  snapshot.unsigned_integer("sequence", s.sequence);
  snapshot.close();
  return out;
}

std::optional<MemberScope> from_snapshot_scope(const nlohmann::json& j, int revision) {
  if (revision != kMemberScopeSnapshotRevision || !j.is_object()) return std::nullopt;
  try {
    MemberScope s;
    s.id = j.at("id").get<std::string>();
    s.name = j.at("name").get<std::string>();
    s.exists = j.at("exists").get<bool>();
    for (const auto& [user, roles] : j.at("members").items()) {
      s.members[user] = roles_from(nlohmann::json{{"roles", roles}});
    }
    s.sequence = j.at("sequence").get<std::uint64_t>();
    return s;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::optional<Error> validate(const AddOrg& c) {
  return check_length("AddOrgRequest", "Name", c.name, 1, 200);
}

std::optional<Error> validate(const AddMember& c) {
  return check_member(c.kind, MemberCall::Add, c.user_id, c.roles);
}

std::optional<Error> validate(const ChangeMember& c) {
  return check_member(c.kind, MemberCall::Update, c.user_id, c.roles);
}

std::optional<Error> validate(const RemoveMember& c) {
  return check_length(request_name(c.kind, MemberCall::Remove), "UserId", c.user_id, 1, 200);
}

Result<std::vector<NewEvent>> decide(const MemberScope& s, const AddOrg& c) {
  if (s.exists)
    return Error{Code::AlreadyExists, "COMMAND-Bm2dx", "Organisation's name or id already taken"};
  std::vector<NewEvent> events{{std::string(event_type::kOrgAdded), 1, {{"name", c.name}}}};
  if (!c.creator_id.empty()) {
    events.push_back({std::string(event_type::kOrgMemberAdded),
                      1,
                      {{"userId", c.creator_id}, {"roles", nlohmann::json::array({"ORG_OWNER"})}}});
  }
  return events;
}

Result<std::vector<NewEvent>> decide(const MemberScope& s, const AddMember& c) {
  // The instance always exists; an org must have been added.
  if (c.kind == ScopeKind::Org && !s.exists)
    return Error{Code::NotFound, "COMMAND-Mf83s", "Organisation not found"};
  if (!c.user_exists) return Error{Code::NotFound, "COMMAND-hVCnE", "User could not be found"};
  if (s.members.count(c.user_id))
    return Error{Code::AlreadyExists, "COMMAND-PtXi1", "Member already exists"};
  return std::vector<NewEvent>{{std::string(member_event(c.kind, event_type::kOrgMemberAdded,
                                                         event_type::kInstanceMemberAdded)),
                                1,
                                {{"userId", c.user_id}, {"roles", normalized(c.roles)}}}};
}

Result<std::vector<NewEvent>> decide(const MemberScope& s, const ChangeMember& c) {
  auto it = s.members.find(c.user_id);
  if (it == s.members.end())
    return Error{Code::NotFound, "COMMAND-D8JxR", "Organisation member not found"};
  const auto roles = normalized(c.roles);
  std::vector<std::string> current;
  for (Role r : it->second) current.emplace_back(to_string(r));
  if (normalized(current) == roles)
    return Error{Code::FailedPrecondition, "COMMAND-LiaZi", "Roles not changed"};
  return std::vector<NewEvent>{{std::string(member_event(c.kind, event_type::kOrgMemberChanged,
                                                         event_type::kInstanceMemberChanged)),
                                1,
                                {{"userId", c.user_id}, {"roles", roles}}}};
}

Result<std::vector<NewEvent>> decide(const MemberScope& s, const RemoveMember& c) {
  if (!s.members.count(c.user_id)) {
    return Error{Code::NotFound, "COMMAND-D8JxR", "Organisation member not found"};
  }
  return std::vector<NewEvent>{{std::string(member_event(c.kind, event_type::kOrgMemberRemoved,
                                                         event_type::kInstanceMemberRemoved)),
                                1,
                                {{"userId", c.user_id}}}};
}

std::string org_name_unique_key(std::string_view name) {
  return ascii_lower(name);
}

}  // namespace mu::domain
