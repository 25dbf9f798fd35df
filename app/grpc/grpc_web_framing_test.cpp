// gRPC-Web framing and CORS, without a server.
#include <catch2/catch.hpp>

#include "app/grpc/cors.hpp"
#include "app/grpc/grpc_web_framing.hpp"
#include "domain/base64url.hpp"

using namespace mu::grpc;
using mu::domain::base64_encode;
using mu::domain::Code;

namespace {

std::string frame(unsigned char flag, std::string_view payload, std::size_t claimed) {
  std::string out;
  out.push_back(static_cast<char>(flag));
  out.push_back(static_cast<char>((claimed >> 24) & 0xff));
  out.push_back(static_cast<char>((claimed >> 16) & 0xff));
  out.push_back(static_cast<char>((claimed >> 8) & 0xff));
  out.push_back(static_cast<char>(claimed & 0xff));
  out.append(payload);
  return out;
}

std::string frame(std::string_view payload) {
  return frame(0, payload, payload.size());
}

Code code_of(const mu::domain::Result<std::string>& r) {
  REQUIRE_FALSE(r.ok());
  return r.error().code;
}

}  // namespace

TEST_CASE("gRPC-Web content types") {
  CHECK(grpc_web_encoding("application/grpc-web") == WebEncoding::Binary);
  CHECK(grpc_web_encoding("application/grpc-web+proto") == WebEncoding::Binary);
  CHECK(grpc_web_encoding("Application/GRPC-Web+proto; charset=x") == WebEncoding::Binary);
  CHECK(grpc_web_encoding("application/grpc-web-text") == WebEncoding::Text);
  CHECK(grpc_web_encoding("application/grpc-web-text+proto") == WebEncoding::Text);
  CHECK_FALSE(grpc_web_encoding("application/grpc"));
  CHECK_FALSE(grpc_web_encoding("application/grpc-web+json"));
  CHECK_FALSE(grpc_web_encoding("application/json"));
  CHECK_FALSE(grpc_web_encoding(""));
}

TEST_CASE("a gRPC-Web request's one message") {
  CHECK(*read_grpc_web_request(frame("\x0a\x01x"), WebEncoding::Binary) == "\x0a\x01x");
  CHECK(*read_grpc_web_request(frame(""), WebEncoding::Binary) == "");  // all defaults
  CHECK(*read_grpc_web_request(base64_encode(frame("abc")), WebEncoding::Text) == "abc");

  SECTION("framing errors answer as grpc-go does") {
    CHECK(code_of(read_grpc_web_request("", WebEncoding::Binary)) == Code::Internal);
    CHECK(code_of(read_grpc_web_request("\0\0\0", WebEncoding::Binary)) == Code::Internal);
    // A frame longer than the body: truncated.
    CHECK(code_of(read_grpc_web_request(frame(0, "abc", 10), WebEncoding::Binary)) ==
          Code::Internal);
    // A length over the limit, whatever follows.
    auto big = read_grpc_web_request(frame(0, "", kMaxMessageBytes + 1), WebEncoding::Binary);
    CHECK(code_of(big) == Code::ResourceExhausted);
    CHECK(big.error().message == "grpc: received message larger than max (1048577 vs. 1048576)");
    // Compressed without a negotiated encoding; with one we do not have.
    auto compressed = read_grpc_web_request(frame(1, "abc", 3), WebEncoding::Binary);
    CHECK(code_of(compressed) == Code::Internal);
    CHECK(compressed.error().message ==
          "grpc: compressed flag set with identity or empty encoding");
    CHECK(code_of(read_grpc_web_request(frame(1, "abc", 3), WebEncoding::Binary, "snappy")) ==
          Code::Unimplemented);
    // gzip is spoken, and bytes that are not gzip are Internal.
    CHECK(code_of(read_grpc_web_request(frame(1, "abc", 3), WebEncoding::Binary, "gzip")) ==
          Code::Internal);
    // A trailer frame, and two messages on a unary call.
    CHECK(code_of(read_grpc_web_request(frame(0x80, "", 0), WebEncoding::Binary)) ==
          Code::Internal);
    CHECK(code_of(read_grpc_web_request(frame("a") + frame("b"), WebEncoding::Binary)) ==
          Code::Internal);
    // Text that is not base64.
    CHECK(code_of(read_grpc_web_request("***", WebEncoding::Text)) == Code::Internal);
  }
}

TEST_CASE("a gRPC-Web response: message frame, then trailers") {
  const auto ok = grpc_web_response_body({}, "xyz", WebEncoding::Binary);
  const std::string trailers = "grpc-status:0\r\ngrpc-message:\r\n";
  CHECK(ok == frame("xyz") + frame(0x80, trailers, trailers.size()));

  GrpcStatus failed{Code::NotFound, "User could not be found (COMMAND-5M0od)", "\x01\x02"};
  const auto error = grpc_web_response_body(failed, "ignored", WebEncoding::Binary);
  const std::string error_trailers =
      "grpc-status:5\r\ngrpc-message:User could not be found (COMMAND-5M0od)\r\n"
      "grpc-status-details-bin:AQI=\r\n";
  CHECK(error == frame(0x80, error_trailers, error_trailers.size()));  // no message frame

  CHECK(*decode_grpc_web_text(grpc_web_response_body({}, "xyz", WebEncoding::Text)) == ok);
}

TEST_CASE("grpc-message is percent-encoded, base64 both ways") {
  CHECK(percent_encode_grpc_message("a b%c\n\xc3\xa4") == "a b%25c%0A%C3%A4");
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    CHECK(*decode_grpc_web_text(base64_encode(s)) == s);
  }
  // Chunks written one after another, each padded.
  CHECK(*decode_grpc_web_text(base64_encode("a") + base64_encode("bc")) == "abc");
  CHECK_FALSE(decode_grpc_web_text("abc"));
  CHECK_FALSE(decode_grpc_web_text("a==="));
  CHECK_FALSE(decode_grpc_web_text("YQ==Yg"));  // a last chunk cut short
}

TEST_CASE("CORS: no origin unless configured") {
  CHECK_FALSE(CorsPolicy{}.allows("https://a.example"));
  const CorsPolicy some({"https://a.example"});
  CHECK(some.allows("https://a.example"));
  CHECK_FALSE(some.allows("https://b.example"));
  CHECK_FALSE(some.allows(""));
  CHECK(CorsPolicy({"*"}).allows("http://anything:1"));
  const auto pre = some.preflight_headers("https://a.example");
  CHECK(pre.at("access-control-allow-origin") == "https://a.example");
  CHECK(pre.at("access-control-allow-headers").find("x-zitadel-orgid") != std::string::npos);
  CHECK(some.response_headers("https://a.example")
            .at("access-control-expose-headers")
            .find("grpc-status-details-bin") != std::string::npos);
}
