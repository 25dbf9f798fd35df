// Organizations and memberships. An org's stream holds org.added and its
// members' events; the instance's one stream ("instance", kInstanceId) holds the
// instance-wide members (IAM_OWNER). Pure.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/event.hpp"
#include "domain/permissions.hpp"
#include "domain/result.hpp"

namespace mu::domain {

inline constexpr std::string_view kOrgAggregate = "org";
inline constexpr std::string_view kInstanceAggregate = "instance";
inline constexpr std::string_view kInstanceId = "default";  // one instance per database

namespace event_type {
inline constexpr std::string_view kOrgAdded = "org.added";
inline constexpr std::string_view kOrgMemberAdded = "org.member.added";
inline constexpr std::string_view kOrgMemberChanged = "org.member.changed";
inline constexpr std::string_view kOrgMemberRemoved = "org.member.removed";
inline constexpr std::string_view kInstanceMemberAdded = "instance.member.added";
inline constexpr std::string_view kInstanceMemberChanged = "instance.member.changed";
inline constexpr std::string_view kInstanceMemberRemoved = "instance.member.removed";
}  // namespace event_type
// Payloads: org.added {"name"}; *.member.added / *.member.changed {"userId", "roles": [names]};
// *.member.removed {"userId"}.

// The write model of an org stream or of the instance stream.
struct MemberScope {
  std::string id;                                    // org id, or kInstanceId
  std::string name;                                  // orgs only
  bool exists = false;                               // orgs: added; the instance always exists
  std::map<std::string, std::vector<Role>> members;  // user id -> roles
  std::uint64_t sequence = 0;
  friend bool operator==(const MemberScope&, const MemberScope&) = default;
};

void apply(MemberScope& scope, const StoredEvent& event);

inline constexpr int kMemberScopeSnapshotRevision = 1;
std::string to_snapshot(const MemberScope& scope);  // JSON text
std::optional<MemberScope> from_snapshot_scope(const nlohmann::json& snapshot, int revision);

struct AddOrg {
  std::string org_id;
  std::string name;
  // Who adds it becomes its ORG_OWNER, as in ZITADEL; empty: nobody (a system call).
  std::string creator_id = {};
};

enum class ScopeKind { Org, Instance };

struct AddMember {
  ScopeKind kind = ScopeKind::Org;
  std::string user_id;
  std::vector<std::string> roles;  // names as sent; validated
  bool user_exists = false;        // looked up by the handler before deciding
};

// Replaces a member's roles (UpdateOrgMember / UpdateIAMMember).
struct ChangeMember {
  ScopeKind kind = ScopeKind::Org;
  std::string user_id;
  std::vector<std::string> roles;
};

struct RemoveMember {
  ScopeKind kind = ScopeKind::Org;
  std::string user_id;
};

std::optional<Error> validate(const AddOrg& cmd);  // name 1..200
std::optional<Error> validate(
    const AddMember& cmd);  // user id 1..200, roles known for the scope, >= 1
std::optional<Error> validate(const ChangeMember& cmd);
std::optional<Error> validate(const RemoveMember& cmd);

Result<std::vector<NewEvent>> decide(const MemberScope& scope, const AddOrg& cmd);
Result<std::vector<NewEvent>> decide(const MemberScope& scope, const AddMember& cmd);
Result<std::vector<NewEvent>> decide(const MemberScope& scope, const ChangeMember& cmd);
Result<std::vector<NewEvent>> decide(const MemberScope& scope, const RemoveMember& cmd);

// Org names are unique in the instance (case-insensitive, like user names).
inline constexpr std::string_view kOrgNameUniqueType = "org_names";
std::string org_name_unique_key(std::string_view name);

}  // namespace mu::domain
