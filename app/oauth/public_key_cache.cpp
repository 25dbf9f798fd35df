#include "app/oauth/public_key_cache.hpp"

#include <mutex>
#include <unordered_map>

namespace mu::oauth {

namespace {

constexpr std::size_t kMaxKeys = 4096;

std::mutex keys_mutex;
std::unordered_map<std::string, domain::RsaKey>& keys() {
  static std::unordered_map<std::string, domain::RsaKey> map;
  return map;
}

}  // namespace

domain::Expected<domain::RsaKey, domain::KeyError> cached_public_key(const std::string& pem) {
  {
    std::lock_guard lock(keys_mutex);
    const auto it = keys().find(pem);
    if (it != keys().end()) return it->second;
  }
  // Parsed outside the lock: two threads may both parse a new key; the second insert is a
  // no-op.
  auto key = domain::RsaKey::parse_public_pem(pem);
  if (!key.ok()) return key;
  std::lock_guard lock(keys_mutex);
  if (keys().size() >= kMaxKeys) keys().clear();
  keys().emplace(pem, *key);
  return key;
}

}  // namespace mu::oauth
