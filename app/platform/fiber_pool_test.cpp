#include "app/platform/fiber_pool.hpp"

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "app/platform/off_io_thread.hpp"
#include "eventstore/cooperative_wait.hpp"

using mu::platform::DbSession;
using mu::platform::FiberPool;

namespace {

// Jobs here never touch their session, so no database is needed (sessions connect lazily).
constexpr const char* kNoDatabase = "postgresql://unused@127.0.0.1:1/none";

// The I/O context on one thread of its own, as the server runs it.
struct IoThread {
  boost::asio::io_context io{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard =
      boost::asio::make_work_guard(io);
  std::thread thread{[this] { io.run(); }};
  void finish() {
    guard.reset();
    if (thread.joinable()) thread.join();
  }
  ~IoThread() { finish(); }
};

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { REQUIRE(::pipe(fds) == 0); }
  ~Pipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
};

// Waits (at most 10 s) until `done` holds: a pool that loses a job fails the test, not hangs it.
template <class Pred>
bool eventually(Pred done) {
  for (int i = 0; i < 10000 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

}  // namespace

TEST_CASE("a session waiting in poll() frees its thread for the other sessions") {
  IoThread io;  // one thread: had the wait blocked it, the writer could never run
  FiberPool pool(io.io, kNoDatabase, 2, 1, 8);
  Pipe pipe;
  std::vector<std::string> order;  // touched by the one I/O thread only
  std::atomic<int> done{0};
  int waited = -1;
  short revents = 0;
  ssize_t wrote = 0;
  REQUIRE(pool.try_submit([&](DbSession&) {
    order.push_back("reader waits");
    pollfd p{pipe.fds[0], POLLIN, 0};
    waited = ::poll(&p, 1, 10000);
    revents = p.revents;
    order.push_back("reader woke");
    ++done;
  }));
  REQUIRE(pool.try_submit([&](DbSession&) {
    order.push_back("writer writes");
    wrote = ::write(pipe.fds[1], "x", 1);
    ++done;
  }));
  REQUIRE(eventually([&] { return done >= 2; }));
  pool.stop();
  io.finish();
  CHECK(wrote == 1);
  CHECK(waited == 1);
  CHECK((revents & POLLIN) != 0);
  CHECK(order == std::vector<std::string>{"reader waits", "writer writes", "reader woke"});
}

TEST_CASE("a session's poll() times out as poll() does, and pause_for sleeps the fiber alone") {
  IoThread io;
  FiberPool pool(io.io, kNoDatabase, 2, 1, 8);
  Pipe pipe;
  std::atomic<int> done{0};
  int waited = -1;
  std::atomic<bool> slept{false};
  std::atomic<bool> ran_while_asleep{false};
  REQUIRE(pool.try_submit([&](DbSession&) {
    pollfd p{pipe.fds[0], POLLIN, 0};
    waited = ::poll(&p, 1, 30);  // nothing is ever written
    mu::eventstore::pause_for(std::chrono::milliseconds(200));
    slept = true;
    ++done;
  }));
  REQUIRE(pool.try_submit([&](DbSession&) {
    mu::eventstore::pause_for(std::chrono::milliseconds(50));
    ran_while_asleep = !slept;
    ++done;
  }));
  REQUIRE(eventually([&] { return done >= 2; }));
  pool.stop();
  CHECK(waited == 0);
  CHECK(ran_while_asleep);
}

TEST_CASE("outside a session poll() is the system's") {
  Pipe pipe;
  REQUIRE(::write(pipe.fds[1], "x", 1) == 1);
  pollfd p{pipe.fds[0], POLLIN, 0};
  CHECK(::poll(&p, 1, 1000) == 1);
  CHECK((p.revents & POLLIN) != 0);
  pollfd q{pipe.fds[1], POLLIN, 0};
  CHECK(::poll(&q, 1, 10) == 0);
}

TEST_CASE("a full fiber pool refuses at once, and queued jobs still run at stop") {
  IoThread io;
  FiberPool pool(io.io, kNoDatabase, 1, 1, 2);
  Pipe gate;
  std::atomic<bool> started{false};
  REQUIRE(pool.try_submit([&](DbSession&) {
    started = true;
    pollfd p{gate.fds[0], POLLIN, 0};
    (void)::poll(&p, 1, 10000);  // the one session is busy until the gate opens
  }));
  REQUIRE(eventually([&] { return started.load(); }));

  std::atomic<int> ran{0};
  CHECK(pool.try_submit([&](DbSession&) { ++ran; }));
  CHECK(pool.try_submit([&](DbSession&) { ++ran; }));
  CHECK_FALSE(pool.try_submit([&](DbSession&) { ++ran; }));  // capacity 2: refused, not run
  CHECK(pool.queued() == 2);
  CHECK(pool.busy() == 1);

  REQUIRE(::write(gate.fds[1], "x", 1) == 1);
  pool.stop();
  CHECK(ran == 2);
  CHECK_FALSE(pool.try_submit([&](DbSession&) { ++ran; }));  // stopped
}

TEST_CASE("a fiber pool stops after its I/O thread has returned") {
  auto io = std::make_unique<IoThread>();
  FiberPool pool(io->io, kNoDatabase, 3, 2, 8);
  std::atomic<int> ran{0};
  REQUIRE(pool.try_submit([&](DbSession&) { ++ran; }));
  REQUIRE(eventually([&] { return ran >= 1; }));
  io->finish();  // the context's thread is gone, as after the server's drain
  REQUIRE(pool.try_submit([&](DbSession&) { ++ran; }));
  pool.stop();  // runs the context itself until the job ran and every fiber ended
  CHECK(ran == 2);
}

TEST_CASE("a job that throws does not take its fiber down") {
  IoThread io;
  FiberPool pool(io.io, kNoDatabase, 1, 1, 8);
  REQUIRE(pool.try_submit([](DbSession&) { throw std::runtime_error("boom"); }));
  std::atomic<int> after{0};
  REQUIRE(pool.try_submit([&](DbSession&) { after = 42; }));
  pool.stop();
  CHECK(after == 42);
}

TEST_CASE("sessions may wait inside catch blocks, each keeping its own exception") {
  IoThread io;
  FiberPool pool(io.io, kNoDatabase, 2, 1, 8);
  Pipe to_first, to_second;
  std::atomic<int> done{0};
  std::string first_rethrew, second_rethrew;
  auto wait_on = [](Pipe& p) {
    pollfd f{p.fds[0], POLLIN, 0};
    (void)::poll(&f, 1, 10000);
  };
  // The catch blocks interleave, not nest: the first ends its own while the second is still
  // in its. With one exception state per thread, the first would rethrow the second's.
  REQUIRE(pool.try_submit([&](DbSession&) {
    try {
      throw std::runtime_error("first");
    } catch (const std::exception&) {
      wait_on(to_first);
      try {
        throw;
      } catch (const std::exception& again) {
        first_rethrew = again.what();
      }
    }
    (void)::write(to_second.fds[1], "x", 1);
    ++done;
  }));
  REQUIRE(pool.try_submit([&](DbSession&) {
    try {
      throw std::logic_error("second");
    } catch (const std::exception&) {
      (void)::write(to_first.fds[1], "x", 1);
      wait_on(to_second);
      try {
        throw;
      } catch (const std::exception& again) {
        second_rethrew = again.what();
      }
    }
    ++done;
  }));
  REQUIRE(eventually([&] { return done >= 2; }));
  pool.stop();
  CHECK(first_rethrew == "first");
  CHECK(second_rethrew == "second");
}

TEST_CASE("work sent off the I/O thread runs while the thread serves other sessions") {
  IoThread io;  // one thread: had the work run on it, the other session could not set the flag
  FiberPool pool(io.io, kNoDatabase, 2, 1, 8);
  std::atomic<bool> other_ran{false};
  std::atomic<int> done{0};
  int result = 0;
  bool saw_other = false;
  REQUIRE(pool.try_submit([&](DbSession&) {
    result = mu::platform::off_io_thread([&] {
      for (int i = 0; i < 10000 && !other_ran; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      saw_other = other_ran;
      return 42;
    });
    ++done;
  }));
  REQUIRE(pool.try_submit([&](DbSession&) {
    other_ran = true;
    ++done;
  }));
  REQUIRE(eventually([&] { return done >= 2; }));
  pool.stop();
  CHECK(result == 42);
  CHECK(saw_other);
}

TEST_CASE("work sent off the I/O thread passes its exception back") {
  IoThread io;
  FiberPool pool(io.io, kNoDatabase, 1, 1, 8);
  std::atomic<int> done{0};
  std::string message;
  REQUIRE(pool.try_submit([&](DbSession&) {
    try {
      mu::platform::run_off_io_thread([] { throw std::runtime_error("no key today"); });
    } catch (const std::runtime_error& e) {
      message = e.what();
    }
    ++done;
  }));
  REQUIRE(eventually([&] { return done >= 1; }));
  pool.stop();
  CHECK(message == "no key today");
  // Outside a fiber it simply runs here.
  CHECK(mu::platform::off_io_thread([] { return 7; }) == 7);
}
