// Measures the guard over the realistic corpus in guard_corpus/: recall over
// the expected kinds of positive.txt and the false-positive rate over the
// ordinary sentences of negative.txt. Prints both and fails below the floors.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "client/guard.h"
#include "gtest/gtest.h"

namespace samrad::client::guard {
namespace {

constexpr int kCorpusYear = 2026;  // fixes the birth-date age window
// Floors per kind (issue 20): names and schools 0.97, places and workplaces
// 0.90, every structured kind 0.98 as before part 2; false positives 0.03.
constexpr double kStructuredRecallFloor = 0.98;
constexpr double kFalsePositiveCeiling = 0.03;

double RecallFloor(const std::string& kind) {
  if (kind == "name" || kind == "school") return 0.97;
  if (kind == "place" || kind == "workplace") return 0.90;
  return kStructuredRecallFloor;
}

std::string CorpusPath(const std::string& name) {
  return std::string(SAMRAD_SOURCE_DIR) + "/tests/client/guard_corpus/" + name;
}

// Non-empty, non-comment lines of a corpus file.
std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    lines.push_back(line);
  }
  return lines;
}

std::vector<Finding> Scan(std::string_view text) {
  absl::StatusOr<std::vector<Finding>> findings =
      ScanText(text, ScanOptions{.current_year = kCorpusYear});
  EXPECT_TRUE(findings.ok()) << findings.status();
  return findings.ok() ? *findings : std::vector<Finding>{};
}

std::string Describe(const std::vector<Finding>& findings) {
  std::string out;
  for (const Finding& f : findings) out += "\n    " + FormatFinding(f);
  return out;
}

struct PositiveLine {
  std::set<std::string> kinds;
  std::string sentence;
};

std::vector<std::string> ReadAllLines(const std::vector<std::string>& names) {
  std::vector<std::string> lines;
  for (const std::string& name : names) {
    for (std::string& line : ReadLines(CorpusPath(name))) lines.push_back(std::move(line));
  }
  return lines;
}

// positive.txt (structured kinds, part 1) and positive_names.txt (part 2).
std::vector<std::string> PositiveLines() {
  return ReadAllLines({"positive.txt", "positive_names.txt"});
}
std::vector<std::string> NegativeLines() {
  return ReadAllLines({"negative.txt", "negative_names.txt"});
}

std::vector<PositiveLine> ReadPositives() {
  std::vector<PositiveLine> positives;
  for (const std::string& line : PositiveLines()) {
    const size_t tab = line.find('\t');
    EXPECT_NE(tab, std::string::npos) << "no tab in: " << line;
    if (tab == std::string::npos) continue;
    PositiveLine positive;
    for (absl::string_view kind : absl::StrSplit(line.substr(0, tab), ',')) {
      positive.kinds.insert(std::string(kind));
    }
    positive.sentence = line.substr(tab + 1);
    positives.push_back(positive);
  }
  return positives;
}

