// `machine-users audit verify|seal`: the tamper evidence of the event store.
// The work is in eventstore/ (hash chain, seals); this is the command line around it.
#pragma once

#include <string>
#include <vector>

namespace mu::cli {

// `sub` is "verify" or "seal"; `args` the words after it. Returns the exit code: 0 done
// (verify: everything holds), 1 failed (verify: the first event or seal that does not
// hold, named on stderr), 2 bad usage. Errors are one line on stderr.
int run_audit_integrity(const std::string& sub, const std::vector<std::string>& args,
                        const std::string& database_url);

}  // namespace mu::cli
