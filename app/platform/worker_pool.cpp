#include "app/platform/worker_pool.hpp"

#include "app/platform/log.hpp"

namespace mu::platform {

WorkerPool::WorkerPool(std::string database_url, int threads, std::size_t queue_capacity,
                       std::string read_url)
    : url_(std::move(database_url)), read_url_(std::move(read_url)), capacity_(queue_capacity) {
  threads_.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
  stop();
}

bool WorkerPool::try_submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= capacity_) return false;
    queue_.push_back(std::move(job));
  }
  ready_.notify_one();
  return true;
}

std::size_t WorkerPool::queued() {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void WorkerPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void WorkerPool::work() {
  DbSession session(url_, read_url_);  // connects on first use, reconnects after a loss
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to do
      job = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
    }
    try {
      session.drop_if_closed_by_server();
      job(session);
    } catch (const std::exception& e) {
      // Jobs answer their own errors; this is a last line of defence.
      log_error("worker job failed", e.what());
    }
    --busy_;
  }
}

}  // namespace mu::platform
