#include "app/platform/db_session.hpp"

#include <poll.h>

#include "app/platform/log.hpp"
#include "app/platform/metrics.hpp"

#include "eventstore/db_errors.hpp"

namespace mu::platform {

DbSession::DbSession(std::string url, std::string read_url)
    : url_(std::move(url)), read_url_(std::move(read_url)) {}
DbSession::~DbSession() = default;

void DbSession::ensure_connected() {
  if (conn_ && conn_->is_open()) return;
  reset();
  auto conn = std::make_unique<pqxx::connection>(url_);
  store_ = std::make_unique<eventstore::EventStore>(*conn);
  idempotency_ = std::make_unique<eventstore::IdempotencyStore>(*conn);
  users_ = std::make_unique<projections::UsersProjection>(*conn);
  auth_ = std::make_unique<projections::AuthProjections>(*conn);
  tokens_ = std::make_unique<projections::TokenLookup>(*conn);
  credentials_ = std::make_unique<projections::MachineCredentials>(*conn);
  for (const auto& p : projections::registry()) {
    reducers_.emplace_back(p.name, projections::make_reducer(*conn, p));
  }
  conn_ = std::move(conn);
}

pqxx::connection& DbSession::connection() {
  ensure_connected();
  return *conn_;
}

eventstore::EventStore& DbSession::store() {
  ensure_connected();
  return *store_;
}

eventstore::IdempotencyStore& DbSession::idempotency() {
  ensure_connected();
  return *idempotency_;
}

projections::UsersProjection& DbSession::users() {
  ensure_connected();
  return *users_;
}

projections::AuthProjections& DbSession::auth() {
  ensure_connected();
  return *auth_;
}

projections::TokenLookup& DbSession::tokens() {
  ensure_connected();
  return *tokens_;
}

projections::MachineCredentials& DbSession::credentials() {
  ensure_connected();
  return *credentials_;
}

void DbSession::reduce_inline(pqxx::transaction_base& tx,
                              const std::vector<domain::StoredEvent>& events) {
  ensure_connected();
  for (const auto& [name, reduce] : reducers_) {
    if (projections::mode_of(name) == projections::Mode::Inline) reduce(tx, events);
  }
}

void DbSession::drop_if_closed_by_server() {
  if (!conn_) return;
  const int fd = conn_->sock();
  if (fd < 0) return reset();
  pollfd p{fd, POLLIN, 0};
  // Workers do not LISTEN: nothing is due on an idle connection.
  if (::poll(&p, 1, 0) != 0) reset();
}

void DbSession::reset() {
  reducers_.clear();
  credentials_.reset();
  tokens_.reset();
  auth_.reset();
  users_.reset();
  idempotency_.reset();
  store_.reset();
  conn_.reset();
}

DbSession& DbSession::reader() {
  if (read_url_.empty()) return *this;
  // On the primary: a position every write acknowledged before this read lies before.
  std::string lsn;
  {
    pqxx::nontransaction tx(connection());
    lsn = tx.exec1("SELECT pg_current_wal_insert_lsn()::text")[0].as<std::string>();
  }
  if (!standby_) standby_ = std::make_unique<DbSession>(read_url_);
  try {
    pqxx::nontransaction tx(standby_->connection());
    // On the primary itself (prefer-standby found no standby) the replay position is NULL:
    // it has everything.
    const bool caught_up =
        tx.exec_params1("SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, true)", lsn)[0]
            .as<bool>();
    if (caught_up) {
      ++metrics().standby_reads;
      return *standby_;
    }
  } catch (const std::exception&) {
    standby_->reset();  // tried again at the next read
  }
  ++metrics().primary_reads;
  return *this;
}

domain::Error DbSession::failure(const std::exception& e) {
  if (eventstore::is_connection_error(e)) reset();
  auto error = eventstore::classify_db_error(e);
  if (error.code == domain::Code::Internal) log_error("database error", e.what());
  return error;
}

}  // namespace mu::platform
