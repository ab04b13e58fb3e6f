#include "client/output.h"

#include <algorithm>
#include <ctime>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/str_cat.h"

namespace samrad::client {
namespace {

size_t Utf8Width(absl::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

template <typename Enum>
struct NameEntry {
  Enum value;
  const char* name;
};

constexpr NameEntry<v1::Category> kCategories[] = {
    {v1::CATEGORY_HONOUR_VIOLENCE, "honour-violence"},
    {v1::CATEGORY_CHILD_MARRIAGE, "child-marriage"},
    {v1::CATEGORY_FORCED_MARRIAGE, "forced-marriage"},
    {v1::CATEGORY_FGM, "fgm"},
    {v1::CATEGORY_OTHER, "other"},
};
constexpr NameEntry<v1::Urgency> kUrgencies[] = {
    {v1::URGENCY_ACUTE, "acute"},
    {v1::URGENCY_HIGH, "high"},
    {v1::URGENCY_NORMAL, "normal"},
};
constexpr NameEntry<v1::OrgType> kOrgTypes[] = {
    {v1::ORG_TYPE_SOCIAL_SERVICES, "social-services"}, {v1::ORG_TYPE_SCHOOL, "school"},
    {v1::ORG_TYPE_HEALTH_CARE, "health-care"},         {v1::ORG_TYPE_POLICE, "police"},
    {v1::ORG_TYPE_PROSECUTION, "prosecution"},         {v1::ORG_TYPE_OTHER, "other"},
};
constexpr NameEntry<v1::AgeGroup> kAgeGroups[] = {
    {v1::AGE_GROUP_CHILD, "child"},
    {v1::AGE_GROUP_YOUNG_ADULT, "young-adult"},
    {v1::AGE_GROUP_ADULT, "adult"},
};
constexpr NameEntry<v1::ThreadState> kStates[] = {
    {v1::THREAD_STATE_OPEN, "open"},
    {v1::THREAD_STATE_CLAIMED, "claimed"},
    {v1::THREAD_STATE_ANSWERED, "answered"},
    {v1::THREAD_STATE_CLOSED, "closed"},
};

template <typename Enum, size_t N>
absl::string_view NameOf(const NameEntry<Enum> (&table)[N], Enum value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return "unspecified";
}

template <typename Enum, size_t N>
std::optional<Enum> ValueOf(const NameEntry<Enum> (&table)[N], absl::string_view name) {
  for (const auto& entry : table) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

template <typename Enum, size_t N>
std::vector<std::string> NamesOf(const NameEntry<Enum> (&table)[N]) {
  std::vector<std::string> names;
  for (const auto& entry : table) names.emplace_back(entry.name);
  return names;
}

}  // namespace

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headings_.size());
  for (std::string& cell : cells) std::replace(cell.begin(), cell.end(), '\n', ' ');
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths(headings_.size(), 0);
  for (size_t c = 0; c < headings_.size(); ++c) widths[c] = Utf8Width(headings_[c]);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], Utf8Width(row[c]));
  }
  std::string out;
  auto append_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      absl::StrAppend(&line, row[c]);
      if (c + 1 < row.size()) line.append(widths[c] - Utf8Width(row[c]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  };
  append_row(headings_);
  for (const auto& row : rows_) append_row(row);
  return out;
}

Json& Json::Push(Json value) {
  auto* array = std::get_if<ArrayT>(&value_);
  ABSL_RAW_CHECK(array != nullptr, "Json::Push on a non-array");
  array->push_back(std::move(value));
  return *this;
}

Json& Json::Set(std::string key, Json value) {
  auto* object = std::get_if<ObjectT>(&value_);
  ABSL_RAW_CHECK(object != nullptr, "Json::Set on a non-object");
  for (auto& [k, v] : *object) {
    if (k == key) {
      v = std::move(value);
      return *this;
    }
  }
  object->emplace_back(std::move(key), std::move(value));
  return *this;
}

std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += '"';
  return out;
}

void DumpTo(const Json& json, std::string& out) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          out += "null";
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, int64_t>) {
          absl::StrAppend(&out, v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          out += JsonQuote(v);
        } else if constexpr (std::is_same_v<T, Json::ArrayT>) {
          out += '[';
          for (size_t i = 0; i < v.size(); ++i) {
            if (i > 0) out += ',';
            DumpTo(v[i], out);
          }
          out += ']';
        } else {
          out += '{';
          for (size_t i = 0; i < v.size(); ++i) {
            if (i > 0) out += ',';
            out += JsonQuote(v[i].first);
            out += ':';
            DumpTo(v[i].second, out);
          }
          out += '}';
        }
      },
      json.value_);
}

std::string Json::Dump() const {
  std::string out;
  DumpTo(*this, out);
  return out;
}

std::string FormatAge(int64_t duration_ms) {
  int64_t s = std::max<int64_t>(0, duration_ms / 1000);
  if (s < 60) return absl::StrCat(s, "s");
  int64_t m = s / 60;
  if (m < 60) return absl::StrCat(m, "m");
  int64_t h = m / 60;
  if (h < 24) return absl::StrCat(h, "h ", m % 60, "m");
  return absl::StrCat(h / 24, "d ", h % 24, "h");
}

std::string FormatTimestamp(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

absl::string_view CategoryName(v1::Category value) { return NameOf(kCategories, value); }
absl::string_view UrgencyName(v1::Urgency value) { return NameOf(kUrgencies, value); }
absl::string_view OrgTypeName(v1::OrgType value) { return NameOf(kOrgTypes, value); }
absl::string_view AgeGroupName(v1::AgeGroup value) { return NameOf(kAgeGroups, value); }
absl::string_view ThreadStateName(v1::ThreadState value) { return NameOf(kStates, value); }
std::vector<std::string> CategoryNames() { return NamesOf(kCategories); }
std::vector<std::string> UrgencyNames() { return NamesOf(kUrgencies); }
std::vector<std::string> OrgTypeNames() { return NamesOf(kOrgTypes); }
std::vector<std::string> AgeGroupNames() { return NamesOf(kAgeGroups); }
std::optional<v1::Category> ParseCategory(absl::string_view n) { return ValueOf(kCategories, n); }
std::optional<v1::Urgency> ParseUrgency(absl::string_view n) { return ValueOf(kUrgencies, n); }
std::optional<v1::OrgType> ParseOrgType(absl::string_view n) { return ValueOf(kOrgTypes, n); }
std::optional<v1::AgeGroup> ParseAgeGroup(absl::string_view n) { return ValueOf(kAgeGroups, n); }
std::vector<std::string> ThreadStateNames() { return NamesOf(kStates); }
std::optional<v1::ThreadState> ParseThreadState(absl::string_view n) { return ValueOf(kStates, n); }

}  // namespace samrad::client
