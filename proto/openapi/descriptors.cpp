#include "proto/openapi/descriptors.hpp"

#include <google/protobuf/descriptor.pb.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace mu::openapi {

namespace {

std::runtime_error error(const std::string& what) {
  return std::runtime_error(what);
}

pb::FileDescriptorSet read_set(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw error("cannot open the descriptor set " + path);
  pb::FileDescriptorSet set;
  if (!set.ParseFromIstream(&in)) throw error(path + " is not a FileDescriptorSet");
  return set;
}

const pb::FieldDescriptor& extension(const pb::DescriptorPool& pool, const std::string& name) {
  const auto* field = pool.FindExtensionByName(name);
  if (!field) throw error("the descriptor set lacks the option " + name + " (is it imported?)");
  return *field;
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

const std::string& OptionMessage::type() const {
  return message_->GetDescriptor()->full_name();
}

const pb::FieldDescriptor& OptionMessage::field(const std::string& name) const {
  const auto* f = message_->GetDescriptor()->FindFieldByName(name);
  if (!f) throw std::logic_error(type() + " has no field " + name);
  return *f;
}

bool OptionMessage::has(const std::string& name) const {
  const auto& f = field(name);
  const auto& reflection = *message_->GetReflection();
  return f.is_repeated() ? reflection.FieldSize(*message_, &f) > 0
                         : reflection.HasField(*message_, &f);
}

std::uint64_t OptionMessage::uint64(const std::string& name) const {
  return message_->GetReflection()->GetUInt64(*message_, &field(name));
}

std::vector<std::string> OptionMessage::strings(const std::string& name) const {
  const auto& f = field(name);
  const auto& reflection = *message_->GetReflection();
  std::vector<std::string> out;
  for (int i = 0; i < reflection.FieldSize(*message_, &f); ++i)
    out.push_back(reflection.GetRepeatedString(*message_, &f, i));
  return out;
}

bool OptionMessage::boolean(const std::string& name) const {
  return message_->GetReflection()->GetBool(*message_, &field(name));
}

std::vector<std::int32_t> OptionMessage::int32s(const std::string& name) const {
  const auto& f = field(name);
  const auto& reflection = *message_->GetReflection();
  std::vector<std::int32_t> out;
  for (int i = 0; i < reflection.FieldSize(*message_, &f); ++i)
    out.push_back(reflection.GetRepeatedInt32(*message_, &f, i));
  return out;
}

std::optional<OptionMessage> OptionMessage::message(const std::string& name) const {
  if (!has(name)) return std::nullopt;
  return OptionMessage(message_->GetReflection()->GetMessage(*message_, &field(name)));
}

std::vector<std::string> OptionMessage::set_fields() const {
  std::vector<const pb::FieldDescriptor*> fields;
  message_->GetReflection()->ListFields(*message_, &fields);
  std::vector<std::string> out;
  for (const auto* f : fields) out.push_back(f->name());
  return out;
}

void OptionMessage::allow_only(const std::vector<std::string>& known,
                               const std::string& where) const {
  for (const auto& name : set_fields()) {
    bool found = false;
    for (const auto& k : known) found = found || k == name;
    if (!found) throw error(where + type() + "." + name + " is not described");
  }
}

Descriptors::Descriptors(const std::string& protoset_path) : pool_(&database_), factory_(&pool_) {
  const pb::FileDescriptorSet set = read_set(protoset_path);
  for (const auto& file : set.file()) {
    if (!database_.Add(file)) throw error("cannot add " + file.name() + " (a duplicate?)");
    files_.push_back(file.name());
  }
  for (const auto& name : files_) {
    if (!pool_.FindFileByName(name))
      throw error(name + " does not build (an import missing from the descriptor set?)");
  }
}

std::vector<const pb::ServiceDescriptor*> Descriptors::services() const {
  std::vector<const pb::ServiceDescriptor*> out;
  for (const auto& name : files_) {
    const auto* file = pool_.FindFileByName(name);
    for (int i = 0; i < file->service_count(); ++i) out.push_back(file->service(i));
  }
  return out;
}

const pb::Message& Descriptors::options_of(const pb::Message& options,
                                           const std::string& type) const {
  auto& parsed = parsed_[&options];
  if (!parsed) {
    const auto* options_type = pool_.FindMessageTypeByName(type);
    if (!options_type) throw error("the descriptor set lacks google/protobuf/descriptor.proto");
    parsed.reset(factory_.GetPrototype(options_type)->New());
    if (!parsed->ParseFromString(options.SerializeAsString()))
      throw error("options that do not parse as " + type);
  }
  return *parsed;
}

Rpc Descriptors::rpc(const pb::MethodDescriptor& method) const {
  const std::string where = method.full_name() + ": ";
  const pb::Message& options = options_of(method.options(), "google.protobuf.MethodOptions");
  const pb::Reflection& reflection = *options.GetReflection();

  Rpc rpc;
  rpc.method = &method;
  const auto& http_field = extension(pool_, "google.api.http");
  if (!reflection.HasField(options, &http_field)) throw error(where + "no google.api.http option");
  const pb::Message& http = reflection.GetMessage(options, &http_field);
  const pb::Reflection& http_reflection = *http.GetReflection();
  const auto* http_type = http.GetDescriptor();
  for (const char* verb : {"get", "put", "post", "delete", "patch"}) {
    const auto* field = http_type->FindFieldByName(verb);
    if (field && http_reflection.HasField(http, field)) {
      rpc.verb = verb;
      rpc.path = http_reflection.GetString(http, field);
    }
  }
  if (rpc.verb.empty())
    throw error(where + "google.api.http has no get, put, post, delete or patch");
  rpc.body = http_reflection.GetString(http, http_type->FindFieldByName("body"));
  if (!rpc.body.empty() && rpc.body != "*")
    throw error(where + "body \"" + rpc.body + "\": only \"*\" or none is described");
  if (!http_reflection.GetString(http, http_type->FindFieldByName("response_body")).empty())
    throw error(where + "response_body is not described");
  if (http_reflection.FieldSize(http, http_type->FindFieldByName("additional_bindings")) != 0)
    throw error(where + "additional_bindings are not described (one operation per RPC)");

  const auto& auth_field = extension(pool_, "zitadel.v1.auth_option");
  if (reflection.HasField(options, &auth_field)) {
    const pb::Message& auth = reflection.GetMessage(options, &auth_field);
    rpc.permission =
        auth.GetReflection()->GetString(auth, auth.GetDescriptor()->FindFieldByName("permission"));
  }
  if (rpc.permission.empty()) throw error(where + "no zitadel.v1.auth_option permission");

  const auto& operation_field =
      extension(pool_, "grpc.gateway.protoc_gen_openapiv2.options.openapiv2_operation");
  if (reflection.HasField(options, &operation_field)) {
    const OptionMessage operation(reflection.GetMessage(options, &operation_field));
    // The summary and the description are the rpc's comment: one place for its text.
    operation.allow_only({"tags"}, where);
    rpc.tags = operation.strings("tags");
  }
  if (rpc.tags.empty()) throw error(where + "no openapiv2_operation tags");

  rpc.writes = reflection.GetBool(options, &extension(pool_, "mu.v1.writes"));
  for (const auto& [name, out] : {std::pair{"mu.v1.parameters", &rpc.parameters},
                                  std::pair{"mu.v1.answer_headers", &rpc.answer_headers}}) {
    const auto& field = extension(pool_, name);
    for (int i = 0; i < reflection.FieldSize(options, &field); ++i)
      out->push_back(reflection.GetRepeatedString(options, &field, i));
  }
  return rpc;
}

MessageOptions Descriptors::message_options(const pb::Descriptor& message) const {
  const std::string where = message.full_name() + ": ";
  const pb::Message& options = options_of(message.options(), "google.protobuf.MessageOptions");
  const pb::Reflection& reflection = *options.GetReflection();
  MessageOptions out;
  const auto& schema_field =
      extension(pool_, "grpc.gateway.protoc_gen_openapiv2.options.openapiv2_schema");
  if (reflection.HasField(options, &schema_field)) {
    const OptionMessage schema(reflection.GetMessage(options, &schema_field));
    schema.allow_only({"json_schema"}, where);
    if (const auto json_schema = schema.message("json_schema")) {
      json_schema->allow_only({"required"}, where);
      out.required = json_schema->strings("required");
    }
  }
  const auto& rest_fields = extension(pool_, "mu.v1.rest_fields");
  for (int i = 0; i < reflection.FieldSize(options, &rest_fields); ++i)
    out.rest_fields.push_back(reflection.GetRepeatedString(options, &rest_fields, i));
  return out;
}

std::optional<OptionMessage> Descriptors::field_rules(const pb::FieldDescriptor& field) const {
  const pb::Message& options = options_of(field.options(), "google.protobuf.FieldOptions");
  const auto& rules = extension(pool_, "validate.rules");
  if (!options.GetReflection()->HasField(options, &rules)) return std::nullopt;
  return OptionMessage(options.GetReflection()->GetMessage(options, &rules));
}

std::vector<std::string> comment_paragraphs(const pb::SourceLocation& location) {
  const std::string& text =
      location.leading_comments.empty() ? location.trailing_comments : location.leading_comments;
  std::vector<std::string> paragraphs;
  std::string current;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    line = trim(line);
    if (line.empty()) {
      if (!current.empty()) paragraphs.push_back(current);
      current.clear();
    } else {
      current += (current.empty() ? "" : " ") + line;
    }
  }
  if (!current.empty()) paragraphs.push_back(current);
  return paragraphs;
}

std::string join_paragraphs(const std::vector<std::string>& paragraphs) {
  std::string out;
  for (const auto& p : paragraphs) out += (out.empty() ? "" : "\n\n") + p;
  return out;
}

}  // namespace mu::openapi
