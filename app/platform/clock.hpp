// The wall clock at the precision events keep (microseconds). Kept out of the
// domain, whose decisions take the time as an input.
#pragma once

#include <chrono>

#include "domain/time.hpp"

namespace mu::platform {

inline domain::Timestamp now() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

}  // namespace mu::platform
