// The built binary as a child process, for end-to-end tests.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace mu::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// Runs the binary to completion with these arguments and extra environment.
ProcessResult run_binary(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env = {});

// How many file descriptors process `pid` holds (its /proc/PID/fd entries).
int open_fds(pid_t pid);

// `machine-users serve --listen 127.0.0.1:0 --database-url URL`, started and
// ready (its "listening on" line read) when the constructor returns.
class ServerProcess {
 public:
  explicit ServerProcess(const std::string& database_url, std::vector<std::string> extra_args = {});
  ~ServerProcess();  // SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  unsigned short port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Sends `signal` and waits; returns the exit code (128 + signal when killed by it).
  int stop(int signal = 15);
  // What the process wrote to stdout and stderr so far.
  std::string output();

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;  // reads the file its stdout and stderr go to
  std::string out_path_;
  std::string output_;
  unsigned short port_ = 0;
};

}  // namespace mu::testing
