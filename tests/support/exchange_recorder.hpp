// Recording of the e2e tests' HTTP exchanges, so that tests/node/openapi_responses.mjs
// can check every answer against the generated OpenAPI document. Off unless the environment
// names a file in MU_RECORD_EXCHANGES (ctest sets it on the e2e tests).
#pragma once

#include <map>
#include <string>

#include "tests/support/http_client.hpp"

namespace mu::testing {

// Appends one JSON line: the test (this process's arguments), method, target, the
// request headers that shape an answer (the token redacted), status, content type,
// the response headers the document declares, and the body. One write(2) per line on
// an O_APPEND descriptor, so that test processes running in parallel do not interleave.
void record_exchange(const std::string& method, const std::string& target,
                     const std::map<std::string, std::string>& request_headers,
                     const HttpResult& result);

}  // namespace mu::testing
