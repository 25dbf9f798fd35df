#include "proto/openapi/document.hpp"

#include <functional>
#include <stdexcept>

#include "proto/openapi/operations.hpp"

namespace mu::openapi {

namespace {

const std::set<std::string> kOverlayKeys = {"$comment",       "document",   "services",
                                            "pathParameters", "restFields", "schemas",
                                            "alwaysInAnswers"};

// Every "$ref" of the document points at something in it.
void check_refs(const Json& document) {
  std::function<void(const Json&)> walk = [&](const Json& node) {
    if (node.is_object()) {
      if (node.contains("$ref") && node["$ref"].is_string()) {
        const auto ref = node["$ref"].get<std::string>();
        if (!ref.starts_with("#/") || !document.contains(Json::json_pointer(ref.substr(1))))
          throw std::runtime_error("the $ref " + ref + " points at nothing");
      }
      for (const auto& [key, value] : node.items()) walk(value);
    } else if (node.is_array()) {
      for (const auto& value : node) walk(value);
    }
  };
  walk(document);
}

// Adds `generated` to `into` (both objects); a name in both is an error.
void add_all(Json& into, const Json& generated, const std::string& what) {
  for (const auto& [name, value] : generated.items()) {
    if (into.contains(name))
      throw std::runtime_error(what + " " + name + " is both generated and in the overlay");
    into[name] = value;
  }
}

}  // namespace

Json generate(const Descriptors& descriptors, const Json& overlay) {
  for (const auto& [key, value] : overlay.items()) {
    if (!kOverlayKeys.count(key)) throw std::runtime_error("the overlay has an unknown key " + key);
  }
  const Json& services = overlay.at("services");
  std::vector<std::pair<Rpc, std::string>> rpcs;  // with their prefixes, in the overlay's order
  for (const auto& [name, prefix] : services.items()) {
    const auto* service = descriptors.pool().FindServiceByName(name);
    if (!service) throw std::runtime_error("overlay services." + name + ": no such service");
    for (int i = 0; i < service->method_count(); ++i)
      rpcs.emplace_back(descriptors.rpc(*service->method(i)), prefix.get<std::string>());
  }
  for (const auto* service : descriptors.services()) {
    if (!services.contains(service->full_name()))
      throw std::runtime_error(service->full_name() +
                               " has no REST prefix in the overlay's services");
  }

  // A tag is written in the protos and described in the overlay: a typo would make a new one.
  std::set<std::string> tags;
  for (const auto& tag : overlay.at("document").value("tags", Json::array()))
    tags.insert(tag.at("name").get<std::string>());
  for (const auto& [rpc, prefix] : rpcs) {
    for (const auto& tag : rpc.tags) {
      if (!tags.count(tag))
        throw std::runtime_error(rpc.method->full_name() + ": the tag \"" + tag +
                                 "\" is not in the overlay's document.tags");
    }
  }

  std::set<std::string> always;
  for (const auto& name : overlay.value("alwaysInAnswers", Json::array()))
    always.insert(name.get<std::string>());
  Schemas schemas(descriptors, always, overlay.value("restFields", Json::object()));
  for (const auto& [rpc, prefix] : rpcs) {
    schemas.declare(*rpc.method->input_type(), Direction::Request);
    schemas.declare(*rpc.method->output_type(), Direction::Answer);
  }
  Operations operations(overlay.at("pathParameters"), schemas);
  for (const auto& [rpc, prefix] : rpcs) operations.add(rpc, prefix);

  Json document = overlay.at("document");
  Json paths = operations.paths();
  add_all(paths, document.value("paths", Json::object()), "the path");
  document["paths"] = std::move(paths);
  Json& components = document["components"];
  add_all(components["parameters"], operations.parameters(), "the parameter");
  add_all(components["schemas"], schemas.components(overlay.value("schemas", Json::object())),
          "the schema");
  check_refs(document);
  return document;
}

}  // namespace mu::openapi
