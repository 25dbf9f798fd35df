// The Beast/Asio side of server.hpp, after Beast's advanced async server: one
// io_context run by io_threads threads, an acceptor on a control strand, and a
// session per connection on its own strand with one request in flight.
#include "app/http/server.hpp"

#include "app/http/beast_request.hpp"
#include "app/http/h2_connection.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

namespace mu::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// The grpc-gateway error shape of the contract; messages here are fixed ASCII.
HttpResponse error_response(int status, int code, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body =
      R"({"code":)" + std::to_string(code) + R"(,"message":")" + message + R"(","details":[]})";
  return r;
}

// A stray exception must not take an I/O thread (and with it the server) down.
void run_io(asio::io_context& ioc) {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      std::cerr << "http: unexpected exception in an I/O thread: " << e.what() << "\n";
    }
  }
}

class Session;

std::vector<std::shared_ptr<asio::io_context>> make_contexts(const ServerOptions& options) {
  if (!options.io_contexts.empty()) return options.io_contexts;
  std::vector<std::shared_ptr<asio::io_context>> made;
  for (int i = 0; i < std::max(1, options.io_threads); ++i) {
    made.push_back(std::make_shared<asio::io_context>(1));
  }
  return made;
}

// Runs every context on this thread until none has work left. A context's handlers may post
// to another's, so the round is repeated until one finds nothing to do.
void run_all_here(const std::vector<std::shared_ptr<asio::io_context>>& contexts) {
  for (bool ran = true; ran;) {
    ran = false;
    for (const auto& c : contexts) {
      c->restart();
      for (;;) {
        try {
          if (c->run() > 0) ran = true;
          break;
        } catch (const std::exception& e) {
          std::cerr << "http: unexpected exception while closing: " << e.what() << "\n";
        }
      }
    }
  }
}

// What sessions and posted handlers share. Reference-counted rather than owned by
// the Server because a handler may hold a Responder (and so a Session, whose
// socket belongs to `ioc`) after the Server is gone.
struct Core : std::enable_shared_from_this<Core> {
  Core(ServerOptions o, RequestHandler h)
      : options(std::move(o)),
        handler(std::move(h)),
        contexts(make_contexts(options)),
        ioc(*contexts.front()),
        control(asio::make_strand(ioc)),
        acceptor(control),
        signals(control),
        drain_timer(control),
        accept_retry(control) {}

  void report(const std::string& what, const std::string& detail) const {
    if (options.log_error) return options.log_error(what, detail);
    std::cerr << what << ": " << detail << "\n";
  }
  void listen();
  void accept();
  void on_accept(error_code ec, tcp::socket socket);
  void listen_for_signals();
  void request_stop();
  void begin_shutdown();
  void forget(Session* session);
  void close_all();
  std::vector<std::shared_ptr<Session>> live_sessions();

  const ServerOptions options;
  const RequestHandler handler;
  std::chrono::seconds drain_timeout{10};
  unsigned short bound_port = 0;

  // Declared before the I/O objects so that they are destroyed after them. Thread i runs
  // contexts[i]; the first also holds the acceptor, the signals and the drain timer.
  std::vector<std::shared_ptr<asio::io_context>> contexts;
  asio::io_context& ioc;
  std::atomic<std::size_t> next_context{0};  // where the next connection goes
  // Keeps the contexts without a listener running while the server serves.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> serving;
  asio::strand<asio::io_context::executor_type> control;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  asio::steady_timer drain_timer;
  asio::steady_timer accept_retry;
  bool shutting_down = false;  // on `control`

