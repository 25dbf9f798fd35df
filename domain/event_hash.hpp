// The tamper evidence's arithmetic, pure (OpenSSL for SHA-256): the canonical encoding
// of an event and its chained hash, as migrations/0009_event_hashes.sql defines them, and
// the running digest a seal signs. `audit verify` recomputes both here, trusting neither
// the database's function nor its stored values.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace mu::domain {

using Hash = std::array<unsigned char, 32>;

// The fields an event's hash covers, as the database holds them (payload: jsonb's text).
struct HashedFields {
  std::string_view aggregate_type;
  std::string_view aggregate_id;
  std::uint64_t sequence = 0;
  std::string_view event_type;
  int revision = 1;
  std::string_view payload;
  std::string_view creator;
  std::string_view owner;
  long long created_us = 0;  // microseconds since the Unix epoch
  std::string_view rpc;
  std::string_view transport;
  std::string_view request_id;
};

// Each field as a netstring (<byte length>:<bytes>,) in the order above.
std::string canonical_encoding(const HashedFields& f);

// SHA-256, reusing one OpenSSL context (not thread-safe: one per thread).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void begin();
  void add(std::string_view bytes);
  void add(const Hash& h) { add(std::string_view(reinterpret_cast<const char*>(h.data()), 32)); }
  Hash end();

  // SHA-256(canonical_encoding(f) || prev); `prev` is empty for a stream's first event.
  Hash event_hash(const HashedFields& f, std::string_view prev);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string buffer_;
};

std::string to_hex(const Hash& h);
// 64 hex digits; false when `hex` is anything else.
bool from_hex(std::string_view hex, Hash& out);
inline std::string_view bytes_of(const Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

}  // namespace mu::domain