TEST(GuardCorpus, RecallAndFalsePositiveRateMeetTheFloors) {
  const std::vector<PositiveLine> positives = ReadPositives();
  const std::vector<std::string> negatives = NegativeLines();
  ASSERT_GE(positives.size(), 700u);
  ASSERT_GE(negatives.size(), 600u);

  std::set<std::string> known_kinds;
  for (FindingKind kind : kAllFindingKinds) known_kinds.insert(std::string(FindingKindName(kind)));
  std::set<std::string> covered_kinds;

  int expected = 0;
  int found = 0;
  std::map<std::string, std::pair<int, int>> per_kind;  // kind -> (found, expected)
  int unexpected_kind_lines = 0;
  std::string misses;
  for (const PositiveLine& positive : positives) {
    const std::vector<Finding> findings = Scan(positive.sentence);
    std::set<std::string> found_kinds;
    for (const Finding& f : findings) found_kinds.insert(std::string(FindingKindName(f.kind)));
    for (const std::string& kind : positive.kinds) {
      EXPECT_TRUE(known_kinds.contains(kind)) << "unknown kind " << kind;
      covered_kinds.insert(kind);
      ++expected;
      ++per_kind[kind].second;
      if (found_kinds.contains(kind)) {
        ++found;
        ++per_kind[kind].first;
      } else {
        misses += "\n  missed " + kind + ": " + positive.sentence + Describe(findings);
      }
    }
    for (const std::string& kind : found_kinds) {
      if (!positive.kinds.contains(kind)) {
        ++unexpected_kind_lines;
        misses += "\n  extra " + kind + ": " + positive.sentence + Describe(findings);
        break;
      }
    }
  }
  int false_positives = 0;
  std::string false_positive_lines;
  for (const std::string& sentence : negatives) {
    const std::vector<Finding> findings = Scan(sentence);
    if (!findings.empty()) {
      ++false_positives;
      false_positive_lines += "\n  " + sentence + Describe(findings);
    }
  }
  const double recall = static_cast<double>(found) / expected;
  const double fpr = static_cast<double>(false_positives) / negatives.size();
  std::printf(
      "guard corpus: recall=%.3f (%d/%d) false-positive rate=%.3f (%d/%zu) "
      "positive lines with an extra kind=%d/%zu\n",
      recall, found, expected, fpr, false_positives, negatives.size(), unexpected_kind_lines,
      positives.size());
  if (!misses.empty()) std::printf("guard corpus misses:%s\n", misses.c_str());
  if (!false_positive_lines.empty()) {
    std::printf("guard corpus false positives:%s\n", false_positive_lines.c_str());
  }
  for (const auto& [kind, counts] : per_kind) {
    const double kind_recall = static_cast<double>(counts.first) / counts.second;
    std::printf("guard corpus: %-22s recall=%.3f (%d/%d)\n", kind.c_str(), kind_recall,
                counts.first, counts.second);
    EXPECT_GE(kind_recall, RecallFloor(kind)) << kind;
  }
  EXPECT_EQ(covered_kinds, known_kinds) << "the corpus must exercise every kind";
  EXPECT_GE(recall, kStructuredRecallFloor);
  EXPECT_LE(fpr, kFalsePositiveCeiling);
}

// The whole corpus as one document: lines and columns point at the right
// place, and a 4 MiB document of repeated copies yields every copy's findings.
// Throughput is measured by guard_benchmark (BENCHMARKS.md), not here.
TEST(GuardCorpus, WholeDocumentScanFindsEveryCopyAtExactPositions) {
  std::string document;
  for (const PositiveLine& positive : ReadPositives()) document += positive.sentence + "\n";
  for (const std::string& sentence : NegativeLines()) {
    document += sentence + "\n";
  }
  const std::vector<Finding> findings = Scan(document);
  ASSERT_FALSE(findings.empty());
  std::vector<std::string> lines = absl::StrSplit(document, '\n');
  for (const Finding& f : findings) {
    ASSERT_GE(f.line, 1);
    ASSERT_LE(static_cast<size_t>(f.line), lines.size());
    EXPECT_EQ(document.substr(f.byte_offset, f.byte_length), f.excerpt);
    // The column counts code points: re-derive it from the line's bytes.
    const std::string& line = lines[f.line - 1];
    size_t line_start = f.byte_offset;
    while (line_start > 0 && document[line_start - 1] != '\n') --line_start;
    int column = 1;
    for (size_t i = line_start; i < f.byte_offset; ++i) {
      if ((static_cast<unsigned char>(document[i]) & 0xC0) != 0x80) ++column;
    }
    EXPECT_EQ(f.column, column) << line;
  }

  // Each copy ends with a newline, so a finding cannot span two copies: the
  // big document holds exactly `copies` times the findings, at the same
  // offsets within each copy.
  std::string big;
  size_t copies = 0;
  for (; big.size() < (4u << 20); ++copies) big += document;
  const std::vector<Finding> big_findings = Scan(big);
  ASSERT_EQ(big_findings.size(), copies * findings.size());
  for (size_t i = 0; i < big_findings.size(); ++i) {
    const Finding& expected = findings[i % findings.size()];
    const size_t copy = i / findings.size();
    EXPECT_EQ(big_findings[i].byte_offset, copy * document.size() + expected.byte_offset) << i;
    EXPECT_EQ(big_findings[i].excerpt, expected.excerpt) << i;
  }
}