  std::atomic<bool> draining{false};
  // Guards `sessions`, and orders responders' posts against close_all(): once
  // `open` is false nothing is posted any more, so no handler can keep a Session
  // (and through it this Core) alive inside `ioc`.
  std::mutex mu;
  std::atomic<bool> open{true};
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Core> core, tcp::socket socket)
      : core_(std::move(core)), stream_(std::move(socket)) {}
  ~Session() { core_->forget(this); }

  auto executor() { return stream_.get_executor(); }

  void start() {
    if (core_->options.http2) {
      return asio::dispatch(executor(),
                            beast::bind_front_handler(&Session::sniff, shared_from_this()));
    }
    asio::dispatch(executor(),
                   beast::bind_front_handler(&Session::read_header, shared_from_this()));
  }

  // Any thread.
  void deliver(HttpResponse response) {
    std::lock_guard lock(core_->mu);
    if (!core_->open) return;
    asio::post(executor(), [self = shared_from_this(), r = std::move(response)]() mutable {
      self->write(std::move(r), /*linger=*/false);
    });
  }

  // On the session's strand, when the server starts draining.
  void close_if_idle() {
    if (auto h2 = h2_.lock()) return h2->drain();
    bool waiting = idle_ && buffer_.size() == 0 && (!parser_ || !parser_->got_some());
    if (waiting || lingering_) stream_.close();
  }

  // Only while no I/O thread runs.
  void force_close() {
    if (auto h2 = h2_.lock()) h2->force_close();
    stream_.close();
  }

 private:
  // HTTP/2 with prior knowledge (h2c, what gRPC clients speak without TLS) opens
  // with a fixed preface; HTTP/1.1 cannot. The first bytes are peeked, not read,
  // so that the HTTP/2 side sees them: an HTTP/2 connection goes to the H2Handler,
  // any other stays here.
  static constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

  void sniff() {
    if (core_->draining) return shutdown();
    idle_ = true;
    sniff_deadline_ = std::chrono::steady_clock::now() + core_->options.read_timeout;
    arm_sniff_timer();
    wait_for_bytes();
  }

  void arm_sniff_timer() {
    sniff_timer_.expires_at(sniff_deadline_);
    sniff_timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->stream_.close();  // not enough came in time
    });
  }

  // Waits for readability with the socket's low-water mark one byte past what was
  // seen: the reactor re-arms its descriptor for every wait, and readability of
  // bytes already seen would wake it at once, again and again. With the mark, only
  // a new byte or the peer's FIN (readable whatever the mark) wakes it, so a
  // stalled peer costs nothing. Each wait has a number; an overtaken one is ignored.
  void wait_for_bytes() {
    if (sniffed_ > 0) set_low_water_mark(static_cast<int>(sniffed_) + 1);
    const unsigned n = ++sniff_wait_;
    stream_.socket().async_wait(tcp::socket::wait_read,
                                [self = shared_from_this(), n](error_code ec) {
                                  if (n == self->sniff_wait_) self->on_sniff(ec);
                                });
    // Bytes or a FIN that came between the last look and this wait raised their
    // wake-up before the wait existed: look once more now that it does.
    if (peek_count() != sniffed_ || peer_hung_up()) {
      ++sniff_wait_;
      asio::post(executor(), [self = shared_from_this()] { self->on_sniff({}); });
    }
  }

  // Back to 1 before the socket is read for real.
  void set_low_water_mark(int bytes) {
    ::setsockopt(stream_.socket().native_handle(), SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes);
  }

  long peek_count() {
    char head[kHttp2Preface.size()];
    const auto n =
        ::recv(stream_.socket().native_handle(), head, sizeof head, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 ? 0 : n;  // nothing yet, or an error that peer_hung_up() sees
  }

  bool peer_hung_up() {
    pollfd p{stream_.socket().native_handle(), POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }

  void on_sniff(error_code ec) {
    if (ec) {  // closed by the timer, or reset
      sniff_timer_.cancel();
      return;
    }
    char head[kHttp2Preface.size()];
    const auto n =
        ::recv(stream_.socket().native_handle(), head, sizeof head, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) {  // closed before a byte
      sniff_timer_.cancel();
      return shutdown();
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return wait_for_bytes();
      sniff_timer_.cancel();
      return stream_.close();  // reset
    }
    const std::string_view got(head, static_cast<std::size_t>(n));
    if (!kHttp2Preface.starts_with(got)) {  // HTTP/1.x
      sniff_timer_.cancel();
      if (sniffed_ > 0) set_low_water_mark(1);
      return read_header();
    }
    if (got.size() == kHttp2Preface.size()) {
      sniff_timer_.cancel();
      if (sniffed_ > 0) set_low_water_mark(1);
      return to_http2();
    }
    // A part of the preface so far. A peer that hung up will never complete it:
    // let the descriptor go at once.
    if (peer_hung_up()) {
      sniff_timer_.cancel();
      return stream_.close();
    }
    if (sniffed_ == 0) {
      // Clients send the preface in one go; one that trickles it gets a short bound.
      sniff_deadline_ = std::min(sniff_deadline_,
                                 std::chrono::steady_clock::now() + core_->options.preface_timeout);
      arm_sniff_timer();
    }
    sniffed_ = n;
    wait_for_bytes();
  }

  void to_http2() {
    idle_ = false;
    H2Hooks hooks;
    hooks.post = [core = core_, ex = executor()](std::function<void()> work) {
      std::lock_guard lock(core->mu);
      if (core->open) asio::post(ex, std::move(work));
    };
    hooks.report = [core = core_](const std::string& what, const std::string& detail) {
      core->report(what, detail);
    };
    hooks.idle_timeout = core_->options.http2_idle_timeout;
    h2_ = H2Connection::start(stream_.release_socket(), core_->options.http2, std::move(hooks),
                              shared_from_this());
  }

  void read_header() {
    if (core_->draining) return shutdown();
    parser_.emplace();
    parser_->body_limit(core_->options.body_limit);
    idle_ = true;
    stream_.expires_after(core_->options.read_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(error_code ec, std::size_t) {
    idle_ = false;
    if (ec) return on_read_error(ec);
    if (parser_->is_done()) return on_request();
    // Clients such as curl wait (a second) for "100 Continue" before sending a body.
    auto expect = parser_->get().find(bhttp::field::expect);
    if (expect != parser_->get().end() && beast::iequals(expect->value(), "100-continue")) {
      interim_ = {bhttp::status::continue_, 11};
      stream_.expires_after(core_->options.read_timeout);
      return bhttp::async_write(
          stream_, interim_, beast::bind_front_handler(&Session::on_continue, shared_from_this()));
    }
    read_body();
  }

  void on_continue(error_code ec, std::size_t) {
    if (!ec) read_body();
  }

  void read_body() {
    stream_.expires_after(core_->options.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::on_body, shared_from_this()));
  }

  void on_body(error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    on_request();
  }

  void on_read_error(error_code ec) {
    if (ec == bhttp::error::body_limit) {
      return write_error(
          413, 8, "request body exceeds " + std::to_string(core_->options.body_limit) + " bytes");
    }
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
      return shutdown();
    }
    if (ec.category() == error_code(bhttp::error::bad_target).category()) {
      return write_error(400, 3, "malformed HTTP request");
    }
    // Timeout, reset, cancellation: nobody left to answer; the socket closes with us.
  }

  void on_request() {
    if (!core_->open) return;
    // RFC 9112 3.2: an HTTP/1.1 request without exactly one Host field is a 400.
    const auto& head = parser_->get();
    if (head.version() >= 11 && head.count(bhttp::field::host) != 1) {
      return write_error(400, 3, "HTTP/1.1 request needs exactly one Host header");
    }
    auto req = parser_->release();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    head_ = req.method() == bhttp::verb::head;
    auto reply = std::make_shared<Reply>(shared_from_this());
    try {
      core_->handler(to_request(std::move(req)),
                     [reply](HttpResponse r) { reply->send(std::move(r)); });
    } catch (const std::exception& e) {
      core_->report("http: request handler threw", e.what());
      reply->send(error_response(500, 13, "internal error"));
    }
  }

  // The Responder's state: exactly one answer, and an answer even when a buggy
  // handler drops its Responder, so that the client is not left waiting.
  class Reply {
   public:
    explicit Reply(std::shared_ptr<Session> session) : session_(std::move(session)) {}
    ~Reply() {
      if (!sent_.exchange(true)) session_->deliver(error_response(500, 13, "internal error"));
    }
    void send(HttpResponse r) {
      if (!sent_.exchange(true)) session_->deliver(std::move(r));
    }

   private:
    std::shared_ptr<Session> session_;
    std::atomic<bool> sent_{false};
  };

  void write_error(int status, int code, const std::string& message) {
    version_ = 11;
    keep_alive_ = false;
    head_ = false;
    write(error_response(status, code, message), /*linger=*/true);
  }

  void write(HttpResponse r, bool linger) {
    res_ = {};
    res_.version(version_);
    res_.result(r.status >= 100 && r.status <= 599 ? static_cast<unsigned>(r.status) : 500U);
    res_.set(bhttp::field::server, "machine-users");
    if (!r.content_type.empty()) res_.set(bhttp::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res_.set(name, value);
    res_.body() = std::move(r.body);
    res_.keep_alive(!linger && keep_alive_ && !core_->draining);
    res_.prepare_payload();
    if (head_) res_.body().clear();  // Content-Length still tells the GET size
    linger_after_write_ = linger;
    stream_.expires_after(core_->options.read_timeout);
    bhttp::async_write(stream_, res_,
                       beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(error_code ec, std::size_t) {
    if (ec) return;
    if (linger_after_write_) return linger();
    if (!res_.keep_alive()) return shutdown();
    res_ = {};
    read_header();
  }

  // After an early answer (413, 400) the client may still be sending. Closing with
  // unread data would reset the connection, and the client could lose our answer
  // before reading it; so drain its input for a while first.
  void linger() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    lingering_ = true;
    stream_.expires_after(std::chrono::seconds(5));
    discard();
  }

  void discard() {
    stream_.async_read_some(buffer_.prepare(64 * 1024),
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              if (!ec) self->discard();
                            });
  }

  void shutdown() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  std::shared_ptr<Core> core_;  // first: outlives the stream, whose socket lives in core_->ioc
  beast::tcp_stream stream_;
  asio::steady_timer sniff_timer_{stream_.get_executor()};
  std::chrono::steady_clock::time_point sniff_deadline_;
  unsigned sniff_wait_ = 0;  // the number of the wait that counts
  long sniffed_ = 0;         // bytes of the preface seen so far
  std::weak_ptr<H2Connection> h2_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::empty_body> interim_;
  bhttp::response<bhttp::string_body> res_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_ = false;
  bool idle_ = false;
  bool lingering_ = false;
  bool linger_after_write_ = false;
};

void Core::listen() {
  error_code ec;
  auto fail = [&] {
    error_code ignored;
    acceptor.close(ignored);
    throw std::runtime_error("cannot listen on " + options.address + ":" +
                             std::to_string(options.port) + ": " + ec.message());
  };
  auto address = asio::ip::make_address(options.address, ec);
  if (ec) fail();
  tcp::endpoint endpoint{address, options.port};
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) fail();
  bound_port = acceptor.local_endpoint(ec).port();
  if (ec) fail();
}

void Core::accept() {
  auto& context = *contexts[next_context++ % contexts.size()];
  acceptor.async_accept(asio::make_strand(context),
                        beast::bind_front_handler(&Core::on_accept, shared_from_this()));
}

void Core::on_accept(error_code ec, tcp::socket socket) {
  if (!acceptor.is_open()) return;
  if (ec) {
    // Typically out of file descriptors: retrying at once would spin.
    report("http: accept failed", ec.message());
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([self = shared_from_this()](error_code e) {
      if (!e) self->accept();
    });
    return;
  }
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto session = std::make_shared<Session>(shared_from_this(), std::move(socket));
  {
    std::lock_guard lock(mu);
    sessions.emplace(session.get(), session);
  }
  session->start();
  accept();
}

void Core::listen_for_signals() {
  signals.add(SIGINT);
  signals.add(SIGTERM);
  signals.async_wait([self = shared_from_this()](error_code ec, int) {
    if (!ec) self->begin_shutdown();
  });
}

void Core::request_stop() {
  std::lock_guard lock(mu);
  if (!open) return;
  asio::post(control, [self = shared_from_this()] { self->begin_shutdown(); });
}

std::vector<std::shared_ptr<Session>> Core::live_sessions() {
  std::vector<std::shared_ptr<Session>> live;
  for (auto& [raw, weak] : sessions) {
    if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  return live;
}

void Core::begin_shutdown() {
  if (shutting_down) return;
  shutting_down = true;
  error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  signals.cancel(ignored);
  signals.clear(ignored);  // a second signal gets the default action again
  serving.clear();         // each thread returns once its connections are gone

  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(mu);
    draining = true;
    live = live_sessions();
  }
  if (live.empty()) return;  // nothing left: the threads run out of work
  for (auto& s : live) asio::post(s->executor(), [s] { s->close_if_idle(); });
  drain_timer.expires_after(drain_timeout);
  drain_timer.async_wait([self = shared_from_this()](error_code ec) {
    if (ec) return;
    for (auto& c : self->contexts) c->stop();  // close_all() then closes what is left
  });
}

void Core::forget(Session* session) {
  std::lock_guard lock(mu);
  sessions.erase(session);
  if (draining && sessions.empty() && open) {
    // The last session is gone: cancel the drain timer so that run() returns.
    asio::post(control, [self = shared_from_this()] { self->drain_timer.cancel(); });
  }
}

void Core::close_all() {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(mu);
    open = false;
    draining = true;
    live = live_sessions();
  }
  shutting_down = true;
  error_code ignored;
  acceptor.close(ignored);
  signals.cancel(ignored);
  signals.clear(ignored);
  drain_timer.cancel();
  accept_retry.cancel();
  for (auto& s : live) s->force_close();
  live.clear();
  // Complete the cancelled operations so that their handlers release the sessions.
  serving.clear();
  run_all_here(contexts);
}

}  // namespace

