#include "domain/base64url.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <vector>

namespace mu::domain {

namespace {

// Input bytes per EVP_EncodeBlock call: a multiple of 3 (no padding inside the output) that
// keeps the int lengths OpenSSL takes far from overflowing.
constexpr std::size_t kEncodeChunk = 3 * 16 * 1024;

std::string encode_padded(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  // EVP_EncodeBlock writes a NUL after the text: one byte more than the text.
  std::vector<unsigned char> block((std::min(bytes.size(), kEncodeChunk) + 2) / 3 * 4 + 1);
  for (std::size_t at = 0; at < bytes.size(); at += kEncodeChunk) {
    const auto piece = bytes.substr(at, kEncodeChunk);
    const int n =
        EVP_EncodeBlock(block.data(), reinterpret_cast<const unsigned char*>(piece.data()),
                        static_cast<int>(piece.size()));
    out.append(reinterpret_cast<const char*>(block.data()), static_cast<std::size_t>(n));
  }
  return out;
}

// Value of a standard base64 digit, or -1.
int digit_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// `digits` are standard base64 digits, without padding. Whether the last digit's
// bits that encode no byte are zero: with one byte left over (two digits) its low 4 bits,
// with two bytes (three digits) its low 2 bits.
bool canonical_tail(std::string_view digits) {
  if (digits.empty()) return true;
  const int last = digit_value(digits.back());
  switch (digits.size() % 4) {
    case 2:
      return (last & 0x0F) == 0;
    case 3:
      return (last & 0x03) == 0;
    default:
      return true;
  }
}

// Decodes digits that are known to be valid standard base64 (without padding).
std::optional<std::string> decode_digits(std::string_view digits) {
  if (digits.size() % 4 == 1 || !canonical_tail(digits)) return std::nullopt;
  if (digits.size() > static_cast<std::size_t>(INT_MAX) - 3) return std::nullopt;
  std::string padded(digits);
  const std::size_t pad = (4 - digits.size() % 4) % 4;
  padded.append(pad, '=');
  std::string out(padded.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(padded.data()),
                                static_cast<int>(padded.size()));
  // EVP_DecodeBlock counts the bytes the padding stands for as zeros: drop them.
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - pad);
  return out;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out = encode_padded(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string digits(text);
  for (char& c : digits) {
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    } else if (c == '+' || c == '/' || digit_value(c) < 0) {
      return std::nullopt;
    }
  }
  return decode_digits(digits);
}

std::string base64_encode(std::string_view bytes) {
  return encode_padded(bytes);
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t end = text.size();
  while (end > 0 && text.size() - end < 2 && text[end - 1] == '=') --end;
  const auto digits = text.substr(0, end);
  for (char c : digits) {
    if (digit_value(c) < 0) return std::nullopt;
  }
  // With the length a multiple of 4 and at most two '=' taken off its end, the padding is
  // exactly what completes the last group: "Zg==" and "Zm8=" pass; "Zg=" fails the length,
  // "Zg===" and "Zm8=Zm8=" leave a '=' among the digits.
  return decode_digits(digits);
}

}  // namespace mu::domain
