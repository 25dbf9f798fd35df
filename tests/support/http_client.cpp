#include "tests/support/http_client.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "tests/support/exchange_recorder.hpp"

namespace mu::testing {
namespace {

constexpr int kTimeoutSeconds = 10;

// The connection closed before a single byte of the response came back.
struct ConnectionLost : std::runtime_error {
  ConnectionLost() : std::runtime_error("HttpClient: connection closed before a response") {}
};

// Whether a request may be sent again after its connection closed without an answer: only
// when the method is safe (RFC 9110 9.2.1). A write may have reached the server and been
// acted on; sending it again would hide a server that drops a request it accepted.
bool safe_to_resend(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string trim(const std::string& s) {
  auto begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

bool has_header(const std::map<std::string, std::string>& headers, const std::string& lower_name) {
  for (const auto& [name, value] : headers) {
    if (lower(name) == lower_name) return true;
  }
  return false;
}

// Whether a comma-separated header value holds `token` (case-insensitive).
bool has_token(const std::string& value, const std::string& token) {
  std::string v = lower(value);
  std::size_t start = 0;
  while (start <= v.size()) {
    std::size_t end = v.find(',', start);
    if (end == std::string::npos) end = v.size();
    if (trim(v.substr(start, end - start)) == token) return true;
    start = end + 1;
  }
  return false;
}

std::string format_request(const std::string& method, const std::string& target,
                           const std::string& host, unsigned short port, const std::string& body,
                           const std::map<std::string, std::string>& headers) {
  std::string wire = method + " " + target + " HTTP/1.1\r\n";
  if (!has_header(headers, "host")) wire += "Host: " + host + ":" + std::to_string(port) + "\r\n";
  for (const auto& [name, value] : headers) wire += name + ": " + value + "\r\n";
  if (!body.empty() && !has_header(headers, "content-type")) {
    wire += "Content-Type: application/json\r\n";
  }
  bool sends_body = !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
  if (sends_body && !has_header(headers, "content-length") &&
      !has_header(headers, "transfer-encoding")) {
    wire += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  wire += "\r\n";
  wire += body;
  return wire;
}

}  // namespace

HttpClient::HttpClient(std::string host, unsigned short port)
    : host_(std::move(host)), port_(port) {}

HttpClient::~HttpClient() {
  disconnect();
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : host_(std::move(other.host_)),
      port_(other.port_),
      fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)) {}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    disconnect();
    host_ = std::move(other.host_);
    port_ = other.port_;
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

HttpResult HttpClient::request(const std::string& method, const std::string& target,
                               const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  const std::string wire = format_request(method, target, host_, port_, body, headers);
  const bool head = method == "HEAD";
  const bool reused = fd_ >= 0 && !peer_closed();
  if (!reused) {
    disconnect();
    connect();
  }
  HttpResult result;
  try {
    result = exchange(wire, head);
  } catch (const ConnectionLost&) {
    // The server may close an idle connection just as we reuse it; a read is sent again
    // on a fresh one, a write is not (see safe_to_resend).
    if (!reused) throw;
    if (!safe_to_resend(method)) {
      throw std::runtime_error("HttpClient: a reused connection closed before any answer to " +
                               method + " " + target +
                               "; not sent again, since the server may have received it");
    }
    disconnect();
    connect();
    result = exchange(wire, head);
  }
  record_exchange(method, target, headers, result);  // only with MU_RECORD_EXCHANGES set
  return result;
}

void HttpClient::connect() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string where = host_ + ":" + std::to_string(port_);
  if (int rc = ::getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &found)) {
    throw std::runtime_error("HttpClient: cannot resolve " + where + ": " + ::gai_strerror(rc));
  }
  int error = 0;
  for (addrinfo* ai = found; ai != nullptr && fd_ < 0; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      error = errno;
      continue;
    }
    timeval timeout{kTimeoutSeconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      fd_ = fd;
    } else {
      error = errno;
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) {
    throw std::runtime_error("HttpClient: cannot connect to " + where + ": " +
                             std::strerror(error));
  }
  buffer_.clear();
}

void HttpClient::disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

// Between requests a live connection has nothing to read; EOF, an error or stray
// bytes all mean it is unusable.
bool HttpClient::peer_closed() const {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

HttpResult HttpClient::exchange(const std::string& wire, bool head) {
  got_bytes_ = false;
  std::size_t sent = 0;
  while (sent < wire.size()) {
    ssize_t n = ::send(fd_, wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      disconnect();
      throw std::runtime_error("HttpClient: sending timed out after 10 s");
    }
    // The server may have answered early (413) and stopped reading: its answer
    // may be waiting for us, so read before giving up.
    if (n < 0) break;
    sent += static_cast<std::size_t>(n);
  }
  try {
    HttpResult result = read_response(head);
    if (has_token(result.header("connection"), "close")) disconnect();
    return result;
  } catch (...) {
    disconnect();
    throw;
  }
}

HttpResult HttpClient::read_response(bool head) {
  for (;;) {
    HttpResult result;
    std::string status_line = read_line();
    // "HTTP/1.1 200 OK"
    if (status_line.rfind("HTTP/", 0) != 0 || status_line.size() < 12) {
      throw std::runtime_error("HttpClient: bad status line: " + status_line);
    }
    result.status = std::stoi(status_line.substr(9, 3));
    bool http10 = status_line.compare(0, 8, "HTTP/1.0") == 0;
    for (std::string line = read_line(); !line.empty(); line = read_line()) {
      auto colon = line.find(':');
      if (colon == std::string::npos) throw std::runtime_error("HttpClient: bad header: " + line);
      std::string name = lower(line.substr(0, colon));
      std::string value = trim(line.substr(colon + 1));
      auto [it, inserted] = result.headers.try_emplace(name, value);
      if (!inserted) it->second += ", " + value;
    }
    if (result.status >= 100 && result.status < 200) continue;  // e.g. 100 Continue

    if (head || result.status == 204 || result.status == 304) {
      // no body
    } else if (has_token(result.header("transfer-encoding"), "chunked")) {
      for (;;) {
        std::string size_line = read_line();
        std::size_t size = std::stoul(size_line.substr(0, size_line.find(';')), nullptr, 16);
        if (size == 0) break;
        result.body += read_exact(size);
        read_line();
      }
      while (!read_line().empty()) {
        // trailers
      }
    } else if (auto length = result.header("content-length"); !length.empty()) {
      result.body = read_exact(std::stoul(length));
    } else {
      while (fill() > 0) {
      }
      result.body = std::move(buffer_);
      disconnect();
      return result;
    }
    if (http10 && !has_token(result.header("connection"), "keep-alive")) disconnect();
    return result;
  }
}

// Receives more into buffer_; 0 at EOF.
std::size_t HttpClient::fill() {
  char chunk[64 * 1024];
  for (;;) {
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      got_bytes_ = true;
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return static_cast<std::size_t>(n);
    }
    if (n == 0 || errno == ECONNRESET) return 0;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      throw std::runtime_error("HttpClient: no response within 10 s");
    }
    throw std::runtime_error(std::string("HttpClient: receive failed: ") + std::strerror(errno));
  }
}

std::string HttpClient::read_line() {
  std::size_t end;
  while ((end = buffer_.find("\r\n")) == std::string::npos) {
    if (fill() == 0) {
      if (!got_bytes_) throw ConnectionLost();
      throw std::runtime_error("HttpClient: connection closed in the middle of a response");
    }
  }
  std::string line = buffer_.substr(0, end);
  buffer_.erase(0, end + 2);
  return line;
}

std::string HttpClient::read_exact(std::size_t n) {
  while (buffer_.size() < n) {
    if (fill() == 0) {
      throw std::runtime_error("HttpClient: connection closed in the middle of a body");
    }
  }
  std::string out = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return out;
}

bool port_accepts(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace mu::testing
