// A small threaded TCP proxy for fault tests: listens on 127.0.0.1 (a free port)
// and forwards every connection to an upstream PostgreSQL server, with controls to
// break connections on purpose.
//
// It understands just enough of PostgreSQL's frontend/backend protocol to cut a
// connection right after the client sent COMMIT: the server receives (and runs)
// the COMMIT, the client never learns its outcome (an in-doubt commit).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mu::testing {

class TcpProxy {
 public:
  // Forwards to upstream_host:upstream_port (an IPv4 address).
  explicit TcpProxy(unsigned short upstream_port, std::string upstream_host = "127.0.0.1");
  ~TcpProxy();  // closes every connection and joins every thread
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  unsigned short port() const { return port_; }

  // Drops every open connection now (both sides).
  void cut_all();
  // While true, new connections are accepted and closed at once, never forwarded.
  void refuse(bool on);
  // While true, nothing is forwarded and nothing is closed: new connections are accepted and
  // held without an upstream, open ones carry no byte either way, as to a host that stopped
  // answering (the proxy's kernel still acknowledges what is sent to it). When it ends, held
  // connections go on (new ones connect upstream then).
  void stall(bool on) { stalling_ = on; }
  // Arms a one-shot cut: the next simple-query message ('Q') whose text is COMMIT
  // (case-insensitive, an optional trailing ';') on any connection is forwarded to
  // the server, then the client side is closed at once and the server's reply is
  // read (so the commit has run when the proxy closes that side too) and dropped.
  void cut_after_commit();
  // The same for an autocommit statement, which commits itself: the next execution of a
  // prepared statement whose name starts with `prefix` (its Bind ... Sync) is forwarded,
  // then the client side is closed and the server's answer drained and dropped. Counted
  // as a commit cut below (commit_cuts, wait_commit_cuts_settled, last_commit_outcome).
  void cut_after_statement(const std::string& prefix);
  bool statement_cut_armed() const { return statement_armed_.load(); }
  // Whether cut_after_commit() is still waiting for its COMMIT.
  bool commit_cut_armed() const { return commit_armed_.load(); }
  // Waits (at most `timeout`) until `n` commit cuts have settled: the server's
  // answer to the cut-off COMMIT came (and was dropped), or it did not within 5 s.
  // The client may learn of the cut before the server has run the COMMIT.
  bool wait_commit_cuts_settled(int n, std::chrono::milliseconds timeout);
  // The server's answer to the last cut-off COMMIT, once settled: its command tag
  // ("COMMIT", or "ROLLBACK" for a transaction that had failed), "ERROR", or ""
  // when no answer came.
  std::string last_commit_outcome() const;

  // Connections cut so far (by cut_all() and by cut_after_commit()).
  int cuts() const { return cuts_.load(); }
  // COMMIT messages cut off so far.
  int commit_cuts() const { return commit_cuts_.load(); }
  // Connections accepted and forwarded so far, and those refused.
  int connections() const { return connections_.load(); }
  int refused() const { return refused_.load(); }
  // Connections currently open.
  int open_connections() const;

  struct Connection;  // internal

 private:
  void accept_loop();
  void serve(const std::shared_ptr<Connection>& c);
  void reap_finished();

  std::string upstream_host_;
  unsigned short upstream_port_;
  unsigned short port_ = 0;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: a byte wakes the accept loop to stop

  std::atomic<bool> refusing_{false};
  std::atomic<bool> stalling_{false};
  std::atomic<bool> commit_armed_{false};
  std::atomic<bool> statement_armed_{false};
  std::string statement_prefix_;  // guarded by mutex_
  std::atomic<int> cuts_{0};
  std::atomic<int> commit_cuts_{0};
  std::atomic<int> connections_{0};
  std::atomic<int> refused_{0};
  int commit_cuts_settled_ = 0;      // guarded by mutex_
  std::string last_commit_outcome_;  // guarded by mutex_
  std::condition_variable commit_settled_;

  mutable std::mutex mutex_;  // guards connections_list_ and each connection's fds
  std::vector<std::shared_ptr<Connection>> connections_list_;
  std::thread acceptor_;
};

}  // namespace mu::testing
