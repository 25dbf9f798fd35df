// google.rpc.Status for grpc-status-details-bin, as ZITADEL builds it (its gRPC error
// interceptor: status.New(code, "<message> (<id>)").WithDetails(&ErrorDetail{Id, Message})).
#include <climits>

#include <google/protobuf/any.pb.h>

#include "app/grpc/status_codec.hpp"
#include "google/rpc/status.pb.h"
#include "zitadel/message.pb.h"

namespace mu::grpc {

std::optional<std::string> status_details(const domain::Error& e) {
  if (e.id.empty()) return std::nullopt;
  google::rpc::Status status;
  status.set_code(static_cast<int>(e.code));
  status.set_message(e.full_message());
  zitadel::v1::ErrorDetail detail;
  detail.set_id(e.id);
  detail.set_message(e.message);
  // PackFrom writes the type URL "type.googleapis.com/zitadel.v1.ErrorDetail".
  status.add_details()->PackFrom(detail);
  return status.SerializeAsString();
}

std::optional<domain::Error> decode_status_details(std::string_view bytes) {
  google::rpc::Status status;
  if (bytes.size() > static_cast<std::size_t>(INT_MAX) ||
      !status.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return std::nullopt;
  }
  for (const auto& any : status.details()) {
    zitadel::v1::ErrorDetail detail;
    if (any.Is<zitadel::v1::ErrorDetail>() && any.UnpackTo(&detail)) {
      return domain::Error{static_cast<domain::Code>(status.code()), detail.id(), detail.message()};
    }
  }
  return std::nullopt;
}

}  // namespace mu::grpc
