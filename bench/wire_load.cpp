// A small load client for UpdateMachine over REST, gRPC-Web and gRPC, so that the
// three transports are measured by one tool, side by side (ghz is not packaged
// in Debian). Each of `--concurrency` workers owns its share of the users and
// keeps one call in flight: REST and gRPC-Web on a keep-alive HTTP/1.1
// connection of its own, gRPC as a stream on one shared HTTP/2 channel. Every
// call renames its user, so each one appends an event.
//
//   wire-load --port 8080 --token T --users users.txt --mode grpc --concurrency 32 --duration 20
//
// Prints one line: mode, calls, errors, calls/s, p50 and p99 in ms.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "zitadel/management.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace mgmt = zitadel::management::v1;

struct Options {
  unsigned short port = 8080;
  std::string token;
  std::string users_file;
  std::string mode = "rest";
  int concurrency = 32;
  int duration = 20;
  int warmup = 3;
};

// One keep-alive HTTP/1.1 connection; a request in, the status and body out.
class Http1 {
 public:
  explicit Http1(unsigned short port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot connect");
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Http1() { ::close(fd_); }

  int exchange(const std::string& wire, std::string& body) {
    for (std::size_t sent = 0; sent < wire.size();) {
      auto n = ::send(fd_, wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      sent += static_cast<std::size_t>(n);
    }
    std::size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) fill();
    const std::string head = buffer_.substr(0, head_end);
    const int status = std::stoi(head.substr(9, 3));
    std::size_t length = 0;
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (auto at = lower.find("content-length:"); at != std::string::npos) {
      length = std::stoul(lower.substr(at + 15));
    }
    while (buffer_.size() < head_end + 4 + length) fill();
    body = buffer_.substr(head_end + 4, length);
    buffer_.erase(0, head_end + 4 + length);
    return status;
  }

 private:
  void fill() {
    char chunk[16384];
    auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) throw std::runtime_error("connection closed");
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  int fd_ = -1;
  std::string buffer_;
};

std::string frame(const std::string& message) {
  std::string out(1, '\0');
  const auto n = static_cast<std::uint32_t>(message.size());
  for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<char>((n >> shift) & 0xff));
  return out + message;
}

struct Tally {
  std::vector<double> ms;
  long calls = 0;
  long errors = 0;
};

// One call of the worker; true when it succeeded.
using Call = std::function<bool(const std::string& user, const std::string& name)>;

Call make_call(const Options& o, const std::shared_ptr<mgmt::ManagementService::Stub>& stub) {
  const std::string auth = "Bearer " + o.token;
  if (o.mode == "grpc") {
    return [stub, auth](const std::string& user, const std::string& name) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", auth);
      mgmt::UpdateMachineRequest req;
      req.set_user_id(user);
      req.set_name(name);
      mgmt::UpdateMachineResponse res;
      return stub->UpdateMachine(&ctx, req, &res).ok();
    };
  }
  auto http = std::make_shared<Http1>(o.port);
  if (o.mode == "grpc-web") {
    return [http, auth](const std::string& user, const std::string& name) {
      mgmt::UpdateMachineRequest req;
      req.set_user_id(user);
      req.set_name(name);
      const std::string body = frame(req.SerializeAsString());
      const std::string wire =
          "POST /zitadel.management.v1.ManagementService/UpdateMachine HTTP/1.1\r\n"
          "Host: bench\r\nContent-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\n"
          "Authorization: " +
          auth + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      std::string answer;
      if (http->exchange(wire, answer) != 200) return false;
      return answer.find("grpc-status:0\r\n") != std::string::npos;
    };
  }
  return [http, auth](const std::string& user, const std::string& name) {
    const std::string body = R"({"name":")" + name + R"("})";
    const std::string wire = "PUT /management/v1/users/" + user +
                             "/machine HTTP/1.1\r\nHost: bench\r\nContent-Type: "
                             "application/json\r\nAuthorization: " +
                             auth + "\r\nContent-Length: " + std::to_string(body.size()) +
                             "\r\n\r\n" + body;
    std::string answer;
    return http->exchange(wire, answer) == 200;
  };
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--port")
      o.port = static_cast<unsigned short>(std::stoi(value));
    else if (flag == "--token")
      o.token = value;
    else if (flag == "--users")
      o.users_file = value;
    else if (flag == "--mode")
      o.mode = value;
    else if (flag == "--concurrency")
      o.concurrency = std::stoi(value);
    else if (flag == "--duration")
      o.duration = std::stoi(value);
    else if (flag == "--warmup")
      o.warmup = std::stoi(value);
    else
      throw std::runtime_error("unknown flag " + flag);
  }
  if (o.mode != "rest" && o.mode != "grpc-web" && o.mode != "grpc") {
    throw std::runtime_error("--mode is rest, grpc-web or grpc");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  std::vector<std::string> users;
  std::ifstream in(o.users_file);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) users.push_back(line);
  }
  if (users.size() < static_cast<std::size_t>(o.concurrency)) {
    throw std::runtime_error("need at least --concurrency users in --users");
  }
  std::shared_ptr<mgmt::ManagementService::Stub> stub;
  if (o.mode == "grpc") {
    stub = mgmt::ManagementService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(o.port), grpc::InsecureChannelCredentials()));
  }
  const auto start = Clock::now();
  const auto measure_from = start + std::chrono::seconds(o.warmup);
  const auto end = measure_from + std::chrono::seconds(o.duration);
  std::vector<Tally> tallies(static_cast<std::size_t>(o.concurrency));
  std::vector<std::thread> workers;
  for (int w = 0; w < o.concurrency; ++w) {
    workers.emplace_back([&, w] {
      auto call = make_call(o, stub);
      Tally& t = tallies[static_cast<std::size_t>(w)];
      long n = 0;
      for (;;) {
        const auto before = Clock::now();
        if (before >= end) break;
        // This worker's users only, so that no two calls race on one user.
        const auto& user = users[static_cast<std::size_t>(w) +
                                 static_cast<std::size_t>(o.concurrency) *
                                     (static_cast<std::size_t>(n) %
                                      (users.size() / static_cast<std::size_t>(o.concurrency)))];
        const bool ok = call(user, "w" + std::to_string(w) + "-" + std::to_string(n++));
        const auto after = Clock::now();
        if (before < measure_from) continue;
        ++t.calls;
        if (!ok) ++t.errors;
        t.ms.push_back(std::chrono::duration<double, std::milli>(after - before).count());
      }
    });
  }
  for (auto& t : workers) t.join();
  Tally all;
  for (auto& t : tallies) {
    all.calls += t.calls;
    all.errors += t.errors;
    all.ms.insert(all.ms.end(), t.ms.begin(), t.ms.end());
  }
  std::sort(all.ms.begin(), all.ms.end());
  auto pct = [&](double p) {
    return all.ms.empty() ? 0.0 : all.ms[static_cast<std::size_t>(p * (all.ms.size() - 1))];
  };
  std::printf("%s calls=%ld errors=%ld rate=%.0f p50=%.2f p99=%.2f\n", o.mode.c_str(), all.calls,
              all.errors, static_cast<double>(all.calls) / o.duration, pct(0.5), pct(0.99));
  return all.errors == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "wire-load: " << e.what() << "\n";
  return 2;
}
