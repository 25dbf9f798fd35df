#include "tests/support/server_process.hpp"

#include <filesystem>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace mu::testing {

namespace {

pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            int out_fd, int err_fd) {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    std::string binary = MU_BINARY;
    argv.push_back(binary.data());
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Reads what is available within `timeout_ms`; false at end of file.
bool read_some(int fd, std::string& into, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return true;
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n <= 0) return false;
  into.append(buf, static_cast<std::size_t>(n));
  return true;
}

// Appends what was written to the file since the last call.
void read_file(int fd, std::string& into) {
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return;
    into.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

ProcessResult run_binary(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env) {
  int out[2], err[2];
  if (::pipe(out) != 0 || ::pipe(err) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = spawn(args, env, out[1], err[1]);
  ::close(out[1]);
  ::close(err[1]);
  ProcessResult r;
  bool out_open = true, err_open = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((out_open || err_open) && std::chrono::steady_clock::now() < deadline) {
    if (out_open) out_open = read_some(out[0], r.out, 50);
    if (err_open) err_open = read_some(err[0], r.err, 50);
  }
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  if (out_open || err_open) ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  r.exit_code = exit_code(status);
  return r;
}

ServerProcess::ServerProcess(const std::string& database_url, std::vector<std::string> extra_args) {
  // Its output goes to a file, not a pipe: a server that logs every request would
  // block on a pipe that the test does not read while it makes calls.
  char path[] = "/tmp/mu-server-out.XXXXXX";
  const int out = ::mkstemp(path);
  if (out < 0) throw std::runtime_error("mkstemp failed");
  out_path_ = path;
  std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0", "--database-url",
                                   database_url};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = spawn(args, {}, out, out);
  out_fd_ = ::open(path, O_RDONLY | O_CLOEXEC);
  ::close(out);

  const std::string marker = "listening on http://127.0.0.1:";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    read_file(out_fd_, output_);
    auto at = output_.find(marker);
    if (at != std::string::npos && output_.find('\n', at) != std::string::npos) {
      port_ = static_cast<unsigned short>(std::stoi(output_.substr(at + marker.size())));
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // it exited instead
      pid_ = -1;
      read_file(out_fd_, output_);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop(SIGKILL);
  ::close(out_fd_);
  ::unlink(out_path_.c_str());
  throw std::runtime_error("the server did not start; its output:\n" + output_);
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) stop(SIGKILL);
  if (out_fd_ >= 0) ::close(out_fd_);
  if (!out_path_.empty()) ::unlink(out_path_.c_str());
}

int ServerProcess::stop(int signal) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  read_file(out_fd_, output_);
  return exit_code(status);
}

std::string ServerProcess::output() {
  read_file(out_fd_, output_);
  return output_;
}

int open_fds(pid_t pid) {
  int n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace mu::testing
