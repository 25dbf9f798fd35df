// A request's header fields as the parser gave them, in one buffer: names lower-cased, each
// looked up where it lies. Copying them into a map of strings cost a node and often two
// strings per field on every call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mu::http {

class HeaderList {
 public:
  struct Field {
    std::string_view name, value;
  };

  void reserve(std::size_t fields, std::size_t bytes);
  // Adds a field, its name lower-cased. A name seen before gets ", value" appended instead:
  // repeated fields are one comma-joined field (RFC 9110 5.3).
  void add(std::string_view name, std::string_view value);
  // The value of the field named `lower_name` (lower case), if there is one. The view lasts
  // until the next add() or until the list is moved.
  std::optional<std::string_view> find(std::string_view lower_name) const;

  std::size_t size() const { return entries_.size(); }
  Field operator[](std::size_t i) const {
    const auto& e = entries_[i];
    return {view(e.name_at, e.name_size), view(e.value_at, e.value_size)};
  }

 private:
  struct Entry {
    std::uint32_t name_at, name_size, value_at, value_size;
  };
  std::string_view view(std::uint32_t at, std::uint32_t size) const {
    return std::string_view(text_).substr(at, size);
  }
  std::uint32_t append(std::string_view s);

  std::string text_;
  std::vector<Entry> entries_;
};

}  // namespace mu::http
