// Time, Unicode and id helpers of the domain.
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "domain/event.hpp"
#include "domain/ids.hpp"
#include "domain/time.hpp"
#include "domain/unicode.hpp"

using namespace mu::domain;

TEST_CASE("timestamps print as protojson does") {
  CHECK(to_rfc3339(from_unix_micros(1722428578702000)) == "2024-07-31T12:22:58.702Z");
  CHECK(to_rfc3339(from_unix_micros(1722428578000000)) == "2024-07-31T12:22:58Z");
  CHECK(to_rfc3339(from_unix_micros(1722428578702001)) == "2024-07-31T12:22:58.702001Z");
  CHECK(to_rfc3339(from_unix_micros(0)) == "1970-01-01T00:00:00Z");
  // Before the epoch the fraction still counts up from the whole second before.
  CHECK(to_rfc3339(from_unix_micros(-1)) == "1969-12-31T23:59:59.999999Z");
  CHECK(to_rfc3339(from_unix_micros(-1'000)) == "1969-12-31T23:59:59.999Z");
  CHECK(to_rfc3339(from_unix_micros(253402300799000000)) == "9999-12-31T23:59:59Z");
  CHECK(to_rfc3339(from_unix_micros(-62135596800000000)) == "0001-01-01T00:00:00Z");
  // Years outside 0-9999 (no token or event has one) print as printf's %04d would.
  CHECK(to_rfc3339(from_unix_micros(253402300800000000)) == "10000-01-01T00:00:00Z");
  char buf[kRfc3339MaxBytes];
  const auto n = write_rfc3339(from_unix_micros(1722428578702001), buf);
  CHECK(std::string_view(buf, n) == "2024-07-31T12:22:58.702001Z");
}

TEST_CASE("RFC 3339 parsing") {
  CHECK(parse_rfc3339("2024-07-31T12:22:58.702Z") == from_unix_micros(1722428578702000));
  CHECK(parse_rfc3339("2024-07-31T14:22:58.702+02:00") == from_unix_micros(1722428578702000));
  CHECK(parse_rfc3339("2024-07-31T12:22:58Z") == from_unix_micros(1722428578000000));
  CHECK(parse_rfc3339("2024-07-31T12:22:58.123456789Z") == from_unix_micros(1722428578123456));
  CHECK_FALSE(parse_rfc3339("2024-07-31 12:22:58Z"));
  CHECK_FALSE(parse_rfc3339("2024-02-30T12:22:58Z"));
  CHECK_FALSE(parse_rfc3339("2024-07-31T12:22:58"));
  CHECK_FALSE(parse_rfc3339("2024-07-31T12:22:58.Z"));
  CHECK_FALSE(parse_rfc3339("yesterday"));
}

TEST_CASE("code points, not bytes") {
  CHECK(count_code_points("") == 0u);
  CHECK(count_code_points("abc") == 3u);
  CHECK(count_code_points("\xC3\xA4\xE2\x82\xAC\xF0\x9F\x98\x80") == 3u);  // ä € 😀
  CHECK_FALSE(count_code_points("\xC3"));                                  // truncated
  CHECK_FALSE(count_code_points("\xC0\xAF"));                              // overlong
  CHECK_FALSE(count_code_points("\xED\xA0\x80"));                          // surrogate
  CHECK_FALSE(count_code_points("\xFF"));
}

TEST_CASE("ids are time-ordered, unique and carry the node id") {
  auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1722428578}};
  IdGenerator gen(7, [&] { return now; });
  std::uint64_t prev = 0;
  for (int i = 0; i < 1000; ++i) {  // more than one tick's 256 ids, with a frozen clock
    auto id = gen.next_number();
    CHECK(id > prev);
    CHECK((id & 0xFFFF) == 7u);
    prev = id;
  }
  now += std::chrono::seconds{-5};  // the clock steps back: ids still increase
  CHECK(gen.next_number() > prev);

  IdGenerator other(8, [&] { return now; });
  CHECK(other.next_number() != gen.next_number());
}

TEST_CASE("ids from many threads never collide") {
  IdGenerator gen(1);
  std::vector<std::vector<std::uint64_t>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread) {
    threads.emplace_back([&gen, &out] {
      for (int i = 0; i < 2000; ++i) out.push_back(gen.next_number());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::uint64_t> all;
  for (auto& v : per_thread) all.insert(v.begin(), v.end());
  CHECK(all.size() == 8000u);
  CHECK(std::to_string(*all.begin()).size() >= 17u);  // looks like ZITADEL's ids
}

TEST_CASE("ASCII case folding for unique names") {
  CHECK(ascii_lower("Deploy-BOT_1") == "deploy-bot_1");
  CHECK(ascii_lower("\xC3\x84rger") == "\xC3\x84rger");  // non-ASCII letters kept as written
}

TEST_CASE("payload fields are read tolerantly") {
  const nlohmann::json p = {{"name", "n"}, {"n", 3}, {"wrong", 5}};
  CHECK(payload_string(p, "name") == "n");
  CHECK(payload_string(p, "wrong", "fallback") == "fallback");
  CHECK(payload_string(p, "missing") == "");
  CHECK(payload_int(p, "n") == 3);
  CHECK(payload_int(p, "name", 7) == 7);
  CHECK(payload_string(nlohmann::json(nullptr), "name") == "");
}

TEST_CASE("RFC 3339 timestamps stay in google.protobuf.Timestamp's range, without leap seconds") {
  using mu::domain::parse_rfc3339;
  CHECK(parse_rfc3339("9999-12-31T23:59:59Z"));
  CHECK_FALSE(parse_rfc3339("9999-12-31T23:30:00-01:00"));  // 10000-01-01 in UTC
  CHECK_FALSE(parse_rfc3339("0001-01-01T00:30:00+01:00"));  // before year 1
  CHECK_FALSE(parse_rfc3339("2024-06-30T23:59:60Z"));
  CHECK(parse_rfc3339("0001-01-01T00:00:00Z"));
}
