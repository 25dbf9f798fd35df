#include "domain/strict_json.hpp"

#include <cmath>
#include <optional>
#include <vector>

namespace mu::domain {

namespace {

using nlohmann::json;

// Builds the value with an explicit stack (nlohmann's SAX parser is iterative too),
// refusing what protojson or PostgreSQL would refuse as soon as it is seen.
class StrictBuilder {
 public:
  explicit StrictBuilder(std::string_view what) : what_(what) {}

  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  bool null() { return put(json(nullptr)); }
  bool boolean(bool v) { return put(json(v)); }
  bool number_integer(number_integer_t v) { return put(json(v)); }
  bool number_unsigned(number_unsigned_t v) { return put(json(v)); }
  bool number_float(number_float_t v, const string_t&) {
    if (!std::isfinite(v)) return fail("a number is out of range");
    return put(json(v));
  }
  bool string(string_t& v) {
    if (v.find('\0') != string_t::npos)
      return fail("a string contains the NUL character (\\u0000)");
    return put(json(std::move(v)));
  }
  bool binary(binary_t&) { return fail("binary values are not JSON"); }

  bool start_object(std::size_t) { return open(json::object()); }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_array() { return close(); }

  bool key(string_t& k) {
    if (k.find('\0') != string_t::npos) return fail("a field name contains the NUL character");
    auto& frame = stack_.back();
    // The keys before this one already hold their values (a value ends before the
    // next key starts), so the object itself says whether the key came before.
    if (frame.value.contains(k)) {
      return fail("duplicate field \"" + excerpt(k) + "\"");
    }
    frame.pending_key = std::move(k);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const json::exception& e) {
    // nlohmann's message ends with "; last read: '<the input>'", which can be long
    // and not UTF-8: keep only its fixed description.
    std::string what = e.what();
    if (auto at = what.find("; last read"); at != std::string::npos) what.resize(at);
    if (auto at = what.find(": "); at != std::string::npos) what.erase(0, at + 2);
    error_ = "invalid JSON in " + std::string(what_) + " at byte " + std::to_string(position) +
             ": " + what;
    return false;
  }

  json take() { return std::move(root_); }
  const std::optional<std::string>& error() const { return error_; }

 private:
  struct Frame {
    json value;
    std::string pending_key;
  };

  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  bool open(json container) {
    if (stack_.size() >= kMaxJsonDepth) {
      return fail(std::string(what_) + " is nested deeper than " + std::to_string(kMaxJsonDepth) +
                  " levels");
    }
    stack_.push_back({std::move(container), {}});
    return true;
  }

  bool close() {
    Frame done = std::move(stack_.back());
    stack_.pop_back();
    return put(std::move(done.value));
  }

  bool put(json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return true;
    }
    auto& frame = stack_.back();
    if (frame.value.is_object()) {
      frame.value[std::move(frame.pending_key)] = std::move(v);
      frame.pending_key.clear();
    } else {
      frame.value.push_back(std::move(v));
    }
    return true;
  }

  std::string_view what_;
  std::vector<Frame> stack_;
  json root_;
  std::optional<std::string> error_;
};

}  // namespace

std::string excerpt(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  // Back off continuation bytes (10xxxxxx) so that no character is split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

Result<nlohmann::json> read_strict_json(std::string_view text, std::string_view what) {
  // nlohmann skips a byte-order mark silently; protojson refuses it.
  if (text.starts_with("\xEF\xBB\xBF")) {
    return invalid_argument(std::string(what) + " starts with a byte-order mark (U+FEFF)");
  }
  StrictBuilder builder(what);
  const bool ok = json::sax_parse(text.begin(), text.end(), &builder, json::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  if (!ok || builder.error()) {
    return invalid_argument(builder.error().value_or("invalid JSON in " + std::string(what)));
  }
  return builder.take();
}

}  // namespace mu::domain