// The compiled patterns are shared: concurrent scans agree with a serial one.
TEST(GuardCorpus, ConcurrentScansAgree) {
  std::string document;
  for (const PositiveLine& positive : ReadPositives()) document += positive.sentence + "\n";
  const std::vector<Finding> serial = Scan(document);
  std::vector<std::vector<Finding>> results(4);
  std::vector<std::thread> threads;
  for (auto& result : results) {
    threads.emplace_back([&document, &result] {
      for (int i = 0; i < 5; ++i) result = Scan(document);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const auto& result : results) EXPECT_EQ(result, serial);
}

}  // namespace
}  // namespace samrad::client::guard

namespace samrad::client::guard {
namespace {

// Formats `value` with a space every three digits, as Swedish amounts are
// written ("12 500").
std::string Grouped(long value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(' ');
    out.push_back(digits[i]);
  }
  return out;
}

// Thousands of generated phrases with the ordinary numbers case texts are
// full of; none may be reported.
TEST(GuardSynthetic, OrdinaryNumberPhrasesPass) {
  static const char* const kMonths[] = {"januari",   "februari", "mars",     "april",
                                        "maj",       "juni",     "juli",     "augusti",
                                        "september", "oktober",  "november", "december"};
  std::vector<std::string> phrases;
  for (int n = 0; n <= 120; ++n) {
    const std::string s = std::to_string(n);
    for (const std::string& phrase : {s + " år",
                                      "en " + s + "-årig flicka",
                                      "årskurs " + s,
                                      "åk " + s,
                                      "vecka " + s,
                                      "v. " + s,
                                      s + " %",
                                      s + ",5 %",
                                      s + " § LVU",
                                      s + " kap. 1 § SoL",
                                      "14 kap. " + s + " § SoL",
                                      s + " barn",
                                      "rum " + s,
                                      "linje " + s,
                                      s + " km",
                                      s + " gånger",
                                      "plan " + s,
                                      "sal B " + s,
                                      s + " elever",
                                      s + " minuter"}) {
      phrases.push_back("Hon har " + phrase + " enligt anteckningen.");
    }
  }
  for (int hh = 0; hh < 24; ++hh) {
    for (int mm = 0; mm < 60; mm += 5) {
      char time[32];
      std::snprintf(time, sizeof(time), "%02d.%02d", hh, mm);
      char colon[32];
      std::snprintf(colon, sizeof(colon), "%02d:%02d", hh, mm);
      phrases.push_back(std::string("Mötet börjar kl. ") + time + " i dag.");
      phrases.push_back(std::string("Samtalet kom ") + colon + ", ett till " + colon + ":30.");
      phrases.push_back(std::string("Mellan ") + time + "-" + time + " var hon borta.");
    }
  }
  for (long amount : {50L, 200L, 999L, 1000L, 1177L, 1200L, 5000L, 12500L, 25000L, 40000L, 123456L,
                      1234567L, 98765L, 11414L, 20000L, 150000L}) {
    phrases.push_back("Hon fick " + Grouped(amount) + " kr av sin farbror.");
    phrases.push_back("Resan kostar " + Grouped(amount) + " SEK enligt pappan.");
    phrases.push_back("Beloppet var SEK " + std::to_string(amount) + " totalt.");
    phrases.push_back("Skulden är " + std::to_string(amount) + " kronor.");
  }
  for (int year = 1990; year <= 2026; ++year) {
    const std::string y = std::to_string(year);
    phrases.push_back("Familjen kom till Sverige " + y + ".");
    phrases.push_back("Pojken är född " + y + " och går i skolan.");
    phrases.push_back("Hon är född i mars " + y + ".");
    phrases.push_back("Enligt SFS " + y + ":400 gäller sekretess.");
    phrases.push_back("Se prop. " + y + "/" + std::to_string((year + 1) % 100) + ":131.");
    phrases.push_back("Dnr " + y + "-1234 gäller flickan.");
    phrases.push_back("Under " + y + "-" + std::to_string(year + 2) + " bodde de i Malmö.");
    for (int month = 1; month <= 12; ++month) {
      char date[32];
      std::snprintf(date, sizeof(date), "%d-%02d-%02d", year, month, (month * 7) % 28 + 1);
      phrases.push_back(std::string("Mötet ") + date + " hölls på skolan.");
      phrases.push_back(std::string("Beslutet fattades ") + date + " kl. 14.30.");
      phrases.push_back("Vi ses den " + std::to_string(month * 2) + " " + kMonths[month - 1] + " " +
                        y + " igen.");
    }
  }
  for (const char* fixed : {"Ring 112.", "Ring 1177.", "Ring 114 14.", "Ring 113 13.",
                            "BRIS 116 111.", "Kvinnofridslinjen 020-50 50 50."}) {
    phrases.push_back(fixed);
  }

  int flagged = 0;
  std::string examples;
  for (const std::string& phrase : phrases) {
    const std::vector<Finding> findings = Scan(phrase);
    if (!findings.empty()) {
      ++flagged;
      if (flagged <= 20) examples += "\n  " + phrase + Describe(findings);
    }
  }
  std::printf("guard synthetic ordinary phrases: %d of %zu flagged%s\n", flagged, phrases.size(),
              examples.c_str());
  EXPECT_EQ(flagged, 0);
}

}  // namespace
}  // namespace samrad::client::guard

