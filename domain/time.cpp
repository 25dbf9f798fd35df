#include "domain/time.hpp"

#include <cctype>
#include <cstdio>

namespace mu::domain {

namespace {

// `width` decimal digits of v (v < 10^width), zero-padded.
char* put_digits(char* out, long long v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return out + width;
}

}  // namespace

std::size_t write_rfc3339(Timestamp t, char* out) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  const long long micros = hms.subseconds().count();
  const int year = int(ymd.year());
  char* p = out;
  if (year >= 0 && year <= 9999) {
    p = put_digits(p, year, 4);
  } else {
    p += std::snprintf(p, kRfc3339MaxBytes, "%04d", year);  // outside what tokens and events use
  }
  *p++ = '-';
  p = put_digits(p, unsigned(ymd.month()), 2);
  *p++ = '-';
  p = put_digits(p, unsigned(ymd.day()), 2);
  *p++ = 'T';
  p = put_digits(p, hms.hours().count(), 2);
  *p++ = ':';
  p = put_digits(p, hms.minutes().count(), 2);
  *p++ = ':';
  p = put_digits(p, hms.seconds().count(), 2);
  // protojson prints 0, 3, 6 or 9 digits: the fewest that lose nothing.
  if (micros != 0) {
    *p++ = '.';
    p = micros % 1000 == 0 ? put_digits(p, micros / 1000, 3) : put_digits(p, micros, 6);
  }
  *p++ = 'Z';
  return static_cast<std::size_t>(p - out);
}

std::string to_rfc3339(Timestamp t) {
  char buf[kRfc3339MaxBytes];
  return std::string(buf, write_rfc3339(t, buf));
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
