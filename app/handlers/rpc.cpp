#include "app/handlers/rpc.hpp"

#include <string>

#include "domain/permissions.hpp"

namespace mu::api {

std::string_view required_permission(Rpc rpc) {
  namespace p = domain::permission;
  switch (rpc) {
    case Rpc::GetUserByID:
    case Rpc::ListUserChanges:
      return p::kUserRead;
    case Rpc::RemoveUser:
      return p::kUserDelete;
    case Rpc::AddMachineUser:
    case Rpc::UpdateMachine:
    case Rpc::DeactivateUser:
    case Rpc::ReactivateUser:
    case Rpc::LockUser:
    case Rpc::UnlockUser:
    case Rpc::AddPersonalAccessToken:
    case Rpc::RemovePersonalAccessToken:
      return p::kUserWrite;
    case Rpc::AddOrg:
      return p::kOrgCreate;
    case Rpc::GetMyOrg:
      return p::kOrgRead;
    case Rpc::AddOrgMember:
    case Rpc::UpdateOrgMember:
    case Rpc::RemoveOrgMember:
      return p::kOrgMemberWrite;
    case Rpc::AddIAMMember:
    case Rpc::UpdateIAMMember:
    case Rpc::RemoveIAMMember:
      return p::kIamMemberWrite;
    case Rpc::ListEvents:
    case Rpc::ListEventTypes:
    case Rpc::ListAggregateTypes:
      return p::kEventsRead;
  }
  return p::kIamMemberWrite;  // unreachable; the strictest, should a case be forgotten
}

std::string_view rpc_name(Rpc rpc) {
  switch (rpc) {
    case Rpc::AddMachineUser:
      return "AddMachineUser";
    case Rpc::UpdateMachine:
      return "UpdateMachine";
    case Rpc::GetUserByID:
      return "GetUserByID";
    case Rpc::DeactivateUser:
      return "DeactivateUser";
    case Rpc::ReactivateUser:
      return "ReactivateUser";
    case Rpc::LockUser:
      return "LockUser";
    case Rpc::UnlockUser:
      return "UnlockUser";
    case Rpc::RemoveUser:
      return "RemoveUser";
    case Rpc::AddPersonalAccessToken:
      return "AddPersonalAccessToken";
    case Rpc::RemovePersonalAccessToken:
      return "RemovePersonalAccessToken";
    case Rpc::AddOrg:
      return "AddOrg";
    case Rpc::GetMyOrg:
      return "GetMyOrg";
    case Rpc::AddOrgMember:
      return "AddOrgMember";
    case Rpc::UpdateOrgMember:
      return "UpdateOrgMember";
    case Rpc::RemoveOrgMember:
      return "RemoveOrgMember";
    case Rpc::AddIAMMember:
      return "AddIAMMember";
    case Rpc::UpdateIAMMember:
      return "UpdateIAMMember";
    case Rpc::RemoveIAMMember:
      return "RemoveIAMMember";
    case Rpc::ListUserChanges:
      return "ListUserChanges";
    case Rpc::ListEvents:
      return "ListEvents";
    case Rpc::ListEventTypes:
      return "ListEventTypes";
    case Rpc::ListAggregateTypes:
      return "ListAggregateTypes";
  }
  return "Unknown";
}

std::string full_rpc_name(Rpc rpc) {
  const bool admin = rpc == Rpc::AddIAMMember || rpc == Rpc::UpdateIAMMember ||
                     rpc == Rpc::RemoveIAMMember || rpc == Rpc::ListEvents ||
                     rpc == Rpc::ListEventTypes || rpc == Rpc::ListAggregateTypes;
  return std::string(admin ? "zitadel.admin.v1.AdminService/"
                           : "zitadel.management.v1.ManagementService/") +
         std::string(rpc_name(rpc));
}

bool is_write(Rpc rpc) {
  return rpc != Rpc::GetUserByID && rpc != Rpc::GetMyOrg && rpc != Rpc::ListUserChanges &&
         rpc != Rpc::ListEvents && rpc != Rpc::ListEventTypes && rpc != Rpc::ListAggregateTypes;
}

}  // namespace mu::api
