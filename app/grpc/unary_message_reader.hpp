// The one length-prefixed message of a unary call's request body, read as the
// bytes arrive, for gRPC (HTTP/2) and gRPC-Web alike: one set of rules, and a
// refusal as soon as the bytes show one, before more is buffered than the limit.
//
// The rules are grpc-go's (ZITADEL serves gRPC through grpc-go): a message over the
// limit is ResourceExhausted; a compressed message without a negotiated encoding is
// Internal; an encoding the server lacks is Unimplemented; a body without a
// message, with a truncated one or with two is Internal. gzip is the one encoding
// the server speaks (grpc-go registers it too).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "domain/error.hpp"
#include "domain/result.hpp"

namespace mu::grpc {

// The request's size limit, after decompression too. grpc-go's default is 4 MiB;
// ours is the REST body limit: 1 MiB.
inline constexpr std::size_t kMaxMessageBytes = 1024 * 1024;

class UnaryMessageReader {
 public:
  // `grpc_encoding` is the request's grpc-encoding header ("" when absent).
  explicit UnaryMessageReader(std::string_view grpc_encoding, std::size_t limit = kMaxMessageBytes);

  // The body's next bytes. An error as soon as they show one; after an error
  // nothing more is read and the same error stays.
  std::optional<domain::Error> feed(std::string_view bytes);

  // The end of the body: the one message, decompressed, or the error.
  domain::Result<std::string> finish();

  // Bytes held now (the message so far).
  std::size_t buffered() const { return message_.size() + header_.size(); }

 private:
  std::optional<domain::Error> fail(domain::Error e);

  std::string encoding_;  // lower-cased; "" and "identity" mean none
  std::size_t limit_;
  std::string header_;  // the 5-byte prefix while it is incomplete
  bool have_header_ = false;
  bool compressed_ = false;
  std::uint32_t length_ = 0;
  std::string message_;
  bool complete_ = false;  // one whole message read
  std::optional<domain::Error> error_;
};

// gzip (RFC 1952) decompression bounded by `limit` bytes of output.
domain::Result<std::string> gunzip(std::string_view bytes, std::size_t limit);

}  // namespace mu::grpc
