#include "app/grpc/proto_messages.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <memory>

#include "app/grpc/proto_codec.hpp"
#include "app/pipeline/rpc_table.hpp"

namespace mu::grpc {

namespace {

using api::Rpc;

template <class Message>
domain::Result<pipeline::Request> request(domain::Result<Message> decoded) {
  if (!decoded.ok()) return decoded.error();
  return pipeline::Request{std::move(*decoded)};
}

}  // namespace

domain::Result<pipeline::Request> decode_proto_request(Rpc rpc, std::string_view bytes) {
  switch (rpc) {
    case Rpc::AddMachineUser:
      return request(decode_add_machine_user(bytes));
    case Rpc::UpdateMachine:
      return request(decode_update_machine(bytes));
    case Rpc::GetUserByID:
      return request(decode_get_user_by_id(bytes));
    case Rpc::DeactivateUser:
      return request(decode_user_lifecycle(bytes, domain::Lifecycle::Deactivate));
    case Rpc::ReactivateUser:
      return request(decode_user_lifecycle(bytes, domain::Lifecycle::Reactivate));
    case Rpc::LockUser:
      return request(decode_user_lifecycle(bytes, domain::Lifecycle::Lock));
    case Rpc::UnlockUser:
      return request(decode_user_lifecycle(bytes, domain::Lifecycle::Unlock));
    case Rpc::RemoveUser:
      return request(decode_user_lifecycle(bytes, domain::Lifecycle::Remove));
    case Rpc::AddPersonalAccessToken:
      return request(decode_add_personal_access_token(bytes));
    case Rpc::RemovePersonalAccessToken:
      return request(decode_remove_personal_access_token(bytes));
    case Rpc::AddOrg:
      return request(decode_add_org(bytes));
    case Rpc::GetMyOrg:
      return request(decode_get_my_org(bytes));
    case Rpc::AddOrgMember:
    case Rpc::UpdateOrgMember:
    case Rpc::AddIAMMember:
    case Rpc::UpdateIAMMember:
      return request(decode_member(bytes));
    case Rpc::RemoveOrgMember:
    case Rpc::RemoveIAMMember:
      return request(decode_remove_member(bytes));
    case Rpc::ListUserChanges:
      return request(decode_list_user_changes(bytes));
    case Rpc::ListEvents:
      return request(decode_list_events(bytes));
    case Rpc::ListEventTypes:
      return request(decode_list_event_types(bytes));
    case Rpc::ListAggregateTypes:
      return request(decode_list_aggregate_types(bytes));
  }
  return domain::Error{domain::Code::Internal, "", "no protobuf decoder for the call"};
}

std::string encode_proto_response(const pipeline::Response& response) {
  return std::visit([](const auto& r) { return encode(r); }, response);
}

domain::Result<std::string> proto_response_from_json(Rpc rpc, std::string_view json) {
  // The response message is named for the method, in the service's package
  // ("zitadel.management.v1.UpdateMachineResponse"); protobuf's own JSON mapping
  // reads the protojson that REST wrote.
  const auto& entry = pipeline::rpc_entry(rpc);
  const std::string_view service = entry.service;
  const std::string name = std::string(service.substr(0, service.rfind('.'))) + "." +
                           std::string(entry.method) + "Response";
  const auto* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(name);
  const auto* prototype =
      descriptor ? google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor)
                 : nullptr;
  if (!prototype) {
    return domain::Error{domain::Code::Internal, "", "no response message " + name};
  }
  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message.get(), options);
  if (!status.ok()) {
    return domain::Error{domain::Code::Internal, "",
                         "the recorded response does not read as " + name};
  }
  return message->SerializeAsString();
}

}  // namespace mu::grpc
