#include "app/platform/fiber_pool.hpp"

#include <poll.h>
#include <unistd.h>

#include <cxxabi.h>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

#if MU_FIBER_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#if MU_FIBER_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#include "app/platform/log.hpp"
#include "eventstore/cooperative_wait.hpp"

namespace mu::platform {

namespace asio = boost::asio;
namespace bctx = boost::context;

namespace {

// libpqxx, protobuf and our own frames stay well under this; a guard page below it turns an
// overflow into a crash instead of a silent overwrite. Pages never touched cost no memory.
constexpr std::size_t kFiberStack = 256 * 1024;

using Strand = asio::strand<asio::io_context::executor_type>;

// The C++ runtime's exception state is per thread (the Itanium ABI's __cxa_eh_globals: the
// exceptions being handled, and the count of those in flight). A fiber may wait for
// PostgreSQL inside a catch block, or in a destructor during unwinding (libpqxx rolls back
// there), while another fiber on the thread throws and catches: each fiber keeps its own
// state, swapped in and out around every switch, as userver's coroutines do.
struct EhGlobals {
  void* caught_exceptions = nullptr;
  unsigned int uncaught_exceptions = 0;
};

// This thread's: cxxabi.h declares the type without its fields, which the ABI fixes.
EhGlobals& thread_eh_globals() {
  return *reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals());
}

// The fiber's stack, as Boost.Context's guarded allocator makes it, with its bounds noted for
// the sanitizers (FiberSwitch below).
struct NotedStack {
  bctx::stack_context* noted;
  bctx::protected_fixedsize_stack inner{kFiberStack};
  bctx::stack_context allocate() {
    *noted = inner.allocate();
    return *noted;
  }
  void deallocate(bctx::stack_context& stack) noexcept { inner.deallocate(stack); }
};

// What the sanitizers must be told at each stack switch (none in the plain build): ASan which
// stack the thread is on now (else it takes the fiber's frames for a stack overflow or misses
// its use-after-return checks), TSan which fiber runs (else the fibers' accesses on one thread
// look like one thread's). The scheduler side is Fiber::resume; the fiber side arrives (first
// thing on entry and after every suspension) and leaves (before suspending and at its end).
class FiberSwitch {
 public:
  FiberSwitch() {
#if MU_FIBER_TSAN
    fiber_ = __tsan_create_fiber(0);
#endif
  }
  ~FiberSwitch() {
#if MU_FIBER_TSAN
    __tsan_destroy_fiber(fiber_);
#endif
  }
  FiberSwitch(const FiberSwitch&) = delete;
  FiberSwitch& operator=(const FiberSwitch&) = delete;

  bctx::stack_context stack;  // noted by NotedStack

  // On the scheduler's side, around the switch into the fiber and back.
  void entering([[maybe_unused]] void** scheduler_fake_stack) {
#if MU_FIBER_ASAN
    __sanitizer_start_switch_fiber(scheduler_fake_stack, static_cast<char*>(stack.sp) - stack.size,
                                   stack.size);
#endif
#if MU_FIBER_TSAN
    caller_ = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(fiber_, 0);
#endif
  }
  void returned([[maybe_unused]] void* scheduler_fake_stack) {
#if MU_FIBER_ASAN
    __sanitizer_finish_switch_fiber(scheduler_fake_stack, nullptr, nullptr);
#endif
  }

  // On the fiber's side.
  void arrived() {
#if MU_FIBER_ASAN
    __sanitizer_finish_switch_fiber(fake_stack_, &caller_bottom_, &caller_size_);
#endif
  }
  void leaving([[maybe_unused]] bool for_good) {
#if MU_FIBER_ASAN
    __sanitizer_start_switch_fiber(for_good ? nullptr : &fake_stack_, caller_bottom_, caller_size_);
#endif
#if MU_FIBER_TSAN
    __tsan_switch_to_fiber(caller_, 0);
#endif
  }

 private:
#if MU_FIBER_ASAN
  void* fake_stack_ = nullptr;
  const void* caller_bottom_ = nullptr;
  std::size_t caller_size_ = 0;
#endif
#if MU_FIBER_TSAN
  void* fiber_ = nullptr;
  void* caller_ = nullptr;
#endif
};

}  // namespace

