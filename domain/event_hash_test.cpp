#include "domain/event_hash.hpp"

#include <catch2/catch.hpp>

#include "domain/sha256.hpp"

using namespace mu::domain;

namespace {

HashedFields sample() {
  HashedFields f;
  f.aggregate_type = "user";
  f.aggregate_id = "42";
  f.sequence = 3;
  f.event_type = "user.machine.changed";
  f.payload = R"({"name": "Zoë"})";
  f.creator = "7";
  f.owner = "org1";
  f.created_us = 1795860000123456;
  f.rpc = "zitadel.management.v1.ManagementService/UpdateMachine";
  f.transport = "rest";
  f.request_id = "r-1";
  return f;
}

}  // namespace

TEST_CASE("an event's canonical encoding: each field a netstring of its UTF-8 bytes") {
  CHECK(canonical_encoding(sample()) ==
        "4:user,2:42,1:3,20:user.machine.changed,1:1,16:{\"name\": \"Zoë\"},1:7,4:org1,"
        "16:1795860000123456,53:zitadel.management.v1.ManagementService/UpdateMachine,4:rest,"
        "3:r-1,");
  // No field can run into the next: moving a character across a boundary changes it.
  auto a = sample(), b = sample();
  a.aggregate_id = "42";
  a.creator = "7";
  b.aggregate_id = "427";
  b.creator = "";
  CHECK(canonical_encoding(a) != canonical_encoding(b));
}

TEST_CASE("an event's hash is SHA-256 over its encoding and the previous hash") {
  Sha256 sha;
  const auto f = sample();
  const auto first = sha.event_hash(f, "");
  CHECK(to_hex(first) == sha256_hex(canonical_encoding(f)));
  const auto second = sha.event_hash(f, bytes_of(first));
  CHECK(to_hex(second) == sha256_hex(canonical_encoding(f) + std::string(bytes_of(first))));
  CHECK(second != first);
  // Any field changes it.
  auto g = f;
  g.payload = R"({"name": "Zoe"})";
  CHECK(sha.event_hash(g, "") != first);
  g = f;
  g.created_us += 1;
  CHECK(sha.event_hash(g, "") != first);
}

TEST_CASE("hashes read back from hex") {
  Sha256 sha;
  const auto h = sha.event_hash(sample(), "");
  Hash back{};
  REQUIRE(from_hex(to_hex(h), back));
  CHECK(back == h);
  CHECK_FALSE(from_hex("abc", back));
  CHECK_FALSE(from_hex(std::string(64, 'g'), back));
}
