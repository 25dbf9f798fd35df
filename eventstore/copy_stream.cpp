#include "eventstore/copy_stream.hpp"

#include <pqxx/stream_from>
#include <stdexcept>

#include "eventstore/copy_text.hpp"

namespace mu::eventstore {

std::size_t stream_rows(pqxx::transaction_base& tx, const std::string& query, std::size_t columns,
                        const std::function<bool(const std::vector<std::string>&)>& row) {
  // libpqxx 6.4 writes "COPY <name> TO STDOUT" with the name as given, so a
  // parenthesised query is taken for one.
  pqxx::stream_from copy(tx, "(" + query + ")");
  std::string line;
  std::vector<std::string> fields;
  std::size_t handed = 0;
  bool more = true;
  while (copy.get_raw_line(line)) {
    if (!more) continue;
    if (!split_copy_line(line, fields) || fields.size() != columns) {
      throw std::runtime_error("a COPY line has " + std::to_string(fields.size()) +
                               " fields, not " + std::to_string(columns));
    }
    ++handed;
    more = row(fields);
  }
  copy.complete();
  return handed;
}

}  // namespace mu::eventstore
