#include "app/handlers/rpc.hpp"

#include "domain/permissions.hpp"

namespace mu::api {

std::optional<std::string_view> required_permission(Rpc rpc) {
  namespace p = domain::permission;
  switch (rpc) {
    case Rpc::Healthz:
      return std::nullopt;
    case Rpc::GetUserByID:
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
  }
  return p::kIamMemberWrite;  // unreachable; the strictest, should a case be forgotten
}

}  // namespace mu::api
