// Transport-neutral HTTP/2 streams, so that only h2_connection.cpp sees nghttp2
// and Asio. A handler gets a request's headers as soon as they are complete and
// its body as it arrives, so that it can refuse early (a message too large, a
// content type it does not speak) instead of buffering what it will not use.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mu::http {

// Header fields in the order received, names lower-case (HTTP/2 requires it),
// pseudo-headers (":method", ":path", ...) included.
using H2Fields = std::vector<std::pair<std::string, std::string>>;

const std::string* find_field(const H2Fields& fields, std::string_view name);

struct H2Response {
  int status = 200;
  H2Fields headers;   // without ":status"
  std::string body;   // empty: none
  H2Fields trailers;  // empty: none (the stream ends with the body, or the headers)
};

// Any thread, at any time, at most once: before the request's end as well (an
// early refusal: the transport then asks the client to stop sending, with
// RST_STREAM NO_ERROR once the answer is out). A no-op once the stream is gone.
using H2Responder = std::function<void(H2Response)>;

// One request stream. Called on the connection's strand, never concurrently.
class H2Stream {
 public:
  virtual ~H2Stream() = default;
  // The next bytes of the request's body.
  virtual void on_data(std::string_view bytes) = 0;
  // The client ended its side of the stream (END_STREAM).
  virtual void on_end() = 0;
};

// Called on the connection's strand when a request's headers are complete; it
// must not block. It may answer at once through `respond`.
using H2Handler = std::function<std::unique_ptr<H2Stream>(H2Fields headers, H2Responder respond)>;

inline const std::string* find_field(const H2Fields& fields, std::string_view name) {
  for (const auto& [k, v] : fields) {
    if (k == name) return &v;
  }
  return nullptr;
}

}  // namespace mu::http