struct FiberPool::Shard {
  Shard(asio::io_context& io, std::size_t cap)
      : context(io), strand(asio::make_strand(io)), capacity(cap) {}

  asio::io_context& context;
  Strand strand;
  const std::size_t capacity;
  std::mutex mutex;  // queue, idle, stopping
  std::deque<Job> queue;
  std::vector<Fiber*> idle;  // suspended with nothing to do; resumed by whoever takes one out
  bool stopping = false;
  std::vector<std::unique_ptr<Fiber>> fibers;
};

struct FiberPool::Fiber final : eventstore::Waiter {
  Fiber(FiberPool& p, Shard& s, std::string u, std::string r)
      : pool(p), shard(s), url(std::move(u)), read_url(std::move(r)), timer(s.strand) {
    self =
        bctx::fiber(std::allocator_arg, NotedStack{&switches.stack}, [this](bctx::fiber&& caller) {
          switches.arrived();
          back = std::move(caller);
          body();
          switches.leaving(/*for_good=*/true);
          return std::move(back);
        });
  }

  // On the shard's strand: runs the fiber until it waits, idles or ends.
  void resume() {
    eventstore::Waiter* before = eventstore::exchange_waiter(this);
    EhGlobals& thread_eh = thread_eh_globals();
    std::swap(thread_eh, eh);
    void* scheduler_fake_stack = nullptr;
    switches.entering(&scheduler_fake_stack);
    self = std::move(self).resume();
    switches.returned(scheduler_fake_stack);
    std::swap(thread_eh, eh);
    eventstore::exchange_waiter(before);
    if (!self) --pool.live_;
  }

  // In the fiber: back to whoever resumed it. Whatever resumes it later must have been
  // arranged before (a handler bound to the strand, or the fiber put on the idle list); the
  // strand keeps that from running before this returns.
  void suspend() {
    switches.leaving(/*for_good=*/false);
    back = std::move(back).resume();
    switches.arrived();
  }

  void body() {
    DbSession session(url, read_url);  // connects on first use, reconnects after a loss
    for (;;) {
      Job job;
      {
        std::unique_lock lock(shard.mutex);
        while (shard.queue.empty()) {
          if (shard.stopping) return;
          shard.idle.push_back(this);
          lock.unlock();
          suspend();
          lock.lock();
        }
        job = std::move(shard.queue.front());
        shard.queue.pop_front();
        ++pool.busy_;
      }
      try {
        session.drop_if_closed_by_server();
        job(session);
      } catch (const std::exception& e) {
        // Jobs answer their own errors; this is a last line of defence.
        log_error("database job failed", e.what());
      }
      --pool.busy_;
    }
  }

  // libpq's wait for its socket: registered with the I/O context for this one wait, and let
  // go (not closed: it stays libpq's) before libpq has it back. libpq closes its socket
  // when it gives a connection up; a registration kept across waits would then hold a
  // duplicate open (keeping a connection to an abandoned host alive) or name a number
  // that another socket may have taken since. One registration more per wait is the price.
  int wait_fd(int fd, short events, int timeout_ms) override {
    asio::posix::stream_descriptor descriptor(shard.strand);
    boost::system::error_code ec;
    descriptor.assign(fd, ec);
    if (ec) {
      errno = ec.value();
      return -1;
    }
    struct Released {
      asio::posix::stream_descriptor& d;
      ~Released() { d.release(); }
    } released{descriptor};

    struct Wait {
      int pending = 0;
      short got = 0;
    } wait;
    // Each handler runs on the strand; the first to see the socket ready (or the timer
    // expire) cancels the rest, and the last one resumes the fiber.
    auto handler = [this, &wait, &descriptor](short bit) {
      return asio::bind_executor(shard.strand,
                                 [this, &wait, &descriptor, bit](boost::system::error_code ec) {
                                   --wait.pending;
                                   if (ec != asio::error::operation_aborted) {
                                     // An error on the socket is for libpq to find by reading it.
                                     wait.got |= ec ? static_cast<short>(POLLERR) : bit;
                                     if (wait.pending > 0) {
                                       boost::system::error_code ignored;
                                       descriptor.cancel(ignored);
                                       timer.cancel();
                                     }
                                   }
                                   if (wait.pending == 0) resume();
                                 });
    };
    if (events & POLLIN) {
      ++wait.pending;
      descriptor.async_wait(asio::posix::descriptor_base::wait_read, handler(POLLIN));
    }
    if (events & POLLOUT) {
      ++wait.pending;
      descriptor.async_wait(asio::posix::descriptor_base::wait_write, handler(POLLOUT));
    }
    if (wait.pending == 0) return 0;
    if (timeout_ms >= 0) {
      ++wait.pending;
      timer.expires_after(std::chrono::milliseconds(timeout_ms));
      timer.async_wait(handler(0));
    }
    suspend();
    return wait.got;
  }

