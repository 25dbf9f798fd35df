#include "tests/support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace mu::testing {

struct TcpProxy::Connection {
  int client = -1;  // guarded by TcpProxy::mutex_ once the thread runs
  int server = -1;
  bool cut = false;  // by cut_all(); guarded by TcpProxy::mutex_
  std::atomic<bool> done{false};
  std::thread thread;
};

namespace {

constexpr std::uint32_t kSslRequest = 80877103;
constexpr std::uint32_t kGssEncRequest = 80877104;
constexpr std::uint32_t kMaxStartupLength = 10000;
constexpr auto kCommitDrain = std::chrono::seconds(5);

std::uint32_t be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         std::uint32_t{u[3]};
}

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// The text of a simple query is COMMIT (what libpqxx sends to commit a transaction).
bool is_commit(std::string text) {
  while (!text.empty() && (text.back() == '\0' || text.back() == ';' ||
                           std::isspace(static_cast<unsigned char>(text.back())))) {
    text.pop_back();
  }
  std::size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  text.erase(0, start);
  for (char& ch : text) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return text == "COMMIT" || text == "COMMIT WORK" || text == "COMMIT TRANSACTION";
}

// Follows the framing of the backend's messages (type byte, int32 length including
// itself, body), counts the ReadyForQuery ('Z') messages seen and keeps the last
// outcome: a CommandComplete's tag, or "ERROR".
class BackendFrames {
 public:
  const std::string& last_outcome() const { return outcome_; }

  void feed(const char* p, std::size_t n) {
    while (n > 0) {
      if (body_left_ > 0) {
        std::size_t take = std::min<std::size_t>(n, body_left_);
        if (type_ == 'C') body_.append(p, take);
        body_left_ -= take;
        p += take;
        n -= take;
        if (body_left_ == 0) complete();
        continue;
      }
      header_[have_++] = *p++;
      --n;
      if (have_ == 5) {
        have_ = 0;
        type_ = header_[0];
        body_.clear();
        std::uint32_t length = be32(header_ + 1);
        body_left_ = length >= 4 ? length - 4 : 0;
        if (body_left_ == 0) complete();
      }
    }
  }
  int ready_for_query() const { return ready_; }

 private:
  void complete() {
    if (type_ == 'Z') ++ready_;
    if (type_ == 'E') outcome_ = "ERROR";
    if (type_ == 'C') outcome_ = body_.substr(0, body_.find('\0'));
  }
  std::string body_;  // of a CommandComplete
  std::string outcome_;
  char header_[5] = {};
  int have_ = 0;
  char type_ = 0;
  std::size_t body_left_ = 0;
  int ready_ = 0;
};

