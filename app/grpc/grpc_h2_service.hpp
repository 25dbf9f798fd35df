// gRPC over HTTP/2 (h2c): each stream of a connection that the HTTP listener
// serves as HTTP/2 is one unary call. Its message is read as it arrives, so that
// an oversized, compressed-without-encoding or second message is refused at once,
// and every stream's buffered bytes count against one budget for the whole server,
// so that many large streams at once cannot exhaust memory. Calls then go through
// GrpcCalls, as gRPC-Web's do.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include "app/grpc/grpc_calls.hpp"
#include "app/http/h2_types.hpp"

namespace mu::grpc {

class GrpcH2Service {
 public:
  // Bytes of request messages held at once, over all streams: past it a stream
  // that needs more is refused with ResourceExhausted.
  static constexpr std::size_t kDefaultMemoryBudget = 64 * 1024 * 1024;

  explicit GrpcH2Service(GrpcCalls& calls, std::size_t memory_budget = kDefaultMemoryBudget)
      : calls_(calls), budget_(memory_budget) {}

  // The H2Handler: a new stream's headers are complete.
  std::unique_ptr<http::H2Stream> open(http::H2Fields headers, http::H2Responder respond);

  // Bytes held for request messages now (for tests and metrics).
  std::size_t buffered() const { return buffered_.load(); }

  bool reserve(std::size_t n);
  void release(std::size_t n) { buffered_.fetch_sub(n); }
  GrpcCalls& calls() { return calls_; }

 private:
  GrpcCalls& calls_;
  const std::size_t budget_;
  std::atomic<std::size_t> buffered_{0};
};

// A reply as HTTP/2 carries it: the message in a data frame and the status in
// trailers, or, for an error, one header block (gRPC's Trailers-Only).
http::H2Response h2_response_of(const GrpcReply& reply);

}  // namespace mu::grpc
