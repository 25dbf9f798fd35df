// A fresh, migrated PostgreSQL database per test, on the server that ./test
// starts (its URL in DATABASE_URL). Dropped when the object goes away.
#pragma once

#include <string>

namespace mu::testing {

class TestDatabase {
 public:
  // Creates a database with a unique name; migrates it unless told not to.
  explicit TestDatabase(bool migrate = true);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }  // libpq URI of this database
  const std::string& name() const { return name_; }

 private:
  void drop() noexcept;

  std::string admin_url_;
  std::string name_;
  std::string url_;
};

// DATABASE_URL, or a test failure that says how to run the tests.
std::string server_url();

}  // namespace mu::testing
