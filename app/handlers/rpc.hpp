// The RPCs this service answers, independent of transport, and the permission
// each needs in the organization the call acts in.
#pragma once

#include <optional>
#include <string_view>

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

// The permission the call needs in the organization it acts in. (Health, readiness
// and metrics are no RPCs: the REST transport answers them before routing.)
std::string_view required_permission(Rpc rpc);

// The RPC's method name in ZITADEL's services, e.g. "UpdateMachine".
std::string_view rpc_name(Rpc rpc);
// Its full gRPC name, e.g. "zitadel.management.v1.ManagementService/UpdateMachine".
std::string full_rpc_name(Rpc rpc);

// Whether the call writes (appends events): such calls take an Idempotency-Key.
bool is_write(Rpc rpc);

}  // namespace mu::api
