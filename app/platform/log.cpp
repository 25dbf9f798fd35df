#include "app/platform/log.hpp"

#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "app/platform/clock.hpp"
#include "app/platform/metrics.hpp"
#include "domain/time.hpp"
#include "domain/unicode.hpp"

namespace mu::platform {

namespace {

// Lines wait in one buffer and are written every kFlushInterval, or sooner once
// kFlushBytes have gathered: no wake-up (and no context switch) per line, which on
// two cores cost the calls measurably. Past kMaxPending a line is dropped.
constexpr auto kFlushInterval = std::chrono::milliseconds(20);
constexpr std::size_t kFlushBytes = 64 * 1024;
constexpr std::size_t kMaxPending = 8 * 1024 * 1024;

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
  std::string pending;
  bool running = false;
  bool stopping = false;
  std::thread thread;

  void run() {
    std::string batch;
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait_for(lock, kFlushInterval,
                    [&] { return stopping || pending.size() >= kFlushBytes; });
      batch.swap(pending);
      const bool stop = stopping;
      lock.unlock();
      write_all(batch);
      batch.clear();
      lock.lock();
      if (stop && pending.empty()) return;
    }
  }

  void put(std::string&& line) {
    {
      std::lock_guard lock(mutex);
      if (running && !stopping) {
        if (pending.size() + line.size() > kMaxPending) {
          ++metrics().log_lines_dropped;
          return;
        }
        pending += line;
        if (pending.size() >= kFlushBytes) wake.notify_one();
        return;
      }
    }
    write_all(line);
  }
};

Writer& writer() {
  static Writer w;
  return w;
}

// `text` as a JSON string. Bytes that are not UTF-8 (a raw path may hold any) become '?'.
void append_string(std::string& out, std::string_view text) {
  const bool utf8 = domain::count_code_points(text).has_value();
  out += '"';
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
      out += escaped;
    } else if (byte >= 0x80 && !utf8) {
      out += '?';
    } else {
      out += c;
    }
  }
  out += '"';
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
      {"time", domain::to_rfc3339(platform::now())}, {"level", level}, {"msg", msg}};
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  writer().put(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

std::string format_request_line(const RequestLine& r) {
  // Written by hand: one per call, and a JSON document per line cost more than the call's
  // own encoding.
  std::string line;
  line.reserve(256);
  line += "{\"time\":";
  append_string(line, domain::to_rfc3339(platform::now()));
  line += ",\"level\":\"info\",\"msg\":\"request\",\"request_id\":";
  append_string(line, r.request_id);
  line += ",\"method\":";
  append_string(line, r.method);
  line += ",\"path\":";
  append_string(line, r.path);
  line += ",\"rpc\":";
  append_string(line, r.rpc);
  char numbers[160];
  std::snprintf(
      numbers, sizeof numbers,
      ",\"status\":%d,\"code\":%d,\"duration_ms\":%.3f,\"bytes_in\":%zu,\"bytes_out\":%zu",
      r.status, r.code, r.duration_ms, r.bytes_in, r.bytes_out);
  line += numbers;
  line += ",\"caller\":";
  append_string(line, r.caller);
  line += "}\n";
  return line;
}

void log_request(const RequestLine& r) {
  writer().put(format_request_line(r));
}

}  // namespace mu::platform
