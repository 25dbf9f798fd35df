// One HTTP/2 connection (h2c with prior knowledge: what gRPC clients speak without
// TLS) on an Asio socket, with nghttp2 doing the protocol: framing, HPACK, flow
// control, SETTINGS, PING and GOAWAY. Requests go to an H2Handler stream by
// stream; the socket's own strand serialises everything, so nghttp2 (which is not
// thread-safe) is only touched there.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "app/http/h2_types.hpp"

namespace mu::http {

struct H2Hooks {
  // Runs `work` on the connection's strand unless the server has closed
  // (thread-safe): answers may come from any thread, and nothing may be posted
  // into an io_context that is being torn down.
  std::function<void(std::function<void()> work)> post;
  // Where the connection reports its own errors.
  std::function<void(const std::string& what, const std::string& detail)> report;
  // A connection without open streams for this long is sent GOAWAY and closed.
  std::chrono::seconds idle_timeout{300};
  // At most this many streams at once (SETTINGS_MAX_CONCURRENT_STREAMS).
  unsigned max_concurrent_streams = 100;
};

class H2Connection {
 public:
  // `socket` has the client's connection preface still unread. `owner` is kept
  // alive as long as the connection is (the session that handed it over).
  static std::shared_ptr<H2Connection> start(boost::asio::ip::tcp::socket socket,
                                             const H2Handler& handler, H2Hooks hooks,
                                             std::shared_ptr<void> owner);
  virtual ~H2Connection() = default;

  // On the strand: no new streams (GOAWAY); those in flight finish, then it closes.
  virtual void drain() = 0;
  // Only while no I/O thread runs.
  virtual void force_close() = 0;
};

}  // namespace mu::http
