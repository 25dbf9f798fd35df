#include "app/platform/log.hpp"

#include <unistd.h>

#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "app/platform/clock.hpp"
#include "app/platform/metrics.hpp"
#include "domain/json_text.hpp"
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

void write_all(std::string_view text) {
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

  void put(std::string_view line) {
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

namespace {

// A duration in milliseconds with three decimals, as "%.3f" prints it.
void append_millis(std::string& out, double ms) {
  const auto micros = std::isfinite(ms) && ms > 0 ? std::llround(ms * 1000) : 0LL;
  domain::append_integer(out, micros / 1000);
  const auto fraction = micros % 1000;
  const char tail[4] = {'.', static_cast<char>('0' + fraction / 100),
                        static_cast<char>('0' + fraction / 10 % 10),
                        static_cast<char>('0' + fraction % 10)};
  out.append(tail, sizeof tail);
}

// A member `,"name":` and its value.
void text_member(std::string& line, std::string_view name, std::string_view value) {
  ((line += ",\"") += name) += "\":";
  append_string(line, value);
}
void number_member(std::string& line, std::string_view name, long long value) {
  ((line += ",\"") += name) += "\":";
  domain::append_integer(line, value);
}

// One call's line, appended to `line`. Written by hand, into a buffer the thread keeps: one
// per call, and neither a JSON document nor an allocation per line.
void append_request_line(std::string& line, const RequestLine& r) {
  char time[domain::kRfc3339MaxBytes];
  line += "{\"time\":\"";
  line.append(time, domain::write_rfc3339(platform::now(), time));
  line += "\",\"level\":\"info\",\"msg\":\"request\"";
  text_member(line, "request_id", r.request_id);
  text_member(line, "method", r.method);
  text_member(line, "path", r.path);
  text_member(line, "rpc", r.rpc);
  number_member(line, "status", r.status);
  number_member(line, "code", r.code);
  line += ",\"duration_ms\":";
  append_millis(line, r.duration_ms);
  number_member(line, "bytes_in", static_cast<long long>(r.bytes_in));
  number_member(line, "bytes_out", static_cast<long long>(r.bytes_out));
  text_member(line, "caller", r.caller);
  line += "}\n";
}

}  // namespace

std::string format_request_line(const RequestLine& r) {
  std::string line;
  append_request_line(line, r);
  return line;
}

void log_request(const RequestLine& r) {
  thread_local std::string line;
  line.clear();
  append_request_line(line, r);
  writer().put(line);
}

}  // namespace mu::platform
