#include "domain/permissions.hpp"

#include <algorithm>
#include <array>

namespace mu::domain {

namespace {

struct RoleEntry {
  Role role;
  std::string_view name;
  bool instance;  // granted instance-wide (IAM_OWNER) or in an organization
  std::vector<std::string_view> permissions;
};

namespace p = permission;

// The one table. IAM_OWNER holds every permission in every organization;
// IAM_OWNER_VIEWER (the auditor) reads everywhere and writes nothing; ORG_OWNER
// everything within its organization; ORG_USER_MANAGER manages users.
const std::array<RoleEntry, 4>& table() {
  static const std::array<RoleEntry, 4> entries = {{
      {Role::IamOwner,
       "IAM_OWNER",
       true,
       {p::kUserRead, p::kUserWrite, p::kUserDelete, p::kOrgRead, p::kOrgCreate, p::kOrgMemberWrite,
        p::kOrgMemberDelete, p::kIamMemberWrite, p::kEventsRead}},
      {Role::IamOwnerViewer, "IAM_OWNER_VIEWER", true, {p::kUserRead, p::kOrgRead, p::kEventsRead}},
      {Role::OrgOwner,
       "ORG_OWNER",
       false,
       {p::kUserRead, p::kUserWrite, p::kUserDelete, p::kOrgRead, p::kOrgMemberWrite,
        p::kOrgMemberDelete, p::kEventsRead}},
      {Role::OrgUserManager,
       "ORG_USER_MANAGER",
       false,
       {p::kUserRead, p::kUserWrite, p::kUserDelete}},
  }};
  return entries;
}

const RoleEntry& entry(Role role) {
  for (const auto& e : table()) {
    if (e.role == role) return e;
  }
  return table()[0];  // unreachable: every Role is in the table
}

}  // namespace

std::optional<Role> parse_role(std::string_view name) {
  for (const auto& e : table()) {
    if (e.name == name) return e.role;
  }
  return std::nullopt;
}

std::string_view to_string(Role role) {
  return entry(role).name;
}
bool is_org_role(Role role) {
  return !entry(role).instance;
}
bool is_instance_role(Role role) {
  return entry(role).instance;
}
const std::vector<std::string_view>& permissions_of(Role role) {
  return entry(role).permissions;
}

bool has_permission(const std::vector<Membership>& memberships, std::string_view org_id,
                    std::string_view perm) {
  for (const auto& m : memberships) {
    if (m.scope != kInstanceScope && m.scope != org_id) continue;
    for (Role r : m.roles) {
      // A role only counts in the kind of scope it belongs to.
      if (is_instance_role(r) != (m.scope == kInstanceScope)) continue;
      const auto& perms = permissions_of(r);
      if (std::find(perms.begin(), perms.end(), perm) != perms.end()) return true;
    }
  }
  return false;
}

bool affects_authentication(std::string_view type) {
  // Everything but creations and profile changes: a new user, token (personal or issued)
  // or key is not cached yet, and a name or description does not decide who may call. A
  // secret set may replace one, so it counts; a revoked token does.
  return type != "user.machine.added" && type != "user.machine.changed" &&
         type != "user.personal.access.token.added" && type != "user.machine.key.added" &&
         type != "user.token.v2.added" && type != "org.added";
}

Error permission_denied() {
  return {Code::PermissionDenied, "AUTH-5mWD2", "No matching permissions found"};
}

Error unauthenticated() {
  return {Code::Unauthenticated, "AUTH-7fs1e", "Errors.Token.Invalid"};
}

}  // namespace mu::domain
