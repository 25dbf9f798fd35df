// What every database connection of the service gets unless its URL says otherwise, so that a
// database host that stops answering (a lost machine, a partition: no reset, no refusal) costs
// a bounded wait instead of a hung worker:
//   connect_timeout=3          a connection attempt (TCP and PostgreSQL's startup) gives up after
//                              3 s, and libpq tries the URL's next host
//   keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3
//                              an idle connection (a LISTEN, a runner between batches, a pooled
//                              one) to a host that vanished is dropped after about 11 s
//   tcp_user_timeout=10000     data sent and not acknowledged for 10 s drops the connection
//                              (a query or COMMIT under way to a host that vanished)
// Applied to the URL once (main.cpp), so the pool, the listeners, the projection runners, the
// sealer and the CLI commands all connect with them.
#pragma once

#include <string>

namespace mu::eventstore {

// `url` (a libpq URI, postgresql://... or postgres://..., or a key=value connection string)
// with each of the parameters above that it does not set itself.
std::string with_connection_defaults(const std::string& url);

}  // namespace mu::eventstore
