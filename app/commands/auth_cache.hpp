// Authentications remembered between calls, so that checking a token costs no
// database round trip on every request. Every instance forgets everything when
// a command changes who may call (LISTEN/NOTIFY on kAuthChannel), when its
// listener lost the connection (it may have missed such news), and after a
// minute at the latest. Thread-safe: shared by all workers.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "projections/token_lookup.hpp"

namespace mu::commands {

class AuthCache {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kMaxAge = std::chrono::seconds(60);
  static constexpr std::size_t kMaxEntries = 100'000;

  // A remembered grant, shared and never changed: a call reads it without a copy. Null means
  // "no such token".
  using Grant = std::shared_ptr<const projections::TokenGrant>;

  // The lookup of a token hash as remembered: nullopt when not cached.
  std::optional<Grant> find(const std::string& token_hash);

  // Read before querying the database, passed to remember(): a lookup that
  // overlapped a clear() may have read what the clear was about, so it is not kept.
  std::uint64_t generation();
  void remember(const std::string& token_hash, Grant grant, std::uint64_t generation);

  // Organizations known to exist (they are never removed, so never forgotten but by clear()).
  bool org_known(const std::string& org_id);
  void remember_org(const std::string& org_id);

  void clear();

 private:
  struct Entry {
    Grant grant;
    Clock::time_point at;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> tokens_;
  std::set<std::string> orgs_;
  std::uint64_t generation_ = 0;
};

}  // namespace mu::commands
