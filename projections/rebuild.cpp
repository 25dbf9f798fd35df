#include "projections/rebuild.hpp"

#include <nlohmann/json.hpp>

#include "projections/auth_projections.hpp"
#include "projections/catch_up.hpp"

namespace mu::projections {

namespace {

constexpr std::size_t kBatch = 5000;
constexpr const char* kBeside = "_rebuild";
constexpr const char* kScratch = "_verify";

// The SQL expression of each table's primary key, for diffs.
std::string key_of(const std::string& table) {
  if (table == "members_read_model") return "scope || ':' || user_id";
  if (table == "pats_read_model") return "token_hash";
  if (table == "machine_keys_read_model") return "user_id || ':' || id";
  if (table == "machine_secrets_read_model") return "user_id";
  if (table == "issued_tokens_read_model") return "token_id";
  return "id";
}

std::int64_t count_events(pqxx::transaction_base& tx) {
  return tx.exec1("SELECT coalesce(max(position), 0) FROM events")[0].as<std::int64_t>();
}

// Runs catch-up steps in `tx` until nothing is left.
std::int64_t drain(pqxx::transaction_base& tx, const std::string& checkpoint,
                   const ReduceBatch& reduce, Progress& progress, const ProgressFn& report) {
  std::int64_t total = 0;
  for (;;) {
    const auto n = static_cast<std::int64_t>(catch_up_step(tx, checkpoint, kBatch, reduce));
    if (n == 0) return total;
    total += n;
    progress.done += n;
    if (report) report(progress);
  }
}

class ReplayLock {
 public:
  ReplayLock(pqxx::connection& conn, const std::string& name) : conn_(conn), name_(name) {
    pqxx::nontransaction tx(conn_);
    if (!tx.exec_params1("SELECT pg_try_advisory_lock(hashtext('mu_replay:' || $1))", name_)[0]
             .as<bool>()) {
      throw RebuildError("a replay of " + name_ + " is already running");
    }
  }
  ~ReplayLock() {
    try {
      pqxx::nontransaction tx(conn_);
      tx.exec_params("SELECT pg_advisory_unlock(hashtext('mu_replay:' || $1))", name_);
    } catch (...) {
      // The session is gone, and the lock with it.
    }
  }
  ReplayLock(const ReplayLock&) = delete;
  ReplayLock& operator=(const ReplayLock&) = delete;

