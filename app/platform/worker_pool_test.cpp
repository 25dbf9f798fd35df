#include "app/platform/worker_pool.hpp"

#include <catch2/catch.hpp>
#include <future>

using mu::platform::DbSession;
using mu::platform::WorkerPool;

// Jobs here never touch their session, so no database is needed: the session
// connects lazily, on first use.
TEST_CASE("a full queue refuses at once, and queued jobs still run at stop") {
  WorkerPool pool("postgresql://unused@127.0.0.1:1/none", 1, 2);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  REQUIRE(pool.try_submit([&](DbSession&) {
    started.set_value();
    gate.wait();  // the one worker is busy
  }));
  started.get_future().wait();

  std::atomic<int> ran{0};
  CHECK(pool.try_submit([&](DbSession&) { ++ran; }));
  CHECK(pool.try_submit([&](DbSession&) { ++ran; }));
  CHECK_FALSE(pool.try_submit([&](DbSession&) { ++ran; }));  // capacity 2: refused, not run

  release.set_value();
  pool.stop();
  CHECK(ran == 2);
  CHECK_FALSE(pool.try_submit([&](DbSession&) { ++ran; }));  // stopped
}

TEST_CASE("a job that throws does not take its worker down") {
  WorkerPool pool("postgresql://unused@127.0.0.1:1/none", 1, 8);
  REQUIRE(pool.try_submit([](DbSession&) { throw std::runtime_error("boom"); }));
  std::promise<int> after;
  REQUIRE(pool.try_submit([&](DbSession&) { after.set_value(42); }));
  CHECK(after.get_future().get() == 42);
}
