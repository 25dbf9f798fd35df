#include "app/commands/write_model_cache.hpp"

#include <catch2/catch.hpp>

using mu::commands::WriteModelCache;

namespace {

WriteModelCache<std::string>::Entry at(std::uint64_t sequence, std::string state) {
  WriteModelCache<std::string>::Entry e{std::move(state), {}};
  e.head.sequence = sequence;
  e.head.snapshot = {{"big", "snapshot"}};
  return e;
}

}  // namespace

TEST_CASE("write-model cache: remembers, keeps the later sequence, forgets") {
  WriteModelCache<std::string> cache(8);
  CHECK_FALSE(cache.find("a"));
  cache.remember("a", at(2, "two"));
  REQUIRE(cache.find("a"));
  CHECK(cache.find("a")->state == "two");
  CHECK(cache.find("a")->head.snapshot.is_null());  // the state is the snapshot
  cache.remember("a", at(1, "one"));                // a worker that finished late
  CHECK(cache.find("a")->state == "two");
  cache.remember("a", at(3, "three"));
  CHECK(cache.find("a")->head.sequence == 3);
  cache.forget("a");
  CHECK_FALSE(cache.find("a"));
  CHECK(cache.size() == 0);
}

TEST_CASE("write-model cache: bounded, the least recently used goes first") {
  WriteModelCache<std::string> cache(2);
  cache.remember("a", at(1, "a"));
  cache.remember("b", at(1, "b"));
  REQUIRE(cache.find("a"));  // a is now more recent than b
  cache.remember("c", at(1, "c"));
  CHECK(cache.size() == 2);
  CHECK(cache.find("a"));
  CHECK_FALSE(cache.find("b"));
  CHECK(cache.find("c"));

  WriteModelCache<std::string> off(0);
  off.remember("a", at(1, "a"));
  CHECK_FALSE(off.find("a"));
}
