#include "app/runtime/log.hpp"

#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "app/handlers/clock.hpp"
#include "app/runtime/metrics.hpp"
#include "domain/time.hpp"

namespace mu::runtime {

namespace {

constexpr std::size_t kQueueLimit = 16384;

void write_all(const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n <= 0) return;  // stdout is gone: nothing sensible left to do
    done += static_cast<std::size_t>(n);
  }
}

struct Writer {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::string> lines;
  bool running = false;
  bool stopping = false;
  std::thread thread;

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [&] { return stopping || !lines.empty(); });
      if (lines.empty()) return;
      std::string batch;
      while (!lines.empty()) {
        batch += lines.front();
        lines.pop_front();
      }
      lock.unlock();
      write_all(batch);
      lock.lock();
    }
  }
};

Writer& writer() {
  static Writer w;
  return w;
}

}  // namespace

void start_logging() {
  auto& w = writer();
  std::lock_guard lock(w.mutex);
  if (w.running) return;
  w.running = true;
  w.stopping = false;
  w.thread = std::thread([&w] { w.run(); });
}

void stop_logging() {
  auto& w = writer();
  {
    std::lock_guard lock(w.mutex);
    if (!w.running) return;
    w.stopping = true;
  }
  w.wake.notify_all();
  w.thread.join();
  std::lock_guard lock(w.mutex);
  w.running = false;
}

void log_line(std::string_view level, std::string_view msg, const nlohmann::json& fields) {
  nlohmann::json line = {
      {"time", domain::to_rfc3339(handlers::now())}, {"level", level}, {"msg", msg}};
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  auto& w = writer();
  {
    std::lock_guard lock(w.mutex);
    if (w.running && !w.stopping) {
      if (w.lines.size() >= kQueueLimit) {
        ++metrics().log_lines_dropped;
        return;
      }
      w.lines.push_back(std::move(text));
      w.wake.notify_one();
      return;
    }
  }
  write_all(text);
}

}  // namespace mu::runtime
