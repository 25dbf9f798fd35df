#include "app/runtime/checkpoint_keeper.hpp"

#include <iostream>

#include "app/runtime/db_session.hpp"

namespace mu::runtime {

CheckpointKeeper::CheckpointKeeper(std::string database_url, std::chrono::milliseconds interval)
    : url_(std::move(database_url)), interval_(interval), thread_([this] { run(); }) {}

CheckpointKeeper::~CheckpointKeeper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void CheckpointKeeper::run() {
  DbSession db(url_);
  bool stopping = false;
  while (!stopping) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, interval_, [this] { return stopping_; });
      stopping = stopping_;
    }
    try {
      pqxx::nontransaction tx(db.connection());
      db.users().record_inline_checkpoint(tx);
      db.auth().record_inline_checkpoint(tx);
    } catch (const std::exception& e) {
      // Not fatal: the next round catches up. A lost connection is reopened.
      db.failure(e);
    }
  }
}

}  // namespace mu::runtime
