// grpc-status-details-bin: ZITADEL's error detail inside a google.rpc.Status.
#include <catch2/catch.hpp>

#include "app/grpc/status_codec.hpp"
#include "google/rpc/status.pb.h"
#include "zitadel/message.pb.h"

using namespace mu;
using domain::Code;

TEST_CASE("status codec: grpc-status-details-bin: a google.rpc.Status with ZITADEL's ErrorDetail",
          "[grpc]") {
  domain::Error e{Code::NotFound, "COMMAND-5M0od", "User could not be found"};
  auto bytes = grpc::status_details(e);
  REQUIRE(bytes);
  google::rpc::Status status;
  REQUIRE(status.ParseFromString(*bytes));
  CHECK(status.code() == 5);
  CHECK(status.message() == "User could not be found (COMMAND-5M0od)");
  REQUIRE(status.details_size() == 1);
  CHECK(status.details(0).type_url() == "type.googleapis.com/zitadel.v1.ErrorDetail");
  zitadel::v1::ErrorDetail detail;
  REQUIRE(status.details(0).UnpackTo(&detail));
  CHECK(detail.id() == "COMMAND-5M0od");
  CHECK(detail.message() == "User could not be found");

  CHECK(grpc::decode_status_details(*bytes) == e);
  CHECK_FALSE(grpc::decode_status_details("\xff"));
  google::rpc::Status without;
  without.set_code(3);
  CHECK_FALSE(grpc::decode_status_details(without.SerializeAsString()));

  // Validation errors have no id and no details: no trailer, as grpc-go sends none.
  CHECK_FALSE(grpc::status_details(domain::invalid_argument("invalid UpdateMachineRequest.Name")));
}
