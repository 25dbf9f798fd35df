#include "app/runtime/audit_integrity_command.hpp"

#include <iostream>

namespace mu::runtime {

int run_audit_integrity(const std::string& sub, const std::vector<std::string>&,
                        const std::string&) {
  std::cerr << "machine-users audit " << sub << ": not available in this build\n";
  return 2;
}

}  // namespace mu::runtime
