#include "client/output.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/messages.h"
#include "client/values.h"
#include "common/check.h"

namespace samrad::client {
namespace {

size_t Utf8Width(absl::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
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
  SAMRAD_CHECK(array != nullptr, "Json::Push on a non-array");
  array->push_back(std::move(value));
  return *this;
}

Json& Json::Set(std::string key, Json value) {
  auto* object = std::get_if<ObjectT>(&value_);
  SAMRAD_CHECK(object != nullptr, "Json::Set on a non-object");
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

std::string CaseSubject(absl::string_view text, size_t max_chars) {
  std::string line;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    line.clear();
    bool space = false;
    for (char c : raw) {
      if (c == ' ' || c == '\t' || c == '\r') {
        space = !line.empty();
        continue;
      }
      if (space) line.push_back(' ');
      space = false;
      line.push_back(c);
    }
    if (!line.empty()) break;
  }
  // Byte offsets of the code points.
  std::vector<size_t> starts;
  for (size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  if (starts.size() <= max_chars || max_chars == 0) return line;
  line.resize(starts[max_chars - 1]);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line + "\u2026";
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

namespace {

// $TZ when set, else Europe/Stockholm for a Swedish locale, else the
// system's zone (absl::LocalTimeZone reads /etc/localtime).
absl::TimeZone DisplayZone() {
  const char* tz = std::getenv("TZ");
  if ((tz == nullptr || *tz == '\0') && LanguageFromEnvironment() == Language::kSwedish) {
    absl::TimeZone stockholm;
    if (absl::LoadTimeZone("Europe/Stockholm", &stockholm)) return stockholm;
  }
  return absl::LocalTimeZone();
}

}  // namespace

std::string FormatTimestamp(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%d %H:%M %Z", absl::FromUnixMillis(unix_ms), DisplayZone());
}

namespace {

template <typename Enum>
absl::string_view EnglishToken(ValueKind kind, Enum value) {
  return ValueToken(kind, static_cast<int>(value), Language::kEnglish);
}

template <typename Enum>
std::optional<Enum> Parse(ValueKind kind, absl::string_view name) {
  std::optional<int> value = ParseValue(kind, name);
  if (!value.has_value()) return std::nullopt;
  return static_cast<Enum>(*value);
}

}  // namespace

absl::string_view CategoryName(v1::Category v) { return EnglishToken(ValueKind::kCategory, v); }
absl::string_view UrgencyName(v1::Urgency v) { return EnglishToken(ValueKind::kUrgency, v); }
absl::string_view OrgTypeName(v1::OrgType v) { return EnglishToken(ValueKind::kOrgType, v); }
absl::string_view AgeGroupName(v1::AgeGroup v) { return EnglishToken(ValueKind::kAgeGroup, v); }
absl::string_view ThreadStateName(v1::ThreadState v) {
  return EnglishToken(ValueKind::kThreadState, v);
}
std::vector<std::string> CategoryNames() {
  return ValueTokens(ValueKind::kCategory, Language::kEnglish);
}
std::vector<std::string> UrgencyNames() {
  return ValueTokens(ValueKind::kUrgency, Language::kEnglish);
}
std::vector<std::string> OrgTypeNames() {
  return ValueTokens(ValueKind::kOrgType, Language::kEnglish);
}
std::vector<std::string> AgeGroupNames() {
  return ValueTokens(ValueKind::kAgeGroup, Language::kEnglish);
}
std::optional<v1::Category> ParseCategory(absl::string_view n) {
  return Parse<v1::Category>(ValueKind::kCategory, n);
}
std::optional<v1::Urgency> ParseUrgency(absl::string_view n) {
  return Parse<v1::Urgency>(ValueKind::kUrgency, n);
}
std::optional<v1::OrgType> ParseOrgType(absl::string_view n) {
  return Parse<v1::OrgType>(ValueKind::kOrgType, n);
}
std::optional<v1::AgeGroup> ParseAgeGroup(absl::string_view n) {
  return Parse<v1::AgeGroup>(ValueKind::kAgeGroup, n);
}
std::vector<std::string> ThreadStateNames() {
  return ValueTokens(ValueKind::kThreadState, Language::kEnglish);
}
std::optional<v1::ThreadState> ParseThreadState(absl::string_view n) {
  return Parse<v1::ThreadState>(ValueKind::kThreadState, n);
}

}  // namespace samrad::client
