// `samrad check` behaviour: output formats, exit codes, JSON escaping and
// the refusal of invalid UTF-8.
#include <string>

#include "client/guard.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace samrad::client::guard {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

CheckOptions Options(bool json, bool redact, MessageLanguage language = MessageLanguage::kEnglish) {
  return CheckOptions{
      .json = json, .redact = redact, .language = language, .scan = {.current_year = 2026}};
}

constexpr char kText[] =
    "Ärendet gäller en elev.\n"
    "Hon nås på 070-123 45 67 och bor på Storgatan 12.\n";

TEST(GuardCheck, PlainOutputListsFindingsAndExitsOne) {
  const CheckResult result = RunCheck(kText, Options(false, false));
  EXPECT_EQ(result.exit_code, kCheckExitFound);
  EXPECT_EQ(result.out,
            "2:12 phone \"070-123 45 67\"\n"
            "2:37 street-address \"Storgatan 12\"\n");
  EXPECT_THAT(result.err, HasSubstr("2 identifying details found"));
}

TEST(GuardCheck, CleanTextExitsZeroWithNoOutput) {
  const CheckResult result = RunCheck("Flickan är 15 år och går i åk 9.\n", Options(false, false));
  EXPECT_EQ(result.exit_code, kCheckExitClean);
  EXPECT_THAT(result.out, IsEmpty());
  EXPECT_THAT(result.err, HasSubstr("The automatic check found no identifying details."));
  EXPECT_THAT(result.err, HasSubstr("read the text once more"));
  const CheckResult json = RunCheck("Flickan är 15 år.", Options(true, false));
  EXPECT_EQ(json.exit_code, kCheckExitClean);
  EXPECT_EQ(json.out, "[]\n");
}

TEST(GuardCheck, JsonListsFindingsWithPositions) {
  const CheckResult result = RunCheck(kText, Options(true, false));
  EXPECT_EQ(result.exit_code, kCheckExitFound);
  EXPECT_EQ(result.out,
            "[{\"line\":2,\"column\":12,\"kind\":\"phone\",\"excerpt\":\"070-123 45 67\","
            "\"byte_offset\":39,\"byte_length\":13},"
            "{\"line\":2,\"column\":37,\"kind\":\"street-address\",\"excerpt\":\"Storgatan 12\","
            "\"byte_offset\":65,\"byte_length\":12}]\n");
}

TEST(GuardCheck, JsonEscapesQuotesBackslashesAndControlCharacters) {
  const CheckResult result = RunCheck("se instagram.com/lisa\\09 nu", Options(true, false));
  EXPECT_EQ(result.out,
            "[{\"line\":1,\"column\":4,\"kind\":\"social-media\",\"excerpt\":"
            "\"instagram.com/lisa\\\\09\",\"byte_offset\":3,\"byte_length\":21}]\n");
  Finding tricky{.line = 1,
                 .column = 1,
                 .byte_offset = 0,
                 .byte_length = 1,
                 .kind = FindingKind::kEmail,
                 .excerpt = "a\"b\\c\nd\x01\x7fé"};
  EXPECT_EQ(FindingsToJson({tricky}),
            "[{\"line\":1,\"column\":1,\"kind\":\"email\",\"excerpt\":"
            "\"a\\\"b\\\\c\\nd\\u0001\\u007fé\",\"byte_offset\":0,\"byte_length\":1}]");
  EXPECT_EQ(FormatFinding(tricky), "1:1 email \"a\\\"b\\\\c\\nd\\u0001\\u007fé\"");
  // A Swedish reader sees the kind in Swedish (the placeholder's word).
  EXPECT_EQ(FormatFinding(tricky, MessageLanguage::kSwedish),
            "1:1 e-post \"a\\\"b\\\\c\\nd\\u0001\\u007fé\"");
}

TEST(GuardCheck, RedactPrintsTheTextWithPlaceholders) {
  const CheckResult result = RunCheck(kText, Options(false, true));
  EXPECT_EQ(result.exit_code, kCheckExitFound);
  EXPECT_EQ(result.out,
            "Ärendet gäller en elev.\n"
            "Hon nås på [phone] och bor på [address].\n");
  EXPECT_THAT(result.err, HasSubstr("2 identifying details were replaced"));
  const CheckResult clean = RunCheck("Inget att se.\n", Options(false, true));
  EXPECT_EQ(clean.exit_code, kCheckExitClean);
  EXPECT_EQ(clean.out, "Inget att se.\n");
}

