#include "client/stats_report.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "client/output.h"
#include "client/values.h"
#include "common/ids.h"

namespace samrad::client {
namespace {

constexpr int64_t kHourMs = 3600 * 1000;

std::vector<std::string> MonthNames(const Messages& messages) {
  return absl::StrSplit(messages.Get(Msg::kMonthNames), ' ', absl::SkipEmpty());
}

int FirstMonth(const v1::StatsRequest& request) {
  if (request.period() == v1::STATS_PERIOD_MONTH) return request.index();
  if (request.period() == v1::STATS_PERIOD_QUARTER) return 3 * request.index() - 2;
  return 1;
}

int MonthCount(const v1::StatsRequest& request) {
  if (request.period() == v1::STATS_PERIOD_MONTH) return 1;
  if (request.period() == v1::STATS_PERIOD_QUARTER) return 3;
  return 12;
}

// "jan 2026" for "2026-01"; other text as is.
std::string MonthLabel(const std::string& month, const Messages& messages) {
  int year = 0;
  int number = 0;
  if (month.size() != 7 || month[4] != '-' || !absl::SimpleAtoi(month.substr(0, 4), &year) ||
      !absl::SimpleAtoi(month.substr(5), &number) || number < 1 || number > 12) {
    return month;
  }
  return absl::StrCat(MonthNames(messages)[number - 1], " ", year);
}

// The category's display text for its proto name ("CATEGORY_FGM").
std::string CategoryLabel(const std::string& proto_name, const Messages& messages) {
  v1::Category category;
  if (!v1::Category_Parse(proto_name, &category)) return proto_name;
  return std::string(ValueText(category, messages));
}

std::string UnitLabel(const std::string& unit, const v1::KeyDirectory& directory) {
  for (const v1::UnitEntry& entry : directory.units()) {
    if (entry.unit_id() == unit && !entry.display_name().empty()) return entry.display_name();
  }
  return unit;
}

std::string CountyLabel(const std::string& code) {
  std::string_view name = ids::CountyName(code);
  return name.empty() ? code : std::string(name);
}

std::string Label(const std::string& dimension, const std::string& key,
                  const v1::KeyDirectory& directory, const Messages& messages) {
  if (dimension == "unit") return UnitLabel(key, directory);
  if (dimension == "county") return CountyLabel(key);
  if (dimension == "category") return CategoryLabel(key, messages);
  if (dimension == "month") return MonthLabel(key, messages);
  return key;
}

// Every known value of `dimension`, in display order.
std::vector<std::string> KnownValues(const std::string& dimension, const v1::StatsRequest& request,
                                     const v1::KeyDirectory& directory) {
  std::vector<std::string> values;
  if (dimension == "category") {
    for (const std::string& token : CategoryNames()) {
      values.push_back(v1::Category_Name(*ParseCategory(token)));
    }
  } else if (dimension == "month") {
    values = PeriodMonths(request);
  } else if (dimension == "unit") {
    for (const v1::UnitEntry& unit : directory.units()) values.push_back(unit.unit_id());
  } else if (dimension == "county") {
    for (std::string_view code : ids::CountyCodes()) {
      for (const v1::UnitEntry& unit : directory.units()) {
        if (std::find(unit.counties().begin(), unit.counties().end(), code) !=
            unit.counties().end()) {
          values.emplace_back(code);
          break;
        }
      }
    }
  }
  return values;
}

bool UnitServesCounty(const v1::KeyDirectory& directory, const std::string& unit,
                      const std::string& county) {
  for (const v1::UnitEntry& entry : directory.units()) {
    if (entry.unit_id() != unit) continue;
    return std::find(entry.counties().begin(), entry.counties().end(), county) !=
           entry.counties().end();
  }
  return false;
}

std::string XmlEscape(absl::string_view text) {
  return absl::StrReplaceAll(
      text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&apos;"}});
}

std::string CsvField(absl::string_view value) {
  if (value.find_first_of(";\"\r\n") == absl::string_view::npos) return std::string(value);
  return absl::StrCat("\"", absl::StrReplaceAll(value, {{"\"", "\"\""}}), "\"");
}

// A round tick step >= `raw`: 1, 2, (2.5,) 5 times a power of ten.
double NiceStep(double raw, bool allow_quarter) {
  if (raw <= 0) return 1;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m == 2.5 && !allow_quarter) continue;
    if (m * power >= raw * (1 - 1e-9)) return m * power;
  }
  return 10 * power;
}

size_t CodePoints(absl::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string Number(double value) { return absl::StrFormat("%.1f", value); }

}  // namespace

const std::vector<std::string>& StatsDimensions() {
  static const auto* dimensions =
      new std::vector<std::string>{"unit", "county", "category", "month"};
  return *dimensions;
}

std::string PeriodLabel(const v1::StatsRequest& request, const Messages& messages) {
  const bool swedish = messages.language() == Language::kSwedish;
  switch (request.period()) {
    case v1::STATS_PERIOD_MONTH:
      return MonthLabel(absl::StrFormat("%04d-%02d", request.year(), request.index()), messages);
    case v1::STATS_PERIOD_QUARTER:
      return swedish ? absl::StrCat(request.year(), " kvartal ", request.index())
                     : absl::StrCat(request.year(), " Q", request.index());
    default:
      return absl::StrCat(request.year());
  }
}

std::vector<std::string> PeriodMonths(const v1::StatsRequest& request) {
  std::vector<std::string> months;
  const int first = FirstMonth(request);
  for (int m = first; m < first + MonthCount(request); ++m) {
    months.push_back(absl::StrFormat("%04d-%02d", request.year(), m));
  }
  return months;
}

std::string CountText(uint64_t published, uint32_t suppressed) {
  if (suppressed == 0) return absl::StrCat(published);
  if (published == 0 && suppressed == 1) return "<5";
  return absl::StrCat(published, "+");
}

std::string Decimal(double value, const Messages& messages) {
  std::string text = Number(value);
  if (messages.language() == Language::kSwedish) std::replace(text.begin(), text.end(), '.', ',');
  return text;
}

std::string DurationText(int64_t ms, const Messages& messages) {
  if (ms < 0) return "-";
  const double hours = static_cast<double>(ms) / kHourMs;
  if (hours < 48) return messages.Format(Msg::kDurationHours, Decimal(hours, messages));
  return messages.Format(Msg::kDurationDays, Decimal(hours / 24, messages));
}

StatsReport BuildReport(const v1::StatsRequest& request, const v1::StatsReply& reply,
                        const v1::KeyDirectory& directory, const Messages& messages) {
  StatsReport report;
  report.dimensions.assign(request.group_by().begin(), request.group_by().end());
  const std::vector<std::string>& dims = report.dimensions;
  std::map<std::vector<std::string>, ReportRow> rows;
  // Zero rows for every known combination (a unit's own counties only).
  std::vector<std::vector<std::string>> known;
  for (const std::string& d : dims) known.push_back(KnownValues(d, request, directory));
  const auto unit_at = std::find(dims.begin(), dims.end(), "unit") - dims.begin();
  const auto county_at = std::find(dims.begin(), dims.end(), "county") - dims.begin();
  std::vector<std::string> keys(dims.size());
  std::function<void(size_t)> fill = [&](size_t at) {
    if (at == dims.size()) {
      if (static_cast<size_t>(unit_at) < dims.size() &&
          static_cast<size_t>(county_at) < dims.size() &&
          !UnitServesCounty(directory, keys[unit_at], keys[county_at])) {
        return;
      }
      rows[keys].keys = keys;
      return;
    }
    for (const std::string& value : known[at]) {
      keys[at] = value;
      fill(at + 1);
    }
  };
  if (!dims.empty()) fill(0);
  for (const v1::StatsRow& row : reply.rows()) {
    std::vector<std::string> key;
    for (const std::string& d : dims) {
      auto it = row.group().find(d);
      key.push_back(it == row.group().end() ? "" : it->second);
    }
    ReportRow& r = rows[key];
    r.keys = key;
    r.published = row.published_count();
    r.suppressed = row.suppressed_cells();
    r.median_ms = row.median_ms_to_first_answer();
    report.total.published += r.published;
    report.total.suppressed += r.suppressed;
  }
  // Display order: each dimension's known order, unknown values after.
  auto rank = [&](size_t at, const std::string& value) {
    auto it = std::find(known[at].begin(), known[at].end(), value);
    return std::make_pair(static_cast<size_t>(it - known[at].begin()), value);
  };
  for (auto& [key, row] : rows) {
    for (size_t i = 0; i < dims.size(); ++i) {
      row.labels.push_back(Label(dims[i], row.keys[i], directory, messages));
    }
    report.rows.push_back(row);
  }
  std::sort(report.rows.begin(), report.rows.end(), [&](const ReportRow& a, const ReportRow& b) {
    for (size_t i = 0; i < dims.size(); ++i) {
      auto ra = rank(i, a.keys[i]);
      auto rb = rank(i, b.keys[i]);
      if (ra != rb) return ra < rb;
    }
    return false;
  });
  return report;
}

namespace {

std::vector<std::string> Headings(const StatsReport& report, const Messages& messages) {
  std::vector<std::string> headings;
  for (const std::string& d : report.dimensions) {
    headings.push_back(messages.Format(d == "unit"       ? Msg::kColUnit
                                       : d == "county"   ? Msg::kColCounty
                                       : d == "category" ? Msg::kColCategory
                                                         : Msg::kColMonth));
  }
  headings.push_back(messages.Format(Msg::kColCount));
  headings.push_back(messages.Format(Msg::kColMedianAnswer));
  return headings;
}

std::string TotalLabel(const StatsReport& report, const Messages& messages) {
  return report.dimensions.empty() ? "" : messages.Format(Msg::kStatsTotal);
}

}  // namespace

std::string ReportTable(const StatsReport& report, const Messages& messages) {
  Table table(Headings(report, messages));
  for (const ReportRow& row : report.rows) {
    std::vector<std::string> cells = row.labels;
    cells.push_back(CountText(row.published, row.suppressed));
    cells.push_back(DurationText(row.median_ms, messages));
    table.AddRow(std::move(cells));
  }
  std::vector<std::string> total(report.dimensions.size());
  if (!total.empty()) total[0] = TotalLabel(report, messages);
  total.push_back(CountText(report.total.published, report.total.suppressed));
  total.push_back(report.dimensions.empty()
                      ? DurationText(report.rows.empty() ? -1 : report.rows[0].median_ms, messages)
                      : "");
  table.AddRow(std::move(total));
  return absl::StrCat(table.Render(), messages.Format(Msg::kStatsFootnote), "\n");
}

std::string ReportCsv(const StatsReport& report, const Messages& messages) {
  std::string out = "\xEF\xBB\xBF";
  std::vector<std::string> headings = Headings(report, messages);
  headings.back() = messages.Format(Msg::kColMedianHours);  // a number in hours here
  headings.insert(headings.end() - 1, messages.Format(Msg::kColSuppressed));
  std::vector<std::string> fields;
  for (const std::string& h : headings) fields.push_back(CsvField(h));
  absl::StrAppend(&out, absl::StrJoin(fields, ";"), "\r\n");
  auto line = [&](const std::vector<std::string>& labels, const ReportRow& row) {
    std::vector<std::string> cells;
    for (const std::string& label : labels) cells.push_back(CsvField(label));
    cells.push_back(CountText(row.published, row.suppressed));
    cells.push_back(absl::StrCat(row.suppressed));
    cells.push_back(
        row.median_ms < 0 ? "" : Decimal(static_cast<double>(row.median_ms) / kHourMs, messages));
    absl::StrAppend(&out, absl::StrJoin(cells, ";"), "\r\n");
  };
  for (const ReportRow& row : report.rows) line(row.labels, row);
  if (!report.dimensions.empty()) {
    std::vector<std::string> labels(report.dimensions.size());
    labels[0] = TotalLabel(report, messages);
    line(labels, report.total);
  }
  return out;
}

std::string FollowUpSvg(const StatsReport& by_month_category, const StatsReport& by_unit,
                        absl::string_view period_label, const Messages& messages) {
  static constexpr const char* kColors[] = {"#1f5f8b", "#e07b39", "#3a9d5d", "#b54b74", "#8c8c8c"};
  const std::vector<std::string> categories =
      KnownValues("category", v1::StatsRequest(), v1::KeyDirectory());
  // Months in row order, and the cells of each (month, category).
  std::vector<std::string> months;
  std::map<std::pair<std::string, std::string>, const ReportRow*> cells;
  std::map<std::string, std::string> month_labels;
  const auto& dims = by_month_category.dimensions;
  const size_t month_at = std::find(dims.begin(), dims.end(), "month") - dims.begin();
  const size_t category_at = std::find(dims.begin(), dims.end(), "category") - dims.begin();
  double max_count = 0;
  if (month_at < dims.size() && category_at < dims.size()) {
    for (const ReportRow& row : by_month_category.rows) {
      const std::string& month = row.keys[month_at];
      if (std::find(months.begin(), months.end(), month) == months.end()) {
        months.push_back(month);
        month_labels[month] = row.labels[month_at];
      }
      cells[{month, row.keys[category_at]}] = &row;
      max_count = std::max(max_count, static_cast<double>(row.published));
    }
  }
  // Whole-number ticks: five steps of 1, 2, 5, 10, ... cases.
  const double count_max = 5 * std::max(1.0, NiceStep(max_count / 5, /*allow_quarter=*/false));
  // Layout of chart 1.
  constexpr int kLeft = 70, kTop = 70, kPlotHeight = 260, kBar = 14, kGap = 22;
  const int group_width = static_cast<int>(categories.size()) * kBar + kGap;
  const int plot_width = std::max(1, static_cast<int>(months.size())) * group_width;
  size_t longest_unit = 0;
  for (const ReportRow& row : by_unit.rows) {
    if (!row.labels.empty()) longest_unit = std::max(longest_unit, CodePoints(row.labels[0]));
  }
  const int width =
      std::max({kLeft + plot_width + 40, 760, 32 + static_cast<int>(longest_unit) * 7 + 400});
  // Layout of chart 2 below it.
  constexpr int kUnitRow = 30;
  const int chart2_top = kTop + kPlotHeight + 150;
  const int units = static_cast<int>(by_unit.rows.size());
  const int height = chart2_top + 50 + std::max(1, units) * kUnitRow + 60;

  std::string svg = absl::StrFormat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
      "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      width, height, width, height);
  auto text = [&](int x, int y, absl::string_view s, absl::string_view extra = "") {
    absl::StrAppend(&svg, "<text x=\"", x, "\" y=\"", y, "\"", extra.empty() ? "" : " ", extra, ">",
                    XmlEscape(s), "</text>\n");
  };
  text(kLeft, 30, messages.Format(Msg::kSvgCasesTitle, period_label),
       "font-size=\"16\" font-weight=\"bold\"");
  // Axis, grid and ticks.
  for (int tick = 0; tick <= 5; ++tick) {
    const double value = count_max * tick / 5;
    const int y = kTop + kPlotHeight - static_cast<int>(kPlotHeight * tick / 5);
    absl::StrAppend(&svg, "<line x1=\"", kLeft, "\" y1=\"", y, "\" x2=\"", kLeft + plot_width,
                    "\" y2=\"", y, "\" stroke=\"#dddddd\"/>\n");
    text(kLeft - 6, y + 4, absl::StrCat(static_cast<int64_t>(std::lround(value))),
         "text-anchor=\"end\"");
  }
  text(16, kTop - 12, messages.Format(Msg::kSvgCasesAxis));
  absl::StrAppend(&svg, "<line x1=\"", kLeft, "\" y1=\"", kTop + kPlotHeight, "\" x2=\"",
                  kLeft + plot_width, "\" y2=\"", kTop + kPlotHeight, "\" stroke=\"black\"/>\n");
  for (size_t mi = 0; mi < months.size(); ++mi) {
    const int gx = kLeft + static_cast<int>(mi) * group_width + kGap / 2;
    for (size_t ci = 0; ci < categories.size(); ++ci) {
      auto it = cells.find({months[mi], categories[ci]});
      if (it == cells.end()) continue;
      const ReportRow& row = *it->second;
      const int x = gx + static_cast<int>(ci) * kBar;
      const int h = static_cast<int>(std::lround(kPlotHeight * row.published / count_max));
      const int y = kTop + kPlotHeight - h;
      if (h > 0) {
        absl::StrAppend(&svg, "<rect x=\"", x, "\" y=\"", y, "\" width=\"", kBar - 2,
                        "\" height=\"", h, "\" fill=\"", kColors[ci % 5], "\"/>\n");
      }
      if (row.published == 0 && row.suppressed == 0) continue;  // zero: no label
      text(x + (kBar - 2) / 2, y - 4, CountText(row.published, row.suppressed),
           "class=\"cell\" font-size=\"9\" text-anchor=\"middle\"");
    }
    text(gx + static_cast<int>(categories.size()) * kBar / 2, kTop + kPlotHeight + 18,
         month_labels[months[mi]], "text-anchor=\"middle\"");
  }
  // Legend.
  for (size_t ci = 0; ci < categories.size(); ++ci) {
    const int x = kLeft + static_cast<int>(ci % 3) * 230;
    const int y = kTop + kPlotHeight + 45 + static_cast<int>(ci / 3) * 20;
    absl::StrAppend(&svg, "<rect x=\"", x, "\" y=\"", y - 10,
                    "\" width=\"12\" height=\"12\" fill=\"", kColors[ci % 5], "\"/>\n");
    text(x + 18, y, CategoryLabel(categories[ci], messages));
  }
  text(kLeft, kTop + kPlotHeight + 100, messages.Format(Msg::kSvgNote), "font-size=\"11\"");

  // Chart 2: median time to first answer per unit, in hours.
  text(kLeft, chart2_top, messages.Format(Msg::kSvgMedianTitle, period_label),
       "font-size=\"16\" font-weight=\"bold\"");
  double max_hours = 0;
  for (const ReportRow& row : by_unit.rows) {
    max_hours = std::max(max_hours, static_cast<double>(row.median_ms) / kHourMs);
  }
  // At least 4 hours, in whole-hour (or coarser) steps.
  const double hours_max = 4 * std::max(1.0, NiceStep(max_hours / 4, /*allow_quarter=*/false));
  // Unit names right-aligned before the bars, as wide as the longest.
  const int bar_left = 20 + static_cast<int>(longest_unit) * 7 + 12;
  const int bar_span = width - bar_left - 160;
  const int bars_top = chart2_top + 30;
  for (int tick = 0; tick <= 4; ++tick) {
    const int x = bar_left + bar_span * tick / 4;
    absl::StrAppend(&svg, "<line x1=\"", x, "\" y1=\"", bars_top, "\" x2=\"", x, "\" y2=\"",
                    bars_top + std::max(1, units) * kUnitRow, "\" stroke=\"#dddddd\"/>\n");
    text(x, bars_top + std::max(1, units) * kUnitRow + 16, Decimal(hours_max * tick / 4, messages),
         "text-anchor=\"middle\"");
  }
  text(bar_left + bar_span, bars_top + std::max(1, units) * kUnitRow + 34,
       messages.Format(Msg::kSvgHoursAxis), "text-anchor=\"end\"");
  for (int ui = 0; ui < units; ++ui) {
    const ReportRow& row = by_unit.rows[ui];
    const int y = bars_top + ui * kUnitRow;
    text(bar_left - 8, y + 19, row.labels.empty() ? "" : row.labels[0], "text-anchor=\"end\"");
    std::string label;
    int w = 0;
    if (row.published == 0) {
      label = row.suppressed > 0 ? CountText(0, row.suppressed) : "";
    } else if (row.median_ms < 0) {
      label = messages.Format(Msg::kSvgNoAnswers);
    } else {
      w = static_cast<int>(std::lround(bar_span * (row.median_ms / double{kHourMs}) / hours_max));
      label = DurationText(row.median_ms, messages);
      if (row.suppressed > 0)
        absl::StrAppend(&label, " (", CountText(row.published, row.suppressed), ")");
    }
    if (w > 0) {
      absl::StrAppend(&svg, "<rect x=\"", bar_left, "\" y=\"", y + 6, "\" width=\"", w,
                      "\" height=\"", kUnitRow - 10, "\" fill=\"#1f5f8b\"/>\n");
    }
    // Counts are class "cell", medians class "median" (tests tell them apart).
    if (!label.empty()) {
      text(bar_left + w + 6, y + 19, label,
           row.published == 0 ? "class=\"cell\"" : "class=\"median\"");
    }
  }
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

}  // namespace samrad::client
