// The service's counters, gauges and latency histogram, rendered in Prometheus'
// text format at GET /metrics. One process-wide instance (metrics()), cheap to
// update from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace mu::platform {

class Metrics {
 public:
  // Upper bounds of the latency histogram's buckets, in seconds.
  static constexpr std::array<double, 13> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0};

  // One answered call: its RPC (or route name; empty counts as "none"), gRPC code and duration.
  void observe_request(std::string_view rpc, int code, double seconds);

  std::atomic<std::uint64_t> events_appended{0};
  std::atomic<std::uint64_t> command_conflicts{0};  // a stream moved under a command
  std::atomic<std::uint64_t> command_retries{0};    // decisions made again after one
  std::atomic<std::uint64_t> standby_reads{0};      // reads a standby served (DbSession::reader)
  std::atomic<std::uint64_t> primary_reads{0};  // reads sent to the primary: standby behind or gone
  std::atomic<std::uint64_t> in_doubt_commits{0};        // COMMITs whose connection was lost
  std::atomic<std::uint64_t> one_statement_commands{0};  // commands written in one statement
  std::atomic<std::uint64_t> idempotent_replays{0};
  std::atomic<std::uint64_t> auth_cache_hits{0};
  std::atomic<std::uint64_t> auth_cache_misses{0};
  std::atomic<std::uint64_t> log_lines_dropped{0};

  // Gauges read when rendering (e.g. the worker pool's busy and queued jobs).
  using Gauge = std::function<double()>;
  void set_gauge(const std::string& name, const std::string& help, Gauge gauge);
  void clear_gauges();

  std::string render() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};  // not cumulative here
    std::uint64_t count = 0;
    double sum = 0;
  };
  // A call's counts by gRPC code and its latency. Found by the RPC's name without a copy of it
  // (std::less<>): a call allocates nothing here after its RPC's first call.
  struct PerRpc {
    std::map<int, std::uint64_t> by_code;
    Histogram latency;
  };
  mutable std::mutex mutex_;
  std::map<std::string, PerRpc, std::less<>> by_rpc_;
  std::map<std::string, std::pair<std::string, Gauge>> gauges_;
};

Metrics& metrics();

}  // namespace mu::platform
