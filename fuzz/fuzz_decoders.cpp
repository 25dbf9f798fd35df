// Target "decoders": the REST body decoders, then the request's validation and
// decision, and every error encoded as the REST layer answers it.
//
// Input: one selector byte, then the body (or, for If-Match, the header value).
// The selector is a digit in the seeds ('0'..'9', 'a' for 10; any other byte counts
// modulo 11):
//   0 AddMachineUser     1 UpdateMachine (path id)     2 AddPersonalAccessToken (path id)
//   3 AddOrg             4 AddOrgMember                5 UpdateOrgMember (path id)
//   6 AddIAMMember       7 UpdateIAMMember (path id)   8 If-Match header
//   9 parse_message and protojson's field readers on their own
//   a ListUserChanges (path id)
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/pipeline/preconditions.hpp"
#include "app/rest/messages_json.hpp"
#include "app/rest/protojson.hpp"
#include "fuzz/harness.hpp"

namespace {

using namespace mu;

const std::string kPathUserId = "200000000000000001";

void member(domain::ScopeKind kind, bool update, std::string_view body) {
  auto decoded = update ? rest::decode_member(body, kPathUserId) : rest::decode_member(body);
  if (!decoded.ok()) return fuzz::check_error(decoded.error());
  fuzz::accepted_body(body);
  if (update && decoded->user_id != kPathUserId) {
    fuzz::finding("the path's user id did not win over the body's", decoded->user_id);
  }
  fuzz::process(kind, update, *decoded);
}

// The generic readers on whatever object the body is, under the field name "name".
void readers(std::string_view body) {
  auto msg = rest::parse_message(body);
  if (!msg.ok()) return fuzz::check_error(msg.error());
  if (!msg->is_object()) fuzz::finding("parse_message accepted a non-object", body);
  fuzz::accepted_body(body);
  const rest::Field f{"name", "name_proto"};
  std::string s;
  if (auto e = rest::read_string(*msg, f, s)) fuzz::check_error(*e);
  int n = 0;
  if (auto e = rest::read_enum(*msg, f, {{"A", 0}, {"B", 1}}, n)) fuzz::check_error(*e);
  std::vector<std::string> list;
  if (auto e = rest::read_strings(*msg, f, list)) fuzz::check_error(*e);
  std::optional<domain::Timestamp> t;
  if (auto e = rest::read_timestamp(*msg, f, t)) fuzz::check_error(*e);
  // What was read back must be what is written: a timestamp round-trips.
  if (t) {
    const auto text = domain::to_rfc3339(*t);
    const auto again = domain::parse_rfc3339(text);
    if (fuzz::strict() && (!again || *again != *t)) {
      fuzz::finding("an accepted timestamp does not read back from its RFC 3339 form", text);
    }
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
  const int selector = first >= '0' && first <= '9' ? first - '0' : first == 'a' ? 10 : first % 11;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  using domain::ScopeKind;
  switch (selector) {
    case 0:
      fuzz::process_result(body, rest::decode_add_machine_user(body));
      break;
    case 1: {
      auto decoded = rest::decode_update_machine(body, kPathUserId);
      if (decoded.ok() && decoded->user_id != kPathUserId) {
        fuzz::finding("the path's user id did not win over the body's", decoded->user_id);
      }
      fuzz::process_result(body, decoded);
      break;
    }
    case 2:
      fuzz::process_result(body, rest::decode_add_personal_access_token(body, kPathUserId));
      break;
    case 3:
      fuzz::process_result(body, rest::decode_add_org(body));
      break;
    case 4:
      member(ScopeKind::Org, false, body);
      break;
    case 5:
      member(ScopeKind::Org, true, body);
      break;
    case 6:
      member(ScopeKind::Instance, false, body);
      break;
    case 7:
      member(ScopeKind::Instance, true, body);
      break;
    case 8: {
      auto decoded = pipeline::decode_if_match(std::string(body));
      if (!decoded.ok()) fuzz::check_error(decoded.error());
      break;
    }
    case 10:
      fuzz::list_user_changes(body, kPathUserId);
      break;
    default:
      readers(body);
      break;
  }
  return 0;
}