struct Server::Impl {
  std::shared_ptr<Core> core;
  bool started = false;
  bool ran = false;
};

Server::Server(ServerOptions options, RequestHandler handler) : impl_(std::make_unique<Impl>()) {
  impl_->core = std::make_shared<Core>(std::move(options), std::move(handler));
}

Server::~Server() {
  impl_->core->close_all();
}

void Server::start() {
  impl_->core->listen();
  impl_->started = true;
}

unsigned short Server::port() const {
  return impl_->core->bound_port;
}

void Server::run_until_stopped(std::chrono::seconds drain_timeout) {
  if (!impl_->started) throw std::logic_error("Server::run_until_stopped() before start()");
  if (impl_->ran) throw std::logic_error("Server::run_until_stopped() called twice");
  impl_->ran = true;
  Core& core = *impl_->core;
  core.drain_timeout = drain_timeout;
  core.listen_for_signals();
  core.accept();
  for (std::size_t i = 1; i < core.contexts.size(); ++i) {
    core.serving.push_back(asio::make_work_guard(*core.contexts[i]));
  }
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < core.contexts.size(); ++i) {
    threads.emplace_back([&core, i] { run_io(*core.contexts[i]); });
  }
  run_io(core.ioc);
  for (auto& t : threads) t.join();
  core.close_all();
}

void Server::stop() {
  impl_->core->request_stop();
}

}  // namespace mu::http
