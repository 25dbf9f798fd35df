// The tests' own HTTP client (tests/support/http_client.cpp) against a scripted server:
// when a kept-alive connection closes before any answer, it sends a read again, never a
// write. A client that re-sent a write would hide a server that drops a request it
// accepted: the second copy would be answered, and the test would pass.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_client.hpp"

using mu::testing::HttpClient;

namespace {

// Listens on 127.0.0.1 (a free port). On its first connection it answers the first request
// and closes the connection on the second one, unanswered; every later connection gets each
// of its requests answered. It records the request lines it received, in order.
class ClosingServer {
 public:
  ClosingServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listener_, 8) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("ClosingServer: cannot listen");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ClosingServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  ClosingServer(const ClosingServer&) = delete;
  ClosingServer& operator=(const ClosingServer&) = delete;

  unsigned short port() const { return port_; }
  std::vector<std::string> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  void serve() {
    for (int connection = 0; !stop_; ++connection) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      for (int request = 0; !stop_; ++request) {
        if (!read_request(fd)) break;
        if (connection == 0 && request == 1) break;  // read, then closed unanswered
        const bool head = received().back().rfind("HEAD ", 0) == 0;
        const std::string answer =
            std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n") + (head ? "" : "ok");
        if (::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL) < 0) break;
      }
      ::close(fd);
    }
  }

  // Reads one request (head and Content-Length body) and records its request line; false
  // when the connection ends first.
  bool read_request(int fd) {
    std::string& in = pending_;
    auto head_end = std::string::npos;
    std::size_t length = 0;
    for (;;) {
      if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
        const auto at = in.find("Content-Length: ");
        if (at != std::string::npos && at < head_end) length = std::stoul(in.substr(at + 16));
      }
      if (head_end != std::string::npos && in.size() >= head_end + 4 + length) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) == 0) {
        if (stop_) return false;
        continue;
      }
      char chunk[4096];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        in.clear();
        return false;
      }
      in.append(chunk, static_cast<std::size_t>(n));
    }
    {
      std::lock_guard lock(mutex_);
      received_.push_back(in.substr(0, in.find("\r\n")));
    }
    in.erase(0, head_end + 4 + length);
    return true;
  }

  int listener_ = -1;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::string pending_;
  std::mutex mutex_;
  std::vector<std::string> received_;
  std::thread thread_;
};

// This server is not the service: its answers are not to be checked against the API's
// document (tests/openapi.cmake records every e2e exchange when this is set).
void do_not_record() {
  ::unsetenv("MU_RECORD_EXCHANGES");
}

}  // namespace

TEST_CASE("test client: a write whose kept-alive connection closes unanswered is not re-sent") {
  do_not_record();
  for (const std::string method : {"POST", "PUT", "PATCH", "DELETE"}) {
    INFO(method);
    ClosingServer server;
    HttpClient client("127.0.0.1", server.port());
    REQUIRE(client.request("GET", "/first").status == 200);  // the connection is kept alive
    CHECK_THROWS_WITH(client.request(method, "/write", "{}"), Catch::Contains("not sent again"));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a re-send would be here
    CHECK(server.received() ==
          std::vector<std::string>{"GET /first HTTP/1.1", method + " /write HTTP/1.1"});
  }
}

TEST_CASE("test client: a read whose kept-alive connection closes unanswered is sent again") {
  do_not_record();
  for (const std::string method : {"GET", "HEAD", "OPTIONS"}) {
    INFO(method);
    ClosingServer server;
    HttpClient client("127.0.0.1", server.port());
    REQUIRE(client.request("GET", "/first").status == 200);
    CHECK(client.request(method, "/read").status == 200);  // on a new connection
    CHECK(server.received() == std::vector<std::string>{"GET /first HTTP/1.1",
                                                        method + " /read HTTP/1.1",
                                                        method + " /read HTTP/1.1"});
  }
}
