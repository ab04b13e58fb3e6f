#include "client/values.h"

#include <algorithm>

namespace samrad::client {
namespace {

struct ValueEntry {
  ValueKind kind;
  int value;
  const char* en;
  const char* sv;
};

// The one value table. English tokens are the command-line and JSON names
// since the first release: never change them.
constexpr ValueEntry kValues[] = {
    {ValueKind::kCategory, v1::CATEGORY_HONOUR_VIOLENCE, "honour-violence", "hedersrelaterat-våld"},
    {ValueKind::kCategory, v1::CATEGORY_CHILD_MARRIAGE, "child-marriage", "barnäktenskap"},
    {ValueKind::kCategory, v1::CATEGORY_FORCED_MARRIAGE, "forced-marriage", "tvångsäktenskap"},
    {ValueKind::kCategory, v1::CATEGORY_FGM, "fgm", "könsstympning"},
    {ValueKind::kCategory, v1::CATEGORY_OTHER, "other", "annat"},
    {ValueKind::kUrgency, v1::URGENCY_ACUTE, "acute", "akut"},
    {ValueKind::kUrgency, v1::URGENCY_HIGH, "high", "hög"},
    {ValueKind::kUrgency, v1::URGENCY_NORMAL, "normal", "normal"},
    {ValueKind::kOrgType, v1::ORG_TYPE_SOCIAL_SERVICES, "social-services", "socialtjänst"},
    {ValueKind::kOrgType, v1::ORG_TYPE_SCHOOL, "school", "skola"},
    {ValueKind::kOrgType, v1::ORG_TYPE_HEALTH_CARE, "health-care", "hälso-och-sjukvård"},
    {ValueKind::kOrgType, v1::ORG_TYPE_POLICE, "police", "polis"},
    {ValueKind::kOrgType, v1::ORG_TYPE_PROSECUTION, "prosecution", "åklagare"},
    {ValueKind::kOrgType, v1::ORG_TYPE_OTHER, "other", "annan"},
    {ValueKind::kAgeGroup, v1::AGE_GROUP_CHILD, "child", "barn"},
    {ValueKind::kAgeGroup, v1::AGE_GROUP_YOUNG_ADULT, "young-adult", "ung-vuxen"},
    {ValueKind::kAgeGroup, v1::AGE_GROUP_ADULT, "adult", "vuxen"},
    {ValueKind::kThreadState, v1::THREAD_STATE_OPEN, "open", "öppet"},
    {ValueKind::kThreadState, v1::THREAD_STATE_CLAIMED, "claimed", "taget"},
    {ValueKind::kThreadState, v1::THREAD_STATE_ANSWERED, "answered", "besvarat"},
    {ValueKind::kThreadState, v1::THREAD_STATE_CLOSED, "closed", "stängt"},
    {ValueKind::kLocalState, 0, "unsent", "ej-skickat"},
    {ValueKind::kLocalState, 1, "purged", "gallrat"},
    {ValueKind::kWatchEvent, 0, "new", "nytt"},
    {ValueKind::kWatchEvent, 1, "follow-up", "uppföljning"},
    {ValueKind::kWatchEvent, 2, "claimed", "taget"},
    {ValueKind::kWatchEvent, 3, "released", "släppt"},
    {ValueKind::kWatchEvent, 4, "answered", "besvarat"},
    {ValueKind::kWatchEvent, 5, "referred-in", "hänvisat-hit"},
    {ValueKind::kWatchEvent, 6, "referred-out", "hänvisat-vidare"},
    {ValueKind::kWatchEvent, 7, "closed", "stängt"},
    {ValueKind::kWatchEvent, 8, "handed-over", "överlämnat"},
    {ValueKind::kWatchEvent, 9, "changed", "ändrat"},
};

constexpr ValueKind kChoiceKinds[] = {ValueKind::kCategory, ValueKind::kUrgency,
                                      ValueKind::kOrgType, ValueKind::kAgeGroup,
                                      ValueKind::kThreadState};

const char* TokenOf(const ValueEntry& entry, Language language) {
  return language == Language::kSwedish ? entry.sv : entry.en;
}

// Lowercase (ASCII and Å Ä Ö É), separators " " "_" "-" as one "-", trimmed;
// with `fold`, å ä -> a, ö -> o, é -> e.
std::string Normalize(absl::string_view s, bool fold) {
  std::string out;
  bool pending_dash = false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || c == '_' || c == '-' || c == '\t') {
      pending_dash = !out.empty();
      continue;
    }
    if (pending_dash) out.push_back('-');
    pending_dash = false;
    if (c == 0xC3 && i + 1 < s.size()) {
      unsigned char d = static_cast<unsigned char>(s[i + 1]);
      if (d >= 0x80 && d <= 0x9E && d != 0x97) d = static_cast<unsigned char>(d + 0x20);
      ++i;
      if (fold && (d == 0xA5 || d == 0xA4)) {
        out.push_back('a');
      } else if (fold && d == 0xB6) {
        out.push_back('o');
      } else if (fold && d == 0xA9) {
        out.push_back('e');
      } else {
        out.push_back(static_cast<char>(c));
        out.push_back(static_cast<char>(d));
      }
      continue;
    }
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c));
  }
  return out;
}