 private:
  pqxx::connection& conn_;
  std::string name_;
};

std::int64_t replay_beside(pqxx::connection& conn, const ProjectionInfo& p,
                           const ProgressFn& report) {
  const std::string live = p.tables.front();
  const std::string next = live + kBeside;
  const std::string checkpoint = rebuild_checkpoint(p);
  Progress progress;
  int since_report = 0;
  {
    pqxx::work tx(conn);
    tx.exec("DROP TABLE IF EXISTS " + tx.quote_name(next));
    tx.exec("CREATE TABLE " + tx.quote_name(next) + " (LIKE " + tx.quote_name(live) +
            " INCLUDING ALL)");
    reset_checkpoint(tx, checkpoint);
    progress.total = count_events(tx);
    tx.commit();
  }
  const auto reduce = make_reducer(conn, p, kBeside, Batching::InMemory);
  if (auto fold = make_fold(p)) {
    // First pass: all of history as of now, folded in memory (for users, one row per
    // user) and written into the empty table, in one transaction with its checkpoint.
    pqxx::work tx(conn);
    catch_up_window(tx, checkpoint, [&](const domain::StoredEvent& e) {
      fold->apply(e);
      ++progress.done;
      if (report && ++since_report == 20000) {
        since_report = 0;
        report(progress);
      }
    });
    fold->write(tx, next);
    tx.commit();
    if (report) report(progress);
  }
  // Catch up with what was written meanwhile: one transaction per batch.
  for (;;) {
    pqxx::work tx(conn);
    const auto n = static_cast<std::int64_t>(catch_up_step(tx, checkpoint, kBatch, reduce));
    tx.commit();
    if (n == 0) break;
    progress.done += n;
    if (report) report(progress);
  }
  // The switch: writers of the live table wait (reads go on) while the rest is
  // reduced and the tables change places; an async runner waits on its checkpoint.
  pqxx::work tx(conn);
  tx.exec("SET LOCAL lock_timeout = '10s'");
  tx.exec("LOCK TABLE " + tx.quote_name(live) + " IN EXCLUSIVE MODE");
  tx.exec_params("SELECT 1 FROM projection_checkpoints WHERE projection = $1 FOR UPDATE",
                 async_checkpoint(p));
  drain(tx, checkpoint, reduce, progress, report);
  tx.exec("ALTER TABLE " + tx.quote_name(live) + " RENAME TO " + tx.quote_name(live + "_old"));
  tx.exec("ALTER TABLE " + tx.quote_name(next) + " RENAME TO " + tx.quote_name(live));
  tx.exec("DROP TABLE " + tx.quote_name(live + "_old"));
  copy_checkpoint(tx, checkpoint, async_checkpoint(p));
  tx.exec_params("DELETE FROM projection_checkpoints WHERE projection = $1", checkpoint);
  tx.commit();
  return progress.done;
}

std::int64_t replay_in_place(pqxx::connection& conn, const ProjectionInfo& p,
                             const ProgressFn& report) {
  const auto reduce = make_reducer(conn, p);
  AuthProjections auth(conn);
  Progress progress;
  pqxx::work tx(conn);
  tx.exec("SET LOCAL lock_timeout = '10s'");
  for (const auto& t : p.tables) tx.exec("LOCK TABLE " + tx.quote_name(t) + " IN EXCLUSIVE MODE");
  progress.total = count_events(tx);
  auth.reset(tx);
  reset_checkpoint(tx, rebuild_checkpoint(p));
  drain(tx, rebuild_checkpoint(p), reduce, progress, report);
  tx.exec_params("DELETE FROM projection_checkpoints WHERE projection = $1", rebuild_checkpoint(p));
  auth.record_inline_checkpoint(tx);
  tx.commit();
  return progress.done;
}

// Rows of `a` and `b` (same shape) that differ, column by column.
void diff_tables(pqxx::transaction_base& tx, const std::string& table, const std::string& a,
                 const std::string& b, std::vector<RowDifference>& out) {
  const auto key = key_of(table);
  const auto rows =
      tx.exec("SELECT coalesce(l.k, r.k), l.j::text, r.j::text FROM (SELECT " + key +
              " AS k, to_jsonb(t) AS j FROM " + tx.quote_name(a) + " t) l FULL JOIN (SELECT " +
              key + " AS k, to_jsonb(t) AS j FROM " + tx.quote_name(b) +
              " t) r ON l.k = r.k WHERE l.j IS DISTINCT FROM r.j ORDER BY 1");
  for (const auto& row : rows) {
    const auto k = row[0].as<std::string>();
    if (row[1].is_null() || row[2].is_null()) {
      out.push_back({table, k, "(row)", row[1].is_null() ? "(missing)" : row[1].as<std::string>(),
                     row[2].is_null() ? "(missing)" : row[2].as<std::string>()});
      continue;
    }
    const auto live = nlohmann::json::parse(row[1].as<std::string>());
    const auto rebuilt = nlohmann::json::parse(row[2].as<std::string>());
    for (auto it = live.begin(); it != live.end(); ++it) {
      const auto other = rebuilt.find(it.key());
      if (other == rebuilt.end() || *other != it.value()) {
        out.push_back({table, k, it.key(), it.value().dump(),
                       other == rebuilt.end() ? "(missing)" : other->dump()});
      }
    }
  }
}

}  // namespace

std::int64_t replay(pqxx::connection& conn, const ProjectionInfo& p, const ProgressFn& progress) {
  ReplayLock lock(conn, p.name);
  return p.rebuilds_beside ? replay_beside(conn, p, progress) : replay_in_place(conn, p, progress);
}

std::vector<RowDifference> verify(pqxx::connection& conn, const ProjectionInfo& p) {
  std::vector<RowDifference> out;
  Progress progress;
  if (p.rebuilds_beside) {
    // One snapshot for the rebuild and the live rows: a repeatable-read transaction.
    const std::string live = p.tables.front();
    const std::string scratch = live + kScratch;
    {
      pqxx::work tx(conn);
      tx.exec("DROP TABLE IF EXISTS " + tx.quote_name(scratch));
      tx.exec("CREATE UNLOGGED TABLE " + tx.quote_name(scratch) + " (LIKE " + tx.quote_name(live) +
              " INCLUDING ALL)");
      tx.commit();
    }
    const auto reduce = make_reducer(conn, p, kScratch, Batching::InMemory);
    pqxx::transaction<pqxx::isolation_level::repeatable_read> tx(conn);
    const std::string checkpoint = p.name + "@verify";
    reset_checkpoint(tx, checkpoint);
    drain(tx, checkpoint, reduce, progress, {});
    diff_tables(tx, live, live, scratch, out);
    tx.abort();  // nothing of the check stays
    pqxx::work drop(conn);
    drop.exec("DROP TABLE IF EXISTS " + drop.quote_name(scratch));
    drop.commit();
    return out;
  }
  // In place, then rolled back: copies of the live rows first, then the rebuild. Its reset
  // writes the projection's current_states rows, which a serving instance's checkpoint
  // keeper moves every 250 ms: in this repeatable-read transaction that can be a
  // serialization failure, after which the check runs again on a new snapshot (it writes
  // nothing that stays, so running it again is harmless).
  const auto reduce = make_reducer(conn, p);
  AuthProjections auth(conn);
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    try {
      out.clear();
      pqxx::transaction<pqxx::isolation_level::repeatable_read> tx(conn);
      for (const auto& t : p.tables) {
        tx.exec("CREATE TEMP TABLE " + tx.quote_name(t + "_live") +
                " ON COMMIT DROP AS SELECT * FROM " + tx.quote_name(t));
      }
      auth.reset(tx);
      const std::string checkpoint = p.name + "@verify";
      reset_checkpoint(tx, checkpoint);
      drain(tx, checkpoint, reduce, progress, {});
      for (const auto& t : p.tables) diff_tables(tx, t, t + "_live", t, out);
      tx.abort();
      return out;
    } catch (const pqxx::serialization_failure&) {
      if (attempt == kAttempts) throw;
    }
  }
}

}  // namespace mu::projections
