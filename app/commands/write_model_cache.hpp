// Recent write models of one kind of stream, kept in memory by the command runner so that
// a command on a stream it wrote lately is decided without reading the database: the
// append's own statement checks that the stream head is still at the cached sequence and
// hash, so a stale entry (another instance wrote) costs a conflict and a reload, never a
// lost update. Bounded: the least recently used entry goes first. Thread-safe.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "eventstore/event_store.hpp"

namespace mu::commands {

template <class State>
class WriteModelCache {
 public:
  struct Entry {
    State state;
    eventstore::StreamHead head;  // its snapshot left out: `state` is the snapshot
  };

  explicit WriteModelCache(std::size_t capacity) : capacity_(capacity) {}

  std::optional<Entry> find(const std::string& id) {
    std::lock_guard lock(mutex_);
    const auto it = index_.find(id);
    if (it == index_.end()) return std::nullopt;
    order_.splice(order_.begin(), order_, it->second);  // now the most recently used
    return it->second->second;
  }

  // Keeps `entry` unless the cache holds the same stream at a later sequence (two workers
  // finishing out of order).
  void remember(const std::string& id, Entry entry) {
    if (capacity_ == 0) return;
    entry.head.snapshot = nullptr;
    std::lock_guard lock(mutex_);
    if (const auto it = index_.find(id); it != index_.end()) {
      if (it->second->second.head.sequence > entry.head.sequence) return;
      it->second->second = std::move(entry);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    order_.emplace_front(id, std::move(entry));
    index_.emplace(id, order_.begin());
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }

  void forget(const std::string& id) {
    std::lock_guard lock(mutex_);
    if (const auto it = index_.find(id); it != index_.end()) {
      order_.erase(it->second);
      index_.erase(it);
    }
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return order_.size();
  }

 private:
  using Order = std::list<std::pair<std::string, Entry>>;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  Order order_;  // most recently used first
  std::unordered_map<std::string, typename Order::iterator> index_;
};

}  // namespace mu::commands
