// gRPC-Web's wire format over HTTP/1.1, pure (no I/O): the request's one
// length-prefixed message in, the response's message frame and trailer frame out.
// application/grpc-web(+proto) carries the frames as bytes, application/
// grpc-web-text(+proto) as base64 (for browsers that cannot read binary bodies).
//
// The request's message is read by UnaryMessageReader, as gRPC's over HTTP/2 is.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "app/grpc/unary_message_reader.hpp"
#include "domain/error.hpp"
#include "domain/result.hpp"

namespace mu::grpc {

enum class WebEncoding { Binary, Text };

// A header value as gRPC compares it (content-type, grpc-encoding): lower-cased, without
// parameters after ';' and without surrounding blanks.
std::string header_token(std::string_view value);

// The encoding a Content-Type names, or nullopt when it is no gRPC-Web type
// (application/grpc-web, application/grpc-web+proto, application/grpc-web-text,
// application/grpc-web-text+proto; parameters after ';' are ignored).
std::optional<WebEncoding> grpc_web_encoding(std::string_view content_type);

// The one message of a unary call's body. `grpc_encoding` is the grpc-encoding
// header (absent or "identity": no compression negotiated).
domain::Result<std::string> read_grpc_web_request(std::string_view body, WebEncoding encoding,
                                                  std::string_view grpc_encoding = "");

// What a call answers: OK with a message, or an error with its status.
struct GrpcStatus {
  domain::Code code = domain::Code::Ok;
  std::string message;                     // grpc-message, before percent-encoding
  std::optional<std::string> details_bin;  // grpc-status-details-bin, raw bytes
};

// The response body: the message's frame (only when the status is OK) and the
// trailer frame (flag 0x80) with grpc-status, grpc-message and, when present,
// grpc-status-details-bin (base64); base64 as a whole for the text encoding.
std::string grpc_web_response_body(const GrpcStatus& status, std::string_view message,
                                   WebEncoding encoding);

// gRPC's percent-encoding of grpc-message: bytes outside 0x20..0x7E, and '%'.
std::string percent_encode_grpc_message(std::string_view message);

// A grpc-web-text body's bytes: padded standard base64 (domain::base64_decode), possibly as
// several chunks one after another, each ending at its padding (a client writes one per
// message); nullopt for malformed input. Answers are encoded with domain::base64_encode.
std::optional<std::string> decode_grpc_web_text(std::string_view text);

}  // namespace mu::grpc
