#include "app/commands/auth_cache.hpp"

namespace mu::commands {

std::optional<AuthCache::Grant> AuthCache::find(const std::string& token_hash) {
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(token_hash);
  if (it == tokens_.end()) return std::nullopt;
  if (Clock::now() - it->second.at > kMaxAge) {
    tokens_.erase(it);
    return std::nullopt;
  }
  return it->second.grant;
}

std::uint64_t AuthCache::generation() {
  std::lock_guard lock(mutex_);
  return generation_;
}

void AuthCache::remember(const std::string& token_hash, Grant grant, std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  if (generation != generation_) return;
  // Garbage tokens must not grow the cache without bound; starting over is cheap.
  if (tokens_.size() >= kMaxEntries) tokens_.clear();
  tokens_[token_hash] = Entry{std::move(grant), Clock::now()};
}

bool AuthCache::org_known(const std::string& org_id) {
  std::lock_guard lock(mutex_);
  return orgs_.count(org_id) > 0;
}

void AuthCache::remember_org(const std::string& org_id) {
  std::lock_guard lock(mutex_);
  if (orgs_.size() >= kMaxEntries) orgs_.clear();
  orgs_.insert(org_id);
}

void AuthCache::clear() {
  std::lock_guard lock(mutex_);
  tokens_.clear();
  orgs_.clear();
  ++generation_;
}

}  // namespace mu::commands
