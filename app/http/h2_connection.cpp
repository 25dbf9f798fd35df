#include "app/http/h2_connection.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <cstring>
#include <unordered_map>

namespace mu::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// A request's header block above this is refused (the stream is reset): HPACK
// lets a small frame expand into much more, so the bound is on what is decoded.
constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
// What one write gathers from nghttp2 before it goes out.
constexpr std::size_t kWriteChunk = 64 * 1024;
// Per-stream receive window: enough for a 1 MiB message in a few round trips.
constexpr std::int32_t kStreamWindow = 256 * 1024;

class Connection final : public H2Connection, public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const H2Handler& handler, H2Hooks hooks,
             std::shared_ptr<void> owner)
      : socket_(std::move(socket)),
        handler_(handler),
        hooks_(std::move(hooks)),
        owner_(std::move(owner)),
        idle_timer_(socket_.get_executor()) {}

  ~Connection() override {
    if (session_) nghttp2_session_del(session_);
  }

  bool init() {
    nghttp2_session_callbacks* callbacks = nullptr;
    if (nghttp2_session_callbacks_new(&callbacks) != 0) return false;
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks,
                                                            &Connection::on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &Connection::on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Connection::on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks,
                                                              &Connection::on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Connection::on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &Connection::on_frame_send);
    const int rv = nghttp2_session_server_new(&session_, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    if (rv != 0) return false;
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, hooks_.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(kStreamWindow)},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(kMaxHeaderBytes)},
    };
    return nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) == 0;
  }

  void run() {
    arm_idle_timer();
    read();
    flush();
  }

  void drain() override {
    if (closed_) return;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                          nullptr, 0);
    flush();
  }

  void force_close() override {
    closed_ = true;
    error_code ignored;
    idle_timer_.cancel();
    socket_.close(ignored);
  }

 private:
  struct StreamState {
    H2Fields headers;
    std::size_t header_bytes = 0;
    std::unique_ptr<H2Stream> stream;
    bool answered = false;
    H2Response response;
    std::size_t body_sent = 0;
  };

  // ---- I/O -------------------------------------------------------------------------

  void read() {
    socket_.async_read_some(
        asio::buffer(in_),
        [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(error_code ec, std::size_t n) {
    if (closed_) return;
    if (ec) return close();  // the peer left, or a reset: nobody to answer
    const auto rv =
        nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(in_.data()), n);
    if (rv < 0) {
      // A protocol violation: nghttp2 has queued GOAWAY where it can; send it, then close.
      hooks_.report("http2: connection closed", nghttp2_strerror(static_cast<int>(rv)));
      fatal_ = true;
      nghttp2_session_terminate_session(session_, NGHTTP2_PROTOCOL_ERROR);
      flush();
      return;
    }
    flush();
    if (!closed_ && !fatal_) read();
  }

  void flush() {
    if (writing_ || closed_) return;
    out_.clear();
    while (out_.size() < kWriteChunk) {
      const std::uint8_t* data = nullptr;
      const auto n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        fatal_ = true;
        break;
      }
      if (n == 0) break;
      out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    if (out_.empty()) return maybe_close();
    writing_ = true;
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec) return self->close();
                        self->flush();
                      });
  }

  void maybe_close() {
    if (closed_ || writing_) return;
    if (fatal_ || (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_))) {
      close();
    }
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    idle_timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    streams_.clear();
  }

  void arm_idle_timer() {
    idle_timer_.expires_after(hooks_.idle_timeout);
    idle_timer_.async_wait([weak = weak_from_this()](error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->closed_ || !self->streams_.empty()) return;
      nghttp2_session_terminate_session(self->session_, NGHTTP2_NO_ERROR);
      self->flush();
    });
  }

  // ---- answers ---------------------------------------------------------------------

  H2Responder responder(std::int32_t id) {
    return [weak = weak_from_this(), id](H2Response r) {
      auto self = weak.lock();
      if (!self) return;
      // Always posted, also from the strand: a handler may answer from inside
      // on_data, which runs inside nghttp2.
      self->hooks_.post([self, id, r = std::move(r)]() mutable { self->answer(id, std::move(r)); });
    };
  }

  void answer(std::int32_t id, H2Response r) {
    if (closed_) return;
    auto it = streams_.find(id);
    if (it == streams_.end() || it->second.answered) return;
    StreamState& st = it->second;
    st.answered = true;
    st.response = std::move(r);
    // nghttp2_nv points into these strings: they must outlive the submit call.
    static const std::string kStatus = ":status";
    const std::string status = std::to_string(st.response.status);
    std::vector<nghttp2_nv> nva;
    nva.reserve(st.response.headers.size() + 1);
    nva.push_back(field(kStatus, status));
    for (const auto& [k, v] : st.response.headers) nva.push_back(field(k, v));
    int rv = 0;
    if (st.response.body.empty() && st.response.trailers.empty()) {
      rv = nghttp2_submit_response(session_, id, nva.data(), nva.size(), nullptr);
    } else {
      nghttp2_data_provider body{};
      body.read_callback = &Connection::read_body;
      rv = nghttp2_submit_response(session_, id, nva.data(), nva.size(), &body);
    }
    if (rv != 0) {
      hooks_.report("http2: could not answer a stream", nghttp2_strerror(rv));
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
    }
    flush();
  }

  static nghttp2_nv field(const std::string& name, const std::string& value) {
    return nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                      reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
                      value.size(), NGHTTP2_NV_FLAG_NONE};
  }

  static ssize_t read_body(nghttp2_session* session, std::int32_t id, std::uint8_t* buf,
                           std::size_t length, std::uint32_t* flags, nghttp2_data_source*,
                           void* user) {
    auto* self = static_cast<Connection*>(user);
    auto it = self->streams_.find(id);
    if (it == self->streams_.end()) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    StreamState& st = it->second;
    const std::string& body = st.response.body;
    const std::size_t n = std::min(length, body.size() - st.body_sent);
    if (n > 0) std::memcpy(buf, body.data() + st.body_sent, n);
    st.body_sent += n;
    if (st.body_sent == body.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!st.response.trailers.empty()) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        std::vector<nghttp2_nv> nva;
        for (const auto& [k, v] : st.response.trailers) nva.push_back(field(k, v));
        if (nghttp2_submit_trailer(session, id, nva.data(), nva.size()) != 0) {
          return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
      }
    }
    return static_cast<ssize_t>(n);
  }

  // ---- nghttp2's callbacks (inside mem_recv and mem_send, on the strand) ----------

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<Connection*>(user);
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      self->streams_.try_emplace(frame->hd.stream_id);
    }
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                       std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                       std::uint8_t, void* user) {
    auto* self = static_cast<Connection*>(user);
    auto it = self->streams_.find(frame->hd.stream_id);
    // Trailers of a request whose handler has started carry nothing we use.
    if (it == self->streams_.end() || it->second.stream) return 0;
    StreamState& st = it->second;
    st.header_bytes += namelen + valuelen + 32;  // RFC 9113 6.5.2's size of a field
    if (st.header_bytes > kMaxHeaderBytes) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    st.headers.emplace_back(std::string(reinterpret_cast<const char*>(name), namelen),
                            std::string(reinterpret_cast<const char*>(value), valuelen));
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<Connection*>(user);
    const std::int32_t id = frame->hd.stream_id;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    auto it = self->streams_.find(id);
    if (it == self->streams_.end()) return 0;
    StreamState& st = it->second;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      st.stream = self->handler_(std::move(st.headers), self->responder(id));
      st.headers = {};
    }
    if (st.stream && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) st.stream->on_end();
    return 0;
  }

  static int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t id,
                           const std::uint8_t* data, std::size_t len, void* user) {
    auto* self = static_cast<Connection*>(user);
    auto it = self->streams_.find(id);
    if (it != self->streams_.end() && it->second.stream) {
      it->second.stream->on_data(std::string_view(reinterpret_cast<const char*>(data), len));
    }
    return 0;
  }

  static int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t, void* user) {
    auto* self = static_cast<Connection*>(user);
    self->streams_.erase(id);
    if (self->streams_.empty()) self->arm_idle_timer();
    return 0;
  }

  // An answer that ends our side before the client ended its own (an early
  // refusal): ask the client to stop sending (RFC 9113 8.1), as grpc-go does.
  static int on_frame_send(nghttp2_session* session, const nghttp2_frame* frame, void*) {
    const bool ends = (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
                      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
    if (ends && nghttp2_session_get_stream_remote_close(session, frame->hd.stream_id) == 0) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
    }
    return 0;
  }

  tcp::socket socket_;
  const H2Handler& handler_;
  H2Hooks hooks_;
  std::shared_ptr<void> owner_;
  asio::steady_timer idle_timer_;
  nghttp2_session* session_ = nullptr;
  std::array<char, 16 * 1024> in_{};
  std::string out_;
  bool writing_ = false;
  bool closed_ = false;
  bool fatal_ = false;
  std::unordered_map<std::int32_t, StreamState> streams_;
};

}  // namespace

std::shared_ptr<H2Connection> H2Connection::start(tcp::socket socket, const H2Handler& handler,
                                                  H2Hooks hooks, std::shared_ptr<void> owner) {
  auto c =
      std::make_shared<Connection>(std::move(socket), handler, std::move(hooks), std::move(owner));
  if (!c->init()) {
    c->force_close();
    return nullptr;
  }
  c->run();
  return c;
}

}  // namespace mu::http
