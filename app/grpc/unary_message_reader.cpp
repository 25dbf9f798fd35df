#include "app/grpc/unary_message_reader.hpp"

#include <zlib.h>

#include "app/grpc/grpc_web_framing.hpp"

namespace mu::grpc {

namespace {

constexpr unsigned char kCompressedFlag = 0x01;
constexpr unsigned char kRequestTrailerFlag = 0x80;

domain::Error framing_error(std::string message) {
  return domain::Error{domain::Code::Internal, "", std::move(message)};
}

domain::Error too_large(std::size_t got, std::size_t limit, const char* what) {
  return domain::Error{domain::Code::ResourceExhausted, "",
                       std::string("grpc: received message ") + what + "larger than max (" +
                           std::to_string(got) + " vs. " + std::to_string(limit) + ")"};
}

}  // namespace

UnaryMessageReader::UnaryMessageReader(std::string_view grpc_encoding, std::size_t limit)
    : encoding_(header_token(grpc_encoding)), limit_(limit) {
  if (encoding_ == "identity") encoding_.clear();
  // grpc-go refuses an encoding it has no decompressor for before reading a message.
  if (!encoding_.empty() && encoding_ != "gzip") {
    error_ = domain::Error{
        domain::Code::Unimplemented, "",
        "grpc: Decompressor is not installed for grpc-encoding \"" + encoding_ + "\""};
  }
}

std::optional<domain::Error> UnaryMessageReader::fail(domain::Error e) {
  error_ = std::move(e);
  header_.clear();
  header_.shrink_to_fit();
  message_.clear();
  message_.shrink_to_fit();
  return error_;
}

std::optional<domain::Error> UnaryMessageReader::feed(std::string_view bytes) {
  if (error_) return error_;
  while (!bytes.empty()) {
    if (complete_) return fail(framing_error("grpc: more than one message on a unary call"));
    if (!have_header_) {
      const std::size_t take = std::min<std::size_t>(5 - header_.size(), bytes.size());
      header_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (header_.size() < 5) return std::nullopt;
      const auto flag = static_cast<unsigned char>(header_[0]);
      length_ = (static_cast<std::uint32_t>(static_cast<unsigned char>(header_[1])) << 24) |
                (static_cast<std::uint32_t>(static_cast<unsigned char>(header_[2])) << 16) |
                (static_cast<std::uint32_t>(static_cast<unsigned char>(header_[3])) << 8) |
                static_cast<std::uint32_t>(static_cast<unsigned char>(header_[4]));
      have_header_ = true;
      if (flag & kRequestTrailerFlag)
        return fail(framing_error("grpc: a request carries no trailers"));
      if (length_ > limit_) return fail(too_large(length_, limit_, ""));
      if (flag & kCompressedFlag) {
        if (encoding_.empty()) {
          return fail(framing_error("grpc: compressed flag set with identity or empty encoding"));
        }
        compressed_ = true;
      } else if (flag != 0) {
        return fail(framing_error("grpc: unknown frame flag " + std::to_string(flag)));
      }
      message_.reserve(length_);
      if (length_ == 0) complete_ = true;
      continue;
    }
    const std::size_t take = std::min<std::size_t>(length_ - message_.size(), bytes.size());
    message_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (message_.size() == length_) complete_ = true;
  }
  return std::nullopt;
}

domain::Result<std::string> UnaryMessageReader::finish() {
  if (error_) return *error_;
  if (header_.empty()) return framing_error("grpc: the request carries no message");
  if (!have_header_) return framing_error("grpc: unexpected EOF in the message header");
  if (!complete_) return framing_error("grpc: unexpected EOF: the message is truncated");
  if (compressed_) return gunzip(message_, limit_);
  return std::move(message_);
}

domain::Result<std::string> gunzip(std::string_view bytes, std::size_t limit) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
    return framing_error("grpc: failed to decompress the received message: no inflater");
  }
  std::string out;
  char chunk[16 * 1024];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  int rv = Z_OK;
  while (rv == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rv = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - z.avail_out);
    if (out.size() > limit) {
      inflateEnd(&z);
      return too_large(out.size(), limit, "after decompression ");
    }
    if (rv == Z_BUF_ERROR && z.avail_in == 0) break;  // input ended before the stream did
  }
  const bool whole = rv == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  if (!whole)
    return framing_error("grpc: failed to decompress the received message: not valid gzip");
  return out;
}

}  // namespace mu::grpc
