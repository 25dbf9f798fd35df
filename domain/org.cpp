#include "domain/org.hpp"

#include <algorithm>
#include <cctype>

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

std::string_view request_name(ScopeKind kind, bool add) {
  if (kind == ScopeKind::Org) return add ? "AddOrgMemberRequest" : "RemoveOrgMemberRequest";
  return add ? "AddIAMMemberRequest" : "RemoveIAMMemberRequest";
}

}  // namespace

void apply(MemberScope& s, const StoredEvent& e) {
  const auto& p = e.payload.is_object() ? e.payload : nlohmann::json::object();
  if (s.id.empty()) s.id = e.aggregate_id;
  if (e.type == event_type::kOrgAdded) {
    s.exists = true;
    s.name = p.value("name", "");
  } else if (is_member_event(e.type, "added") || is_member_event(e.type, "changed")) {
    s.members[p.value("userId", "")] = roles_from(p);
  } else if (is_member_event(e.type, "removed")) {
    s.members.erase(p.value("userId", ""));
  }
  if (e.aggregate_type == kInstanceAggregate) s.exists = true;
  s.sequence = e.sequence;
}

nlohmann::json to_snapshot(const MemberScope& s) {
  nlohmann::json members = nlohmann::json::object();
  for (const auto& [user, roles] : s.members) {
    auto& list = members[user] = nlohmann::json::array();
    for (Role r : roles) list.push_back(to_string(r));
  }
  return {{"id", s.id},
          {"name", s.name},
          {"exists", s.exists},
          {"members", members},
          {"sequence", s.sequence}};
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
  const auto request = request_name(c.kind, true);
  if (auto e = check_length(request, "UserId", c.user_id, 1, 200)) return e;
  if (c.roles.empty()) {
    return invalid_argument("invalid " + std::string(request) +
                            ".Roles: value must contain at least 1 item(s)");
  }
  for (const auto& name : c.roles) {
    auto role = parse_role(name);
    if (!role || (c.kind == ScopeKind::Org) != is_org_role(*role)) {
      return invalid_argument(
          "invalid " + std::string(request) + ".Roles: unknown role \"" + name + "\"" +
          (c.kind == ScopeKind::Org ? " (organization roles: ORG_OWNER, ORG_USER_MANAGER)"
                                    : " (instance roles: IAM_OWNER)"));
    }
  }
  return std::nullopt;
}

std::optional<Error> validate(const RemoveMember& c) {
  return check_length(request_name(c.kind, false), "UserId", c.user_id, 1, 200);
}

Result<std::vector<NewEvent>> decide(const MemberScope& s, const AddOrg& c) {
  if (s.exists)
    return Error{Code::AlreadyExists, "COMMAND-Bm2dx", "Organisation's name or id already taken"};
  return std::vector<NewEvent>{{std::string(event_type::kOrgAdded), 1, {{"name", c.name}}}};
}

Result<std::vector<NewEvent>> decide(const MemberScope& s, const AddMember& c) {
  // The instance always exists; an org must have been added.
  if (c.kind == ScopeKind::Org && !s.exists)
    return Error{Code::NotFound, "COMMAND-Mf83s", "Organisation not found"};
  if (!c.user_exists) return Error{Code::NotFound, "COMMAND-hVCnE", "User could not be found"};
  if (s.members.count(c.user_id))
    return Error{Code::AlreadyExists, "COMMAND-PtXi1", "Member already exists"};
  // Roles as sent, without duplicates, in a stable order.
  std::vector<std::string> roles = c.roles;
  std::sort(roles.begin(), roles.end());
  roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
  return std::vector<NewEvent>{{std::string(member_event(c.kind, event_type::kOrgMemberAdded,
                                                         event_type::kInstanceMemberAdded)),
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
  std::string key;
  for (char ch : name) key += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return key;
}

}  // namespace mu::domain
