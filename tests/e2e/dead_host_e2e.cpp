// A database host that stops answering, rather than refusing: a machine lost, a partition. On
// 127.0.0.1 a stopped server refuses at once; the proxy here, stalled, accepts and then
// forwards nothing, as such a host. The service's connections give up on it after
// connect_timeout and take the URL's next host, and every connection it holds runs TCP
// keepalives (eventstore/connection_options.hpp), which drop an idle connection to a host
// that vanished. Select with `ctest -R faults`.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "tests/e2e/service_fixture.hpp"
#include "tests/support/tcp_proxy.hpp"

using mu::testing::FirstRun;
using mu::testing::HttpClient;
using mu::testing::ServerProcess;
using mu::testing::TcpProxy;
using mu::testing::TestDatabase;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

unsigned short url_port(const std::string& url) {
  const auto host = url.find("127.0.0.1:");
  REQUIRE(host != std::string::npos);
  return static_cast<unsigned short>(std::stoi(url.substr(host + 10)));
}

struct TcpSocket {
  unsigned short remote_port = 0;
  int state = 0;  // 1 established
  int timer = 0;  // 0 none, 1 retransmit, 2 keepalive, ...
};

// The IPv4 TCP sockets process `pid` holds.
std::vector<TcpSocket> tcp_sockets(pid_t pid) {
  std::set<unsigned long> inodes;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::error_code gone;
    const std::string target = std::filesystem::read_symlink(it->path(), gone).string();
    if (!gone && target.starts_with("socket:[")) inodes.insert(std::stoul(target.substr(8)));
  }
  std::vector<TcpSocket> out;
  std::ifstream table("/proc/" + std::to_string(pid) + "/net/tcp");
  std::string line;
  std::getline(table, line);
  while (std::getline(table, line)) {
    std::istringstream f(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
    unsigned long inode = 0;
    if (!(f >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode) ||
        !inodes.count(inode)) {
      continue;
    }
    TcpSocket s;
    s.remote_port =
        static_cast<unsigned short>(std::stoul(remote.substr(remote.find(':') + 1), nullptr, 16));
    s.state = std::stoi(state, nullptr, 16);
    s.timer = std::stoi(timer.substr(0, timer.find(':')), nullptr, 16);
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE(
    "faults: a database host that stops answering is given up after connect_timeout, and "
    "every database connection runs TCP keepalives",
    "[faults]") {
  TestDatabase db;
  FirstRun first(db.url());
  const unsigned short pg = url_port(db.url());
  TcpProxy proxy(pg);
  proxy.stall(true);
  // The silent host first: each connection tries it, waits connect_timeout, then takes the next.
  std::string url = db.url();
  const std::string direct = "127.0.0.1:" + std::to_string(pg);
  url.replace(url.find(direct), direct.size(),
              "127.0.0.1:" + std::to_string(proxy.port()) + "," + direct);

  const auto started = Clock::now();
  ServerProcess server(url);  // fails when not listening within 30 s: a hang on the silent host
  INFO("listening after " << std::chrono::duration<double>(Clock::now() - started).count() << " s");
  HttpClient http("127.0.0.1", server.port());
  const std::map<std::string, std::string> headers = {{"authorization", "Bearer " + first.token}};
  auto added = http.request("POST", "/management/v1/users/machine",
                            json{{"userName", "bot"}, {"name", "Bot"}}.dump(), headers);
  INFO(added.body);
  REQUIRE(added.status == 200);
  const std::string user = json::parse(added.body).at("userId");
  auto renamed = http.request("PUT", "/management/v1/users/" + user + "/machine",
                              json{{"name", "Bot 2"}}.dump(), headers);
  CHECK(renamed.status == 200);
  CHECK(proxy.connections() >= 1);  // the silent host was tried

  // Idle a moment: then every connection to the database shows its keepalive timer, and none
  // is left to the silent host.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  int to_database = 0;
  for (const auto& s : tcp_sockets(server.pid())) {
    if (s.state != 1) continue;
    INFO("connection to port " << s.remote_port << ", timer " << s.timer);
    CHECK(s.remote_port != proxy.port());
    if (s.remote_port == pg) {
      ++to_database;
      CHECK(s.timer == 2);
    }
  }
  CHECK(to_database >= 3);  // the pool's, the listeners', the runners' at least
}
