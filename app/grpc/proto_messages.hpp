// The protobuf side of the RPC table: any RPC's request from its bytes, any
// response to bytes, and a response kept as protojson (an idempotent replay)
// back to bytes. Built on proto_codec.hpp, one function per message.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "app/pipeline/messages.hpp"
#include "app/pipeline/rpc.hpp"
#include "domain/result.hpp"

namespace mu::grpc {

domain::Result<pipeline::Request> decode_proto_request(api::Rpc rpc, std::string_view bytes);
std::string encode_proto_response(const pipeline::Response& response);
domain::Result<std::string> proto_response_from_json(api::Rpc rpc, std::string_view json);

}  // namespace mu::grpc
