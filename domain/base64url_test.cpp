#include "domain/base64url.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace mu::domain;

TEST_CASE("base64url and base64 encode RFC 4648's vectors") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [bytes, text] : vectors) {
    CHECK(base64url_encode(bytes) == text);
    CHECK(base64url_decode(text) == std::string(bytes));
    std::string padded = text;
    padded.append((4 - padded.size() % 4) % 4, '=');
    CHECK(base64_encode(bytes) == padded);
    CHECK(base64_decode(padded) == std::string(bytes));
  }
  // The two alphabets differ in 62 and 63.
  CHECK(base64url_encode("\xFB\xFF") == "-_8");
  CHECK(base64_encode("\xFB\xFF") == "+/8=");
  CHECK(base64url_decode("-_8") == std::string("\xFB\xFF"));
}

TEST_CASE("base64url round-trips every byte and long inputs") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 7) {
    const auto part = all.substr(0, n);
    CHECK(base64url_decode(base64url_encode(part)) == part);
    CHECK(base64_decode(base64_encode(part)) == part);
  }
  // Longer than one of the encoder's chunks.
  std::string big(200001, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 % 251);
  const auto text = base64url_encode(big);
  CHECK(text.size() == (big.size() * 4 + 2) / 3);
  CHECK(base64url_decode(text) == big);
  CHECK(base64_decode(base64_encode(big)) == big);
}

TEST_CASE("base64url decoding is strict: one text for one byte string") {
  CHECK_FALSE(base64url_decode("Zg=="));    // padding
  CHECK_FALSE(base64url_decode("Zm9v+A"));  // the standard alphabet
  CHECK_FALSE(base64url_decode("Zm9v/A"));
  CHECK_FALSE(base64url_decode("Zm9 v"));  // whitespace
  CHECK_FALSE(base64url_decode("Zm9v\n"));
  CHECK_FALSE(base64url_decode("Zm9vY"));  // 4n+1 characters
  CHECK_FALSE(base64url_decode("Z"));
  CHECK_FALSE(base64url_decode("Zh"));   // "Zg" with a stray bit: also 'f'
  CHECK_FALSE(base64url_decode("Zm9"));  // "Zm8" with a stray bit
  CHECK_FALSE(base64url_decode(std::string("Zm\0v", 4)));
  CHECK_FALSE(base64url_decode("Zm\xC3\xA4v"));
  CHECK(base64url_decode("") == std::string());
}

TEST_CASE("base64 decoding is strict: padding exactly as written") {
  CHECK(base64_decode("Zg==") == std::string("f"));
  CHECK(base64_decode("Zm8=") == std::string("fo"));
  CHECK_FALSE(base64_decode("Zg"));     // padding left out
  CHECK_FALSE(base64_decode("Zg="));    // too little of it
  CHECK_FALSE(base64_decode("Zg==="));  // too much
  CHECK_FALSE(base64_decode("Zm9v===="));
  CHECK_FALSE(base64_decode("Zm8=Zm8="));  // padding inside
  CHECK_FALSE(base64_decode("Z==="));
  CHECK_FALSE(base64_decode("Zh=="));  // a stray bit
  CHECK_FALSE(base64_decode("-_8="));  // the URL alphabet
  CHECK_FALSE(base64_decode("Zm9v\r\n"));
  CHECK_FALSE(base64_decode(" Zm9v"));
  CHECK(base64_decode("") == std::string());
}
