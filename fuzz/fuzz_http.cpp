// Target "http": raw bytes as a client sends them on one connection, through
// Beast's request parser with the server's limits (app/http/server.cpp's
// Session: read the header, then the body; keep-alive requests one after the
// other), the header collection of its to_request (app/http/beast_request.hpp), then what RestApi
// and the call pipeline do before the database: the router, If-Match, rest::decode_request into the
// RPC's message, and the handler's validation and decision. server.cpp's Session is not callable
// from here (Beast/Asio, anonymous namespace): keep the steps below in step with
// Session::on_request/to_request.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>

#include "app/http/beast_request.hpp"
#include "fuzz/harness.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using namespace mu;

constexpr std::size_t kBodyLimit = 1024 * 1024;  // ServerOptions::body_limit
constexpr std::size_t kReadChunk = 512;          // bytes per read, as if from a socket
constexpr int kMaxRequests = 8;                  // keep-alive requests per input

// A SyncReadStream over the input that hands out at most kReadChunk bytes per read.
class InputStream {
 public:
  explicit InputStream(std::string_view data) : data_(data) {}

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    if (data_.empty()) {
      ec = asio::error::eof;
      return 0;
    }
    ec = {};
    const std::size_t n =
        asio::buffer_copy(buffers, asio::buffer(data_.data(), std::min(kReadChunk, data_.size())));
    data_.remove_prefix(n);
    return n;
  }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::string_view data_;
};

// RestApi::operator() up to the database (authentication needs it: skipped).
void handle(const http::HttpRequest& req) {
  for (std::size_t i = 0; i < req.headers.size(); ++i) {
    const auto name = req.headers[i].name;
    for (char c : name) {
      if (c >= 'A' && c <= 'Z') fuzz::finding("a header name was not lower-cased", name);
    }
    if (req.header(name) != req.headers[i].value) {
      fuzz::finding("a header's lookup does not give its value", name);
    }
  }
  (void)req.header_copy("authorization");
  (void)req.header_copy("x-zitadel-orgid");
  fuzz::route_and_dispatch(req.method, req.target, req.body, req.header_copy("if-match"));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::init_from_environment();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  InputStream stream(std::string_view(reinterpret_cast<const char*>(data), size));
  beast::flat_buffer buffer;
  for (int i = 0; i < kMaxRequests; ++i) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(kBodyLimit);
    boost::system::error_code ec;
    bhttp::read_header(stream, buffer, parser, ec);
    // On an error the session answers 413/400 or closes: nothing reaches the API.
    if (ec) return 0;
    if (!parser.is_done()) {
      bhttp::read(stream, buffer, parser, ec);
      if (ec) return 0;
    }
    // Session::on_request: an HTTP/1.1 request without exactly one Host field is
    // answered 400 and the connection closed (RFC 9112 3.2).
    const auto& head = parser.get();
    if (head.version() >= 11 && head.count(bhttp::field::host) != 1) return 0;
    auto req = parser.release();
    const bool keep_alive = req.keep_alive();
    handle(http::to_request(std::move(req)));
    if (!keep_alive) return 0;
  }
  return 0;
}
