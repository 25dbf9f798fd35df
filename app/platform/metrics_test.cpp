#include "app/platform/metrics.hpp"

#include <catch2/catch.hpp>

using mu::platform::Metrics;

TEST_CASE("calls are counted by RPC and code, and timed by RPC, in name order") {
  Metrics m;
  m.observe_request("UpdateMachine", 0, 0.002);
  m.observe_request("UpdateMachine", 0, 0.0004);
  m.observe_request("UpdateMachine", 3, 0.02);
  m.observe_request("", 5, 0.001);  // no RPC: a route that matched none
  const auto text = m.render();
  const auto at = [&](const std::string& line) { return text.find(line + "\n"); };
  CHECK(at("mu_requests_total{rpc=\"UpdateMachine\",code=\"0\"} 2") != std::string::npos);
  CHECK(at("mu_requests_total{rpc=\"UpdateMachine\",code=\"3\"} 1") != std::string::npos);
  CHECK(at("mu_requests_total{rpc=\"none\",code=\"5\"} 1") != std::string::npos);
  CHECK(at("mu_requests_total{rpc=\"UpdateMachine\",code=\"0\"} 2") <
        at("mu_requests_total{rpc=\"none\",code=\"5\"} 1"));
  // Buckets are cumulative: 0.4 ms is under 0.5 ms, 2 ms under 2.5 ms, 20 ms under 25 ms.
  CHECK(at("mu_request_duration_seconds_bucket{rpc=\"UpdateMachine\",le=\"0.0005\"} 1") !=
        std::string::npos);
  CHECK(at("mu_request_duration_seconds_bucket{rpc=\"UpdateMachine\",le=\"0.0025\"} 2") !=
        std::string::npos);
  CHECK(at("mu_request_duration_seconds_bucket{rpc=\"UpdateMachine\",le=\"0.025\"} 3") !=
        std::string::npos);
  CHECK(at("mu_request_duration_seconds_count{rpc=\"UpdateMachine\"} 3") != std::string::npos);
  CHECK(at("mu_request_duration_seconds_count{rpc=\"none\"} 1") != std::string::npos);
}
