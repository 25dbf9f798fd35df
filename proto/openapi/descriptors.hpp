// Our protos as protobuf's own descriptor library reads them: the descriptor set that
// protoc writes (with imports and source info) built into a DescriptorPool, the options of
// RPCs, messages and fields read by reflection (google.api.http, zitadel.v1.auth_option,
// grpc-gateway's openapiv2 options, validate.rules, mu.v1's), and the comments above each
// element.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor_database.h>
#include <google/protobuf/dynamic_message.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mu::openapi {

namespace pb = google::protobuf;

// One RPC and what its options say about its REST side.
struct Rpc {
  const pb::MethodDescriptor* method = nullptr;
  std::string verb;                         // "get", "put", "post", "delete", "patch"
  std::string path;                         // the template as written: "/users/{user_id}/machine"
  std::string body;                         // "" (no body) or "*" (the whole request message)
  std::string permission;                   // zitadel.v1.auth_option's permission
  bool writes = false;                      // mu.v1.writes: it appends events
  std::vector<std::string> tags;            // openapiv2_operation's tags
  std::vector<std::string> parameters;      // mu.v1.parameters: overlay components
  std::vector<std::string> answer_headers;  // mu.v1.answer_headers: header names
};

// What a message's options say about its schema.
struct MessageOptions {
  std::vector<std::string> required;     // openapiv2_schema's json_schema.required (proto names)
  std::vector<std::string> rest_fields;  // mu.v1.rest_fields
};

// An option's value as a message of the descriptor set's own types (the option protos are not
// compiled into the generator), read by field name. Reading a field that its type lacks
// throws: that is a mistake of this generator, not of the protos.
class OptionMessage {
 public:
  explicit OptionMessage(const pb::Message& message) : message_(&message) {}
  const std::string& type() const;
  bool has(const std::string& field) const;
  std::uint64_t uint64(const std::string& field) const;
  std::vector<std::string> strings(const std::string& field) const;
  bool boolean(const std::string& field) const;
  std::vector<std::int32_t> int32s(const std::string& field) const;
  // A singular message field; nullopt when it is not set.
  std::optional<OptionMessage> message(const std::string& field) const;
  // The names of the fields that are set.
  std::vector<std::string> set_fields() const;
  // Throws when a field is set besides `known`: an option the reader would silently leave out.
  void allow_only(const std::vector<std::string>& known, const std::string& where) const;

 private:
  const pb::FieldDescriptor& field(const std::string& name) const;
  const pb::Message* message_;
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
  MessageOptions message_options(const pb::Descriptor& message) const;
  // The field's validate.rules, or nullopt. The value lives as long as this object.
  std::optional<OptionMessage> field_rules(const pb::FieldDescriptor& field) const;

 private:
  // The element's options as a dynamic message, kept for the lifetime of this object.
  const pb::Message& options_of(const pb::Message& options, const std::string& type) const;

  pb::SimpleDescriptorDatabase database_;
  pb::DescriptorPool pool_;
  // Options are read as dynamic messages of the set's own descriptor.proto, so that the
  // extensions resolve in this pool without the generated code of the option protos.
  mutable pb::DynamicMessageFactory factory_;
  mutable std::map<const pb::Message*, std::unique_ptr<pb::Message>> parsed_;
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
