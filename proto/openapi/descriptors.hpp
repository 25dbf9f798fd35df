// Our protos as protobuf's own descriptor library reads them: the descriptor set that
// protoc writes (with imports and source info) built into a DescriptorPool, each RPC's
// options (google.api.http, zitadel.v1.auth_option, mu.v1.writes) read by reflection, and
// the comments above each element.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor_database.h>
#include <google/protobuf/dynamic_message.h>

#include <string>
#include <vector>

namespace mu::openapi {

namespace pb = google::protobuf;

// One RPC and what its options say about its REST side.
struct Rpc {
  const pb::MethodDescriptor* method = nullptr;
  std::string verb;        // "get", "put", "post", "delete", "patch"
  std::string path;        // the template as written: "/users/{user_id}/machine"
  std::string body;        // "" (no body) or "*" (the whole request message)
  std::string permission;  // zitadel.v1.auth_option's permission
  bool writes = false;     // mu.v1.writes: it appends events
};

class Descriptors {
 public:
  // Reads a FileDescriptorSet (protoc --descriptor_set_out --include_imports
  // --include_source_info). Throws std::runtime_error when it cannot.
  explicit Descriptors(const std::string& protoset_path);
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;

  const pb::DescriptorPool& pool() const { return pool_; }
  // Every service of every file in the set, in the set's order.
  std::vector<const pb::ServiceDescriptor*> services() const;
  // The RPC's options. Throws when it has no google.api.http, or one this generator cannot
  // describe (custom verbs, additional bindings, response_body, a body that names a field).
  Rpc rpc(const pb::MethodDescriptor& method) const;

 private:
  pb::SimpleDescriptorDatabase database_;
  pb::DescriptorPool pool_;
  // Options are read as dynamic messages of the set's own descriptor.proto, so that the
  // extensions resolve in this pool without the generated code of the option protos.
  mutable pb::DynamicMessageFactory factory_;
  std::vector<std::string> files_;
};

// The comment above an element (its trailing comment when it has none), one paragraph per
// string: the lines of a paragraph joined by spaces, the "// " taken off.
std::vector<std::string> comment_paragraphs(const pb::SourceLocation& location);

template <class Descriptor>
std::vector<std::string> comment_of(const Descriptor& d) {
  pb::SourceLocation location;
  if (!d.GetSourceLocation(&location)) return {};
  return comment_paragraphs(location);
}

// The paragraphs as one text, joined by blank lines ("" for none).
std::string join_paragraphs(const std::vector<std::string>& paragraphs);

}  // namespace mu::openapi
