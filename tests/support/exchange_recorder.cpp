#include "tests/support/exchange_recorder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace mu::testing {
namespace {

// The file named by MU_RECORD_EXCHANGES, opened once per process; -1 when unset.
int recording_fd() {
  static const int fd = [] {
    const char* path = std::getenv("MU_RECORD_EXCHANGES");
    if (path == nullptr || *path == '\0') return -1;
    const int opened = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    // A recording that silently misses calls would let the document's check pass
    // on less than the tests did: fail the test instead.
    if (opened < 0) {
      throw std::runtime_error(std::string("MU_RECORD_EXCHANGES: cannot open ") + path + ": " +
                               std::strerror(errno));
    }
    return opened;
  }();
  return fd;
}

// The test that runs: ctest starts the e2e binary with the test's name as its argument.
const std::string& test_name() {
  static const std::string name = [] {
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string out;
    // Arguments are NUL-separated; leave out argv[0].
    for (auto at = all.find('\0'); at != std::string::npos && at + 1 < all.size();) {
      const auto end = all.find('\0', at + 1);
      if (!out.empty()) out += ' ';
      out += all.substr(at + 1, end - at - 1);
      at = end;
    }
    return out;
  }();
  return name;
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

void record_exchange(const std::string& method, const std::string& target,
                     const std::map<std::string, std::string>& request_headers,
                     const HttpResult& result) {
  const int fd = recording_fd();
  if (fd < 0) return;
  nlohmann::json sent = nlohmann::json::object();
  for (const auto& [name, value] : request_headers) {
    const auto key = lower(name);
    if (key == "authorization") {
      sent[key] = value.rfind("Bearer ", 0) == 0 ? "Bearer <redacted>" : "<redacted>";
    } else if (key == "x-zitadel-orgid" || key == "if-match" || key == "idempotency-key" ||
               key == "x-request-id" || key == "content-type") {
      sent[key] = value;
    }
  }
  nlohmann::json received = nlohmann::json::object();
  for (const char* name : {"etag", "x-next-position", "idempotent-replayed", "x-request-id"}) {
    if (auto it = result.headers.find(name); it != result.headers.end())
      received[name] = it->second;
  }
  const nlohmann::json line = {{"test", test_name()},
                               {"method", method},
                               {"target", target},
                               {"request_headers", std::move(sent)},
                               {"status", result.status},
                               {"response_content_type", result.header("content-type")},
                               {"response_headers", std::move(received)},
                               {"body", result.body}};
  // Bytes that are not UTF-8 (in a target or a body) become U+FFFD rather than no line.
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n';
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw std::runtime_error(std::string("MU_RECORD_EXCHANGES: write failed: ") +
                               std::strerror(errno));
    }
    written += static_cast<std::size_t>(n);
  }
}

}  // namespace mu::testing
