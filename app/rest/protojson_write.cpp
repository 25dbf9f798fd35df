// protojson.hpp's writing half: protobuf's JSON printer over deterministic bytes.
#include <memory>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver_util.h>

#include "app/rest/protojson.hpp"

namespace mu::rest {

namespace pb = google::protobuf;

domain::Result<std::string> print_message(const pb::Message& message) {
  // MessageToJsonString would serialize in map order, which protobuf seeds per process:
  // a Struct's keys (an event's payload) would come out in another order on each run.
  // Serialized deterministically they come out sorted, as grpc-gateway prints them.
  static const std::unique_ptr<pb::util::TypeResolver> resolver(
      pb::util::NewTypeResolverForDescriptorPool("type.googleapis.com",
                                                 pb::DescriptorPool::generated_pool()));
  std::string bytes;
  {
    pb::io::StringOutputStream stream(&bytes);
    pb::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  std::string out;
  const auto status = pb::util::BinaryToJsonString(
      resolver.get(), "type.googleapis.com/" + message.GetDescriptor()->full_name(), bytes, &out,
      pb::util::JsonPrintOptions{});
  if (!status.ok()) {
    return domain::Error{domain::Code::Internal, "",
                         "the response does not print as JSON: " + status.ToString()};
  }
  return out;
}

}  // namespace mu::rest
