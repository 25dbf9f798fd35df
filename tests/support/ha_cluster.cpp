#include "tests/support/ha_cluster.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <pqxx/pqxx>

namespace mu::testing {

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tail_of(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

}  // namespace

HaCluster::HaCluster(Options options) : options_(options) {
  char tmpl[] = "/tmp/mu-ha-test.XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  std::string args = "start --throwaway --nodes " + std::to_string(options_.nodes);
  if (!options_.synchronous) args += " --async";
  // Ports of 21000-30999, 30 of them per cluster: below Linux's ephemeral range (32768-60999 by
  // default), so no outgoing connection of the tests or of another cluster can hold one between
  // the script's check and the bind. A base is this process's while it holds the base's lock
  // file: two tests starting at the same moment cannot both pass the script's port check with one
  // base (the check sees only listeners already bound). A base held by anything else (a
  // listener) is given up for another.
  std::mt19937 rng{std::random_device{}()};
  std::string output;
  for (int attempt = 0; attempt < 20; ++attempt) {
    base_ = 21000 + 30 * std::uniform_int_distribution<int>(0, 332)(rng);
    if (!lock_base()) continue;
    if (script(args, &output) == 0) return;
    script("stop --purge");
    unlock_base();
    std::filesystem::create_directories(dir_);
    if (output.find("is taken") == std::string::npos) break;
  }
  const std::string failure = "scripts/ha-cluster " + args + " failed:\n" + tail_of(output, 4000);
  std::filesystem::remove_all(dir_);
  throw std::runtime_error(failure);
}

HaCluster::~HaCluster() {
  script("stop --purge");
  unlock_base();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

bool HaCluster::lock_base() {
  const std::string path = "/tmp/mu-ha-base-" + std::to_string(base_) + ".lock";
  base_lock_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (base_lock_ < 0) return false;
  if (::flock(base_lock_, LOCK_EX | LOCK_NB) == 0) return true;
  unlock_base();
  return false;
}

void HaCluster::unlock_base() {
  if (base_lock_ >= 0) ::close(base_lock_);  // closing releases the lock; the file stays
  base_lock_ = -1;
}

int HaCluster::script(const std::string& args, std::string* output) const {
  // Beside the cluster's directory, not in it: `stop --purge` removes that.
  const std::filesystem::path dir(dir_);
  const std::string out = (dir.parent_path() / (dir.filename().string() + ".out")).string();
  // A scope of its own: even a cluster that reached another's etcd could not join it.
  const std::string command = "MU_HA_DIR='" + dir_ + "' MU_HA_PORT_BASE=" + std::to_string(base_) +
                              " MU_HA_SCOPE=mu-ha-" + std::to_string(base_) +
                              " '" MU_SOURCE_DIR "/scripts/ha-cluster' " + args + " >'" + out +
                              "' 2>&1";
  const int status = std::system(command.c_str());
  if (output) *output = read_all(out);
  std::filesystem::remove(out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string HaCluster::url(const std::string& database) const {
  std::string hosts;
  for (int n = 1; n <= options_.nodes; ++n) {
    hosts += (hosts.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(pg_port(n));
  }
  return "postgresql://postgres@" + hosts + "/" + database + "?target_session_attrs=read-write";
}

std::string HaCluster::node_url(int node, const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(pg_port(node)) + "/" + database;
}

void HaCluster::create_database(const std::string& database) const {
  script_or_throw("create-db " + database);
}

int HaCluster::leader() const {
  std::string out;
  if (script("leader", &out) != 0) return 0;
  const auto at = out.find("node");
  return at == std::string::npos ? 0 : std::atoi(out.c_str() + at + 4);
}

void HaCluster::wait_replayed(int primary, int standby) const {
  pqxx::connection conn(node_url(primary, "postgres"));
  pqxx::nontransaction tx(conn);
  const auto lsn = tx.exec1("SELECT pg_current_wal_insert_lsn()::text")[0].as<std::string>();
  pqxx::connection standby_conn(node_url(standby, "postgres"));
  pqxx::nontransaction stx(standby_conn);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!stx.exec_params1("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn)[0].as<bool>()) {
    if (std::chrono::steady_clock::now() > until) {
      throw std::runtime_error("node" + std::to_string(standby) + " did not replay up to " + lsn);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

bool HaCluster::writable(int node) const {
  try {
    pqxx::connection conn(node_url(node, "postgres") + "?connect_timeout=2");
    pqxx::nontransaction tx(conn);
    return tx.exec1("SELECT NOT pg_is_in_recovery()")[0].as<bool>();
  } catch (const std::exception&) {
    return false;
  }
}

void HaCluster::wait_healthy(int seconds) const {
  std::string out;
  if (script("wait " + std::to_string(seconds), &out) != 0) {
    throw std::runtime_error("the HA cluster did not recover:\n" + tail_of(out, 3000) + logs());
  }
}

void HaCluster::crash(int node) const {
  script_or_throw("crash " + std::to_string(node));
}

void HaCluster::expire_leader() const {
  script_or_throw("expire-leader");
}

void HaCluster::rejoin(int node) const {
  script_or_throw("rejoin " + std::to_string(node));
}

void HaCluster::switchover() const {
  script_or_throw("switchover");
}

void HaCluster::script_or_throw(const std::string& args) const {
  std::string out;
  if (script(args, &out) != 0) {
    throw std::runtime_error("scripts/ha-cluster " + args + " failed:\n" + tail_of(out, 3000));
  }
}

pid_t HaCluster::postmaster_pid(int node) const {
  std::ifstream in(dir_ + "/node" + std::to_string(node) + "/data/postmaster.pid");
  pid_t pid = 0;
  in >> pid;
  return pid;
}

pid_t HaCluster::walreceiver_pid(int node) const {
  const pid_t parent = postmaster_pid(node);
  if (parent <= 0) return 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat_file(entry.path() / "stat");
    std::string stat;
    std::getline(stat_file, stat);
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != parent) continue;
    const std::string cmdline = read_all((entry.path() / "cmdline").string());
    if (cmdline.find("walreceiver") != std::string::npos) return std::stoi(name);
  }
  return 0;
}

std::string HaCluster::logs() const {
  std::string all;
  for (int n = 1; n <= options_.nodes; ++n) {
    all += "\n--- node" + std::to_string(n) + " patroni.log:\n" +
           tail_of(read_all(dir_ + "/node" + std::to_string(n) + "/patroni.log"), 1500);
  }
  return all;
}

}  // namespace mu::testing
