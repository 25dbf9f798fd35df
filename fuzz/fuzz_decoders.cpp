// Target "decoders": REST's request decoding (rest::decode_request: the strict JSON
// reader, the reflection filler, the path parameters, our extras) into the RPC's
// generated message, then the handler's mapping to its domain command, validation
// and decision, and every error encoded as the REST layer answers it.
//
// Input: one selector byte, then the body (or, for If-Match, the header value).
// The selector is a digit in the seeds ('0'..'9', 'a' for 10, 'b' for 11; any
// other byte counts modulo 12):
//   0 AddMachineUser     1 UpdateMachine (path id)     2 AddPersonalAccessToken (path id)
//   3 AddOrg             4 AddOrgMember                5 UpdateOrgMember (path id)
//   6 AddIAMMember       7 UpdateIAMMember (path id)   8 If-Match header
//   9 parse_message and fill_message alone, into every RPC's request message, against
//     fill_message_direct (the one pass must agree with them)
//   a ListUserChanges (path id)                        b ListEvents
// The RPCs come from the RPC table (the protos), as the router would give them.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/util/message_differencer.h>

#include "app/pipeline/preconditions.hpp"
#include "app/rest/protojson.hpp"
#include "fuzz/harness.hpp"

namespace {

using namespace mu;

const std::string kPathUserId = "200000000000000001";

// The body as a call of the named RPC, with the user id in its path when it has one.
void call(std::string_view rpc_name, std::string_view body) {
  const auto& rpc = fuzz::rpc_named(rpc_name);
  std::vector<std::string> params;
  if (rpc.http.path.find('{') != std::string::npos) params.push_back(kPathUserId);
  fuzz::decode_and_process(fuzz::route_to(rpc, std::move(params)), body);
}

// The reflection filler on its own: the body into every RPC's request message, so
// that each kind of field (strings, enums, integers, booleans, repeated fields,
// nested messages, timestamps, oneofs) reads whatever the body holds.
void readers(std::string_view body) {
  // The one-pass reader must decline whatever the two steps refuse, and make what they make.
  const auto& table = pipeline::rpc_table();
  std::vector<bool> direct_took(table.size());
  std::vector<std::unique_ptr<google::protobuf::Message>> direct(table.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    direct[i] = table[i].new_request();
    direct_took[i] = rest::fill_message_direct(body, *direct[i]);
    if (!direct_took[i] && direct[i]->ByteSizeLong() != 0) {
      fuzz::finding("fill_message_direct declined but left fields set", body);
    }
  }
  auto object = rest::parse_message(body);
  if (!object.ok()) {
    for (bool took : direct_took) {
      if (took) fuzz::finding("fill_message_direct took a body parse_message refuses", body);
    }
    return fuzz::check_error(object.error());
  }
  if (!object->is_object()) fuzz::finding("parse_message accepted a non-object", body);
  fuzz::accepted_body(body);
  for (std::size_t i = 0; i < table.size(); ++i) {
    auto message = table[i].new_request();
    if (auto e = rest::fill_message(*object, *message)) {
      if (direct_took[i])
        fuzz::finding("fill_message_direct took a body fill_message refuses", body);
      if (e->code == domain::Code::Internal) {
        fuzz::finding("a body made fill_message answer Internal", e->message);
      }
      fuzz::check_error(*e);
      continue;
    }
    if (direct_took[i] &&
        !google::protobuf::util::MessageDifferencer::Equals(*direct[i], *message)) {
      fuzz::finding("fill_message_direct made another message than fill_message", body);
    }
    fuzz::accepted_timestamps(*message);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::init_from_environment();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned char first = data[0];
  const int selector = first >= '0' && first <= '9' ? first - '0'
                       : first == 'a'               ? 10
                       : first == 'b'               ? 11
                                                    : first % 12;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (selector) {
    case 0:
      call("AddMachineUser", body);
      break;
    case 1:
      call("UpdateMachine", body);
      break;
    case 2:
      call("AddPersonalAccessToken", body);
      break;
    case 3:
      call("AddOrg", body);
      break;
    case 4:
      call("AddOrgMember", body);
      break;
    case 5:
      call("UpdateOrgMember", body);
      break;
    case 6:
      call("AddIAMMember", body);
      break;
    case 7:
      call("UpdateIAMMember", body);
      break;
    case 8: {
      auto decoded = pipeline::decode_if_match(std::string(body));
      if (!decoded.ok()) fuzz::check_error(decoded.error());
      break;
    }
    case 10:
      call("ListUserChanges", body);
      break;
    case 11:
      call("ListEvents", body);
      break;
    default:
      readers(body);
      break;
  }
  return 0;
}