  void sleep(std::chrono::microseconds duration) override {
    timer.expires_after(duration);
    timer.async_wait(
        asio::bind_executor(shard.strand, [this](boost::system::error_code) { resume(); }));
    suspend();
  }

  FiberPool& pool;
  Shard& shard;
  const std::string url;
  const std::string read_url;
  FiberSwitch switches;  // before the fiber: its stack is noted there
  bctx::fiber self;      // the fiber, while it is suspended
  bctx::fiber back;      // who resumed it, while it runs
  EhGlobals eh;          // its exception state, while it is suspended
  asio::steady_timer timer;
};

FiberPool::FiberPool(std::vector<asio::io_context*> contexts, std::string database_url,
                     int sessions, std::size_t queue_capacity, std::string read_url) {
  if (contexts.empty()) throw std::invalid_argument("FiberPool: no I/O context");
  sessions = std::max(1, sessions);
  // No shard without a session of its own.
  contexts.resize(std::min(contexts.size(), static_cast<std::size_t>(sessions)));
  const std::size_t per_shard = (queue_capacity + contexts.size() - 1) / contexts.size();
  for (auto* context : contexts) shards_.push_back(std::make_unique<Shard>(*context, per_shard));
  for (int i = 0; i < sessions; ++i) {
    Shard& shard = *shards_[static_cast<std::size_t>(i) % shards_.size()];
    shard.fibers.push_back(std::make_unique<Fiber>(*this, shard, database_url, read_url));
    ++live_;
    // The fiber's first run puts it on the idle list.
    asio::post(shard.strand, [fiber = shard.fibers.back().get()] { fiber->resume(); });
  }
}

FiberPool::~FiberPool() {
  stop();
}

bool FiberPool::try_submit(Job job) {
  const std::size_t n = shards_.size();
  // The submitting thread's own shard first (the one whose context it is running), so that
  // the call does not change threads; else (a thread outside the pool) round robin.
  std::size_t first = n;
  for (std::size_t i = 0; i < n && first == n; ++i) {
    if (shards_[i]->context.get_executor().running_in_this_thread()) first = i;
  }
  if (first == n) first = next_.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < n; ++i) {
    Shard& shard = *shards_[(first + i) % n];
    Fiber* wake = nullptr;
    {
      std::lock_guard lock(shard.mutex);
      if (shard.stopping) return false;
      if (shard.queue.size() >= shard.capacity) continue;
      shard.queue.push_back(std::move(job));
      if (!shard.idle.empty()) {
        wake = shard.idle.back();
        shard.idle.pop_back();
      }
    }
    if (wake) asio::post(shard.strand, [wake] { wake->resume(); });
    return true;
  }
  return false;
}

std::size_t FiberPool::queued() {
  std::size_t total = 0;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    total += shard->queue.size();
  }
  return total;
}

void FiberPool::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& shard : shards_) {
    std::vector<Fiber*> idle;
    {
      std::lock_guard lock(shard->mutex);
      shard->stopping = true;
      idle.swap(shard->idle);
    }
    for (Fiber* fiber : idle) asio::post(shard->strand, [fiber] { fiber->resume(); });
  }
  // Fibers still at work end when the queue is empty; they need their I/O contexts to get
  // there. When the contexts' threads have returned, this thread runs them.
  while (live_ > 0) {
    std::size_t ran = 0;
    for (auto& shard : shards_) {
      if (shard->context.stopped()) shard->context.restart();
      ran += shard->context.poll();
    }
    if (ran == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace mu::platform