// The values of `kind` whose token (either language) normalizes to `typed`.
std::vector<int> Matches(ValueKind kind, absl::string_view typed, bool fold) {
  const std::string want = Normalize(typed, fold);
  std::vector<int> found;
  for (const ValueEntry& entry : kValues) {
    if (entry.kind != kind) continue;
    if (Normalize(entry.en, fold) == want || Normalize(entry.sv, fold) == want) {
      if (std::find(found.begin(), found.end(), entry.value) == found.end()) {
        found.push_back(entry.value);
      }
    }
  }
  return found;
}

// The kind whose English tokens are exactly `choices`, if any.
std::optional<ValueKind> KindOfChoices(const std::vector<std::string>& choices) {
  for (ValueKind kind : kChoiceKinds) {
    if (ValueTokens(kind, Language::kEnglish) == choices) return kind;
  }
  return std::nullopt;
}

// The entry of `kind` whose English token is `english_token`, or nullptr.
const ValueEntry* EntryOfToken(ValueKind kind, absl::string_view english_token) {
  for (const ValueEntry& entry : kValues) {
    if (entry.kind == kind && english_token == entry.en) return &entry;
  }
  return nullptr;
}

}  // namespace

absl::string_view ValueToken(ValueKind kind, int value, Language language) {
  for (const ValueEntry& entry : kValues) {
    if (entry.kind == kind && entry.value == value) return TokenOf(entry, language);
  }
  return language == Language::kSwedish ? "ospecificerat" : "unspecified";
}

std::optional<int> ParseValue(ValueKind kind, absl::string_view typed) {
  std::vector<int> exact = Matches(kind, typed, /*fold=*/false);
  if (exact.size() == 1) return exact.front();
  std::vector<int> folded = Matches(kind, typed, /*fold=*/true);
  if (folded.size() == 1) return folded.front();
  return std::nullopt;
}

std::vector<std::string> ValueTokens(ValueKind kind, Language language) {
  std::vector<std::string> tokens;
  for (const ValueEntry& entry : kValues) {
    if (entry.kind == kind) tokens.emplace_back(TokenOf(entry, language));
  }
  return tokens;
}

absl::string_view ValueText(v1::Category value, const Messages& messages) {
  return ValueToken(ValueKind::kCategory, value, messages.language());
}
absl::string_view ValueText(v1::Urgency value, const Messages& messages) {
  return ValueToken(ValueKind::kUrgency, value, messages.language());
}
absl::string_view ValueText(v1::OrgType value, const Messages& messages) {
  return ValueToken(ValueKind::kOrgType, value, messages.language());
}
absl::string_view ValueText(v1::AgeGroup value, const Messages& messages) {
  return ValueToken(ValueKind::kAgeGroup, value, messages.language());
}
absl::string_view ValueText(v1::ThreadState value, const Messages& messages) {
  return ValueToken(ValueKind::kThreadState, value, messages.language());
}

std::string TokenText(ValueKind kind, absl::string_view english_token, const Messages& messages) {
  const ValueEntry* entry = EntryOfToken(kind, english_token);
  return entry != nullptr ? TokenOf(*entry, messages.language()) : std::string(english_token);
}

std::string StateText(absl::string_view english_token, const Messages& messages) {
  const ValueEntry* entry = EntryOfToken(ValueKind::kThreadState, english_token);
  if (entry == nullptr) entry = EntryOfToken(ValueKind::kLocalState, english_token);
  return entry != nullptr ? TokenOf(*entry, messages.language()) : std::string(english_token);
}

std::optional<std::string> CanonicalChoice(const std::vector<std::string>& choices,
                                           absl::string_view typed) {
  if (std::optional<ValueKind> kind = KindOfChoices(choices); kind.has_value()) {
    std::optional<int> value = ParseValue(*kind, typed);
    if (!value.has_value()) return std::nullopt;
    return std::string(ValueToken(*kind, *value, Language::kEnglish));
  }
  if (std::find(choices.begin(), choices.end(), typed) == choices.end()) return std::nullopt;
  return std::string(typed);
}

std::vector<std::string> LocalizedChoices(const std::vector<std::string>& choices,
                                          Language language) {
  std::optional<ValueKind> kind = KindOfChoices(choices);
  return kind.has_value() ? ValueTokens(*kind, language) : choices;
}

}  // namespace samrad::client
