// Target "routes": the path router (rest::match_route over the routes the protos'
// google.api.http options give) and the decoding of path ids, then the request's
// decoding (rest::decode_request: body, path parameters, query) and the call's
// processing as the handlers do it.
//
// Input: "METHOD TARGET", optionally followed by a newline and a request body.
// Without a space the whole first line is the target of a GET.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "app/rest/routes.hpp"
#include "fuzz/harness.hpp"

namespace {

using namespace mu;

std::string percent_encode_all(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

void check_percent_decode(std::string_view segment) {
  const auto decoded = rest::percent_decode(segment);
  if (!decoded) return;
  if (decoded->size() > segment.size()) fuzz::finding("percent_decode grew its input", segment);
  if (segment.find('%') == std::string_view::npos && *decoded != segment) {
    fuzz::finding("percent_decode changed a segment without '%'", segment);
  }
  const auto again = rest::percent_decode(percent_encode_all(*decoded));
  if (!again || *again != *decoded) fuzz::finding("percent_decode does not round-trip", segment);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::init_from_environment();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto eol = input.find('\n');
  const std::string_view line = input.substr(0, eol);
  const std::string_view body = eol == std::string_view::npos ? "" : input.substr(eol + 1);
  const auto space = line.find(' ');
  const std::string_view method = space == std::string_view::npos ? "GET" : line.substr(0, space);
  const std::string_view target = space == std::string_view::npos ? line : line.substr(space + 1);

  check_percent_decode(target);
  for (std::size_t pos = 0; pos <= target.size();) {
    auto next = target.find('/', pos);
    if (next == std::string_view::npos) next = target.size();
    check_percent_decode(target.substr(pos, next - pos));
    pos = next + 1;
  }
  fuzz::route_and_dispatch(method, target, body, std::nullopt);
  return 0;
}
