#include "domain/permissions.hpp"

#include <catch2/catch.hpp>

using namespace mu::domain;
namespace p = mu::domain::permission;

TEST_CASE("the role table") {
  CHECK(parse_role("IAM_OWNER") == Role::IamOwner);
  CHECK(parse_role("ORG_OWNER") == Role::OrgOwner);
  CHECK(parse_role("ORG_USER_MANAGER") == Role::OrgUserManager);
  CHECK(parse_role("IAM_OWNER_VIEWER") == Role::IamOwnerViewer);
  CHECK_FALSE(parse_role("org_owner"));
  CHECK_FALSE(parse_role("ROOT"));
  for (Role r : {Role::IamOwner, Role::IamOwnerViewer, Role::OrgOwner, Role::OrgUserManager})
    CHECK(parse_role(to_string(r)) == r);

  CHECK(is_instance_role(Role::IamOwner));
  CHECK(is_instance_role(Role::IamOwnerViewer));
  CHECK(is_org_role(Role::OrgOwner));
  CHECK(is_org_role(Role::OrgUserManager));

  auto holds = [](Role r, std::string_view perm) {
    const auto& ps = permissions_of(r);
    return std::find(ps.begin(), ps.end(), perm) != ps.end();
  };
  for (auto perm : {p::kUserRead, p::kUserWrite, p::kUserDelete}) {
    CHECK(holds(Role::OrgUserManager, perm));
    CHECK(holds(Role::OrgOwner, perm));
    CHECK(holds(Role::IamOwner, perm));
  }
  CHECK_FALSE(holds(Role::OrgUserManager, p::kOrgMemberWrite));
  CHECK_FALSE(holds(Role::OrgUserManager, p::kOrgRead));
  CHECK(holds(Role::OrgOwner, p::kOrgMemberWrite));
  CHECK(holds(Role::OrgOwner, p::kOrgMemberDelete));
  CHECK_FALSE(holds(Role::OrgUserManager, p::kOrgMemberDelete));
  CHECK_FALSE(holds(Role::IamOwnerViewer, p::kOrgMemberDelete));
  CHECK_FALSE(holds(Role::OrgOwner, p::kOrgCreate));
  CHECK_FALSE(holds(Role::OrgOwner, p::kIamMemberWrite));
  CHECK(holds(Role::IamOwner, p::kOrgCreate));
  CHECK(holds(Role::IamOwner, p::kIamMemberWrite));
  // The auditor reads everything and writes nothing.
  for (auto perm : {p::kUserRead, p::kOrgRead, p::kEventsRead}) {
    CHECK(holds(Role::IamOwnerViewer, perm));
  }
  for (auto perm :
       {p::kUserWrite, p::kUserDelete, p::kOrgCreate, p::kOrgMemberWrite, p::kIamMemberWrite}) {
    CHECK_FALSE(holds(Role::IamOwnerViewer, perm));
  }
}

TEST_CASE("permissions hold in the membership's organization, instance roles everywhere") {
  const std::vector<Membership> manager{{"orgA", {Role::OrgUserManager}}};
  CHECK(has_permission(manager, "orgA", p::kUserWrite));
  CHECK_FALSE(has_permission(manager, "orgB", p::kUserWrite));
  CHECK_FALSE(has_permission(manager, "orgA", p::kOrgMemberWrite));

  const std::vector<Membership> iam{{std::string(kInstanceScope), {Role::IamOwner}}};
  CHECK(has_permission(iam, "orgB", p::kUserWrite));
  CHECK(has_permission(iam, "anything", p::kOrgCreate));

  const std::vector<Membership> viewer{{std::string(kInstanceScope), {Role::IamOwnerViewer}}};
  CHECK(has_permission(viewer, "orgB", p::kUserRead));
  CHECK(has_permission(viewer, "orgB", p::kEventsRead));
  CHECK_FALSE(has_permission(viewer, "orgB", p::kUserWrite));
  CHECK_FALSE(has_permission(viewer, "orgA", p::kIamMemberWrite));

  const std::vector<Membership> nobody;
  CHECK_FALSE(has_permission(nobody, "orgA", p::kUserRead));

  // A role held in the wrong kind of scope grants nothing.
  const std::vector<Membership> odd{{"orgA", {Role::IamOwner}},
                                    {std::string(kInstanceScope), {Role::OrgOwner}}};
  CHECK_FALSE(has_permission(odd, "orgA", p::kOrgCreate));
  CHECK_FALSE(has_permission(odd, "orgB", p::kUserWrite));

  CHECK(permission_denied().code == Code::PermissionDenied);
  CHECK(permission_denied().full_message() == "No matching permissions found (AUTH-5mWD2)");
  CHECK(unauthenticated().code == Code::Unauthenticated);
}

TEST_CASE("which events make cached authentications stale") {
  for (auto t : {"user.deactivated", "user.locked", "user.removed", "user.reactivated",
                 "user.unlocked", "user.personal.access.token.removed", "org.member.added",
                 "org.member.changed", "org.member.removed", "instance.member.added",
                 "instance.member.removed", "user.machine.secret.set",
                 "user.machine.secret.removed", "user.machine.key.removed", "user.token.removed"}) {
    INFO(t);
    CHECK(affects_authentication(t));
  }
  for (auto t : {"user.machine.added", "user.machine.changed", "user.personal.access.token.added",
                 "user.machine.key.added", "user.token.v2.added", "org.added"}) {
    INFO(t);
    CHECK_FALSE(affects_authentication(t));
  }
}
