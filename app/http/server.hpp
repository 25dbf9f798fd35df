// The HTTP/1.1 server (Boost.Beast): listener, sessions, keep-alive, timeouts,
// body limit, graceful stop. Knows nothing of the API: it hands each request to
// a RequestHandler.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/http/h2_types.hpp"
#include "app/http/http_types.hpp"

namespace boost::asio {
class io_context;
}

namespace mu::http {

struct ServerOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;  // 0: any free port
  // Each I/O thread runs an I/O context of its own (its own epoll reactor), and each
  // connection stays on one of them: a call's handlers never pass between threads.
  int io_threads = 2;
  // The threads' contexts, one each; empty: the server makes io_threads of its own. Shared
  // with what else runs on the I/O threads (the database fibers, app/platform/fiber_pool.hpp).
  std::vector<std::shared_ptr<boost::asio::io_context>> io_contexts;
  std::size_t body_limit = 1024 * 1024;   // larger bodies: 413 in the error shape
  std::chrono::seconds read_timeout{30};  // before every read, idle keep-alive too
  // When set, a connection that opens with the HTTP/2 preface (h2c with prior
  // knowledge: gRPC) is served as HTTP/2, its streams going to this handler;
  // HTTP/1.1 connections go to the RequestHandler.
  H2Handler http2;
  // An HTTP/2 connection without open streams for this long is closed (GOAWAY).
  std::chrono::seconds http2_idle_timeout{300};
  // A connection that has sent part of the HTTP/2 preface and then nothing more
  // for this long is closed: clients send the 24-byte preface in one go.
  std::chrono::milliseconds preface_timeout{2000};
  // Where the server reports its own errors (what happened, the detail); stderr if unset.
  std::function<void(const std::string&, const std::string&)> log_error;
};

class Server {
 public:
  Server(ServerOptions options, RequestHandler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; throws std::runtime_error with a clear message on failure.
  void start();
  // The port actually bound (useful with port 0).
  unsigned short port() const;
  // Blocks until SIGINT/SIGTERM or stop(); then stops accepting, lets in-flight
  // requests finish (up to drain_timeout) and returns.
  void run_until_stopped(std::chrono::seconds drain_timeout = std::chrono::seconds{10});
  // Thread-safe.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mu::http
