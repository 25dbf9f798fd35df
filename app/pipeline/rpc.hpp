// The RPCs this service answers, independent of transport. What each needs and
// does is in rpc_table.hpp.
#pragma once

namespace mu::api {

enum class Rpc {
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
  ListUserChanges,
  ListEvents,
  ListEventTypes,
  ListAggregateTypes,
};

}  // namespace mu::api
