#include "client/case_filter.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "client/exit_codes.h"
#include "client/output.h"
#include "common/ids.h"

namespace samrad::client {
namespace {

absl::Status UsageError(std::string message) {
  return WithExitCode(absl::InvalidArgumentError(std::move(message)), ExitCode::kUsage);
}

// Splits --flag's comma-separated value and parses each part with `parse`;
// a part it refuses is an error that lists `allowed`.
template <typename T, typename Parse>
absl::Status ParseList(const ParsedArgs& args, absl::string_view flag, const Messages& messages,
                       Parse parse, const std::vector<std::string>& allowed, std::set<T>& out) {
  std::optional<std::string> value = args.Get(flag);
  if (!value.has_value()) return absl::OkStatus();
  for (absl::string_view part : absl::StrSplit(*value, ',')) {
    std::optional<T> parsed = parse(part);
    if (!parsed.has_value()) {
      return UsageError(
          messages.Format(Msg::kBadFilterValue, flag, part, absl::StrJoin(allowed, ", ")));
    }
    out.insert(*parsed);
  }
  return absl::OkStatus();
}

std::optional<std::string> ParseCounty(absl::string_view code) {
  if (!ids::IsCountyCode(code)) return std::nullopt;
  return std::string(code);
}

std::vector<std::string> CountyCodeList() {
  std::vector<std::string> out;
  for (std::string_view code : ids::CountyCodes()) out.emplace_back(code);
  return out;
}

absl::Status ParseDate(const ParsedArgs& args, absl::string_view flag, const Messages& messages,
                       int day_offset, int64_t& out) {
  std::optional<std::string> value = args.Get(flag);
  if (!value.has_value()) return absl::OkStatus();
  absl::StatusOr<int64_t> start = LocalDayStartUnixMs(*value, day_offset);
  if (!start.ok()) return UsageError(messages.Format(Msg::kBadFilterDate, flag, *value));
  out = *start;
  return absl::OkStatus();
}

}  // namespace

std::vector<FlagSpec> CaseFilterFlags(bool with_mine) {
  std::vector<FlagSpec> flags = {
      {"state", "LIST", Msg::kFlagFilterState},       {"urgency", "LIST", Msg::kFlagFilterUrgency},
      {"category", "LIST", Msg::kFlagFilterCategory}, {"county", "LIST", Msg::kFlagFilterCounty},
      {"age", "LIST", Msg::kFlagFilterAge},           {"since", "DATE", Msg::kFlagSinceDate},
      {"until", "DATE", Msg::kFlagUntilDate},
  };
  if (with_mine) flags.push_back({"mine", "", Msg::kFlagMine});
  return flags;
}

absl::StatusOr<int64_t> LocalDayStartUnixMs(absl::string_view date, int day_offset) {
  std::vector<absl::string_view> parts = absl::StrSplit(date, '-');
  int year = 0, month = 0, day = 0;
  if (date.size() != 10 || parts.size() != 3 || parts[0].size() != 4 || parts[1].size() != 2 ||
      parts[2].size() != 2 || !absl::SimpleAtoi(parts[0], &year) ||
      !absl::SimpleAtoi(parts[1], &month) || !absl::SimpleAtoi(parts[2], &day)) {
    return absl::InvalidArgumentError("not YYYY-MM-DD");
  }
  const absl::CivilDay civil(year, month, day);
  // CivilDay normalises 2026-02-30 to March; such a date is not one.
  if (civil.year() != year || civil.month() != month || civil.day() != day) {
    return absl::InvalidArgumentError("no such day");
  }
  return absl::ToUnixMillis(absl::FromCivil(civil + day_offset, absl::LocalTimeZone()));
}

absl::StatusOr<CaseFilter> ParseCaseFilter(const ParsedArgs& args, const Messages& messages,
                                           const std::string& me) {
  CaseFilter filter;
  if (absl::Status s =
          ParseList(args, "state", messages, ParseThreadState, ThreadStateNames(), filter.states);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ParseList(args, "urgency", messages, ParseUrgency, UrgencyNames(), filter.urgencies);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ParseList(args, "category", messages, ParseCategory, CategoryNames(), filter.categories);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ParseList(args, "county", messages, ParseCounty, CountyCodeList(), filter.counties);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ParseList(args, "age", messages, ParseAgeGroup, AgeGroupNames(), filter.age_groups);
      !s.ok()) {
    return s;
  }
  if (args.Has("mine")) filter.claimed_by = me;
  if (absl::Status s = ParseDate(args, "since", messages, 0, filter.created_from_unix_ms);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ParseDate(args, "until", messages, 1, filter.created_before_unix_ms);
      !s.ok()) {
    return s;
  }
  return filter;
}

bool Matches(const CaseFilter& filter, const CaseFacts& facts) {
  auto allowed = [](const auto& set, const auto& value) {
    return set.empty() || set.count(value) != 0;
  };
  return allowed(filter.states, facts.state) &&
         allowed(filter.urgencies, facts.metadata.urgency()) &&
         allowed(filter.categories, facts.metadata.category()) &&
         allowed(filter.counties, facts.metadata.county()) &&
         allowed(filter.age_groups, facts.metadata.age_group()) &&
         (filter.claimed_by.empty() || facts.claimed_by == filter.claimed_by) &&
         facts.created_at_unix_ms >= filter.created_from_unix_ms &&
         facts.created_at_unix_ms < filter.created_before_unix_ms;
}

}  // namespace samrad::client
