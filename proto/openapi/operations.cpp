#include "proto/openapi/operations.hpp"

#include <map>
#include <stdexcept>

namespace mu::openapi {

namespace {

Json component_ref(const std::string& kind, const std::string& name) {
  return Json{{"$ref", "#/components/" + kind + "/" + name}};
}

// What every call can answer besides 200, by status: components/responses of the overlay.
const std::map<std::string, std::string> kEveryCallAnswers = {
    {"400", "BadRequest"},      {"401", "Unauthenticated"}, {"403", "PermissionDenied"},
    {"404", "NotFound"},        {"413", "PayloadTooLarge"}, {"415", "UnsupportedMediaType"},
    {"429", "TooManyRequests"}, {"500", "Internal"},        {"503", "Unavailable"}};
const std::map<std::string, std::string> kWriteAnswers = {{"409", "Conflict"}};

// An answer about one object carries its sequence as ETag: the REST transport takes it from
// the answer's details (or its user's or organization's).
bool about_an_object(const pb::Descriptor& answer, int depth = 0) {
  for (int i = 0; i < answer.field_count(); ++i) {
    const auto& field = *answer.field(i);
    if (field.is_repeated() || !field.message_type()) continue;
    if (field.message_type()->full_name() == "zitadel.v1.ObjectDetails") return true;
    if (depth == 0 && about_an_object(*field.message_type(), 1)) return true;
  }
  return false;
}

std::string upper_first(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

}  // namespace

Operations::Operations(const Json& path_parameters, Schemas& schemas)
    : path_parameters_(path_parameters), schemas_(schemas) {
  for (const auto& [key, value] : path_parameters_.items()) {
    if (key != "descriptions")
      throw std::runtime_error("overlay pathParameters." + key +
                               ": only descriptions (a parameter's schema is its field's rules)");
  }
}

// One component per parameter name and schema, shared by the calls whose fields agree:
// PathUserId, and PathUserId2, ... for fields of that name with other validate.rules (ZITADEL
// gives GenerateMachineSecret's user_id min_len 1 alone, most others 1..200).
Json Operations::path_parameter(const pb::FieldDescriptor& field) {
  const std::string name = field.json_name();
  Json schema = {{"type", "string"}};
  schema.merge_patch(schemas_.rules(field));
  const std::string base = "Path" + upper_first(name);
  std::string component = base;
  for (int n = 2; parameters_.contains(component); ++n) {
    if (parameters_[component]["schema"] == schema) return component_ref("parameters", component);
    component = base + std::to_string(n);
  }
  Json parameter = {{"name", name}, {"in", "path"}, {"required", true}};
  const auto descriptions = path_parameters_.value("descriptions", Json::object());
  const auto comment = join_paragraphs(comment_of(field));
  if (descriptions.contains(name)) {
    parameter["description"] = descriptions[name];
  } else if (!comment.empty()) {
    parameter["description"] = comment;
  }
  parameter["schema"] = std::move(schema);
  parameters_[component] = std::move(parameter);
  return component_ref("parameters", component);
}

void Operations::add(const Rpc& rpc, const std::string& prefix) {
  const pb::MethodDescriptor& method = *rpc.method;
  const std::string id = method.name();
  const std::string where = method.full_name() + ": ";
  const pb::Descriptor& request = *method.input_type();

  // The path: each {field} is a request field, named in the document as protojson names it.
  std::string path = prefix;
  Json parameters = Json::array();
  std::vector<const pb::FieldDescriptor*> from_path;
  for (std::size_t i = 0; i < rpc.path.size();) {
    const auto open = rpc.path.find('{', i);
    path += rpc.path.substr(i, open == std::string::npos ? std::string::npos : open - i);
    if (open == std::string::npos) break;
    const auto close = rpc.path.find('}', open);
    if (close == std::string::npos)
      throw std::runtime_error(where + "an unclosed { in " + rpc.path);
    const std::string name = rpc.path.substr(open + 1, close - open - 1);
    const auto* field = request.FindFieldByName(name);
    if (!field || field->is_repeated() || field->message_type())
      throw std::runtime_error(where + "{" + name + "} is not a singular scalar field of " +
                               request.full_name() +
                               " (nested paths and patterns are not described)");
    path += "{" + field->json_name() + "}";
    parameters.push_back(path_parameter(*field));
    from_path.push_back(field);
    i = close + 1;
  }

  if (added_.count(id)) throw std::runtime_error(where + "the operationId " + id + " is taken");

  for (const auto& name : rpc.parameters) parameters.push_back(component_ref("parameters", name));
  parameters.push_back(component_ref("parameters", "OrgId"));
  parameters.push_back(component_ref("parameters", "RequestId"));
  if (rpc.writes) {
    parameters.push_back(component_ref("parameters", "IfMatch"));
    parameters.push_back(component_ref("parameters", "IdempotencyKey"));
  }

  const auto comment = comment_of(method);
  if (comment.empty())
    throw std::runtime_error(where + "no comment: its first paragraph is the operation's summary");
  std::string description = join_paragraphs({comment.begin() + 1, comment.end()});
  description += (description.empty() ? "" : "\n\n") + ("Permission: `" + rpc.permission + "`.");

  Json op = {{"operationId", id},
             {"summary", comment.front()},
             {"description", description},
             {"tags", rpc.tags},
             {"parameters", std::move(parameters)}};

  // The body: the request without the path's fields. When the path sets every field there is
  // nothing to send (the REST side makes such a request from the route and does not read the
  // body); a request without any field is still read, as an empty object.
  int body_fields = request.field_count() - static_cast<int>(from_path.size());
  if (rpc.body == "*" && (body_fields > 0 || request.field_count() == 0)) {
    op["requestBody"] = {
        {"required", false},
        {"content", {{"application/json", {{"schema", schemas_.body_ref(request, from_path)}}}}}};
  } else if (rpc.body.empty() && body_fields > 0) {
    throw std::runtime_error(where +
                             "fields outside the path of a call without a body would be "
                             "query parameters, which the REST side does not read");
  }

  Json headers = {{"X-Request-Id", component_ref("headers", "XRequestId")}};
  if (about_an_object(*method.output_type())) headers["ETag"] = component_ref("headers", "ETag");
  if (rpc.writes) headers["Idempotent-Replayed"] = component_ref("headers", "IdempotentReplayed");
  for (const auto& name : rpc.answer_headers) {
    if (headers.contains(name)) throw std::runtime_error(where + name + " is already a header");
    std::string component;
    for (char c : name)
      if (c != '-') component += c;
    headers[name] = component_ref("headers", component);
  }

  std::map<std::string, Json> answers;
  for (const auto& [status, response] : kEveryCallAnswers)
    answers[status] = component_ref("responses", response);
  if (rpc.writes) {
    for (const auto& [status, response] : kWriteAnswers)
      answers[status] = component_ref("responses", response);
  }
  answers["200"] = {{"description", "OK"},
                    {"headers", std::move(headers)},
                    {"content",
                     {{"application/json",
                       {{"schema", schemas_.ref(*method.output_type(), Direction::Answer)}}}}}};
  Json responses = Json::object();
  for (auto& [status, answer] : answers) responses[status] = std::move(answer);
  op["responses"] = std::move(responses);

  if (paths_.contains(path) && paths_[path].contains(rpc.verb))
    throw std::runtime_error(where + rpc.verb + " " + path + " is also " +
                             paths_[path][rpc.verb]["operationId"].get<std::string>());
  paths_[path][rpc.verb] = std::move(op);
  added_.insert(id);
}

}  // namespace mu::openapi
