// A highly available PostgreSQL of a test's own: scripts/ha-cluster (etcd and two or three
// Patroni-managed PostgreSQL 15 nodes on 127.0.0.1) in a mktemp directory under /tmp, on ports
// of 21000-30999 (below the kernel's ephemeral range) chosen when it starts. Stopped and removed
// when the object goes away, on every exit path (the script's `stop --purge`).
#pragma once

#include <sys/types.h>

#include <string>

namespace mu::testing {

class HaCluster {
 public:
  struct Options {
    int nodes = 2;
    bool synchronous = true;  // false: asynchronous replication (the negative control)
  };
  // Starts it and waits until there is a leader and every replica streams. Throws
  // std::runtime_error with the script's output when that fails (after a few port bases).
  explicit HaCluster(Options options);
  HaCluster() : HaCluster(Options{}) {}
  ~HaCluster();
  HaCluster(const HaCluster&) = delete;
  HaCluster& operator=(const HaCluster&) = delete;

  // Runs `scripts/ha-cluster ARGS` for this cluster; its exit code, output in `output`.
  int script(const std::string& args, std::string* output = nullptr) const;

  // The multi-host libpq URI of `database` (target_session_attrs=read-write), and the URI of
  // one node alone.
  std::string url(const std::string& database) const;
  std::string node_url(int node, const std::string& database) const;
  // Creates `database` on the primary and waits until every node has it (`create-db`: a
  // standby that has not replayed the CREATE DATABASE yet answers a connection to it with
  // FATAL, and libpq then tries no other host of a multi-host URL). Throws when that fails.
  void create_database(const std::string& database) const;

  // The node that is primary now (1-based), or 0 when none is (Patroni's view).
  int leader() const;
  // Waits (at most 20 s, else throws) until `standby` has replayed all `primary` has written.
  void wait_replayed(int primary, int standby) const;
  // Whether the node accepts a connection and is no standby (asked within 2 s).
  bool writable(int node) const;
  // Waits (at most `seconds`) until there is a leader and every node streams again.
  void wait_healthy(int seconds = 90) const;
  // kill -9 of the node's Patroni and postmaster.
  void crash(int node) const;
  // The leader key deleted in etcd, as its ttl would after a crash, at once.
  void expire_leader() const;
  // Patroni of a crashed node started again (it rejoins with pg_rewind).
  void rejoin(int node) const;
  // A planned switchover to another node.
  void switchover() const;

  unsigned short pg_port(int node) const { return static_cast<unsigned short>(base_ + 10 + node); }
  // The node's postmaster and its WAL receiver process (0 when there is none).
  pid_t postmaster_pid(int node) const;
  pid_t walreceiver_pid(int node) const;
  int nodes() const { return options_.nodes; }
  const std::string& directory() const { return dir_; }
  // The end of every node's Patroni log, for failure messages.
  std::string logs() const;

 private:
  bool lock_base();  // false: another test process holds this base
  void unlock_base();
  void script_or_throw(const std::string& args) const;

  Options options_;
  std::string dir_;
  int base_ = 0;
  int base_lock_ = -1;  // flock on /tmp/mu-ha-base-<base>.lock while the cluster lives
};

}  // namespace mu::testing