TEST(GuardCheck, JsonAndRedactTogether) {
  const CheckResult result = RunCheck("Ring 070-123 45 67.", Options(true, true));
  EXPECT_EQ(result.exit_code, kCheckExitFound);
  EXPECT_EQ(result.out,
            "{\"findings\":[{\"line\":1,\"column\":6,\"kind\":\"phone\",\"excerpt\":"
            "\"070-123 45 67\",\"byte_offset\":5,\"byte_length\":13}],"
            "\"redacted\":\"Ring [phone].\"}\n");
}

TEST(GuardCheck, InvalidUtf8ExitsTwoWithAClearError) {
  for (bool json : {false, true}) {
    const CheckResult result = RunCheck("Hej\nStorgatan 12 \xe5r", Options(json, false));
    EXPECT_EQ(result.exit_code, kCheckExitInvalidText);
    EXPECT_THAT(result.out, IsEmpty());
    EXPECT_EQ(result.err,
              "the text is not valid UTF-8 (first bad byte at line 2, column 14); save it as "
              "UTF-8 and try again");
  }
  const CheckResult swedish = RunCheck("\xe5", Options(false, false, MessageLanguage::kSwedish));
  EXPECT_EQ(swedish.exit_code, kCheckExitInvalidText);
  EXPECT_THAT(swedish.err, HasSubstr("inte giltig UTF-8"));
}

TEST(GuardCheck, EmptyOrWhitespaceTextSaysThereIsNothingToCheck) {
  for (const char* text : {"", " ", "\n\n\t \r\n"}) {
    const CheckResult result = RunCheck(text, Options(false, false));
    EXPECT_EQ(result.exit_code, kCheckExitInvalidText) << '"' << text << '"';
    EXPECT_THAT(result.out, IsEmpty());
    EXPECT_THAT(result.err, HasSubstr("there is no text to check"));
  }
  const CheckResult swedish = RunCheck(" \n", Options(false, false, MessageLanguage::kSwedish));
  EXPECT_THAT(swedish.err, HasSubstr("det finns ingen text att kontrollera"));
}

TEST(GuardCheck, CleanTextSaysTheCheckCannotSeeEverything) {
  const CheckResult result =
      RunCheck("Flickan är 15 år.\n", Options(false, false, MessageLanguage::kSwedish));
  EXPECT_EQ(result.exit_code, kCheckExitClean);
  EXPECT_THAT(result.err, HasSubstr("Den automatiska kontrollen hittade inga"));
  EXPECT_THAT(result.err, HasSubstr("läs texten en gång till"));
}

// 256 KiB of case text and 10,000 capitalised words: an answer, no crash.
// (Linearity is measured by guard_benchmark's BM_ScanAdversarial.)
TEST(GuardCheck, LargeTextsGetAnAnswer) {
  std::string big;
  while (big.size() < 256 * 1024) big += "Eleven Fatima går i 9B på Rinkebyskolan och mår dåligt. ";
  const CheckResult large = RunCheck(big, Options(false, false));
  EXPECT_EQ(large.exit_code, kCheckExitFound);
  EXPECT_THAT(large.err, HasSubstr("identifying details found"));
  std::string capitals;
  for (int i = 0; i < 10000; ++i) capitals += (i % 3 == 0) ? "Rosengård " : "Okändsson ";
  const CheckResult many = RunCheck(capitals, Options(true, false));
  EXPECT_EQ(many.exit_code, kCheckExitFound);
  EXPECT_EQ(many.out.front(), '[');
}

TEST(GuardCheck, SwedishSummary) {
  const CheckResult result = RunCheck(kText, Options(false, false, MessageLanguage::kSwedish));
  EXPECT_THAT(result.err, HasSubstr("2 identifierande uppgifter hittades"));
}

}  // namespace
}  // namespace samrad::client::guard
