// A small blocking HTTP/1.1 client for end-to-end tests, on POSIX sockets only
// (no Beast/Asio, so that the tests compile fast).
#pragma once

#include <map>
#include <string>

namespace mu::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The header's value, or "" when absent.
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Keeps its connection alive between requests and opens a new one when the server has
// closed it while idle. When a reused connection closes before any byte of the answer,
// a GET, HEAD or OPTIONS is sent once more on a new connection; any other method throws
// instead: a write may have been delivered, and a test must see a server that drops a
// request it accepted. Every receive and send gives up after 10 s, so a test cannot
// hang. Throws std::runtime_error on connection failures and timeouts.
class HttpClient {
 public:
  HttpClient(std::string host, unsigned short port);
  ~HttpClient();
  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // With a body, sends Content-Type: application/json unless `headers` says otherwise.
  HttpResult request(const std::string& method, const std::string& target,
                     const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});

 private:
  void connect();
  void disconnect();
  bool peer_closed() const;
  HttpResult exchange(const std::string& wire, bool head);
  HttpResult read_response(bool head);
  std::size_t fill();
  std::string read_line();
  std::string read_exact(std::size_t n);

  std::string host_;
  unsigned short port_;
  int fd_ = -1;
  std::string buffer_;      // received, not yet parsed
  bool got_bytes_ = false;  // of the response being read
};

// Whether a TCP connection to 127.0.0.1:port succeeds.
bool port_accepts(unsigned short port);

}  // namespace mu::testing
