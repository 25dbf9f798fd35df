#include "app/grpc/grpc_web_framing.hpp"

#include "domain/base64url.hpp"

#include <cctype>

namespace mu::grpc {

namespace {

constexpr unsigned char kTrailerFlag = 0x80;

void put_frame(std::string& out, unsigned char flag, std::string_view payload) {
  const auto n = static_cast<std::uint32_t>(payload.size());
  out.push_back(static_cast<char>(flag));
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out.append(payload);
}

domain::Error internal(std::string message) {
  return domain::Error{domain::Code::Internal, "", std::move(message)};
}

}  // namespace

std::string header_token(std::string_view value) {
  value = value.substr(0, value.find(';'));
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  std::string out(value);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<WebEncoding> grpc_web_encoding(std::string_view content_type) {
  const auto type = header_token(content_type);
  if (type == "application/grpc-web" || type == "application/grpc-web+proto") {
    return WebEncoding::Binary;
  }
  if (type == "application/grpc-web-text" || type == "application/grpc-web-text+proto") {
    return WebEncoding::Text;
  }
  return std::nullopt;
}

domain::Result<std::string> read_grpc_web_request(std::string_view body, WebEncoding encoding,
                                                  std::string_view grpc_encoding) {
  std::string decoded;
  if (encoding == WebEncoding::Text) {
    auto bytes = decode_grpc_web_text(body);
    if (!bytes) return internal("grpc-web-text: the body is not base64");
    decoded = std::move(*bytes);
    body = decoded;
  }
  UnaryMessageReader reader(grpc_encoding);
  reader.feed(body);
  return reader.finish();
}

std::string percent_encode_grpc_message(std::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(message.size());
  for (unsigned char c : message) {
    if (c < 0x20 || c > 0x7e || c == '%') {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string grpc_web_response_body(const GrpcStatus& status, std::string_view message,
                                   WebEncoding encoding) {
  std::string body;
  if (status.code == domain::Code::Ok) put_frame(body, 0x00, message);
  std::string trailers = "grpc-status:" + std::to_string(static_cast<int>(status.code)) + "\r\n";
  trailers += "grpc-message:" + percent_encode_grpc_message(status.message) + "\r\n";
  if (status.details_bin) {
    trailers += "grpc-status-details-bin:" + domain::base64_encode(*status.details_bin) + "\r\n";
  }
  put_frame(body, kTrailerFlag, trailers);
  return encoding == WebEncoding::Text ? domain::base64_encode(body) : body;
}

std::optional<std::string> decode_grpc_web_text(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    std::size_t end = text.find('=');
    if (end == std::string_view::npos) {
      end = text.size();
    } else {
      while (end < text.size() && text[end] == '=') ++end;
    }
    auto bytes = domain::base64_decode(text.substr(0, end));
    if (!bytes) return std::nullopt;
    out += *bytes;
    text.remove_prefix(end);
  }
  return out;
}

}  // namespace mu::grpc
