#include "app/platform/seal_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "eventstore/audit_integrity.hpp"

namespace mu::platform {

bool create_seal_key(const std::string& path) {
  const auto pem = domain::new_private_key_pem();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    throw std::runtime_error("cannot create the seal key " + path + ": " + std::strerror(errno));
  }
  const bool ok = ::fchmod(fd, 0600) == 0 &&
                  ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) &&
                  ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  if (!ok)
    throw std::runtime_error("cannot write the seal key " + path + ": " + std::strerror(error));
  return true;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<domain::Seal> read_seal_log(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot read the seal log " + path + ": " + std::strerror(errno));
  std::vector<domain::Seal> seals;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    auto seal = eventstore::seal_from_log_line(line);
    if (!seal)
      throw std::runtime_error("the seal log " + path + " line " + std::to_string(n) +
                               " is no seal");
    seals.push_back(std::move(*seal));
  }
  return seals;
}

std::size_t sync_seal_log(pqxx::connection& conn, const std::string& path) {
  std::uint64_t last = 0;
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      if (auto s = eventstore::seal_from_log_line(line)) last = std::max(last, s->id);
    }
  }
  std::string lines;
  std::size_t appended = 0;
  for (const auto& s : eventstore::stored_seals(conn)) {
    if (s.id <= last) continue;
    lines += eventstore::seal_log_line(s) + "\n";
    ++appended;
  }
  if (appended == 0) return 0;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("cannot open the seal log " + path + ": " + std::strerror(errno));
  const bool ok = ::write(fd, lines.data(), lines.size()) == static_cast<ssize_t>(lines.size()) &&
                  ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  if (!ok)
    throw std::runtime_error("cannot append to the seal log " + path + ": " + std::strerror(error));
  return appended;
}

}  // namespace mu::platform