int connect_upstream(const std::string& host, unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

TcpProxy::TcpProxy(unsigned short upstream_port, std::string upstream_host)
    : upstream_host_(std::move(upstream_host)), upstream_port_(upstream_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("TcpProxy: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 128) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      ::pipe2(wake_, O_CLOEXEC) != 0) {
    const std::string why = std::strerror(errno);
    ::close(listen_fd_);
    throw std::runtime_error("TcpProxy: cannot listen on 127.0.0.1: " + why);
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TcpProxy::~TcpProxy() {
  const char stop = 's';
  (void)!::write(wake_[1], &stop, 1);
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::shared_ptr<Connection>> all;
  {
    std::lock_guard lock(mutex_);
    for (auto& c : connections_list_) {
      if (c->client >= 0) ::shutdown(c->client, SHUT_RDWR);
      if (c->server >= 0) ::shutdown(c->server, SHUT_RDWR);
    }
    all = connections_list_;
  }
  for (auto& c : all) {
    if (c->thread.joinable()) c->thread.join();
  }
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void TcpProxy::cut_all() {
  std::lock_guard lock(mutex_);
  for (auto& c : connections_list_) {
    if (c->done || c->cut || (c->client < 0 && c->server < 0)) continue;
    c->cut = true;
    // Wakes the connection's thread, which closes both sockets.
    if (c->client >= 0) ::shutdown(c->client, SHUT_RDWR);
    if (c->server >= 0) ::shutdown(c->server, SHUT_RDWR);
    ++cuts_;
  }
}

void TcpProxy::refuse(bool on) {
  refusing_ = on;
}

void TcpProxy::cut_after_commit() {
  commit_armed_ = true;
}

void TcpProxy::cut_after_statement(const std::string& prefix) {
  {
    std::lock_guard lock(mutex_);
    statement_prefix_ = prefix;
  }
  statement_armed_ = true;
}

bool TcpProxy::wait_commit_cuts_settled(int n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return commit_settled_.wait_for(lock, timeout, [&] { return commit_cuts_settled_ >= n; });
}

std::string TcpProxy::last_commit_outcome() const {
  std::lock_guard lock(mutex_);
  return last_commit_outcome_;
}

int TcpProxy::open_connections() const {
  std::lock_guard lock(mutex_);
  int open = 0;
  for (const auto& c : connections_list_) open += c->done ? 0 : 1;
  return open;
}

void TcpProxy::reap_finished() {
  std::vector<std::shared_ptr<Connection>> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto it = connections_list_.begin(); it != connections_list_.end();) {
      if ((*it)->done) {
        finished.push_back(std::move(*it));
        it = connections_list_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished) {
    if (c->thread.joinable()) c->thread.join();
  }
}

void TcpProxy::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    int ready = ::poll(fds, 2, 500);
    if (ready < 0 && errno != EINTR) return;
    if (fds[1].revents != 0) return;
    reap_finished();
    if (ready <= 0 || (fds[0].revents & POLLIN) == 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (refusing_) {
      ++refused_;
      ::close(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++connections_;
    auto c = std::make_shared<Connection>();
    c->client = fd;
    std::lock_guard lock(mutex_);
    connections_list_.push_back(c);
    c->thread = std::thread([this, c] { serve(c); });
  }
}

// While the proxy stalls: waits, forwarding nothing; false when `fd` was shut down or closed
// by its peer meanwhile (events 0: only hang-ups and errors are reported).
static bool wait_out_stall(const std::atomic<bool>& stalling, int fd) {
  while (stalling) {
    pollfd p{fd, 0, 0};
    if (::poll(&p, 1, 50) > 0 && p.revents != 0) return false;
  }
  return true;
}

void TcpProxy::serve(const std::shared_ptr<Connection>& c) {
  int client = c->client;  // this thread closes them; others only shut them down
  if (!wait_out_stall(stalling_, client)) {
    std::lock_guard lock(mutex_);
    ::close(c->client);
    c->client = -1;
    c->done = true;
    return;
  }
  int server = connect_upstream(upstream_host_, upstream_port_);
  {
    std::lock_guard lock(mutex_);
    c->server = server;
  }
  auto finish = [&] {
    std::lock_guard lock(mutex_);
    if (c->client >= 0) ::close(c->client);
    if (c->server >= 0) ::close(c->server);
    c->client = c->server = -1;
    c->done = true;
  };
  if (server < 0) return finish();

  bool startup = true;       // the untyped startup packets come first
  bool passthrough = false;  // gave up parsing (unexpected bytes): forward as they come
  std::string pending;       // from the client, not forwarded yet
  BackendFrames backend;
  bool cut_at_sync = false;  // an armed statement was bound: cut after its Sync
  char buf[64 * 1024];

  // Forwards what is complete in `pending`; false when the connection should end.
  auto forward_client = [&]() -> bool {
    for (;;) {
      if (passthrough) {
        bool ok = send_all(server, pending.data(), pending.size());
        pending.clear();
        return ok;
      }
      if (startup) {
        if (pending.size() < 8) return true;
        std::uint32_t length = be32(pending.data());
        if (length < 8 || length > kMaxStartupLength) {
          passthrough = true;
          continue;
        }
        if (pending.size() < length) return true;
        std::uint32_t code = be32(pending.data() + 4);
        if (length == 8 && (code == kSslRequest || code == kGssEncRequest)) {
          // No encryption here: the client goes on in plain text, which we can read.
          if (!send_all(client, "N", 1)) return false;
        } else {
          if (!send_all(server, pending.data(), length)) return false;
          startup = false;
        }
        pending.erase(0, length);
        continue;
      }
      if (pending.size() < 5) return true;
      const char type = pending[0];
      std::uint32_t length = be32(pending.data() + 1);
      if (length < 4) {
        passthrough = true;
        continue;
      }
      const std::size_t total = std::size_t{length} + 1;
      if (pending.size() < total) return true;
      bool cut =
          type == 'Q' && is_commit(pending.substr(5, length - 4)) && commit_armed_.exchange(false);
      if (type == 'B' && statement_armed_.load()) {
        // Bind: the portal's name, then the prepared statement's, each NUL-terminated.
        const std::string body = pending.substr(5, length - 4);
        const auto portal_end = body.find('\0');
        const std::string statement =
            portal_end == std::string::npos ? "" : body.substr(portal_end + 1).c_str();
        std::string prefix;
        {
          std::lock_guard lock(mutex_);
          prefix = statement_prefix_;
        }
        if (statement.rfind(prefix, 0) == 0 && statement_armed_.exchange(false)) {
          cut_at_sync = true;
        }
      }
      if (type == 'S' && cut_at_sync) {
        cut_at_sync = false;
        cut = true;
      }
      if (!send_all(server, pending.data(), total)) return false;
      pending.erase(0, total);
      if (cut) {
        // The client learns nothing: its side goes at once. (Counted first: the client
        // may act on the closed connection before this thread runs again.)
        ++commit_cuts_;
        ++cuts_;
        {
          std::lock_guard lock(mutex_);
          ::close(c->client);
          c->client = client = -1;
        }
        // The server runs the COMMIT; wait for its answer (ReadyForQuery) so that the
        // commit has happened when this side closes too, then drop the answer.
        const int before = backend.ready_for_query();
        const auto deadline = std::chrono::steady_clock::now() + kCommitDrain;
        while (backend.ready_for_query() == before) {
          auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
              deadline - std::chrono::steady_clock::now());
          if (left.count() <= 0) break;
          pollfd p{server, POLLIN, 0};
          if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
          ssize_t n = ::recv(server, buf, sizeof buf, 0);
          if (n <= 0) break;
          backend.feed(buf, static_cast<std::size_t>(n));
        }
        {
          std::lock_guard lock(mutex_);
          last_commit_outcome_ =
              backend.ready_for_query() == before ? std::string() : backend.last_outcome();
          ++commit_cuts_settled_;
        }
        commit_settled_.notify_all();
        return false;
      }
    }
  };

  for (;;) {
    if (stalling_ && !(wait_out_stall(stalling_, client) && wait_out_stall(stalling_, server))) {
      break;
    }
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    int ready = ::poll(fds, 2, stalling_ ? 0 : 200);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    if (fds[0].revents != 0) {
      ssize_t n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0) break;
      pending.append(buf, static_cast<std::size_t>(n));
      if (!forward_client()) break;
    }
    if (fds[1].revents != 0) {
      ssize_t n = ::recv(server, buf, sizeof buf, 0);
      if (n <= 0) break;
      backend.feed(buf, static_cast<std::size_t>(n));
      if (!send_all(client, buf, static_cast<std::size_t>(n))) break;
    }
  }
  finish();
}

}  // namespace mu::testing
