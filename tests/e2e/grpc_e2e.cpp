// gRPC over HTTP/2 (h2c) on the REST port, with grpc++'s own client: typed calls
// through the generated stub, metadata, an idempotent retry, and bad input sent
// as raw bytes through the generic stub. (ZITADEL's Node clients are in
// official_clients_e2e.cpp.)
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <future>

#include "app/grpc/status_codec.hpp"
#include "tests/e2e/service_fixture.hpp"
#include "zitadel/management.grpc.pb.h"

using namespace mu::testing;
namespace mgmt = zitadel::management::v1;

namespace {

std::shared_ptr<::grpc::Channel> channel_to(Service& s) {
  return ::grpc::CreateChannel("127.0.0.1:" + std::to_string(s.server().port()),
                               ::grpc::InsecureChannelCredentials());
}

void authorize(::grpc::ClientContext& ctx, Service& s) {
  ctx.AddMetadata("authorization", "Bearer " + s.admin_token());
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

// A raw call: any bytes to any method.
::grpc::Status raw_call(Service& s, const std::string& method, const std::string& bytes) {
  ::grpc::GenericStub stub(channel_to(s));
  ::grpc::ClientContext ctx;
  authorize(ctx, s);
  ::grpc::Slice slice(bytes);
  ::grpc::ByteBuffer request(&slice, 1), response;
  std::promise<::grpc::Status> done;
  stub.UnaryCall(&ctx, method, ::grpc::StubOptions(), &request, &response,
                 [&done](::grpc::Status status) { done.set_value(std::move(status)); });
  return done.get_future().get();
}

std::string metadata(const ::grpc::ClientContext& ctx, const std::string& name) {
  for (const auto* md : {&ctx.GetServerInitialMetadata(), &ctx.GetServerTrailingMetadata()}) {
    auto it = md->find(name);
    if (it != md->end()) return std::string(it->second.data(), it->second.size());
  }
  return {};
}

}  // namespace

TEST_CASE("gRPC: calls, metadata and errors on the REST port") {
  Service s;
  auto stub = mgmt::ManagementService::NewStub(channel_to(s));

  ::grpc::ClientContext add_ctx;
  authorize(add_ctx, s);
  add_ctx.AddMetadata("x-request-id", "grpc-add-1");
  mgmt::AddMachineUserRequest add;
  add.set_user_name("grpc-bot");
  add.set_name("gRPC Bot");
  mgmt::AddMachineUserResponse added;
  auto status = stub->AddMachineUser(&add_ctx, add, &added);
  REQUIRE(status.ok());
  CHECK(metadata(add_ctx, "x-request-id") == "grpc-add-1");
  CHECK(added.details().sequence() == 1);
  const auto id = added.user_id();
  // REST on the same port sees it.
  CHECK(s.call("GET", "/management/v1/users/" + id).body["user"]["userName"] == "grpc-bot");

  SECTION("an idempotent retry answers as the first call, and appends nothing") {
    mgmt::UpdateMachineRequest update;
    update.set_user_id(id);
    update.set_name("renamed");
    mgmt::UpdateMachineResponse first, again;
    ::grpc::ClientContext one, two;
    for (auto* ctx : {&one, &two}) {
      authorize(*ctx, s);
      ctx->AddMetadata("idempotency-key", "rename-1");
    }
    REQUIRE(stub->UpdateMachine(&one, update, &first).ok());
    const auto events = s.count_events(id);
    auto retried = stub->UpdateMachine(&two, update, &again);
    REQUIRE(retried.ok());
    CHECK(again.details().sequence() == first.details().sequence());
    CHECK(again.details().change_date().seconds() == first.details().change_date().seconds());
    CHECK(metadata(two, "idempotent-replayed") == "true");
    CHECK(s.count_events(id) == events);
  }
  SECTION("errors: code, message and ZITADEL's ErrorDetail") {
    ::grpc::ClientContext ctx;
    authorize(ctx, s);
    mgmt::UpdateMachineRequest same;
    same.set_user_id(id);
    same.set_name("gRPC Bot");
    mgmt::UpdateMachineResponse out;
    auto not_changed = stub->UpdateMachine(&ctx, same, &out);
    CHECK(not_changed.error_code() == ::grpc::StatusCode::FAILED_PRECONDITION);
    CHECK(not_changed.error_message() == "Errors.User.NotChanged (COMMAND-2n8vs)");
    auto detail = mu::grpc::decode_status_details(not_changed.error_details());
    REQUIRE(detail);
    CHECK(detail->id == "COMMAND-2n8vs");

    ::grpc::ClientContext anonymous;
    anonymous.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    CHECK(stub->UpdateMachine(&anonymous, same, &out).error_code() ==
          ::grpc::StatusCode::UNAUTHENTICATED);
  }
}

TEST_CASE("gRPC: bad input is a status as grpc-go gives it, never a crash or an event") {
  Service s;
  const auto id = s.add_user("raw-bot");
  const auto events = s.count_events();
  const std::string method = "/zitadel.management.v1.ManagementService/UpdateMachine";

  auto garbage = raw_call(s, method, "\xff\xff\xff\xff");
  CHECK(garbage.error_code() == ::grpc::StatusCode::INTERNAL);
  CHECK(garbage.error_message().starts_with("grpc: error unmarshalling request"));

  auto unknown = raw_call(s, "/zitadel.management.v1.ManagementService/ListUsers", "");
  CHECK(unknown.error_code() == ::grpc::StatusCode::UNIMPLEMENTED);
  CHECK(unknown.error_message() ==
        "unknown method ListUsers for service zitadel.management.v1.ManagementService");
  CHECK(raw_call(s, "/zitadel.auth.v1.AuthService/GetMyUser", "").error_code() ==
        ::grpc::StatusCode::UNIMPLEMENTED);

  // Over 1 MiB: refused by the server before anything runs.
  mgmt::UpdateMachineRequest huge;
  huge.set_user_id(id);
  huge.set_name(std::string(1024 * 1024 + 10, 'x'));
  CHECK(raw_call(s, method, huge.SerializeAsString()).error_code() ==
        ::grpc::StatusCode::RESOURCE_EXHAUSTED);

  // Validation after authorization, as on REST: an empty name.
  mgmt::UpdateMachineRequest empty;
  empty.set_user_id(id);
  CHECK(raw_call(s, method, empty.SerializeAsString()).error_code() ==
        ::grpc::StatusCode::INVALID_ARGUMENT);

  // Still serving, REST and gRPC; nothing was written.
  CHECK(s.call("GET", "/management/v1/users/" + id).status == 200);
  mgmt::UpdateMachineRequest fine;
  fine.set_user_id(id);
  fine.set_name("fine");
  CHECK(raw_call(s, method, fine.SerializeAsString()).ok());
  CHECK(s.count_events() == events + 1);
}
