#include "app/rest/openapi.hpp"

namespace mu::rest {

http::HttpResponse openapi_response() {
  http::HttpResponse res;
  res.content_type = "application/json";
  res.body = std::string(kOpenApiJson);
  return res;
}

}  // namespace mu::rest
