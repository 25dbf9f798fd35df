// The RPC table: names, paths and permissions every transport reads.
#include <catch2/catch.hpp>

#include "app/pipeline/rpc_table.hpp"
#include "domain/permissions.hpp"

using mu::api::Rpc;
using namespace mu::pipeline;

TEST_CASE("the RPC table names every call as ZITADEL's services do") {
  CHECK(full_rpc_name(Rpc::UpdateMachine) ==
        "zitadel.management.v1.ManagementService/UpdateMachine");
  CHECK(full_rpc_name(Rpc::ListEventTypes) == "zitadel.admin.v1.AdminService/ListEventTypes");
  CHECK(full_rpc_name(Rpc::AddIAMMember) == "zitadel.admin.v1.AdminService/AddIAMMember");
  CHECK(rpc_entry(Rpc::GetUserByID).permission == mu::domain::permission::kUserRead);
  CHECK(rpc_entry(Rpc::RemoveUser).permission == mu::domain::permission::kUserDelete);
  // As the contract has it: removing a member is its own permission.
  CHECK(rpc_entry(Rpc::RemoveOrgMember).permission == mu::domain::permission::kOrgMemberDelete);
  CHECK(rpc_entry(Rpc::UpdateMachine).writes);
  CHECK_FALSE(rpc_entry(Rpc::ListEvents).writes);
}

TEST_CASE("a gRPC path names one RPC, or none") {
  CHECK(rpc_of_grpc_path("/zitadel.management.v1.ManagementService/UpdateMachine") ==
        Rpc::UpdateMachine);
  CHECK(rpc_of_grpc_path("/zitadel.admin.v1.AdminService/ListEvents") == Rpc::ListEvents);
  // Every entry's own path leads back to it.
  for (int i = 0; i <= static_cast<int>(Rpc::ListAggregateTypes); ++i) {
    const auto rpc = static_cast<Rpc>(i);
    CHECK(rpc_of_grpc_path("/" + full_rpc_name(rpc)) == rpc);
  }
  // A method in the other service, unknown methods, malformed paths.
  CHECK_FALSE(rpc_of_grpc_path("/zitadel.admin.v1.AdminService/UpdateMachine"));
  CHECK_FALSE(rpc_of_grpc_path("/zitadel.management.v1.ManagementService/ListUsers"));
  CHECK_FALSE(rpc_of_grpc_path("zitadel.management.v1.ManagementService/UpdateMachine"));
  CHECK_FALSE(rpc_of_grpc_path("/zitadel.management.v1.ManagementService"));
  CHECK_FALSE(rpc_of_grpc_path("/zitadel.management.v1.ManagementService/UpdateMachine/x"));
  CHECK_FALSE(rpc_of_grpc_path(""));
  CHECK(serves_service("zitadel.admin.v1.AdminService"));
  CHECK_FALSE(serves_service("zitadel.auth.v1.AuthService"));
}
