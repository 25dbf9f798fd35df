#include "app/platform/random_token.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace mu::platform {

std::string random_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for a token");
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buffer >> bits) & 0x3F];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 0x3F];
  return out;
}

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (count > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("no randomness");
  }
  return out;
}

std::string random_alphanumeric(std::size_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  constexpr unsigned kSize = sizeof kAlphabet - 1;  // 62
  // 248 = 4 * 62: bytes at or above it would make the first 8 characters likelier.
  constexpr unsigned kLimit = 256 - 256 % kSize;
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    const std::string batch = random_bytes(length - out.size() + 8);
    for (unsigned char b : batch) {
      if (b >= kLimit) continue;
      out += kAlphabet[b % kSize];
      if (out.size() == length) break;
    }
  }
  return out;
}

}  // namespace mu::platform
