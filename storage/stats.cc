#include "storage/stats.h"

#include <algorithm>
#include <iterator>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/reasons.h"

namespace samrad::storage {
namespace {

std::string MonthOf(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m", absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
}

// The first month and the number of months of the query's period.
absl::Status PeriodMonths(const StatsQuery& query, int& first_month, int& months) {
  first_month = 1;
  months = 12;
  switch (query.period) {
    case StatsPeriod::kMonth:
      if (query.index < 1 || query.index > 12) {
        return absl::InvalidArgumentError(
            absl::StrCat("statistics month ", query.index, " is not in 1..12"));
      }
      first_month = query.index;
      months = 1;
      return absl::OkStatus();
    case StatsPeriod::kQuarter:
      if (query.index < 1 || query.index > 4) {
        return absl::InvalidArgumentError(
            absl::StrCat("statistics quarter ", query.index, " is not in 1..4"));
      }
      first_month = 3 * query.index - 2;
      months = 3;
      return absl::OkStatus();
    case StatsPeriod::kYear:
      if (query.index != 0) return absl::InvalidArgumentError("a statistics year takes index 0");
      return absl::OkStatus();
    case StatsPeriod::kUnspecified:
      break;
  }
  return absl::InvalidArgumentError("statistics period must be month, quarter or year");
}

int64_t Median(std::vector<int64_t> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

absl::StatusOr<StatsWindow> StatsPeriodWindow(const StatsQuery& query, int64_t now_ms) {
  if (query.from_unix_ms != 0 || query.to_unix_ms != 0) {
    return absl::InvalidArgumentError(
        "statistics are no longer given for date ranges (from/to), only for a whole calendar "
        "month, quarter or year, so that two queries cannot be subtracted; set period, year "
        "and index");
  }
  if (query.year < 2000 || query.year > 2999) {
    return absl::InvalidArgumentError(
        absl::StrCat("statistics year ", query.year, " is not in 2000..2999"));
  }
  int first_month = 1;
  int months = 12;
  if (absl::Status s = PeriodMonths(query, first_month, months); !s.ok()) return s;
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::Time begin = absl::FromCivil(absl::CivilMonth(query.year, first_month), utc);
  const absl::Time end = absl::FromCivil(absl::CivilMonth(query.year, first_month) + months, utc);
  StatsWindow window{absl::ToUnixMillis(begin), absl::ToUnixMillis(end)};
  if (window.to_unix_ms > now_ms) {
    return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kPeriodNotEnded,
                          {absl::FormatTime("%Y-%m-%d", end, utc)});
  }
  return window;
}

absl::StatusOr<StatsAccumulator> StatsAccumulator::Start(const StatsQuery& query, int64_t now_ms) {
  static constexpr std::string_view kDimensions[] = {"unit", "county", "category", "month"};
  for (const std::string& dimension : query.group_by) {
    if (std::find(std::begin(kDimensions), std::end(kDimensions), dimension) ==
        std::end(kDimensions)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown statistics dimension '",
                                                     dimension.substr(0, 32),
                                                     "'; use unit, county, category or month"));
    }
  }
  absl::StatusOr<StatsWindow> window = StatsPeriodWindow(query, now_ms);
  if (!window.ok()) return window.status();
  return StatsAccumulator(query.group_by, *window);
}

void StatsAccumulator::Add(const v1::ThreadRecord& thread) {
  // Base cells never depend on the query's grouping.
  const int64_t created = thread.created_at_unix_ms();
  if (created < window_.from_unix_ms || created >= window_.to_unix_ms) return;
  BaseCell& cell = base_[BaseKey{MonthOf(created), thread.unit(), thread.metadata().county(),
                                 v1::Category_Name(thread.metadata().category())}];
  ++cell.count;
  if (thread.first_answer_at_unix_ms() > 0) {
    cell.answer_ms.push_back(thread.first_answer_at_unix_ms() - created);
  }
}

std::vector<v1::StatsRow> StatsAccumulator::Rows() const {
  // Every group is a sum of whole base cells: cells of 5 or more are added
  // in, cells of 1..4 only counted as suppressed (docs/DESIGN.md).
  struct Group {
    std::map<std::string, std::string> values;
    uint64_t published = 0;
    uint32_t suppressed = 0;
    std::vector<int64_t> answer_ms;
  };
  std::map<std::vector<std::string>, Group> groups;
  for (const auto& [key, cell] : base_) {
    std::vector<std::string> group_key;
    std::map<std::string, std::string> values;
    for (const std::string& dimension : group_by_) {
      const size_t at = dimension == "month"    ? 0
                        : dimension == "unit"   ? 1
                        : dimension == "county" ? 2
                                                : 3;
      group_key.push_back(key[at]);
      values[dimension] = key[at];
    }
    Group& group = groups[group_key];
    group.values = std::move(values);
    if (cell.count < kStatsMinCell) {
      ++group.suppressed;
      continue;
    }
    group.published += cell.count;
    group.answer_ms.insert(group.answer_ms.end(), cell.answer_ms.begin(), cell.answer_ms.end());
  }
  std::vector<v1::StatsRow> rows;
  for (auto& [key, group] : groups) {
    v1::StatsRow row;
    row.mutable_group()->insert(group.values.begin(), group.values.end());
    row.set_published_count(group.published);
    row.set_suppressed_cells(group.suppressed);
    if (group.suppressed == 0) {
      row.set_count(absl::StrCat(group.published));
    } else if (group.published == 0 && group.suppressed == 1) {
      row.set_count("<5");
    } else {
      row.set_count(absl::StrCat(group.published, "+"));
    }
    row.set_median_ms_to_first_answer(Median(std::move(group.answer_ms)));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace samrad::storage
