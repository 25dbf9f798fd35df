#include "domain/audit.hpp"

#include <array>
#include <utility>

#include "domain/validation.hpp"

namespace mu::domain {

namespace {

// English texts in the style of ZITADEL's i18n (en.yaml, "EventTypes" and
// "AggregateTypes") for the types this service writes.
constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kEventTexts{{
    {"user.machine.added", "Technical user added"},
    {"user.machine.changed", "Technical user changed"},
    {"user.deactivated", "User deactivated"},
    {"user.reactivated", "User reactivated"},
    {"user.locked", "User locked"},
    {"user.unlocked", "User unlocked"},
    {"user.removed", "User removed"},
    {"user.personal.access.token.added", "Personal Access Token added"},
    {"user.personal.access.token.removed", "Personal Access Token removed"},
    {"user.machine.secret.set", "Secret set"},
    {"user.machine.secret.removed", "Secret removed"},
    {"user.machine.key.added", "Key added"},
    {"user.machine.key.removed", "Key removed"},
    {"user.token.v2.added", "Access Token added"},
    {"user.token.removed", "Access Token removed"},
    {"org.added", "Organization created"},
    {"org.member.added", "Organization member added"},
    {"org.member.changed", "Organization member changed"},
    {"org.member.removed", "Organization member removed"},
    {"instance.member.added", "Instance member added"},
    {"instance.member.changed", "Instance member changed"},
    {"instance.member.removed", "Instance member removed"},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kAggregateTexts{{
    {"user", "User"},
    {"org", "Organization"},
    {"instance", "Instance"},
}};

template <std::size_t N>
std::string text_of(const std::array<std::pair<std::string_view, std::string_view>, N>& texts,
                    std::string_view type, const std::string& key) {
  for (const auto& [t, text] : texts) {
    if (t == type) return std::string(text);
  }
  return key;
}

}  // namespace

std::vector<std::string_view> event_types() {
  std::vector<std::string_view> out;
  for (const auto& [type, text] : kEventTexts) out.push_back(type);
  return out;
}
std::vector<std::string_view> aggregate_types() {
  std::vector<std::string_view> out;
  for (const auto& [type, text] : kAggregateTexts) out.push_back(type);
  return out;
}

std::string event_type_key(std::string_view type) {
  return "EventTypes." + std::string(type);
}
std::string event_type_message(std::string_view type) {
  return text_of(kEventTexts, type, event_type_key(type));
}
std::string aggregate_type_key(std::string_view type) {
  return "AggregateTypes." + std::string(type);
}
std::string aggregate_type_message(std::string_view type) {
  return text_of(kAggregateTexts, type, aggregate_type_key(type));
}

std::optional<Error> validate(const UserChangesQuery& q) {
  return check_length("ListUserChangesRequest", "UserId", q.user_id, 1, 200);
}

std::optional<Error> validate(const EventsQuery& q) {
  auto too_many = [](std::string_view field, std::size_t n,
                     std::size_t max) -> std::optional<Error> {
    if (n <= max) return std::nullopt;
    // protoc-gen-validate's wording for repeated.max_items.
    return invalid_argument("invalid ListEventsRequest." + std::string(field) +
                            ": value must contain no more than " + std::to_string(max) +
                            " item(s)");
  };
  // Each type is text the database compares: valid UTF-8 of a sane length.
  auto each = [](std::string_view field, const std::vector<std::string>& types) {
    std::optional<Error> e;
    for (const auto& t : types) {
      if ((e = check_length("ListEventsRequest", field, t, 1, 200))) break;
    }
    return e;
  };
  return first_error(
      [&] { return check_length("ListEventsRequest", "EditorUserId", q.editor_user_id, 0, 200); },
      [&] { return too_many("EventTypes", q.event_types.size(), kMaxEventTypesFilter); },
      [&] { return each("EventTypes", q.event_types); },
      [&] { return check_length("ListEventsRequest", "AggregateId", q.aggregate_id, 0, 200); },
      [&] {
        return too_many("AggregateTypes", q.aggregate_types.size(), kMaxAggregateTypesFilter);
      },
      [&] { return each("AggregateTypes", q.aggregate_types); },
      [&] { return check_length("ListEventsRequest", "ResourceOwner", q.resource_owner, 0, 200); },
      [&]() -> std::optional<Error> {
        if (q.since && q.until && *q.until <= *q.since) {
          return invalid_argument("invalid ListEventsRequest.Range: until must be after since");
        }
        return std::nullopt;
      });
}

Result<AsOf> parse_as_of(std::string_view text) {
  AsOf at;
  if (!text.empty() && text.size() <= 19 && text.find_first_not_of("0123456789") == text.npos) {
    const auto sequence = std::stoull(std::string(text));
    if (sequence > 0) {
      at.sequence = sequence;
      return at;
    }
  } else if (auto time = parse_rfc3339(text)) {
    at.time = *time;
    return at;
  }
  return invalid_argument(
      "asOf must be a sequence (1 or more) or an RFC 3339 timestamp, such as "
      "2026-11-28T10:55:22Z");
}

std::optional<UserAsOf> user_as_of(const std::vector<StoredEvent>& events, const AsOf& at) {
  UserAsOf out;
  bool any = false;
  for (const auto& e : events) {
    if (at.sequence && e.sequence > *at.sequence) break;
    if (at.time && e.created_at > *at.time) break;
    apply(out.user, e);
    if (e.type == event_type::kMachineAdded) out.creation_date = e.created_at;
    out.change_date = e.created_at;
    any = true;
  }
  if (!any || out.user.state == UserState::Unspecified) return std::nullopt;
  return out;
}

}  // namespace mu::domain
