// The RPCs this service answers, independent of transport, and the permission
// each needs in the organization the call acts in.
#pragma once

#include <optional>
#include <string_view>

namespace mu::api {

enum class Rpc {
  Healthz,
  AddMachineUser,
  UpdateMachine,
  GetUserByID,
  DeactivateUser,
  ReactivateUser,
  LockUser,
  UnlockUser,
  RemoveUser,
  AddPersonalAccessToken,
  RemovePersonalAccessToken,
  AddOrg,
  GetMyOrg,
  AddOrgMember,
  UpdateOrgMember,
  RemoveOrgMember,
  AddIAMMember,
  UpdateIAMMember,
  RemoveIAMMember,
};

// nullopt: the call needs no authentication (health).
std::optional<std::string_view> required_permission(Rpc rpc);

}  // namespace mu::api
