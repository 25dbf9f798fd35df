#include "app/rest/rest_request.hpp"

#include "app/rest/protojson.hpp"
#include "app/rest/rest_extras.hpp"

namespace mu::rest {

domain::Result<pipeline::DecodedRequest> decode_request(const RouteMatch& route,
                                                        std::string_view body) {
  const auto& rpc = *route.rpc;
  pipeline::DecodedRequest out{rpc.new_request(), {}};
  auto& message = *out.message;
  // Without a body mapping the body is not read (GET and DELETE routes).
  nlohmann::json object = nlohmann::json::object();
  if (rpc.http.body == "*" && !fill_message_direct(body, message)) {
    // Unknown fields (ListEvents' afterPosition is one), and every refusal with its message.
    auto parsed = parse_message(body);
    if (!parsed.ok()) return parsed.error();
    object = std::move(*parsed);
    if (auto error = fill_message(object, message)) return *error;
  }
  const auto* type = message.GetDescriptor();
  for (std::size_t i = 0; i < route.fields.size(); ++i) {
    const auto* field = type->FindFieldByName(route.fields[i]);
    if (!field || field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING ||
        field->is_repeated()) {
      return domain::Error{domain::Code::Internal, "",
                           "the route's {" + route.fields[i] + "} is no string field"};
    }
    message.GetReflection()->SetString(&message, field, route.param(i));
  }
  auto extras = read_extras(rpc, object, route.query);
  if (!extras.ok()) return extras.error();
  out.extras = std::move(*extras);
  return out;
}

}  // namespace mu::rest
