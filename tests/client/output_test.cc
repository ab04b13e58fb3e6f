// Tables, JSON, ages and the metadata names.
#include "client/output.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/stats_report.h"
#include "client/values.h"
#include "gtest/gtest.h"

namespace samrad::client {
namespace {

// Sets (or with nullptr unsets) an environment variable for a scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name); old != nullptr) old_ = old;
    if (value == nullptr) {
      unsetenv(name);
    } else {
      setenv(name, value, 1);
    }
  }
  ~ScopedEnv() {
    if (old_.has_value()) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(TableTest, AlignsColumnsByCodePointsWithoutTrailingSpaces) {
  Table table({"REF", "LÄN", "STATE"});
  table.AddRow({"abc123", "07", "open"});
  table.AddRow({"d", "Västra Götaland", ""});
  EXPECT_EQ(table.Render(),
            "REF     LÄN              STATE\n"
            "abc123  07               open\n"
            "d       Västra Götaland\n");
}

TEST(TableTest, PadsShortRowsAndFlattensNewlines) {
  Table table({"A", "B"});
  table.AddRow({"x\ny"});
  EXPECT_EQ(table.Render(), "A    B\nx y\n");
}

TEST(JsonTest, EscapesAndKeepsOrder) {
  Json json = Json::Object()
                  .Set("text", "rad 1\n\"citat\" \\ å\x01")
                  .Set("n", int64_t{-5})
                  .Set("ok", true)
                  .Set("none", nullptr);
  json.Set("list", Json::Array().Push(1).Push("två"));
  EXPECT_EQ(
      json.Dump(),
      R"({"text":"rad 1\n\"citat\" \\ å\u0001","n":-5,"ok":true,"none":null,"list":[1,"två"]})");
}

TEST(FormatTest, AgesAndTimestamps) {
  EXPECT_EQ(FormatAge(-10), "0s");
  EXPECT_EQ(FormatAge(42'000), "42s");
  EXPECT_EQ(FormatAge(17 * 60'000), "17m");
  EXPECT_EQ(FormatAge((5 * 60 + 12) * 60'000LL), "5h 12m");
  EXPECT_EQ(FormatAge((3 * 24 + 4) * 3'600'000LL), "3d 4h");
}

// The subject `samrad cases` shows: the first non-blank line, whitespace
// collapsed, at most 50 code points (Swedish letters count as one).
TEST(FormatTest, CaseSubjectIsTheFirstLineCutOnACharacter) {
  EXPECT_EQ(CaseSubject("\n  \n  Elev  i åk 9\tsom far illa \nmer text\n"),
            "Elev i åk 9 som far illa");
  EXPECT_EQ(CaseSubject(""), "");
  EXPECT_EQ(CaseSubject(" \n\t\n"), "");
  const std::string fifty(50, 'a');
  EXPECT_EQ(CaseSubject(fifty), fifty);
  EXPECT_EQ(CaseSubject(fifty + "b"), std::string(49, 'a') + "\u2026");
  // 60 × "ö" (two bytes each): cut after 49 letters, never inside one.
  std::string long_swedish;
  for (int i = 0; i < 60; ++i) long_swedish += "ö";
  std::string expected;
  for (int i = 0; i < 49; ++i) expected += "ö";
  EXPECT_EQ(CaseSubject(long_swedish), expected + "\u2026");
  EXPECT_EQ(CaseSubject("En elev berättar att hon inte får träffa sina vänner efter skolan"),
            "En elev berättar att hon inte får träffa sina vän\u2026");
}

// Times are local, with the zone named: $TZ, else Europe/Stockholm for a
// Swedish locale.
TEST(FormatTest, TimestampsInTheLocalZoneWithItsName) {
  ScopedEnv tz("TZ", "UTC");
  EXPECT_EQ(FormatTimestamp(1'764'338'580'000), "2025-11-28 14:03 UTC");
  ScopedEnv stockholm("TZ", "Europe/Stockholm");
  EXPECT_EQ(FormatTimestamp(1'764'338'580'000), "2025-11-28 15:03 CET");
  EXPECT_EQ(FormatTimestamp(1'783'000'000'000), "2026-07-02 15:46 CEST");
  ScopedEnv unset("TZ", nullptr);
  ScopedEnv lang("LANG", "sv_SE.UTF-8");
  ScopedEnv lc_all("LC_ALL", nullptr);
  ScopedEnv lc_messages("LC_MESSAGES", nullptr);
  EXPECT_EQ(FormatTimestamp(1'764'338'580'000), "2025-11-28 15:03 CET");
}

TEST(NamesTest, RoundTripEveryMetadataName) {
  for (const std::string& name : CategoryNames()) {
    EXPECT_EQ(CategoryName(*ParseCategory(name)), name);
  }
  for (const std::string& name : UrgencyNames()) EXPECT_EQ(UrgencyName(*ParseUrgency(name)), name);
  for (const std::string& name : OrgTypeNames()) EXPECT_EQ(OrgTypeName(*ParseOrgType(name)), name);
  for (const std::string& name : AgeGroupNames()) {
    EXPECT_EQ(AgeGroupName(*ParseAgeGroup(name)), name);
  }
  EXPECT_EQ(ParseCategory("honour-violence"), v1::CATEGORY_HONOUR_VIOLENCE);
  EXPECT_FALSE(ParseUrgency("soon").has_value());
  EXPECT_EQ(ThreadStateName(v1::THREAD_STATE_CLAIMED), "claimed");
  EXPECT_EQ(CategoryName(v1::CATEGORY_UNSPECIFIED), "unspecified");
}

// The one value table: English and Swedish tokens round-trip, any case,
// with or without diacritics.
TEST(ValuesTest, EnglishAndSwedishTokensRoundTrip) {
  for (ValueKind kind :
       {ValueKind::kCategory, ValueKind::kUrgency, ValueKind::kOrgType, ValueKind::kAgeGroup,
        ValueKind::kThreadState, ValueKind::kLocalState, ValueKind::kWatchEvent}) {
    const std::vector<std::string> en = ValueTokens(kind, Language::kEnglish);
    const std::vector<std::string> sv = ValueTokens(kind, Language::kSwedish);
    ASSERT_EQ(en.size(), sv.size());
    for (size_t i = 0; i < en.size(); ++i) {
      std::optional<int> from_en = ParseValue(kind, en[i]);
      std::optional<int> from_sv = ParseValue(kind, sv[i]);
      ASSERT_TRUE(from_en.has_value()) << en[i];
      ASSERT_TRUE(from_sv.has_value()) << sv[i];
      EXPECT_EQ(*from_en, *from_sv) << en[i] << " " << sv[i];
      EXPECT_EQ(ValueToken(kind, *from_en, Language::kEnglish), en[i]);
      EXPECT_EQ(ValueToken(kind, *from_sv, Language::kSwedish), sv[i]);
    }
  }
}

TEST(ValuesTest, SwedishSpellingsCaseAndDiacritics) {
  EXPECT_EQ(ParseCategory("barnäktenskap"), v1::CATEGORY_CHILD_MARRIAGE);
  EXPECT_EQ(ParseCategory("BARNÄKTENSKAP"), v1::CATEGORY_CHILD_MARRIAGE);
  EXPECT_EQ(ParseCategory("barnaktenskap"), v1::CATEGORY_CHILD_MARRIAGE);
  EXPECT_EQ(ParseCategory("Hedersrelaterat våld"), v1::CATEGORY_HONOUR_VIOLENCE);
  EXPECT_EQ(ParseCategory("hedersrelaterat_vald"), v1::CATEGORY_HONOUR_VIOLENCE);
  EXPECT_EQ(ParseCategory("Könsstympning"), v1::CATEGORY_FGM);
  EXPECT_EQ(ParseCategory("FGM"), v1::CATEGORY_FGM);
  EXPECT_EQ(ParseUrgency("akut"), v1::URGENCY_ACUTE);
  EXPECT_EQ(ParseUrgency("Hög"), v1::URGENCY_HIGH);
  EXPECT_EQ(ParseUrgency("hog"), v1::URGENCY_HIGH);
  EXPECT_EQ(ParseOrgType("hälso- och sjukvård"), v1::ORG_TYPE_HEALTH_CARE);
  EXPECT_EQ(ParseOrgType("ÅKLAGARE"), v1::ORG_TYPE_PROSECUTION);
  EXPECT_EQ(ParseOrgType("annan"), v1::ORG_TYPE_OTHER);
  EXPECT_EQ(ParseAgeGroup("ung vuxen"), v1::AGE_GROUP_YOUNG_ADULT);
  EXPECT_FALSE(ParseCategory("annan").has_value());  // the organisation's word
  EXPECT_FALSE(ParseUrgency("bråttom").has_value());
  EXPECT_FALSE(ParseCategory("").has_value());
  const Messages sv(Language::kSwedish);
  const Messages en(Language::kEnglish);
  EXPECT_EQ(ValueText(v1::THREAD_STATE_OPEN, sv), "öppet");
  EXPECT_EQ(ValueText(v1::THREAD_STATE_OPEN, en), "open");
  EXPECT_EQ(ValueText(v1::CATEGORY_UNSPECIFIED, sv), "ospecificerat");
  EXPECT_EQ(StateText("purged", sv), "gallrat");
  EXPECT_EQ(StateText("closed", sv), "stängt");
  EXPECT_EQ(StateText("unsent", en), "unsent");
}

TEST(ValuesTest, FlagChoicesTakeEitherLanguageAndListTheUsersOwn) {
  EXPECT_EQ(CanonicalChoice(CategoryNames(), "barnäktenskap"), "child-marriage");
  EXPECT_EQ(CanonicalChoice(CategoryNames(), "child-marriage"), "child-marriage");
  EXPECT_EQ(CanonicalChoice(OrgTypeNames(), "skola"), "school");
  EXPECT_FALSE(CanonicalChoice(CategoryNames(), "skola").has_value());
  // Choices that are no value kind must match exactly.
  EXPECT_EQ(CanonicalChoice({"a", "b"}, "a"), "a");
  EXPECT_FALSE(CanonicalChoice({"a", "b"}, "A").has_value());
  EXPECT_EQ(LocalizedChoices(UrgencyNames(), Language::kSwedish),
            (std::vector<std::string>{"akut", "hög", "normal"}));
  EXPECT_EQ(LocalizedChoices({"x"}, Language::kSwedish), (std::vector<std::string>{"x"}));
}

// A report of 2026 by month and category for one unit.
v1::StatsReply MonthCategoryReply() {
  v1::StatsReply reply;
  auto add = [&](const char* month, const char* category, uint64_t published, uint32_t suppressed,
                 int64_t median_ms) {
    v1::StatsRow* row = reply.add_rows();
    (*row->mutable_group())["month"] = month;
    (*row->mutable_group())["category"] = category;
    row->set_published_count(published);
    row->set_suppressed_cells(suppressed);
    row->set_count(CountText(published, suppressed));
    row->set_median_ms_to_first_answer(median_ms);
  };
  add("2026-01", "CATEGORY_HONOUR_VIOLENCE", 12, 0, 5'400'000);
  add("2026-01", "CATEGORY_CHILD_MARRIAGE", 0, 1, -1);
  add("2026-02", "CATEGORY_HONOUR_VIOLENCE", 7, 0, 259'200'000);
  add("2026-03", "CATEGORY_FGM", 5, 1, 3'600'000);
  add("2026-05", "CATEGORY_FORCED_MARRIAGE", 9, 0, 7'200'000);
  add("2026-05", "CATEGORY_HONOUR_VIOLENCE", 21, 0, 7'200'000);
  add("2026-09", "CATEGORY_OTHER", 6, 0, 7'200'000);
  return reply;
}

v1::StatsRequest YearRequest(std::vector<std::string> group_by) {
  v1::StatsRequest request;
  request.set_period(v1::STATS_PERIOD_YEAR);
  request.set_year(2026);
  for (std::string& g : group_by) request.add_group_by(std::move(g));
  return request;
}

v1::KeyDirectory OneUnitDirectory() {
  v1::KeyDirectory directory;
  v1::UnitEntry* unit = directory.add_units();
  unit->set_unit_id("rc-kronoberg");
  unit->set_display_name("Resurscentrum Kronoberg");
  unit->add_counties("07");
  return directory;
}

TEST(StatsReportTest, NamesZeroRowsTotalsAndDurations) {
  const Messages sv(Language::kSwedish);
  const StatsReport report =
      BuildReport(YearRequest({"month", "category"}), MonthCategoryReply(), OneUnitDirectory(), sv);
  EXPECT_EQ(report.rows.size(), 12u * 5u);  // every month and category, zeros too
  EXPECT_EQ(report.total.published, 60u);
  EXPECT_EQ(report.total.suppressed, 2u);
  const std::string table = ReportTable(report, sv);
  EXPECT_TRUE(absl::StrContains(table, "MÅNAD")) << table;
  EXPECT_TRUE(absl::StrContains(table, "jan 2026  hedersrelaterat-våld  12     1,5 tim")) << table;
  EXPECT_TRUE(absl::StrContains(table, "feb 2026  hedersrelaterat-våld  7      3,0 dygn")) << table;
  EXPECT_TRUE(absl::StrContains(table, "jan 2026  barnäktenskap         <5")) << table;
  EXPECT_TRUE(absl::StrContains(table, "dec 2026  annat                 0")) << table;
  EXPECT_TRUE(absl::StrContains(table, "Totalt")) << table;
  EXPECT_TRUE(absl::StrContains(table, "60+")) << table;
  EXPECT_FALSE(absl::StrContains(table, "CATEGORY_")) << table;

  const StatsReport by_unit =
      BuildReport(YearRequest({"unit", "county"}), v1::StatsReply(), OneUnitDirectory(), sv);
  ASSERT_EQ(by_unit.rows.size(), 1u);
  EXPECT_EQ(by_unit.rows[0].labels,
            (std::vector<std::string>{"Resurscentrum Kronoberg", "Kronobergs län"}));
}

TEST(StatsReportTest, CsvForSwedishExcel) {
  const Messages sv(Language::kSwedish);
  const Messages en(Language::kEnglish);
  const v1::StatsRequest request = YearRequest({"month", "category"});
  const std::string csv =
      ReportCsv(BuildReport(request, MonthCategoryReply(), OneUnitDirectory(), sv), sv);
  ASSERT_TRUE(absl::StartsWith(csv, "\xEF\xBB\xBF")) << "no BOM";
  std::vector<std::string> lines = absl::StrSplit(csv.substr(3), "\r\n", absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u + 60u + 1u);
  EXPECT_EQ(lines[0], "MÅNAD;KATEGORI;ANTAL;GRUPPER UNDER 5;MEDIAN TILL FÖRSTA SVAR (TIMMAR)");
  EXPECT_EQ(lines[1], "jan 2026;hedersrelaterat-våld;12;0;1,5");
  EXPECT_EQ(lines[2], "jan 2026;barnäktenskap;<5;1;");
  EXPECT_EQ(lines.back(), "Totalt;;60+;2;");
  for (const std::string& line : lines) {
    EXPECT_EQ(std::count(line.begin(), line.end(), ';'), 4) << line;
  }
  const std::string english =
      ReportCsv(BuildReport(request, MonthCategoryReply(), OneUnitDirectory(), en), en);
  EXPECT_TRUE(absl::StrContains(english, "\r\nJan 2026;honour-violence;12;0;1.5\r\n")) << english;
}

// A small XML well-formedness check: tags nest and close, attributes are
// quoted, every "&" starts an entity, no raw "<" in text. Returns the text
// of every element whose start tag has class="cell".
std::vector<std::string> ParseXml(const std::string& xml, std::string* error) {
  std::vector<std::string> stack;
  std::vector<std::string> cells;
  const std::regex entity("^&(amp|lt|gt|quot|apos);");
  size_t i = 0;
  if (absl::StartsWith(xml, "<?xml")) i = xml.find("?>") + 2;
  bool in_cell = false;
  std::string text;
  while (i < xml.size()) {
    if (xml[i] == '<') {
      const size_t end = xml.find('>', i);
      if (end == std::string::npos) return *error = "unclosed tag", cells;
      std::string tag = xml.substr(i + 1, end - i - 1);
      i = end + 1;
      if (!tag.empty() && tag[0] == '/') {
        if (stack.empty() || stack.back() != tag.substr(1))
          return *error = "mismatch " + tag, cells;
        stack.pop_back();
        if (in_cell) cells.push_back(text);
        in_cell = false;
        continue;
      }
      const bool empty = !tag.empty() && tag.back() == '/';
      if (empty) tag.pop_back();
      const std::string name = tag.substr(0, tag.find(' '));
      if (!std::regex_match(tag, std::regex("[a-z]+( [a-zA-Z0-9:-]+=\"[^\"<]*\")*\\s*"))) {
        return *error = "bad tag <" + tag + ">", cells;
      }
      if (!empty) {
        stack.push_back(name);
        in_cell = absl::StrContains(tag, "class=\"cell\"");
        text.clear();
      }
      continue;
    }
    if (xml[i] == '&') {
      std::smatch m;
      const std::string rest = xml.substr(i, 8);
      if (!std::regex_search(rest, m, entity)) return *error = "bad entity", cells;
      text += m[1] == "lt" ? "<" : m[1] == "gt" ? ">" : m[1] == "amp" ? "&" : "'";
      i += m[0].length();
      continue;
    }
    text += xml[i++];
  }
  if (!stack.empty()) *error = "unclosed " + stack.back();
  return cells;
}

TEST(StatsReportTest, SvgIsWellFormedAndNeverDrawsACountUnderFive) {
  const Messages sv(Language::kSwedish);
  const StatsReport months =
      BuildReport(YearRequest({"month", "category"}), MonthCategoryReply(), OneUnitDirectory(), sv);
  v1::StatsReply units_reply;
  v1::StatsRow* unit = units_reply.add_rows();
  (*unit->mutable_group())["unit"] = "rc-kronoberg";
  unit->set_published_count(24);
  unit->set_suppressed_cells(2);
  unit->set_median_ms_to_first_answer(7'200'000);
  v1::StatsRow* other = units_reply.add_rows();
  (*other->mutable_group())["unit"] = "nkt";
  other->set_suppressed_cells(1);
  const StatsReport units = BuildReport(YearRequest({"unit"}), units_reply, OneUnitDirectory(), sv);
  const std::string svg = FollowUpSvg(months, units, "2026", sv);
  // To look at the picture: SAMRAD_TEST_SVG_OUT=/tmp/x.svg, then render it.
  if (const char* out = std::getenv("SAMRAD_TEST_SVG_OUT"); out != nullptr) {
    std::ofstream(out) << svg;
  }
  std::string error;
  const std::vector<std::string> cells = ParseXml(svg, &error);
  ASSERT_TRUE(error.empty()) << error << "\n" << svg;
  EXPECT_TRUE(absl::StrContains(svg, "Ärenden per månad och kategori, 2026"));
  EXPECT_TRUE(absl::StrContains(svg, "Resurscentrum Kronoberg"));
  EXPECT_TRUE(absl::StrContains(svg, "2,0 tim"));
  int under_five = 0;
  for (const std::string& cell : cells) {
    if (cell == "<5") {
      ++under_five;
      continue;
    }
    int n = 0;
    ASSERT_TRUE(absl::SimpleAtoi(absl::StripSuffix(cell, "+"), &n)) << cell;
    EXPECT_GE(n, 5) << cell;
  }
  EXPECT_EQ(under_five, 2);     // January's child marriages and unit nkt
  EXPECT_EQ(cells.size(), 8u);  // 12, <5, 7, 5+, 9, 21, 6 and nkt's <5; no zeros
}

}  // namespace
}  // namespace samrad::client
