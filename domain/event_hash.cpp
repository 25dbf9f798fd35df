#include "domain/event_hash.hpp"

#include <openssl/evp.h>

#include "domain/sha256.hpp"

#include <charconv>
#include <stdexcept>

namespace mu::domain {

namespace {

void put(std::string& out, std::string_view field) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, field.size()).ptr;
  out.append(digits, end);
  out += ':';
  out += field;
  out += ',';
}

void put_number(std::string& out, long long n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  put(out, std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

void encode_into(std::string& out, const HashedFields& f) {
  out.clear();
  put(out, f.aggregate_type);
  put(out, f.aggregate_id);
  put_number(out, static_cast<long long>(f.sequence));
  put(out, f.event_type);
  put_number(out, f.revision);
  put(out, f.payload);
  put(out, f.creator);
  put(out, f.owner);
  put_number(out, f.created_us);
  put(out, f.rpc);
  put(out, f.transport);
  put(out, f.request_id);
}

}  // namespace

std::string canonical_encoding(const HashedFields& f) {
  std::string out;
  encode_into(out, f);
  return out;
}

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  EVP_MD* md = nullptr;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  // Fetched once: EVP_sha256() would look the implementation up on every init.
  impl_->md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!impl_->ctx || !impl_->md) throw std::runtime_error("SHA-256 unavailable");
}

Sha256::~Sha256() {
  EVP_MD_free(impl_->md);
  EVP_MD_CTX_free(impl_->ctx);
}

void Sha256::begin() {
  if (EVP_DigestInit_ex(impl_->ctx, impl_->md, nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
}

void Sha256::add(std::string_view bytes) {
  if (EVP_DigestUpdate(impl_->ctx, bytes.data(), bytes.size()) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
}

Hash Sha256::end() {
  Hash h{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, h.data(), &length) != 1 || length != h.size()) {
    throw std::runtime_error("SHA-256 failed");
  }
  return h;
}

Hash Sha256::event_hash(const HashedFields& f, std::string_view prev) {
  encode_into(buffer_, f);
  begin();
  add(buffer_);
  add(prev);
  return end();
}

std::string to_hex(const Hash& h) {
  return hex(bytes_of(h));
}

namespace {

// Each byte's value as a hex digit, or -1: verify reads two hashes per event.
constexpr std::array<signed char, 256> kNibble = [] {
  std::array<signed char, 256> t{};
  for (auto& v : t) v = -1;
  for (int c = '0'; c <= '9'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<signed char>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<signed char>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<signed char>(c - 'A' + 10);
  return t;
}();

}  // namespace

bool from_hex(std::string_view hex, Hash& out) {
  if (hex.size() != 64) return false;
  int bad = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = kNibble[static_cast<unsigned char>(hex[2 * i])];
    const int lo = kNibble[static_cast<unsigned char>(hex[2 * i + 1])];
    bad |= hi | lo;  // negative when either is no hex digit
    out[i] = static_cast<unsigned char>(((hi & 0x0f) << 4) | (lo & 0x0f));
  }
  return bad >= 0;
}

}  // namespace mu::domain
