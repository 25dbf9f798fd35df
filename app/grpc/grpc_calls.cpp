#include "app/grpc/grpc_calls.hpp"

#include <memory>

#include <climits>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>

#include "app/grpc/status_codec.hpp"
#include "app/pipeline/rpc_table.hpp"
#include "app/platform/log.hpp"
#include "app/platform/metrics.hpp"
#include "app/platform/request_id.hpp"

namespace mu::grpc {

namespace {

std::optional<std::string> find(const std::map<std::string, std::string>& md, const char* name) {
  auto it = md.find(name);
  return it == md.end() ? std::nullopt : std::optional<std::string>(it->second);
}

// Bytes that do not parse as the request message are what grpc-go (ZITADEL's server)
// answers before any handler runs: Internal, "grpc: error unmarshalling request: ...",
// with protobuf-go's text. (protobuf-go puts a space or a no-break space after "proto:",
// so that no one matches the text; we write a space.) A string field that is not UTF-8
// fails the parse too, in protobuf-go and here.
domain::Result<pipeline::DecodedRequest> parse_request(const pipeline::RpcEntry& rpc,
                                                       std::string_view bytes) {
  pipeline::DecodedRequest out{rpc.new_request(), {}};
  if (bytes.size() > static_cast<std::size_t>(INT_MAX) ||
      !out.message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return domain::Error{
        domain::Code::Internal, "",
        "grpc: error unmarshalling request: proto: cannot parse invalid wire-format data"};
  }
  return out;
}

// Deterministic: a Struct's map entries in key order instead of hash order, so that
// the same response is the same bytes (retries, digests, tests).
std::string serialize(const google::protobuf::Message& msg) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    msg.SerializeToCodedStream(&coded);
  }
  return out;
}

// An earlier call's answer, kept as protojson (idempotency.hpp), as the response message.
domain::Result<std::string> response_from_json(const pipeline::RpcEntry& rpc,
                                               std::string_view json) {
  auto message = rpc.new_response();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message.get(), options);
  if (!status.ok()) {
    return domain::Error{
        domain::Code::Internal, "",
        "the recorded response does not read as " + message->GetDescriptor()->full_name()};
  }
  return serialize(*message);
}

}  // namespace

GrpcStatus status_of(const domain::Error& e) {
  return GrpcStatus{e.code, e.full_message(), status_details(e)};
}

void GrpcCalls::operator()(GrpcCall call, std::function<void(GrpcReply)> done) {
  struct Record {
    GrpcCall call;
    std::string request_id;
    std::string rpc;
    std::string caller;
    std::size_t bytes_in = 0;
  };
  auto record = std::make_shared<Record>();
  record->bytes_in = call.message.size();
  record->call = std::move(call);
  const auto& in_call = record->call;

  // Every answer carries the request id, is counted and is logged once.
  auto answer = [record, done = std::move(done)](GrpcReply reply) {
    reply.headers["x-request-id"] = record->request_id;
    const auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - record->call.started)
            .count();
    const int code = static_cast<int>(reply.status.code);
    platform::metrics().observe_request(record->rpc, code, seconds);
    platform::log_request({record->request_id, "POST", record->call.path, record->rpc,
                           record->caller, 200, code, seconds * 1000.0, record->bytes_in,
                           reply.message.size()});
    done(std::move(reply));
  };
  auto fail = [answer](const domain::Error& e) { answer(GrpcReply{status_of(e), {}, {}}); };

  auto request_id = platform::resolve_request_id(find(in_call.metadata, "x-request-id"));
  if (!request_id.ok()) {
    record->request_id = "-";
    return fail(request_id.error());
  }
  record->request_id = std::move(*request_id);

  const auto* rpc = pipeline::rpc_of_grpc_path(in_call.path);
  if (rpc) record->rpc = rpc->name;
  if (in_call.refused) return fail(*in_call.refused);
  if (!rpc) {
    // As grpc-go answers a method that no registered service has.
    std::string_view path = in_call.path;
    if (path.starts_with('/')) path.remove_prefix(1);
    const auto slash = path.rfind('/');
    if (slash == std::string_view::npos) {
      return fail(domain::Error{domain::Code::Unimplemented, "",
                                "malformed method name: \"" + in_call.path + "\""});
    }
    const auto service = std::string(path.substr(0, slash));
    if (!pipeline::serves_service(service)) {
      return fail(domain::Error{domain::Code::Unimplemented, "", "unknown service " + service});
    }
    return fail(domain::Error{
        domain::Code::Unimplemented, "",
        "unknown method " + std::string(path.substr(slash + 1)) + " for service " + service});
  }

  pipeline::CallInput in{
      rpc,
      in_call.transport,
      record->request_id,
      {find(in_call.metadata, "authorization"), find(in_call.metadata, "x-zitadel-orgid")},
      find(in_call.metadata, "if-match"),
      find(in_call.metadata, "idempotency-key"),
      {},
      std::move(record->call.message)};  // the pipeline owns the bytes from here
  auto decode = [rpc](const pipeline::CallInput& in) { return parse_request(*rpc, in.body); };
  pipeline_.submit(std::move(in), std::move(decode),
                   [record, answer, fail, rpc](pipeline::Outcome out) {
                     record->caller = std::move(out.caller);
                     GrpcReply reply;
                     if (out.replayed) {
                       // The earlier call's answer, kept as protojson: the same message again.
                       auto bytes = response_from_json(*rpc, *out.json);
                       if (!bytes.ok()) return fail(bytes.error());
                       reply.message = std::move(*bytes);
                       reply.headers["idempotent-replayed"] = "true";
                       return answer(std::move(reply));
                     }
                     if (!out.result.ok()) return fail(out.result.error());
                     reply.message = serialize(**out.result);
                     if (out.reply.next_position) {
                       reply.headers["x-next-position"] = std::to_string(*out.reply.next_position);
                     }
                     answer(std::move(reply));
                   });
}

}  // namespace mu::grpc
