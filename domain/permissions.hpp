// Roles and permissions: the one table that maps roles to permissions, and the
// check every call makes. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/error.hpp"

namespace mu::domain {

enum class Role { IamOwner, IamOwnerViewer, OrgOwner, OrgUserManager };

std::optional<Role> parse_role(std::string_view name);  // "ORG_OWNER" -> Role::OrgOwner
std::string_view to_string(Role role);
bool is_org_role(Role role);       // may be granted in an organization
bool is_instance_role(Role role);  // may be granted instance-wide

namespace permission {
inline constexpr std::string_view kUserRead = "user.read";
inline constexpr std::string_view kUserWrite = "user.write";
inline constexpr std::string_view kUserDelete = "user.delete";
inline constexpr std::string_view kOrgRead = "org.read";
inline constexpr std::string_view kOrgCreate = "org.create";
inline constexpr std::string_view kOrgMemberWrite = "org.member.write";
inline constexpr std::string_view kOrgMemberDelete = "org.member.delete";
inline constexpr std::string_view kIamMemberWrite = "iam.member.write";
inline constexpr std::string_view kEventsRead = "events.read";
}  // namespace permission

// The permissions a role grants (in its organization; instance roles everywhere).
const std::vector<std::string_view>& permissions_of(Role role);

// The scope of instance-wide memberships, beside organization ids.
inline constexpr std::string_view kInstanceScope = "instance";

struct Membership {
  std::string scope;  // an organization id, or kInstanceScope
  std::vector<Role> roles;
  friend bool operator==(const Membership&, const Membership&) = default;
};

// Whether a caller with these memberships holds `perm` in organization `org_id`; instance
// roles count in every organization.
bool has_permission(const std::vector<Membership>& memberships, std::string_view org_id,
                    std::string_view perm);

// Events after which a cached authentication may be wrong: a caller's state,
// tokens or roles changed. Their commands tell every instance to forget its cache.
bool affects_authentication(std::string_view event_type);

// 403, code 7.
Error permission_denied();
// 401, code 16. The reason is for logs; the wire says only what ZITADEL says.
Error unauthenticated();

}  // namespace mu::domain
