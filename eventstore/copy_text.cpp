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

}  // namespace mu::eventstore
