// Raw bytes to the server and whatever comes back, for requests that a
// well-behaved client (HttpClient) would never send: no Host, broken framing.
#pragma once

#include <string>

namespace mu::testing {

// A blocking TCP connection to 127.0.0.1:port (TCP_NODELAY set), or -1.
int connect_loopback(unsigned short port);

// Sends `wire` to 127.0.0.1:port and returns what the server sent until it closed
// the connection or `idle_ms` passed without a byte.
std::string raw_exchange(unsigned short port, const std::string& wire, int idle_ms = 2000);

// The status code of the first response line in `reply` ("HTTP/1.1 400 ..."), or 0.
int status_of(const std::string& reply);

}  // namespace mu::testing
