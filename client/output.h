// Output for people (aligned tables, short ages) and scripts (JSON), and the
// command-line names of the case metadata enums.
//
// Stateless helpers and small value types; thread-compatible.
#ifndef SAMRAD_CLIENT_OUTPUT_H_
#define SAMRAD_CLIENT_OUTPUT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "proto/common.pb.h"

namespace samrad::client {

// A text table: a heading row, then rows; columns padded to the widest cell
// (width counted in code points), separated by two spaces, no trailing
// spaces. Cells must not contain newlines (they are replaced by spaces).
class Table {
 public:
  explicit Table(std::vector<std::string> headings) : headings_(std::move(headings)) {}
  // A row with fewer cells is padded with empty cells; extra cells dropped.
  void AddRow(std::vector<std::string> cells);
  size_t size() const { return rows_.size(); }
  std::string Render() const;

 private:
  std::vector<std::string> headings_;
  std::vector<std::vector<std::string>> rows_;
};

// A JSON value built in code and printed compactly (RFC 8259; non-ASCII
// UTF-8 kept as is; control characters, quote and backslash escaped).
// Object members keep insertion order.
class Json {
 public:
  Json() : value_(nullptr) {}
  Json(std::nullptr_t) : value_(nullptr) {}
  Json(bool b) : value_(b) {}
  Json(int v) : value_(static_cast<int64_t>(v)) {}
  Json(int64_t v) : value_(v) {}
  Json(uint64_t v) : value_(static_cast<int64_t>(v)) {}
  Json(uint32_t v) : value_(static_cast<int64_t>(v)) {}
  Json(const char* s) : value_(std::string(s)) {}
  Json(std::string s) : value_(std::move(s)) {}
  Json(absl::string_view s) : value_(std::string(s)) {}

  static Json Array() {
    Json j;
    j.value_ = ArrayT{};
    return j;
  }
  static Json Object() {
    Json j;
    j.value_ = ObjectT{};
    return j;
  }

  // Appends to an array (the value must be one).
  Json& Push(Json value);
  // Sets a member of an object (the value must be one); returns *this.
  Json& Set(std::string key, Json value);

  std::string Dump() const;

 private:
  using ArrayT = std::vector<Json>;
  using ObjectT = std::vector<std::pair<std::string, Json>>;
  std::variant<std::nullptr_t, bool, int64_t, std::string, ArrayT, ObjectT> value_;
  friend void DumpTo(const Json& json, std::string& out);
};

// JSON string literal of `s` (with the quotes).
std::string JsonQuote(absl::string_view s);

// The subject of a question for `samrad cases`: its first non-blank line,
// runs of whitespace as one space, cut to at most `max_chars` code points
// (the last one then "…"); "" for a blank text.
std::string CaseSubject(absl::string_view text, size_t max_chars = 50);

// "42s", "17m", "5h 12m", "3d 4h" for a duration in milliseconds (negative
// durations print as "0s").
std::string FormatAge(int64_t duration_ms);
// "2026-11-28 15:03 CET": the local time of $TZ with the zone's
// abbreviation; when TZ is unset, Europe/Stockholm for a Swedish locale
// (LANG/LC_ALL/LC_MESSAGES, client/messages.h), else the system's zone.
std::string FormatTimestamp(int64_t unix_ms);

// The English tokens of the metadata enums ("honour-violence", "acute",
// "social-services", "young-adult", "open", ...), the stable names in JSON
// for scripts; unknown -> "unspecified". From the one value table
// (client/values.h); tables for people use ValueText there instead.
absl::string_view CategoryName(v1::Category value);
absl::string_view UrgencyName(v1::Urgency value);
absl::string_view OrgTypeName(v1::OrgType value);
absl::string_view AgeGroupName(v1::AgeGroup value);
absl::string_view ThreadStateName(v1::ThreadState value);

// Every valid name (for flag choices and help).
std::vector<std::string> CategoryNames();
std::vector<std::string> UrgencyNames();
std::vector<std::string> OrgTypeNames();
std::vector<std::string> AgeGroupNames();

// Inverses; accept English and Swedish tokens in any case, with or without
// diacritics (client/values.h ParseValue); nullopt for an unknown name.
std::optional<v1::Category> ParseCategory(absl::string_view name);
std::optional<v1::Urgency> ParseUrgency(absl::string_view name);
std::optional<v1::OrgType> ParseOrgType(absl::string_view name);
std::optional<v1::AgeGroup> ParseAgeGroup(absl::string_view name);
// Thread states ("open", "claimed", "answered", "closed") for filters.
std::vector<std::string> ThreadStateNames();
std::optional<v1::ThreadState> ParseThreadState(absl::string_view name);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_OUTPUT_H_
