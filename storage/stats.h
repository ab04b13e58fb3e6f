// Statistics over thread records: storage's own query type (the relay
// converts its wire request into a StatsQuery) and the suppression rule
// (docs/DESIGN.md, "Statistics that cannot be differenced"). Pure code: no
// RocksDB, no I/O; Store::Stats feeds it every stored thread record.
#ifndef SAMRAD_STORAGE_STATS_H_
#define SAMRAD_STORAGE_STATS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/records.pb.h"
#include "proto/relay.pb.h"

namespace samrad::storage {

// Base cells below this are suppressed.
inline constexpr uint64_t kStatsMinCell = 5;

enum class StatsPeriod { kUnspecified, kMonth, kQuarter, kYear };

// One statistics question: a whole calendar period (UTC) of threads created
// in it, grouped by any of "unit", "county", "category", "month".
struct StatsQuery {
  StatsPeriod period = StatsPeriod::kUnspecified;
  int32_t year = 0;   // 2000..2999
  int32_t index = 0;  // month 1..12, quarter 1..4, 0 for a year
  // A date range: no longer answered (two ranges could be subtracted). Kept
  // so an old client's range is refused with a message saying why.
  int64_t from_unix_ms = 0;
  int64_t to_unix_ms = 0;
  std::vector<std::string> group_by;
};

// The [from, to) milliseconds of a query's calendar period (UTC).
// INVALID_ARGUMENT for a from/to range or a bad period, year or index;
// FAILED_PRECONDITION when the period ends after `now_ms`.
struct StatsWindow {
  int64_t from_unix_ms = 0;
  int64_t to_unix_ms = 0;
};
absl::StatusOr<StatsWindow> StatsPeriodWindow(const StatsQuery& query, int64_t now_ms);

// Counts threads into base cells (month, unit, county, category) and turns
// them into rows. Build it with Start, Add every thread record, then Rows.
// Not thread-safe; memory grows with the number of base cells, not threads.
class StatsAccumulator {
 public:
  // INVALID_ARGUMENT for an unknown dimension, else as StatsPeriodWindow.
  static absl::StatusOr<StatsAccumulator> Start(const StatsQuery& query, int64_t now_ms);

  // Counts `thread` when it was created in the query's window.
  void Add(const v1::ThreadRecord& thread);

  // One row per group, in group order. A base cell of 1..4 (< kStatsMinCell)
  // is never counted, only reported as suppressed; every count and median is
  // computed from base cells of 5 or more.
  std::vector<v1::StatsRow> Rows() const;

 private:
  struct BaseCell {
    uint64_t count = 0;
    std::vector<int64_t> answer_ms;
  };
  using BaseKey = std::array<std::string, 4>;  // month, unit, county, category

  StatsAccumulator(std::vector<std::string> group_by, StatsWindow window)
      : group_by_(std::move(group_by)), window_(window) {}

  std::vector<std::string> group_by_;
  StatsWindow window_;
  std::map<BaseKey, BaseCell> base_;
};

}  // namespace samrad::storage

#endif  // SAMRAD_STORAGE_STATS_H_
