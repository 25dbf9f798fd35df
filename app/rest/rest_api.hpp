// The REST/JSON transport: route, then hand the call to a database worker,
// which authenticates and authorizes the caller, decodes the body, runs the
// handler and encodes the answer. The handlers and the authorization are in
// app/handlers and are shared with the transports to come (gRPC, gRPC-Web).
#pragma once

#include <functional>
#include <memory>

#include "app/handlers/auth_cache.hpp"
#include "app/http/http_types.hpp"
#include "app/runtime/worker_pool.hpp"
#include "domain/ids.hpp"

namespace mu::rest {

struct CallRecord;

class RestApi {
 public:
  RestApi(runtime::WorkerPool& pool, domain::IdGenerator& ids, handlers::AuthCache& auth_cache)
      : pool_(pool), ids_(ids), auth_cache_(auth_cache) {}

  // A mu::http::RequestHandler: runs on an I/O thread and never blocks on the database.
  void operator()(http::HttpRequest request, http::Responder respond);

 private:
  bool operations_endpoint(const http::HttpRequest& req, const std::shared_ptr<CallRecord>& record,
                           const std::function<void(http::HttpResponse)>& answer);

  runtime::WorkerPool& pool_;
  domain::IdGenerator& ids_;
  handlers::AuthCache& auth_cache_;
};

}  // namespace mu::rest
