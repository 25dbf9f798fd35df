// Structured logs: one JSON object per line on stdout, for requests, start-up and
// errors alike. Lines gather in a bounded buffer that a background thread writes
// every 20 ms, so a slow reader of stdout never stalls a request; lines that find
// the buffer full are dropped and counted (mu_log_lines_dropped_total). Never log
// a token, a token's hash or a request body.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mu::platform {

// Starts the writer thread (serve); before it and after stop_logging(), lines are
// written directly.
void start_logging();
void stop_logging();  // writes what is queued, then stops the thread

// {"time":"...","level":"info","msg":"...", ...fields}
void log_line(std::string_view level, std::string_view msg,
              const nlohmann::json& fields = nlohmann::json::object());
inline void log_info(std::string_view msg,
                     const nlohmann::json& fields = nlohmann::json::object()) {
  log_line("info", msg, fields);
}
// The one line of a call.
struct RequestLine {
  std::string_view request_id, method, path, rpc, caller;
  int status = 0;
  int code = 0;  // gRPC code
  double duration_ms = 0;
  std::size_t bytes_in = 0, bytes_out = 0;
};
void log_request(const RequestLine& line);
// The JSON text of that line, newline included.
std::string format_request_line(const RequestLine& line);

inline void log_error(std::string_view msg, std::string_view detail) {
  log_line("error", msg, {{"error", detail}});
}

}  // namespace mu::platform
