#include "domain/org.hpp"

#include <catch2/catch.hpp>

using namespace mu::domain;
// validate() is called qualified: the generated protos declare a namespace ::validate
// (protoc-gen-validate's package), which a unity batch may bring in beside this file.
using nlohmann::json;

namespace {

StoredEvent event(std::string_view type, std::uint64_t seq, json payload,
                  std::string_view aggregate = "org") {
  StoredEvent e;
  e.aggregate_type = aggregate;
  e.aggregate_id = aggregate == "org" ? "o1" : "default";
  e.sequence = seq;
  e.type = type;
  e.payload = std::move(payload);
  return e;
}

Error error_of(const Result<std::vector<NewEvent>>& r) {
  REQUIRE_FALSE(r.ok());
  return r.error();
}

MemberScope org() {
  MemberScope s;
  apply(s, event("org.added", 1, {{"name", "ACME"}}));
  return s;
}

}  // namespace

TEST_CASE("AddOrg") {
  CHECK(mu::domain::validate(AddOrg{"o1", ""}));
  CHECK(mu::domain::validate(AddOrg{"o1", std::string(201, 'x')}));
  auto r = decide(MemberScope{}, AddOrg{"o1", "ACME"});
  REQUIRE(r.ok());
  CHECK((*r)[0].type == "org.added");
  CHECK((*r)[0].payload == json{{"name", "ACME"}});
  CHECK(org().exists);
  CHECK(org().name == "ACME");
  CHECK(error_of(decide(org(), AddOrg{"o1", "ACME"})).code == Code::AlreadyExists);
  // The caller who adds it becomes its ORG_OWNER, in the same append.
  auto owned = decide(MemberScope{}, AddOrg{"o1", "ACME", "u7"});
  REQUIRE(owned.ok());
  REQUIRE(owned->size() == 2);
  CHECK((*owned)[1].type == "org.member.added");
  CHECK((*owned)[1].payload == json{{"userId", "u7"}, {"roles", {"ORG_OWNER"}}});
  MemberScope after;
  apply(after, event("org.added", 1, (*owned)[0].payload));
  apply(after, event("org.member.added", 2, (*owned)[1].payload));
  REQUIRE(after.members.count("u7"));
  CHECK(after.members.at("u7") == std::vector<Role>{Role::OrgOwner});
  CHECK(org_name_unique_key("ACME") == org_name_unique_key("acme"));
}

TEST_CASE("organization members") {
  AddMember add{ScopeKind::Org, "u1", {"ORG_USER_MANAGER", "ORG_OWNER", "ORG_OWNER"}, true};
  CHECK_FALSE(mu::domain::validate(add));
  auto r = decide(org(), add);
  REQUIRE(r.ok());
  CHECK((*r)[0].type == "org.member.added");
  CHECK((*r)[0].payload == json{{"userId", "u1"}, {"roles", {"ORG_OWNER", "ORG_USER_MANAGER"}}});

  auto s = org();
  apply(s, event("org.member.added", 2, (*r)[0].payload));
  CHECK(s.members.at("u1") == std::vector<Role>{Role::OrgOwner, Role::OrgUserManager});
  CHECK(from_snapshot_scope(nlohmann::json::parse(to_snapshot(s)), kMemberScopeSnapshotRevision) ==
        s);
  CHECK(error_of(decide(s, add)).code == Code::AlreadyExists);

  auto removed = decide(s, RemoveMember{ScopeKind::Org, "u1"});
  REQUIRE(removed.ok());
  CHECK((*removed)[0].type == "org.member.removed");
  apply(s, event("org.member.removed", 3, (*removed)[0].payload));
  CHECK(s.members.empty());
  CHECK(error_of(decide(s, RemoveMember{ScopeKind::Org, "u1"})).code == Code::NotFound);

  auto unknown_user = add;
  unknown_user.user_exists = false;
  CHECK(error_of(decide(org(), unknown_user)).code == Code::NotFound);
  CHECK(error_of(decide(MemberScope{}, add)).code == Code::NotFound);  // no such org
}

TEST_CASE("member roles must fit their scope") {
  CHECK(mu::domain::validate(AddMember{ScopeKind::Org, "u1", {}, true}));
  CHECK(mu::domain::validate(AddMember{ScopeKind::Org, "u1", {"IAM_OWNER"}, true}));
  CHECK(mu::domain::validate(AddMember{ScopeKind::Org, "u1", {"OWNER"}, true})
            ->message.find("unknown role \"OWNER\"") != std::string::npos);
  CHECK(mu::domain::validate(AddMember{ScopeKind::Instance, "u1", {"ORG_OWNER"}, true}));
  CHECK_FALSE(mu::domain::validate(AddMember{ScopeKind::Instance, "u1", {"IAM_OWNER"}, true}));
  CHECK(mu::domain::validate(RemoveMember{ScopeKind::Org, ""}));
}

TEST_CASE("instance members live on the instance stream") {
  MemberScope instance;  // no events yet: the instance exists all the same
  auto r = decide(instance, AddMember{ScopeKind::Instance, "u1", {"IAM_OWNER"}, true});
  REQUIRE(r.ok());
  CHECK((*r)[0].type == "instance.member.added");
  MemberScope s;
  apply(s, event("instance.member.added", 1, (*r)[0].payload, "instance"));
  CHECK(s.exists);
  CHECK(s.members.at("u1") == std::vector<Role>{Role::IamOwner});
}

TEST_CASE("changing a member's roles") {
  auto s = org();
  apply(s, event("org.member.added", 2, {{"userId", "u1"}, {"roles", {"ORG_USER_MANAGER"}}}));
  ChangeMember change{ScopeKind::Org, "u1", {"ORG_OWNER"}};
  CHECK_FALSE(mu::domain::validate(change));
  auto r = decide(s, change);
  REQUIRE(r.ok());
  CHECK((*r)[0].type == "org.member.changed");
  CHECK((*r)[0].payload == json{{"userId", "u1"}, {"roles", {"ORG_OWNER"}}});
  apply(s, event("org.member.changed", 3, (*r)[0].payload));
  CHECK(s.members.at("u1") == std::vector<Role>{Role::OrgOwner});
  CHECK(error_of(decide(s, change)).code == Code::FailedPrecondition);  // the same roles again
  CHECK(error_of(decide(s, ChangeMember{ScopeKind::Org, "u2", {"ORG_OWNER"}})).code ==
        Code::NotFound);
  CHECK(mu::domain::validate(ChangeMember{ScopeKind::Org, "u1", {}})->message ==
        "invalid UpdateOrgMemberRequest.Roles: value must contain at least 1 item(s)");
  CHECK(mu::domain::validate(ChangeMember{ScopeKind::Instance, "u1", {"ORG_OWNER"}}));
}
