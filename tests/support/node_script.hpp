// Node scripts from tests/node run by the e2e tests: node found as ./test installs it,
// stdout and stderr captured, killed past a deadline.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/server_process.hpp"

namespace mu::testing {

// /usr/bin/node, else the first `node` on PATH; "" when there is none.
std::string find_node();

// Runs `argv` with `extra_env` added, stdout and stderr together into `out`; killed
// (and reported as 128 + SIGKILL, with a note in `out`) when it runs past `deadline`.
ProcessResult run_capturing(const std::vector<std::string>& argv,
                            const std::vector<std::string>& extra_env,
                            std::chrono::seconds deadline);

}  // namespace mu::testing
