#include "app/http/header_list.hpp"

namespace mu::http {

void HeaderList::reserve(std::size_t fields, std::size_t bytes) {
  entries_.reserve(fields);
  text_.reserve(bytes);
}

std::uint32_t HeaderList::append(std::string_view s) {
  const auto at = static_cast<std::uint32_t>(text_.size());
  text_ += s;
  return at;
}

void HeaderList::add(std::string_view name, std::string_view value) {
  const auto name_at = static_cast<std::uint32_t>(text_.size());
  for (char c : name) text_ += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  const auto lowered = view(name_at, static_cast<std::uint32_t>(name.size()));
  for (auto& e : entries_) {
    if (view(e.name_at, e.name_size) != lowered) continue;
    text_.resize(name_at);  // the name is there already
    // The joined value goes to the end; the old one stays unused (repeats are rare).
    const std::string before(view(e.value_at, e.value_size));
    const auto joined_at = static_cast<std::uint32_t>(text_.size());
    text_ += before;
    text_ += ", ";
    text_ += value;
    e.value_at = joined_at;
    e.value_size = static_cast<std::uint32_t>(text_.size() - joined_at);
    return;
  }
  const auto value_at = append(value);
  entries_.push_back({name_at, static_cast<std::uint32_t>(name.size()), value_at,
                      static_cast<std::uint32_t>(value.size())});
}

std::optional<std::string_view> HeaderList::find(std::string_view lower_name) const {
  for (const auto& e : entries_) {
    if (view(e.name_at, e.name_size) == lower_name) return view(e.value_at, e.value_size);
  }
  return std::nullopt;
}

}  // namespace mu::http
