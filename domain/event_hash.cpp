#include "domain/event_hash.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace mu::domain {

namespace {

void put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ',';
}

void encode_into(std::string& out, const HashedFields& f) {
  out.clear();
  put(out, f.aggregate_type);
  put(out, f.aggregate_id);
  put(out, std::to_string(f.sequence));
  put(out, f.event_type);
  put(out, std::to_string(f.revision));
  put(out, f.payload);
  put(out, f.creator);
  put(out, f.owner);
  put(out, std::to_string(f.created_us));
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
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char c : h) {
    out += kHex[c >> 4];
    out += kHex[c & 0x0f];
  }
  return out;
}

bool from_hex(std::string_view hex, Hash& out) {
  if (hex.size() != 64) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

}  // namespace mu::domain
