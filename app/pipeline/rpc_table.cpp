#include "app/pipeline/rpc_table.hpp"

#include <array>

#include "app/handlers/audit_handlers.hpp"
#include "app/handlers/machine_user_handlers.hpp"
#include "app/handlers/org_handlers.hpp"
#include "domain/permissions.hpp"

namespace mu::pipeline {

namespace {

using api::Rpc;
using handlers::Backend;
namespace perm = domain::permission;

constexpr std::string_view kManagement = "zitadel.management.v1.ManagementService";
constexpr std::string_view kAdmin = "zitadel.admin.v1.AdminService";

// A handler for the table from a typed one: the request must be the one the RPC
// takes (a transport that decoded another is a bug, answered Internal).
template <class Req, auto fn>
domain::Result<Response> typed(Backend& b, const api::CallContext& ctx, const Request& request) {
  const Req* req = std::get_if<Req>(&request);
  if (!req) {
    return domain::Error{domain::Code::Internal, "", "the request does not match the call"};
  }
  auto out = fn(b, ctx, *req);
  if (!out.ok()) return out.error();
  return Response{std::move(*out)};
}

// The member calls take the scope they act in (an organization or the instance).
template <class Req, auto fn, domain::ScopeKind kind>
domain::Result<Response> in_scope(Backend& b, const api::CallContext& ctx, const Request& request) {
  return typed<Req, [](Backend& b, const api::CallContext& c, const Req& r) {
    return fn(b, c, kind, r);
  }>(b, ctx, request);
}

using namespace api;
using handlers::add_machine_user, handlers::update_machine, handlers::get_user_by_id,
    handlers::change_user_state, handlers::add_personal_access_token,
    handlers::remove_personal_access_token, handlers::add_org, handlers::get_my_org,
    handlers::add_member, handlers::change_member, handlers::remove_member,
    handlers::list_user_changes, handlers::list_events, handlers::list_event_types,
    handlers::list_aggregate_types;
constexpr auto kOrg = domain::ScopeKind::Org;
constexpr auto kInstance = domain::ScopeKind::Instance;
constexpr auto lifecycle = typed<UserLifecycleRequest, change_user_state>;

// In the order of the Rpc enum (checked below).
constexpr std::array kTable{
    RpcEntry{Rpc::AddMachineUser, kManagement, "AddMachineUser", perm::kUserWrite, true,
             typed<AddMachineUserRequest, add_machine_user>},
    RpcEntry{Rpc::UpdateMachine, kManagement, "UpdateMachine", perm::kUserWrite, true,
             typed<UpdateMachineRequest, update_machine>},
    RpcEntry{Rpc::GetUserByID, kManagement, "GetUserByID", perm::kUserRead, false,
             typed<GetUserByIDRequest, get_user_by_id>},
    RpcEntry{Rpc::DeactivateUser, kManagement, "DeactivateUser", perm::kUserWrite, true, lifecycle},
    RpcEntry{Rpc::ReactivateUser, kManagement, "ReactivateUser", perm::kUserWrite, true, lifecycle},
    RpcEntry{Rpc::LockUser, kManagement, "LockUser", perm::kUserWrite, true, lifecycle},
    RpcEntry{Rpc::UnlockUser, kManagement, "UnlockUser", perm::kUserWrite, true, lifecycle},
    RpcEntry{Rpc::RemoveUser, kManagement, "RemoveUser", perm::kUserDelete, true, lifecycle},
    RpcEntry{Rpc::AddPersonalAccessToken, kManagement, "AddPersonalAccessToken", perm::kUserWrite,
             true, typed<AddPersonalAccessTokenRequest, add_personal_access_token>},
    RpcEntry{Rpc::RemovePersonalAccessToken, kManagement, "RemovePersonalAccessToken",
             perm::kUserWrite, true,
             typed<RemovePersonalAccessTokenRequest, remove_personal_access_token>},
    RpcEntry{Rpc::AddOrg, kManagement, "AddOrg", perm::kOrgCreate, true,
             typed<AddOrgRequest, add_org>},
    RpcEntry{Rpc::GetMyOrg, kManagement, "GetMyOrg", perm::kOrgRead, false,
             typed<GetMyOrgRequest, get_my_org>},
    RpcEntry{Rpc::AddOrgMember, kManagement, "AddOrgMember", perm::kOrgMemberWrite, true,
             in_scope<AddMemberRequest, add_member, kOrg>},
    RpcEntry{Rpc::UpdateOrgMember, kManagement, "UpdateOrgMember", perm::kOrgMemberWrite, true,
             in_scope<AddMemberRequest, change_member, kOrg>},
    RpcEntry{Rpc::RemoveOrgMember, kManagement, "RemoveOrgMember", perm::kOrgMemberDelete, true,
             in_scope<RemoveMemberRequest, remove_member, kOrg>},
    RpcEntry{Rpc::AddIAMMember, kAdmin, "AddIAMMember", perm::kIamMemberWrite, true,
             in_scope<AddMemberRequest, add_member, kInstance>},
    RpcEntry{Rpc::UpdateIAMMember, kAdmin, "UpdateIAMMember", perm::kIamMemberWrite, true,
             in_scope<AddMemberRequest, change_member, kInstance>},
    RpcEntry{Rpc::RemoveIAMMember, kAdmin, "RemoveIAMMember", perm::kIamMemberWrite, true,
             in_scope<RemoveMemberRequest, remove_member, kInstance>},
    RpcEntry{Rpc::ListUserChanges, kManagement, "ListUserChanges", perm::kUserRead, false,
             typed<ListUserChangesRequest, list_user_changes>},
    RpcEntry{Rpc::ListEvents, kAdmin, "ListEvents", perm::kEventsRead, false,
             typed<ListEventsRequest, list_events>},
    RpcEntry{Rpc::ListEventTypes, kAdmin, "ListEventTypes", perm::kEventsRead, false,
             typed<ListEventTypesRequest, list_event_types>},
    RpcEntry{Rpc::ListAggregateTypes, kAdmin, "ListAggregateTypes", perm::kEventsRead, false,
             typed<ListAggregateTypesRequest, list_aggregate_types>},
};

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<std::size_t>(kTable[i].rpc) != i) return false;
  }
  return static_cast<std::size_t>(Rpc::ListAggregateTypes) + 1 == kTable.size();
}
static_assert(in_enum_order(), "kTable must list every Rpc once, in the enum's order");

}  // namespace

const RpcEntry& rpc_entry(api::Rpc rpc) {
  return kTable[static_cast<std::size_t>(rpc)];
}

std::optional<api::Rpc> rpc_of_grpc_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  path.remove_prefix(1);
  const auto slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto service = path.substr(0, slash);
  const auto method = path.substr(slash + 1);
  for (const auto& e : kTable) {
    if (e.service == service && e.method == method) return e.rpc;
  }
  return std::nullopt;
}

bool serves_service(std::string_view service) {
  return service == kManagement || service == kAdmin;
}

std::string full_rpc_name(api::Rpc rpc) {
  const auto& e = rpc_entry(rpc);
  return std::string(e.service) + "/" + std::string(e.method);
}

}  // namespace mu::pipeline
