#include "eventstore/copy_text.hpp"

#include "domain/unicode.hpp"

namespace mu::eventstore {

namespace {

bool is_octal(char c) {
  return c >= '0' && c <= '7';
}

}  // namespace

bool split_copy_line(std::string_view line, std::vector<std::string>& fields) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  std::size_t n = 0;
  auto next_field = [&]() -> std::string& {
    if (fields.size() <= n) fields.emplace_back();
    auto& f = fields[n++];
    f.clear();
    return f;
  };
  std::string* field = &next_field();
  for (std::size_t i = 0; i < line.size(); ++i) {
    // Plain text up to the next tab or backslash is copied in one piece.
    std::size_t stop = i;
    while (stop < line.size() && line[stop] != '\t' && line[stop] != '\\') ++stop;
    field->append(line.data() + i, stop - i);
    i = stop;
    if (i == line.size()) break;
    if (line[i] == '\t') {
      field = &next_field();
      continue;
    }
    if (++i == line.size()) return false;
    // The escapes of COPY's text format (PostgreSQL's docs, "COPY", "Text Format").
    switch (const char e = line[i]) {
      case 'b':
        *field += '\b';
        break;
      case 'f':
        *field += '\f';
        break;
      case 'n':
        *field += '\n';
        break;
      case 'r':
        *field += '\r';
        break;
      case 't':
        *field += '\t';
        break;
      case 'v':
        *field += '\v';
        break;
      case 'N':
        break;  // NULL, the whole field
      case 'x': {
        int value = 0, digits = 0;
        while (digits < 2 && i + 1 < line.size() && domain::hex_digit_value(line[i + 1]) >= 0) {
          value = value * 16 + domain::hex_digit_value(line[++i]);
          ++digits;
        }
        if (digits == 0) {
          *field += 'x';
        } else {
          *field += static_cast<char>(value);
        }
        break;
      }
      default:
        if (is_octal(e)) {
          int value = e - '0', digits = 1;
          while (digits < 3 && i + 1 < line.size() && is_octal(line[i + 1])) {
            value = value * 8 + (line[++i] - '0');
            ++digits;
          }
          *field += static_cast<char>(value);
        } else {
          *field += e;  // "\\" and any other character stand for themselves
        }
    }
  }
  fields.resize(n);
  return true;
}

namespace {

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), after Howard Hinnant's algorithm.
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t at, std::size_t n, long long& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<long long> utc_timestamp_micros(std::string_view t) {
  long long y, mo, d, h, mi, sec;
  if (!digits(t, 0, 4, y) || t.size() < 22 || t[4] != '-' || !digits(t, 5, 2, mo) || t[7] != '-' ||
      !digits(t, 8, 2, d) || t[10] != ' ' || !digits(t, 11, 2, h) || t[13] != ':' ||
      !digits(t, 14, 2, mi) || t[16] != ':' || !digits(t, 17, 2, sec) || mo < 1 || mo > 12 ||
      d < 1 || d > 31) {
    return std::nullopt;
  }
  std::size_t i = 19;
  long long micros = 0;
  if (t[i] == '.') {
    std::size_t n = 0;
    for (++i; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i, ++n) {
      if (n < 6) micros = micros * 10 + (t[i] - '0');
    }
    if (n == 0 || n > 6) return std::nullopt;
    for (; n < 6; ++n) micros *= 10;
  }
  if (t.substr(i) != "+00") return std::nullopt;
  const long long days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60'000'000LL + sec * 1'000'000LL + micros;
}

}  // namespace mu::eventstore
