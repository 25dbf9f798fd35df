// The REST/JSON transport: routes and protojson. It names the RPC from the
// method and path, hands the call to the call pipeline (which authorizes,
// decodes the body with the decoder given here, and runs the handler) and
// writes the answer as JSON. Besides the API: /healthz, /readyz, /metrics, /openapi.json
// and the OAuth/OIDC endpoints (app/oauth).
#pragma once

#include <functional>
#include <memory>

#include "app/http/http_types.hpp"
#include "app/oauth/oauth_endpoints.hpp"
#include "app/pipeline/call_pipeline.hpp"
#include "app/platform/db_jobs.hpp"

namespace mu::rest {

struct CallRecord;

class RestApi {
 public:
  // The pool serves /readyz, which is no call.
  // `oauth` (null: not served) answers the OAuth/OIDC endpoints.
  RestApi(pipeline::CallPipeline& pipeline, platform::DbJobs& pool,
          oauth::OAuthEndpoints* oauth = nullptr)
      : pipeline_(pipeline), pool_(pool), oauth_(oauth) {}

  // A mu::http::RequestHandler: runs on an I/O thread and never blocks on the database.
  void operator()(http::HttpRequest request, http::Responder respond);

 private:
  bool operations_endpoint(const http::HttpRequest& req, const std::shared_ptr<CallRecord>& record,
                           const std::function<void(http::HttpResponse)>& answer);

  pipeline::CallPipeline& pipeline_;
  platform::DbJobs& pool_;
  oauth::OAuthEndpoints* oauth_;
};

}  // namespace mu::rest
