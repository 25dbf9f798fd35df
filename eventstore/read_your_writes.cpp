#include "eventstore/read_your_writes.hpp"

#include <pqxx/pqxx>

#include "eventstore/cooperative_wait.hpp"

namespace mu::eventstore {

std::string caught_up_url(const std::string& primary_url, const std::string& standby_url,
                          std::chrono::milliseconds wait) {
  if (standby_url.empty()) return primary_url;
  std::string lsn;
  {
    pqxx::connection primary(primary_url);
    pqxx::nontransaction tx(primary);
    lsn = tx.exec1("SELECT pg_current_wal_insert_lsn()::text")[0].as<std::string>();
  }
  try {
    pqxx::connection standby(standby_url);
    const auto until = std::chrono::steady_clock::now() + wait;
    for (;;) {
      pqxx::nontransaction tx(standby);
      if (tx.exec_params1("SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, true)", lsn)[0]
              .as<bool>()) {
        return standby_url;
      }
      if (std::chrono::steady_clock::now() >= until) return primary_url;
      pause_for(std::chrono::milliseconds(20));
    }
  } catch (const pqxx::broken_connection&) {
    return primary_url;
  }
}

}  // namespace mu::eventstore