namespace samrad::client::guard {
namespace {

std::string Repeat(std::string_view unit, size_t bytes) {
  std::string out;
  while (out.size() < bytes) out.append(unit);
  return out;
}

// Units that, repeated, make a backtracking or restart-heavy scanner
// quadratic. guard_benchmark.cc's BM_ScanAdversarial uses the same list.
std::vector<std::string> AdversarialUnits() {
  return {"01 ",       "1",      "1234 ", "+4 ", "född ",       "ABC ", "SE12 ",     "a",
          "Storgatan", "1.2.3.", "a:",    "@a",  "0701234567 ", "å",    "8327-9 1 ", "x@"};
}

// Inputs built to make a backtracking or restart-heavy scanner quadratic.
// RE2 is linear and the candidate patterns are bounded, so each scans in
// about a second per MiB at worst; a quadratic scan of a MiB would run for
// hours and trip ctest's TIMEOUT, which is this test's only time limit (a
// hang guard). The scan must succeed and report findings inside the input.
// How the scan time grows with the input is measured by guard_benchmark's
// BM_ScanAdversarial (BENCHMARKS.md).
TEST(GuardPathological, AdversarialInputsOfAMebibyteScanToTheEnd) {
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__)
  constexpr size_t kBytes = 1u << 20;
#else
  constexpr size_t kBytes = 256u << 10;  // Debug and sanitizer builds are slower
#endif
  for (const std::string& unit : AdversarialUnits()) {
    const std::string input = Repeat(unit, kBytes);
    absl::StatusOr<std::vector<Finding>> findings = ScanText(input);
    ASSERT_TRUE(findings.ok()) << "\"" << unit << "\": " << findings.status();
    for (const Finding& f : *findings) {
      ASSERT_LE(f.byte_offset + f.byte_length, input.size()) << "\"" << unit << "\"";
      EXPECT_EQ(input.substr(f.byte_offset, f.byte_length), f.excerpt) << "\"" << unit << "\"";
    }
  }
}

}  // namespace
}  // namespace samrad::client::guard
