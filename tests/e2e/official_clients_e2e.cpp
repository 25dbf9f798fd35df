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
#include "tests/support/node_script.hpp"

#ifndef MU_NODE_TESTS_DIR
#error "tests/CMakeLists.txt must define MU_NODE_TESTS_DIR (the tests/node directory)"
#endif

using mu::testing::find_node;
using mu::testing::run_capturing;
using mu::testing::Service;

namespace {

namespace fs = std::filesystem;

const fs::path kNodeTests = MU_NODE_TESTS_DIR;
constexpr auto kDeadline = std::chrono::seconds(25);  // the script gives up after 20 s itself

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
                               {"MU_TOKEN=" + s.admin_token()}, kDeadline);

  INFO("node official_clients.mjs said:\n" << r.out);
  REQUIRE(r.exit_code == 0);
  // Exit 0 only after the summary, and only with the checks all made.
  std::smatch summary;
  REQUIRE(std::regex_search(r.out, summary, std::regex(R"((\d+) checks, 0 failed)")));
  CHECK(std::stoi(summary[1]) >= 30);
}
