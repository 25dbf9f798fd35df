#include "app/platform/metrics.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace mu::platform {

namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void counter(std::ostringstream& out, const char* name, const char* help, std::uint64_t v) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " counter\n"
      << name << ' ' << v << '\n';
}

}  // namespace

void Metrics::observe_request(std::string_view rpc, int code, double seconds) {
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) - kBuckets.begin());
  if (rpc.empty()) rpc = "none";
  std::lock_guard lock(mutex_);
  auto it = by_rpc_.find(rpc);
  if (it == by_rpc_.end()) it = by_rpc_.emplace(std::string(rpc), PerRpc{}).first;
  ++it->second.by_code[code];
  auto& h = it->second.latency;
  if (bucket < h.buckets.size()) ++h.buckets[bucket];
  ++h.count;
  h.sum += seconds;
}

void Metrics::set_gauge(const std::string& name, const std::string& help, Gauge gauge) {
  std::lock_guard lock(mutex_);
  gauges_[name] = {help, std::move(gauge)};
}

void Metrics::clear_gauges() {
  std::lock_guard lock(mutex_);
  gauges_.clear();
}

std::string Metrics::render() const {
  std::ostringstream out;
  std::lock_guard lock(mutex_);
  out << "# HELP mu_requests_total Calls answered, by RPC and gRPC status code.\n"
         "# TYPE mu_requests_total counter\n";
  for (const auto& [rpc, per] : by_rpc_) {
    for (const auto& [code, n] : per.by_code) {
      out << "mu_requests_total{rpc=\"" << rpc << "\",code=\"" << code << "\"} " << n << '\n';
    }
  }
  out << "# HELP mu_request_duration_seconds Time from a call's arrival to its answer.\n"
         "# TYPE mu_request_duration_seconds histogram\n";
  for (const auto& [rpc, per] : by_rpc_) {
    const auto& h = per.latency;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      out << "mu_request_duration_seconds_bucket{rpc=\"" << rpc << "\",le=\"" << number(kBuckets[i])
          << "\"} " << cumulative << '\n';
    }
    out << "mu_request_duration_seconds_bucket{rpc=\"" << rpc << "\",le=\"+Inf\"} " << h.count
        << '\n'
        << "mu_request_duration_seconds_sum{rpc=\"" << rpc << "\"} " << number(h.sum) << '\n'
        << "mu_request_duration_seconds_count{rpc=\"" << rpc << "\"} " << h.count << '\n';
  }
  counter(out, "mu_events_appended_total", "Events appended to the store.", events_appended);
  counter(out, "mu_command_conflicts_total",
          "Commands that found their stream moved by another writer.", command_conflicts);
  counter(out, "mu_command_retries_total", "Commands decided again after a conflict.",
          command_retries);
  counter(out, "mu_standby_reads_total",
          "Reads with read-your-writes that a standby served (--read-database-url).",
          standby_reads);
  counter(out, "mu_primary_reads_total",
          "Reads with read-your-writes sent to the primary: the standby had not replayed far "
          "enough, or could not be reached.",
          primary_reads);
  counter(out, "mu_in_doubt_commits_total", "COMMITs whose connection was lost under way.",
          in_doubt_commits);
  counter(out, "mu_one_statement_commands_total",
          "Commands written with one autocommit statement (the write-model cache's path).",
          one_statement_commands);
  counter(out, "mu_idempotent_replays_total",
          "Writes answered from an earlier call with the same Idempotency-Key.",
          idempotent_replays);
  counter(out, "mu_auth_cache_hits_total", "Token checks answered from the cache.",
          auth_cache_hits);
  counter(out, "mu_auth_cache_misses_total", "Token checks that read the database.",
          auth_cache_misses);
  counter(out, "mu_log_lines_dropped_total", "Log lines dropped because stdout did not keep up.",
          log_lines_dropped);
  for (const auto& [name, g] : gauges_) {
    out << "# HELP " << name << ' ' << g.first << "\n# TYPE " << name << " gauge\n"
        << name << ' ' << number(g.second()) << '\n';
  }
  return out.str();
}

Metrics& metrics() {
  static Metrics instance;
  return instance;
}

}  // namespace mu::platform
