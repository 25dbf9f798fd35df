// The REST/JSON transport: routes and protojson. It names the RPC from the
// method and path, hands the call to the call pipeline (which authorizes,
// decodes the body with the decoder given here, and runs the handler) and
// writes the answer as JSON. Besides the API: /healthz, /readyz and /metrics.
#pragma once

#include <functional>
#include <memory>

#include "app/http/http_types.hpp"
#include "app/pipeline/call_pipeline.hpp"
#include "app/platform/worker_pool.hpp"

namespace mu::rest {

struct CallRecord;

class RestApi {
 public:
  // The pool serves /readyz, which is no call.
  RestApi(pipeline::CallPipeline& pipeline, platform::WorkerPool& pool)
      : pipeline_(pipeline), pool_(pool) {}

  // A mu::http::RequestHandler: runs on an I/O thread and never blocks on the database.
  void operator()(http::HttpRequest request, http::Responder respond);

 private:
  bool operations_endpoint(const http::HttpRequest& req, const std::shared_ptr<CallRecord>& record,
                           const std::function<void(http::HttpResponse)>& answer);

  pipeline::CallPipeline& pipeline_;
  platform::WorkerPool& pool_;
};

}  // namespace mu::rest
