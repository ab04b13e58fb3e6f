// `samrad admin stats` for people: the relay's suppressed rows
// (proto/relay.proto StatsRow; the rule is the relay's, storage/store.h)
// completed with the groups that had no consultation, with unit and county
// names, totals, durations in hours or days, as a table, as CSV for Swedish
// Excel, and as the SVG charts of a centre's yearly follow-up.
//
// Nothing here computes a count: every number shown is one the relay
// published; a group the relay reports as "<5" is never shown as a number.
// Pure functions; thread-safe.
#ifndef SAMRAD_CLIENT_STATS_REPORT_H_
#define SAMRAD_CLIENT_STATS_REPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "client/messages.h"
#include "proto/directory.pb.h"
#include "proto/relay.pb.h"

namespace samrad::client {

// The dimensions `--by` accepts, in display order.
const std::vector<std::string>& StatsDimensions();

// "2026", "2026 Q2" / "2026 kvartal 2", "Mar 2026" / "mar 2026".
std::string PeriodLabel(const v1::StatsRequest& request, const Messages& messages);
// The "YYYY-MM" months of the request's period, in order.
std::vector<std::string> PeriodMonths(const v1::StatsRequest& request);

// A group's count for people: "N", "<5" (one base cell of 1..4 and
// nothing else), or "N+" (N plus base cells of 1..4 left out).
std::string CountText(uint64_t published, uint32_t suppressed);
// A median as people read it: hours with one decimal under 48 hours, else
// days; decimal comma in Swedish ("5,2 tim", "3.1 days"); "-" for < 0.
std::string DurationText(int64_t ms, const Messages& messages);
// `value` with one decimal; decimal comma in Swedish.
std::string Decimal(double value, const Messages& messages);

// One row of the report: display values per dimension plus the relay's
// numbers. A group the relay did not return has zero of everything.
struct ReportRow {
  std::vector<std::string> keys;    // raw values (unit id, county code, CATEGORY_X, month)
  std::vector<std::string> labels;  // display values in the user's language
  uint64_t published = 0;
  uint32_t suppressed = 0;
  int64_t median_ms = -1;
};

struct StatsReport {
  std::vector<std::string> dimensions;
  std::vector<ReportRow> rows;  // sorted by the display order of each dimension
  ReportRow total;              // labels empty; published/suppressed summed
};

// Builds the report: the relay's rows, plus zero rows for every known value
// of each grouped dimension (categories of the value table, months of the
// period, units of `directory` and their counties; with both unit and
// county, a unit's own counties), sorted, with a total.
StatsReport BuildReport(const v1::StatsRequest& request, const v1::StatsReply& reply,
                        const v1::KeyDirectory& directory, const Messages& messages);

// The aligned table with the total row and the footnote.
std::string ReportTable(const StatsReport& report, const Messages& messages);
// CSV for Excel: UTF-8 with BOM, ";" between fields, CRLF line ends,
// header row, a total row; medians in hours with a decimal comma in
// Swedish.
std::string ReportCsv(const StatsReport& report, const Messages& messages);

// The yearly follow-up charts as one SVG document: grouped bars of cases per
// month by category (from a month,category report) and horizontal bars of
// the median time to first answer per unit (from a unit report). A "<5"
// group gets no bar and the label "<5"; a zero group no label.
std::string FollowUpSvg(const StatsReport& by_month_category, const StatsReport& by_unit,
                        absl::string_view period_label, const Messages& messages);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_STATS_REPORT_H_
