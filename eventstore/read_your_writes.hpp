// Reading from a standby without missing a write that was acknowledged before the read began:
// the primary's WAL position is taken first (every acknowledged COMMIT lies before it), and the
// standby serves the read only once it has replayed up to that position.
#pragma once

#include <chrono>
#include <string>

namespace mu::eventstore {

// `standby_url` when the server it reaches has replayed up to `primary_url`'s current WAL
// position within `wait` (or is itself a primary), else `primary_url`; `primary_url` too when
// `standby_url` is empty or cannot be reached. Throws when the primary cannot be reached.
std::string caught_up_url(const std::string& primary_url, const std::string& standby_url,
                          std::chrono::milliseconds wait);

}  // namespace mu::eventstore
