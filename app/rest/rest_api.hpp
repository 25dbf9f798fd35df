// The REST/JSON transport of the machine-user RPCs: route, decode, hand the
// call to a database worker, encode the answer. The handlers themselves are in
// app/handlers and are shared with the transports to come (gRPC, gRPC-Web).
#pragma once

#include "app/http/http_types.hpp"
#include "app/runtime/worker_pool.hpp"
#include "domain/ids.hpp"

namespace mu::rest {

class RestApi {
 public:
  RestApi(runtime::WorkerPool& pool, domain::IdGenerator& ids) : pool_(pool), ids_(ids) {}

  // A mu::http::RequestHandler: runs on an I/O thread and never blocks on the database.
  void operator()(http::HttpRequest request, http::Responder respond);

 private:
  runtime::WorkerPool& pool_;
  domain::IdGenerator& ids_;
};

}  // namespace mu::rest
