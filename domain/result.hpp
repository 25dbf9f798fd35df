// Result<T>: a value or a domain Error, the calls' own Expected.
#pragma once

#include "domain/error.hpp"
#include "domain/expected.hpp"

namespace mu::domain {

template <class T>
using Result = Expected<T, Error>;

}  // namespace mu::domain
