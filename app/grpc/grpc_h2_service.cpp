#include "app/grpc/grpc_h2_service.hpp"

#include <cctype>

#include "app/grpc/unary_message_reader.hpp"
#include "domain/base64url.hpp"

namespace mu::grpc {

namespace {

// A refusal before any call: the transport's own, answered and not logged as a call
// (as gRPC-Web's HTTP-level refusals are).
http::H2Response transport_refusal(int http_status, domain::Code code, const std::string& message) {
  http::H2Response r;
  r.status = http_status;
  r.headers = {{"content-type", "application/grpc"},
               {"grpc-status", std::to_string(static_cast<int>(code))},
               {"grpc-message", percent_encode_grpc_message(message)}};
  return r;
}

class Stream final : public http::H2Stream {
 public:
  Stream(GrpcH2Service& service, GrpcCall call, std::string_view encoding,
         http::H2Responder respond)
      : service_(service),
        call_(std::move(call)),
        reader_(encoding),
        respond_(std::move(respond)) {}

  ~Stream() override { service_.release(held_); }

  void on_data(std::string_view bytes) override {
    if (done_) return;  // refused already: what still comes is dropped
    if (!service_.reserve(bytes.size())) {
      return refuse(domain::Error{domain::Code::ResourceExhausted, "",
                                  "grpc: the server holds too many request bytes; try again"});
    }
    held_ += bytes.size();
    if (auto e = reader_.feed(bytes)) return refuse(std::move(*e));
    // The reader keeps the message, not the bytes it has looked at and dropped.
    const std::size_t kept = reader_.buffered();
    if (kept < held_) {
      service_.release(held_ - kept);
      held_ = kept;
    }
  }

  void on_end() override {
    if (done_) return;
    auto message = reader_.finish();
    if (message.ok()) {
      call_.message = std::move(*message);
    } else {
      call_.refused = message.error();
    }
    run();
  }

 private:
  void refuse(domain::Error e) {
    call_.refused = std::move(e);
    run();
  }

  void run() {
    done_ = true;
    service_.release(held_);
    held_ = 0;
    service_.calls()(std::move(call_), [respond = std::move(respond_)](GrpcReply reply) {
      respond(h2_response_of(reply));
    });
  }

  GrpcH2Service& service_;
  GrpcCall call_;
  UnaryMessageReader reader_;
  http::H2Responder respond_;
  std::size_t held_ = 0;  // bytes counted against the service's budget
  bool done_ = false;
};

// A stream that was answered at its headers: whatever it sends is dropped.
class Refused final : public http::H2Stream {
 public:
  void on_data(std::string_view) override {}
  void on_end() override {}
};

}  // namespace

bool GrpcH2Service::reserve(std::size_t n) {
  if (buffered_.fetch_add(n) + n > budget_) {
    buffered_.fetch_sub(n);
    return false;
  }
  return true;
}

std::unique_ptr<http::H2Stream> GrpcH2Service::open(http::H2Fields headers,
                                                    http::H2Responder respond) {
  const std::string* method = http::find_field(headers, ":method");
  if (!method || *method != "POST") {
    http::H2Response r;
    r.status = 405;
    r.headers = {{"content-type", "text/plain; charset=utf-8"}, {"allow", "POST"}};
    r.body = "gRPC requires POST\n";
    respond(std::move(r));
    return std::make_unique<Refused>();
  }
  // What grpc-go answers a content type it does not speak: 415 with InvalidArgument.
  const std::string* type = http::find_field(headers, "content-type");
  const std::string media = type ? header_token(*type) : std::string();
  if (media != "application/grpc" && media != "application/grpc+proto") {
    respond(transport_refusal(
        415, domain::Code::InvalidArgument,
        "invalid gRPC request content-type \"" + (type ? *type : std::string()) + "\""));
    return std::make_unique<Refused>();
  }

  GrpcCall call;
  call.transport = "grpc";
  std::string encoding;
  for (auto& [name, value] : headers) {
    if (name == ":path") {
      call.path = std::move(value);
    } else if (name == "grpc-encoding") {
      encoding = std::move(value);
    } else if (name == "authorization" || name == "x-zitadel-orgid" || name == "x-request-id" ||
               name == "if-match" || name == "idempotency-key") {
      call.metadata[name] = std::move(value);
    }
  }
  return std::make_unique<Stream>(*this, std::move(call), encoding, std::move(respond));
}

http::H2Response h2_response_of(const GrpcReply& reply) {
  http::H2Response r;
  r.headers.emplace_back("content-type", "application/grpc");
  r.headers.emplace_back("grpc-accept-encoding", "gzip");
  for (const auto& [name, value] : reply.headers) r.headers.emplace_back(name, value);
  if (reply.status.code == domain::Code::Ok) {
    const auto n = static_cast<std::uint32_t>(reply.message.size());
    r.body.reserve(5 + reply.message.size());
    r.body.push_back('\0');
    for (int shift : {24, 16, 8, 0}) r.body.push_back(static_cast<char>((n >> shift) & 0xff));
    r.body += reply.message;
    r.trailers = {{"grpc-status", "0"}};
    return r;
  }
  // Trailers-Only: the status in the one header block.
  r.headers.emplace_back("grpc-status", std::to_string(static_cast<int>(reply.status.code)));
  r.headers.emplace_back("grpc-message", percent_encode_grpc_message(reply.status.message));
  if (reply.status.details_bin) {
    std::string b64 = domain::base64_encode(*reply.status.details_bin);
    while (!b64.empty() && b64.back() == '=') b64.pop_back();  // -bin values go unpadded
    r.headers.emplace_back("grpc-status-details-bin", std::move(b64));
  }
  return r;
}

}  // namespace mu::grpc
