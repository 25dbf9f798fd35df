// ZITADEL's official Node clients against the real binary: @zitadel/node over gRPC (h2c) and
// @zitadel/proto with connect over gRPC-Web, on the service's one port.
// tests/node/official_clients.mjs makes the calls and compares every answer with REST's; this
// test starts the service, runs the script and passes when all of its checks pass.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/service_fixture.hpp"

#ifndef MU_NODE_TESTS_DIR
#error "tests/CMakeLists.txt must define MU_NODE_TESTS_DIR (the tests/node directory)"
#endif

extern char** environ;

using mu::testing::ProcessResult;
using mu::testing::Service;

namespace {

namespace fs = std::filesystem;

const fs::path kNodeTests = MU_NODE_TESTS_DIR;
constexpr auto kDeadline = std::chrono::seconds(25);  // the script gives up after 20 s itself

// /usr/bin/node, else the first `node` on PATH; "" when there is none.
std::string find_node() {
  if (::access("/usr/bin/node", X_OK) == 0) return "/usr/bin/node";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  for (std::size_t start = 0; start <= dirs.size();) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const auto candidate = fs::path(dirs.substr(start, end - start)) / "node";
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return "";
}

// Runs `argv` with `extra_env` added, stdout and stderr together into `out`; killed (and
// reported as 128 + SIGKILL) when it runs past the deadline.
ProcessResult run_capturing(const std::vector<std::string>& argv,
                            const std::vector<std::string>& extra_env) {
  // Everything exec needs is built before fork: the child only calls async-signal-safe functions.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  for (const auto& e : extra_env) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    ::execve(args[0], args.data(), env.data());
    ::_exit(127);
  }
  ::close(fds[1]);

  ProcessResult result;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  bool killed = false;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const auto n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (killed) {
    result.out +=
        "\n[killed: official_clients.mjs ran past " + std::to_string(kDeadline.count()) + " s]\n";
  }
  return result;
}

}  // namespace

TEST_CASE("wire: ZITADEL's official clients over gRPC and gRPC-Web", "[e2e][grpc][node]") {
  const std::string node = find_node();
  if (node.empty()) {
    FAIL("node (>= 20) is not installed (neither /usr/bin/node nor on PATH): ./test installs it");
  }
  for (const char* package : {"@zitadel/node", "@zitadel/proto", "@connectrpc/connect-node",
                              "@connectrpc/connect", "nice-grpc", "@bufbuild/protobuf"}) {
    if (!fs::exists(kNodeTests / "node_modules" / package / "package.json")) {
      FAIL(std::string(package) + " is missing from " + (kNodeTests / "node_modules").string() +
           ": ./test installs the pinned packages (npm ci in tests/node)");
    }
  }

  Service s;
  const auto r = run_capturing({node, (kNodeTests / "official_clients.mjs").string(), "--url",
                                "http://127.0.0.1:" + std::to_string(s.server().port()), "--org",
                                s.org1(), "--other-org", s.org2()},
                               {"MU_TOKEN=" + s.admin_token()});

  INFO("node official_clients.mjs said:\n" << r.out);
  REQUIRE(r.exit_code == 0);
  // Exit 0 only after the summary, and only with the checks all made.
  std::smatch summary;
  REQUIRE(std::regex_search(r.out, summary, std::regex(R"((\d+) checks, 0 failed)")));
  CHECK(std::stoi(summary[1]) >= 30);
}
