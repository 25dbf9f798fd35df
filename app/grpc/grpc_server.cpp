#include "app/grpc/grpc_server.hpp"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/server_posix.h>
#include <unistd.h>

#include <stdexcept>

namespace mu::grpc {

namespace {

std::string to_string(const ::grpc::string_ref& s) {
  return std::string(s.data(), s.size());
}

std::string bytes_of(const ::grpc::ByteBuffer& buffer) {
  std::vector<::grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// One unary call on the generic (bidi) API: read the request message, run the
// call, write the response and the status together.
class UnaryReactor final : public ::grpc::ServerGenericBidiReactor {
 public:
  UnaryReactor(::grpc::GenericCallbackServerContext* ctx, GrpcCalls& calls)
      : ctx_(ctx), calls_(calls) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    GrpcCall call;
    call.path = ctx_->method();
    call.transport = "grpc";
    for (const auto& [key, value] : ctx_->client_metadata()) {
      call.metadata.emplace(to_string(key), to_string(value));
    }
    if (ok) {
      call.message = bytes_of(request_);
    } else {
      // The client half-closed without a message.
      call.refused =
          domain::Error{domain::Code::Internal, "", "grpc: the request carries no message"};
    }
    calls_(std::move(call), [this](GrpcReply reply) { answer(std::move(reply)); });
  }

  void OnDone() override { delete this; }

 private:
  // Any thread, once.
  void answer(GrpcReply reply) {
    for (const auto& [name, value] : reply.headers) ctx_->AddInitialMetadata(name, value);
    if (reply.status.code != domain::Code::Ok) {
      return Finish(::grpc::Status(static_cast<::grpc::StatusCode>(reply.status.code),
                                   reply.status.message, reply.status.details_bin.value_or("")));
    }
    ::grpc::Slice slice(reply.message);
    response_ = ::grpc::ByteBuffer(&slice, 1);
    StartWriteAndFinish(&response_, ::grpc::WriteOptions(), ::grpc::Status::OK);
  }

  ::grpc::GenericCallbackServerContext* ctx_;
  GrpcCalls& calls_;
  ::grpc::ByteBuffer request_;
  ::grpc::ByteBuffer response_;
};

class Service final : public ::grpc::CallbackGenericService {
 public:
  explicit Service(GrpcCalls& calls) : calls_(calls) {}
  ::grpc::ServerGenericBidiReactor* CreateReactor(
      ::grpc::GenericCallbackServerContext* ctx) override {
    return new UnaryReactor(ctx, calls_);
  }

 private:
  GrpcCalls& calls_;
};

}  // namespace

struct GrpcServer::Impl {
  explicit Impl(GrpcCalls& calls) : service(calls) {}
  Service service;
  std::unique_ptr<::grpc::Server> server;
};

GrpcServer::GrpcServer(GrpcCalls& calls) : impl_(std::make_unique<Impl>(calls)) {
  ::grpc::ServerBuilder builder;
  builder.RegisterCallbackGenericService(&impl_->service);
  // The REST body limit: a larger message is ResourceExhausted, as in grpc-go.
  builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxMessageBytes));
  impl_->server = builder.BuildAndStart();
  if (!impl_->server) throw std::runtime_error("the gRPC server did not start");
}

GrpcServer::~GrpcServer() {
  shutdown(std::chrono::milliseconds(0));
}

void GrpcServer::adopt(int fd) {
  if (!impl_->server) {
    ::close(fd);
    return;
  }
  ::grpc::AddInsecureChannelFromFd(impl_->server.get(), fd);
}

void GrpcServer::shutdown(std::chrono::milliseconds grace) {
  if (!impl_->server) return;
  impl_->server->Shutdown(std::chrono::system_clock::now() + grace);
  impl_->server->Wait();
  impl_->server.reset();
}

}  // namespace mu::grpc
