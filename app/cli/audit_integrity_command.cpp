#include "app/cli/audit_integrity_command.hpp"

#include <cstdlib>
#include <iostream>
#include <optional>

#include "app/cli/audit_command.hpp"
#include "app/platform/seal_files.hpp"
#include "eventstore/audit_integrity.hpp"

namespace mu::cli {

namespace {

// The integrity tool's flags and what they do, in one place: CLI11 parses them and
// writes each subcommand's --help from them.
const SubcommandSpec kVerify{
    "verify",
    "",
    "Recompute every event's hash and chain, check every stream head and seal (their\n"
    "signatures only with --public-key). Exit 1 names the first event or seal that does\n"
    "not hold.",
    {{"--seals", "FILE", "compare the seals with this seal log"},
     {"--public-key", "FILE", "check the seals' signatures with this Ed25519 public key (PEM)"}},
    "0 done (everything holds), 1 failed, 2 bad usage"};
const SubcommandSpec kSeal{
    "seal",
    "",
    "Seal the events since the last seal now, and append the seal to the seal log.",
    {{"--key", "FILE", "the Ed25519 private key (PEM) that signs (env MU_SEAL_KEY)"},
     {"--seal-log", "FILE", "the seal log to append to (env MU_SEAL_LOG)"}},
    "0 done, 1 failed (the key, the database), 2 bad usage"};

int usage(const std::string& sub, const std::string& message) {
  std::cerr << "machine-users audit " << sub << ": " << message << "\n";
  return 2;
}

std::string env_or(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Each flag of `spec` into its string. Returns the exit code when the tool is done
// already: 0 after printing the --help, 2 after a one-line error (an unknown flag or a
// word that is no flag).
std::optional<int> parse_flags(
    const SubcommandSpec& spec, const std::vector<std::string>& args,
    std::initializer_list<std::pair<std::string_view, std::string*>> flags) {
  auto parsed = split_flags(spec, args);
  if (parsed.ok() && parsed->help) {
    std::cout << *parsed->help;
    return 0;
  }
  if (parsed.ok() && !parsed->positional.empty()) {
    parsed =
        domain::invalid_argument("audit " + std::string(spec.name) + " takes flags only, not \"" +
                                 parsed->positional.front() + "\"");
  }
  if (!parsed.ok()) {
    std::cerr << "machine-users audit: " << parsed.error().message << "\n";
    return 2;
  }
  for (const auto& [flag, value] : parsed->given) {
    for (const auto& [name, out] : flags) {
      if (flag == name) *out = value;
    }
  }
  return std::nullopt;
}

int verify(const std::vector<std::string>& args, const std::string& database_url) {
  std::string seals_file, public_key_file;
  if (auto done = parse_flags(kVerify, args,
                              {{"--seals", &seals_file}, {"--public-key", &public_key_file}}))
    return *done;
  eventstore::VerifyOptions options;
  if (!public_key_file.empty()) {
    options.public_pem = platform::read_text_file(public_key_file);
    if (!domain::is_public_key(*options.public_pem)) {
      std::cerr << "machine-users audit verify: " << public_key_file
                << " is no Ed25519 public key (PEM)\n";
      return 1;
    }
  }
  if (!seals_file.empty()) options.seal_log = platform::read_seal_log(seals_file);
  const auto report = eventstore::verify_store(database_url, options);
  if (report.failure) {
    std::cerr << "machine-users audit verify: " << *report.failure << "\n";
    std::cout << "FAILED after " << report.events << " events\n";
    return 1;
  }
  std::cout << "ok: " << report.events << " events in " << report.streams
            << " streams hash and chain; " << report.seals << " seals cover "
            << report.sealed_events << " events; " << report.unsealed_events
            << " events not sealed yet\n";
  for (const auto& note : report.notes) std::cout << "note: " << note << "\n";
  return 0;
}

int seal(const std::vector<std::string>& args, const std::string& database_url) {
  std::string key_file = env_or("MU_SEAL_KEY"), log_file = env_or("MU_SEAL_LOG");
  if (auto done = parse_flags(kSeal, args, {{"--key", &key_file}, {"--seal-log", &log_file}}))
    return *done;
  if (key_file.empty()) return usage("seal", "no seal key: give --key FILE or set MU_SEAL_KEY");
  const auto key = platform::read_text_file(key_file);
  if (!domain::public_key_pem(key)) {
    std::cerr << "machine-users audit seal: " << key_file << " is no Ed25519 private key (PEM)\n";
    return 1;
  }
  pqxx::connection conn(database_url);
  const auto sealed = eventstore::seal_now(conn, key, true);
  if (sealed) {
    std::cout << "seal " << sealed->id << ": " << sealed->events << " events up to position "
              << sealed->upto_position << "\n";
  } else {
    std::cout << "nothing new to seal\n";
  }
  if (!log_file.empty()) platform::sync_seal_log(conn, log_file);
  return 0;
}

}  // namespace

int run_audit_integrity(const std::string& sub, const std::vector<std::string>& args,
                        const std::string& database_url) {
  if (sub == "verify") return verify(args, database_url);
  if (sub == "seal") return seal(args, database_url);
  return usage(sub, "unknown command (verify or seal)");
}

}  // namespace mu::cli
