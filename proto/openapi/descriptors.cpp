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

Rpc Descriptors::rpc(const pb::MethodDescriptor& method) const {
  const std::string where = method.full_name() + ": ";
  const auto* options_type = pool_.FindMessageTypeByName("google.protobuf.MethodOptions");
  if (!options_type) throw error("the descriptor set lacks google/protobuf/descriptor.proto");
  std::unique_ptr<pb::Message> options(factory_.GetPrototype(options_type)->New());
  if (!options->ParseFromString(method.options().SerializeAsString()))
    throw error(where + "its options do not parse");
  const pb::Reflection& reflection = *options->GetReflection();

  Rpc rpc;
  rpc.method = &method;
  const auto& http_field = extension(pool_, "google.api.http");
  if (!reflection.HasField(*options, &http_field)) throw error(where + "no google.api.http option");
  const pb::Message& http = reflection.GetMessage(*options, &http_field);
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
  if (reflection.HasField(*options, &auth_field)) {
    const pb::Message& auth = reflection.GetMessage(*options, &auth_field);
    rpc.permission =
        auth.GetReflection()->GetString(auth, auth.GetDescriptor()->FindFieldByName("permission"));
  }
  if (rpc.permission.empty()) throw error(where + "no zitadel.v1.auth_option permission");

  rpc.writes = reflection.GetBool(*options, &extension(pool_, "mu.v1.writes"));
  return rpc;
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
