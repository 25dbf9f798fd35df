#include "app/queries/read_models.hpp"

#include <set>

namespace mu::queries {

namespace {

template <class Rows>
std::map<std::string, projections::UserView> editors_of(DbSession& db, pqxx::transaction_base& read,
                                                        const Rows& rows) {
  std::set<std::string> ids;
  for (const auto& r : rows) ids.insert(r.creator);
  return db.users().find_many(read, ids);
}

}  // namespace

domain::Result<std::optional<std::string>> unique_key_holder(DbSession& db, std::string_view type,
                                                             const std::string& value) {
  try {
    pqxx::nontransaction read(db.connection());
    return db.store().unique_key_holder(read, {std::string(type), value});
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

domain::Result<bool> is_iam_owner(DbSession& db, const std::string& user_id) {
  try {
    pqxx::nontransaction read(db.connection());
    for (const auto& m : db.auth().memberships_of(read, user_id)) {
      if (m.scope != domain::kInstanceScope) continue;
      for (auto r : m.roles) {
        if (r == domain::Role::IamOwner) return true;
      }
    }
    return false;
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

domain::Result<std::optional<projections::TokenGrant>> find_token(DbSession& db,
                                                                  const std::string& token_hash) {
  try {
    pqxx::nontransaction read(db.connection());
    return db.tokens().find(read, token_hash);
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

domain::Result<std::optional<projections::TokenGrant>> find_issued_jwt(
    DbSession& db, const std::string& token_id) {
  try {
    pqxx::nontransaction read(db.connection());
    return db.tokens().find_jwt(read, token_id);
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

domain::Result<std::optional<projections::TokenDetails>> token_details(
    DbSession& db, const std::string& token_hash, const std::string& jwt_id) {
  try {
    pqxx::nontransaction read(db.connection());
    return db.tokens().details(read, token_hash, jwt_id);
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

domain::Result<std::vector<domain::Membership>> memberships_of(DbSession& db,
                                                               const std::string& user_id) {
  try {
    pqxx::nontransaction read(db.connection());
    return db.tokens().memberships(read, user_id);
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

domain::Result<std::optional<MachineUserRead>> find_machine_user(DbSession& db,
                                                                 const std::string& id) {
  try {
    auto& reader = db.reader();  // a standby that has every acknowledged write, or the primary
    pqxx::nontransaction read(reader.connection());
    auto found = reader.users().find_with_secret(read, id);
    if (!found) return std::optional<MachineUserRead>();
    return std::optional<MachineUserRead>(MachineUserRead{std::move(found->first), found->second});
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

domain::Result<std::optional<projections::MachineKeyView>> find_machine_key(
    DbSession& db, const std::string& user_id, const std::string& key_id) {
  try {
    pqxx::nontransaction read(db.connection());
    return db.credentials().find_key(read, user_id, key_id);
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

domain::Result<projections::MachineKeyPage> machine_keys(DbSession& db, const std::string& user_id,
                                                         const std::string& owner,
                                                         std::uint64_t offset, std::uint32_t limit,
                                                         bool asc) {
  try {
    // One snapshot for the page and its count.
    pqxx::read_transaction read(db.connection());
    return db.credentials().keys_of(read, user_id, owner, offset, limit, asc);
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

domain::Result<std::vector<projections::ClientSecretView>> find_clients(
    DbSession& db, const std::string& client_id) {
  try {
    pqxx::nontransaction read(db.connection());
    return db.credentials().clients_named(read, client_id);
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

domain::Result<std::optional<domain::UserAsOf>> user_as_of(DbSession& db, const std::string& id,
                                                           const domain::AsOf& at) {
  try {
    pqxx::read_transaction read(db.connection());
    return domain::user_as_of(db.store().read_stream(read, std::string(domain::kUserAggregate), id),
                              at);
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

domain::Result<std::optional<projections::OrgView>> find_org(DbSession& db, const std::string& id) {
  try {
    pqxx::nontransaction read(db.connection());
    return db.auth().find_org(read, id);
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

domain::Result<AuditPage<eventstore::ChangeRow>> user_changes(DbSession& db,
                                                              const domain::UserChangesQuery& q,
                                                              const std::string& org_id) {
  try {
    auto& reader = db.reader();
    pqxx::nontransaction read(reader.connection());
    AuditPage<eventstore::ChangeRow> page;
    page.rows = eventstore::user_changes(read, q, org_id);
    page.editors = editors_of(reader, read, page.rows);
    return page;
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

domain::Result<AuditPage<eventstore::EventRow>> events_page(DbSession& db,
                                                            const domain::EventsQuery& q,
                                                            const std::string& only_owner,
                                                            std::uint32_t limit) {
  try {
    // Autocommit: the horizon's statement ends before the events' snapshot is taken.
    auto& reader = db.reader();
    pqxx::nontransaction read(reader.connection());
    const auto window = eventstore::events_window(read, q.after_position);
    if (!window) {
      return domain::invalid_argument("afterPosition " + std::to_string(q.after_position) +
                                      " is the position of no event");
    }
    AuditPage<eventstore::EventRow> page;
    page.rows = eventstore::list_events(
        read, eventstore::events_select(read, q, only_owner, *window, limit));
    page.editors = editors_of(reader, read, page.rows);
    return page;
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

}  // namespace mu::queries
