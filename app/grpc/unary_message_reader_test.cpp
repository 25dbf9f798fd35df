// The unary request reader without a server: refusals come as soon as the bytes
// show them, whatever arrives later; gzip round-trips within the limit.
#include <zlib.h>

#include <catch2/catch.hpp>

#include "app/grpc/unary_message_reader.hpp"

using namespace mu::grpc;
using mu::domain::Code;

namespace {

std::string prefix(unsigned char flag, std::uint32_t length) {
  std::string out(1, static_cast<char>(flag));
  for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<char>((length >> shift) & 0xff));
  return out;
}

std::string gzip(std::string_view plain) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                       Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, plain.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

TEST_CASE("unary reader: one message, byte by byte or at once") {
  const std::string body = prefix(0, 3) + "abc";
  UnaryMessageReader at_once("");
  CHECK_FALSE(at_once.feed(body));
  CHECK(*at_once.finish() == "abc");
  UnaryMessageReader trickled("identity");
  for (char c : body) CHECK_FALSE(trickled.feed(std::string_view(&c, 1)));
  CHECK(*trickled.finish() == "abc");
}

TEST_CASE("unary reader: a size over the limit is refused at its prefix") {
  UnaryMessageReader r("");
  auto e = r.feed(prefix(0, 0xffffffffu));
  REQUIRE(e);
  CHECK(e->code == Code::ResourceExhausted);
  CHECK(e->message == "grpc: received message larger than max (4294967295 vs. 1048576)");
  CHECK(r.buffered() == 0);
  // What follows is not kept.
  CHECK(r.feed(std::string(64 * 1024, 'x')));
  CHECK(r.buffered() == 0);
}

TEST_CASE("unary reader: a second message is refused when it starts") {
  UnaryMessageReader r("");
  CHECK_FALSE(r.feed(prefix(0, 1) + "a"));
  auto e = r.feed(prefix(0, 1).substr(0, 1));
  REQUIRE(e);
  CHECK(e->code == Code::Internal);
  CHECK(r.finish().error().code == Code::Internal);
}

TEST_CASE("unary reader: the compressed flag and grpc-encoding") {
  SECTION("flag without an encoding: Internal") {
    UnaryMessageReader r("");
    auto e = r.feed(prefix(1, 3) + "abc");
    REQUIRE(e);
    CHECK(e->code == Code::Internal);
    CHECK(e->message == "grpc: compressed flag set with identity or empty encoding");
  }
  SECTION("an encoding the server lacks: Unimplemented, with or without the flag") {
    for (unsigned char flag : {0, 1}) {
      UnaryMessageReader r("snappy");
      auto e = r.feed(prefix(flag, 3) + "abc");
      REQUIRE(e);
      CHECK(e->code == Code::Unimplemented);
    }
  }
  SECTION("gzip: decompressed; garbage is Internal; a bomb past the limit is refused") {
    const std::string plain =
        "\x0a\x03"
        "bot";
    const std::string packed = gzip(plain);
    UnaryMessageReader good("gzip");
    CHECK_FALSE(good.feed(prefix(1, static_cast<std::uint32_t>(packed.size())) + packed));
    CHECK(*good.finish() == plain);

    UnaryMessageReader garbage("gzip");
    CHECK_FALSE(garbage.feed(prefix(1, 3) + "abc"));
    CHECK(garbage.finish().error().code == Code::Internal);

    const std::string bomb = gzip(std::string(kMaxMessageBytes + 1, '\0'));
    REQUIRE(bomb.size() < kMaxMessageBytes);
    UnaryMessageReader big("gzip");
    CHECK_FALSE(big.feed(prefix(1, static_cast<std::uint32_t>(bomb.size())) + bomb));
    CHECK(big.finish().error().code == Code::ResourceExhausted);
  }
  SECTION("an uncompressed message under gzip is read as it is") {
    UnaryMessageReader r("gzip");
    CHECK_FALSE(r.feed(prefix(0, 2) + "ok"));
    CHECK(*r.finish() == "ok");
  }
}

TEST_CASE("unary reader: no message, a cut prefix, a cut message") {
  CHECK(UnaryMessageReader("").finish().error().code == Code::Internal);
  UnaryMessageReader cut_prefix("");
  cut_prefix.feed(std::string("\0\0", 2));
  CHECK(cut_prefix.finish().error().code == Code::Internal);
  UnaryMessageReader cut_message("");
  cut_message.feed(prefix(0, 10) + "abc");
  CHECK(cut_message.finish().error().code == Code::Internal);
}
