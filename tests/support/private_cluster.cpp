#include "tests/support/private_cluster.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace mu::testing {
namespace {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs argv to completion (as the postgres user when we are root: PostgreSQL refuses
// to run as root), from / (our working directory may be closed to postgres).
CommandResult run_as_owner(std::vector<std::string> argv) {
  if (::geteuid() == 0) {
    argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  }
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("PrivateCluster: pipe failed");
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("PrivateCluster: fork failed");
  if (pid == 0) {
    // Only async-signal-safe calls until exec.
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    if (::chdir("/") != 0) ::_exit(126);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  CommandResult r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      r.output += "\n(killed after 90 s)";
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    r.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

unsigned short pick_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("PrivateCluster: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("PrivateCluster: no free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

PrivateCluster::PrivateCluster() {
  const char* bin = std::getenv("PG_BIN");
  pg_bin_ = bin && *bin ? bin : "/usr/lib/postgresql/15/bin";

  std::string pattern = "/tmp/mu-faults-pg.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("PrivateCluster: mkdtemp failed");
  }
  dir_ = pattern;
  data_ = dir_ + "/data";
  try {
    if (::geteuid() == 0) {
      const passwd* pg = ::getpwnam("postgres");
      if (pg == nullptr) throw std::runtime_error("PrivateCluster: no postgres user");
      if (::chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0) {
        throw std::runtime_error("PrivateCluster: cannot give " + dir_ + " to postgres");
      }
    }
    auto r = run_as_owner({pg_bin_ + "/initdb", "-D", data_, "-A", "trust", "-U", "postgres", "-E",
                           "UTF8", "--locale=C", "--no-sync"});
    if (r.exit_code != 0) {
      throw std::runtime_error("PrivateCluster: initdb failed (" + std::to_string(r.exit_code) +
                               "):\n" + r.output);
    }
    std::ofstream conf(data_ + "/postgresql.conf", std::ios::app);
    conf << "\n# PrivateCluster (tests/support): speed over durability.\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "max_connections = 100\nlisten_addresses = '127.0.0.1'\n"
            "unix_socket_directories = '"
         << dir_ << "'\n";
    if (!conf) throw std::runtime_error("PrivateCluster: cannot write postgresql.conf");
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw;
  }
}

PrivateCluster::~PrivateCluster() {
  try {
    // Also when start() failed half-way: a postmaster.pid means something may run.
    if (running_ || std::filesystem::exists(data_ + "/postmaster.pid")) {
      run_as_owner(
          {pg_bin_ + "/pg_ctl", "-D", data_, "-m", "immediate", "-w", "-t", "60", "-s", "stop"});
    }
  } catch (...) {
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void PrivateCluster::start() {
  if (running_) return;
  const bool first = port_ == 0;
  for (int attempt = 1;; ++attempt) {
    if (port_ == 0) port_ = pick_free_port();
    const auto before = read_file(log_path()).size();
    auto r = run_as_owner({pg_bin_ + "/pg_ctl", "-D", data_, "-l", log_path(), "-w", "-t", "60",
                           "-s", "-o", "-p " + std::to_string(port_), "start"});
    if (r.exit_code == 0) {
      running_ = true;
      return;
    }
    const std::string tail = read_file(log_path()).substr(before);
    // Another process may have taken the port between our check and the start.
    if (first && attempt < 3 && tail.find("could not bind") != std::string::npos) {
      port_ = 0;
      continue;
    }
    throw std::runtime_error("PrivateCluster: pg_ctl start failed:\n" + r.output + "\n" + tail);
  }
}

void PrivateCluster::stop(const std::string& mode) {
  if (!running_) return;
  auto r =
      run_as_owner({pg_bin_ + "/pg_ctl", "-D", data_, "-m", mode, "-w", "-t", "60", "-s", "stop"});
  if (r.exit_code != 0) {
    throw std::runtime_error("PrivateCluster: pg_ctl stop -m " + mode + " failed:\n" + r.output);
  }
  running_ = false;
}

void PrivateCluster::restart(const std::string& mode) {
  stop(mode);
  start();
}

std::string PrivateCluster::url(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PrivateCluster::log() const {
  return read_file(log_path());
}

std::string PrivateCluster::log_path() const {
  return dir_ + "/postgres.log";
}

}  // namespace mu::testing
