#include "domain/time.hpp"

#include <cctype>
#include <cstdio>

namespace mu::domain {

std::string to_rfc3339(Timestamp t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  const long long micros = hms.subseconds().count();

  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()),
                        unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                        int(hms.minutes().count()), int(hms.seconds().count()));
  // protojson prints 0, 3, 6 or 9 digits: the fewest that lose nothing.
  if (micros != 0) {
    if (micros % 1000 == 0) {
      n += std::snprintf(buf + n, sizeof buf - n, ".%03lld", micros / 1000);
    } else {
      n += std::snprintf(buf + n, sizeof buf - n, ".%06lld", micros);
    }
  }
  std::snprintf(buf + n, sizeof buf - n, "Z");
  return buf;
}

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::optional<Timestamp> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  const year_month_day ymd{year{y}, month(static_cast<unsigned>(mo)),
                           day(static_cast<unsigned>(d))};
  // protojson's Timestamp: no leap second (60), and see the range check below.
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;

  std::size_t pos = 19;
  long long micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int count = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (count < 6) micros = micros * 10 + (s[pos] - '0');
      ++count;
      ++pos;
    }
    if (count == 0 || count > 9) return std::nullopt;
    for (int i = count; i < 6; ++i) micros *= 10;
  }
  int offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  Timestamp t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + microseconds{micros};
  t -= minutes{offset_minutes};
  // google.protobuf.Timestamp holds 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z:
  // an offset must not carry a time past either end (it could not be written back).
  static const Timestamp kMin = sys_days{year{1} / January / 1};
  static const Timestamp kMax = sys_days{year{10000} / January / 1};
  if (t < kMin || t >= kMax) return std::nullopt;
  return t;
}

}  // namespace mu::domain
