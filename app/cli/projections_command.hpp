// `machine-users projections list|replay|verify`: the operators' replay tool. The
// work is in projections/ (catch_up, rebuild); this is the command line around it.
#pragma once

#include <string>
#include <vector>

namespace mu::cli {

// Returns the exit code: 0 done, 1 failed (or verify found differences), 2 bad usage.
// Errors are one line on stderr.
int run_projections_command(const std::vector<std::string>& args, const std::string& database_url,
                            const std::vector<std::string>& async_projections);

}  // namespace mu::cli
