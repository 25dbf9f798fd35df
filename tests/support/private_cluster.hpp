// A PostgreSQL cluster of a test's own, for tests that stop and start the database
// server: initdb into a mktemp directory (as the postgres user when we are root),
// fsync off, trust authentication, listening on 127.0.0.1 on a free port.
// Stopped and removed when the object goes away, on every exit path.
#pragma once

#include <string>

namespace mu::testing {

class PrivateCluster {
 public:
  // initdb only; call start() to run it. Throws std::runtime_error with initdb's
  // output when that fails. PG_BIN overrides /usr/lib/postgresql/15/bin.
  PrivateCluster();
  ~PrivateCluster();  // stops it (immediate) and removes its directory
  PrivateCluster(const PrivateCluster&) = delete;
  PrivateCluster& operator=(const PrivateCluster&) = delete;

  // pg_ctl start, waiting until it accepts connections. The port is kept across
  // restarts (a new one is chosen only if the first start finds it taken).
  void start();
  // pg_ctl stop -m <mode>: "smart", "fast" or "immediate"; waits until it is down.
  void stop(const std::string& mode = "fast");
  void restart(const std::string& mode = "fast");
  bool running() const { return running_; }

  unsigned short port() const { return port_; }
  // libpq URI of `database` (default: postgres) as the superuser postgres.
  std::string url(const std::string& database = "postgres") const;
  const std::string& directory() const { return dir_; }
  // The server's log so far (for failure messages).
  std::string log() const;

 private:
  std::string log_path() const;

  std::string pg_bin_;
  std::string dir_;   // mktemp -d: data/, the socket and postgres.log
  std::string data_;  // dir_/data
  unsigned short port_ = 0;
  bool running_ = false;
};

}  // namespace mu::testing
