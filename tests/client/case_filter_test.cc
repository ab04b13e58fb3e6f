// Finding cases and unread markers without a relay: the filter flags of
// `queue` and `cases` (client/case_filter.h) as the real command tree parses
// them, and the unread rule and marker file (client/unread.h).
#include "client/case_filter.h"

#include <sys/stat.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "client/case_search.h"
#include "client/cli.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/unread.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace samrad::client {
namespace {

const Messages kEnglish(Language::kEnglish);
const Messages kSwedish(Language::kSwedish);

absl::StatusOr<CaseFilter> Filter(const std::vector<std::string>& args,
                                  const Messages& messages = kEnglish) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(CommandTree(), GlobalFlags(), args, messages);
  if (!parsed.ok()) return parsed.status();
  return ParseCaseFilter(*parsed, messages, "a-1");
}

CaseFacts Facts(v1::ThreadState state, v1::Urgency urgency, const std::string& county,
                int64_t created, const std::string& claimed_by = "") {
  CaseFacts facts;
  facts.state = state;
  facts.metadata.set_urgency(urgency);
  facts.metadata.set_category(v1::CATEGORY_CHILD_MARRIAGE);
  facts.metadata.set_county(county);
  facts.metadata.set_age_group(v1::AGE_GROUP_CHILD);
  facts.claimed_by = claimed_by;
  facts.created_at_unix_ms = created;
  return facts;
}

class CaseFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "Europe/Stockholm", 1);
    tzset();
  }
};

TEST_F(CaseFilterTest, EveryFilterNarrowsAndListsMeanAny) {
  absl::StatusOr<CaseFilter> none = Filter({"queue"});
  ASSERT_TRUE(none.ok()) << none.status();
  const CaseFacts open_acute = Facts(v1::THREAD_STATE_OPEN, v1::URGENCY_ACUTE, "07", 1000);
  EXPECT_TRUE(Matches(*none, open_acute));

  absl::StatusOr<CaseFilter> f =
      Filter({"queue", "--state", "open,claimed", "--urgency", "acute", "--county", "07,12",
              "--category", "child-marriage", "--age", "child"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(Matches(*f, open_acute));
  EXPECT_TRUE(Matches(*f, Facts(v1::THREAD_STATE_CLAIMED, v1::URGENCY_ACUTE, "12", 1000)));
  EXPECT_FALSE(Matches(*f, Facts(v1::THREAD_STATE_ANSWERED, v1::URGENCY_ACUTE, "07", 1000)));
  EXPECT_FALSE(Matches(*f, Facts(v1::THREAD_STATE_OPEN, v1::URGENCY_NORMAL, "07", 1000)));
  EXPECT_FALSE(Matches(*f, Facts(v1::THREAD_STATE_OPEN, v1::URGENCY_ACUTE, "05", 1000)));
  CaseFacts other_age = open_acute;
  other_age.metadata.set_age_group(v1::AGE_GROUP_ADULT);
  EXPECT_FALSE(Matches(*f, other_age));

  absl::StatusOr<CaseFilter> mine = Filter({"queue", "--mine"});
  ASSERT_TRUE(mine.ok());
  EXPECT_TRUE(Matches(*mine, Facts(v1::THREAD_STATE_CLAIMED, v1::URGENCY_HIGH, "07", 1, "a-1")));
  EXPECT_FALSE(Matches(*mine, Facts(v1::THREAD_STATE_CLAIMED, v1::URGENCY_HIGH, "07", 1, "a-2")));
  EXPECT_FALSE(Matches(*mine, Facts(v1::THREAD_STATE_OPEN, v1::URGENCY_HIGH, "07", 1)));
  // A professional's `cases` has no --mine (every case is theirs).
  EXPECT_EQ(ExitCodeOf(Filter({"cases", "--mine"}).status()), ExitCode::kUsage);
}

TEST_F(CaseFilterTest, DatesAreLocalDaysWithBothEndsIncluded) {
  absl::StatusOr<CaseFilter> f =
      Filter({"cases", "--since", "2026-11-28", "--until", "2026-11-28"});
  ASSERT_TRUE(f.ok()) << f.status();
  // Stockholm is UTC+1 in November: the local day is 23:00 UTC to 23:00 UTC.
  const int64_t start = 1795820400000;  // 2026-11-27 23:00:00 UTC
  EXPECT_EQ(f->created_from_unix_ms, start);
  EXPECT_EQ(f->created_before_unix_ms, start + 24 * 3600 * 1000);
  EXPECT_FALSE(Matches(*f, Facts(v1::THREAD_STATE_OPEN, v1::URGENCY_HIGH, "07", start - 1)));
  EXPECT_TRUE(Matches(*f, Facts(v1::THREAD_STATE_OPEN, v1::URGENCY_HIGH, "07", start)));
  EXPECT_TRUE(Matches(
      *f, Facts(v1::THREAD_STATE_OPEN, v1::URGENCY_HIGH, "07", start + 24 * 3600 * 1000 - 1)));
  EXPECT_FALSE(
      Matches(*f, Facts(v1::THREAD_STATE_OPEN, v1::URGENCY_HIGH, "07", start + 24 * 3600 * 1000)));
}

TEST_F(CaseFilterTest, BadValuesAreRefusedListingTheAllowedOnes) {
  absl::Status state = Filter({"queue", "--state", "open,pending"}).status();
  EXPECT_EQ(ExitCodeOf(state), ExitCode::kUsage);
  EXPECT_EQ(state.message(),
            "--state \"pending\" is not allowed; use one or more of: open, claimed, answered, "
            "closed");
  absl::Status urgency = Filter({"queue", "--urgency", "urgent"}).status();
  EXPECT_TRUE(absl::StrContains(urgency.message(), "acute, high, normal")) << urgency;
  absl::Status county = Filter({"cases", "--county", "02"}).status();
  EXPECT_TRUE(absl::StrContains(county.message(), "01, 03, 04")) << county;
  absl::Status category = Filter({"queue", "--category", "honor"}, kSwedish).status();
  EXPECT_TRUE(absl::StrContains(category.message(), "är inte tillåtet; ange ett eller flera av: "))
      << category;
  for (const char* bad : {"2026-13-01", "2026-02-30", "28/11/2026", "2026-1-5", ""}) {
    absl::Status date = Filter({"queue", "--since", bad}).status();
    EXPECT_EQ(ExitCodeOf(date), ExitCode::kUsage) << bad;
    EXPECT_TRUE(absl::StrContains(date.message(), "YYYY-MM-DD")) << date;
  }
}

v1::ThreadSummary Summary(uint64_t count, v1::SenderRole last, v1::ThreadState state) {
  v1::ThreadSummary s;
  s.set_thread_id(std::string(32, 'a'));
  s.set_message_count(count);
  s.set_last_sender_role(last);
  s.set_state(state);
  return s;
}

TEST(UnreadTest, NewFollowUpForAdvisersAndNewAnswerForProfessionals) {
  // An adviser never opened it.
  EXPECT_EQ(Unread(Summary(1, v1::SENDER_ROLE_PROFESSIONAL, v1::THREAD_STATE_OPEN), 0, false),
            UnreadKind::kNewCase);
  // Answered and read; then a follow-up: new for the adviser, not for its author.
  const v1::ThreadSummary answered = Summary(2, v1::SENDER_ROLE_ADVISER, v1::THREAD_STATE_ANSWERED);
  EXPECT_EQ(Unread(answered, 2, false), UnreadKind::kNone);
  EXPECT_EQ(Unread(answered, 1, true), UnreadKind::kNewAnswer);
  EXPECT_EQ(Unread(answered, 2, true), UnreadKind::kNone);
  const v1::ThreadSummary follow_up =
      Summary(3, v1::SENDER_ROLE_PROFESSIONAL, v1::THREAD_STATE_CLAIMED);
  EXPECT_EQ(Unread(follow_up, 2, false), UnreadKind::kNewFollowUp);
  EXPECT_EQ(Unread(follow_up, 2, true), UnreadKind::kNone);
  EXPECT_EQ(Unread(follow_up, 3, false), UnreadKind::kNone);
  // A relay that did not record the last writer: the state decides.
  EXPECT_EQ(Unread(Summary(2, v1::SENDER_ROLE_UNSPECIFIED, v1::THREAD_STATE_ANSWERED), 1, true),
            UnreadKind::kNewAnswer);
  EXPECT_EQ(UnreadLabel(kSwedish, UnreadKind::kNewFollowUp), "ny följdfråga");
  EXPECT_EQ(UnreadLabel(kEnglish, UnreadKind::kNewAnswer), "new answer");
  EXPECT_EQ(UnreadJsonName(UnreadKind::kNone), "");
}

TEST(UnreadTest, MarkerFileIsPrivateBoundedAndNeverGoesBack) {
  testing::TempDir dir;
  const std::string path = ReadMarkers::PathFor(dir.File("k.keystore"));
  EXPECT_EQ(path, dir.File("k.keystore.read"));
  const std::string a(32, 'a'), b(32, 'b');
  ReadMarkers markers = ReadMarkers::Load(path);  // no file yet: empty
  EXPECT_EQ(markers.Get(a), 0u);
  markers.MarkRead(a, 3);
  markers.MarkRead(a, 2);  // never lowered
  markers.MarkRead(b, 1);
  ASSERT_TRUE(markers.Save().ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ReadMarkers again = ReadMarkers::Load(path);
  EXPECT_EQ(again.Get(a), 3u);
  EXPECT_EQ(again.Get(b), 1u);
  again.KeepOnly({a});  // b left the queue
  ASSERT_TRUE(again.Save().ok());
  EXPECT_EQ(ReadFileToString(path).value_or(""), a + " 3\n");
  // A damaged line is skipped, the rest kept.
  ASSERT_TRUE(WriteFileAtomically(path, "junk\n" + b + " 7\nzz 1\n").ok());
  EXPECT_EQ(ReadMarkers::Load(path).Get(b), 7u);
}

TEST(CaseSearchTest, IgnoresCaseAndDiacriticsAndShowsWhereItMatched) {
  EXPECT_EQ(FoldForSearch("Ärende ÖVER Straße").text, "arende over strase");
  const std::string text =
      "Eleven berättar att hennes FÖRÄLDRAR planerar en resa i sommar.\nHon är rädd.";
  EXPECT_EQ(FindSnippet(text, "foraldrar", 10).value_or("-"), "…tt hennes FÖRÄLDRAR planerar …");
  EXPECT_EQ(FindSnippet(text, "Rädd", 100).value_or("-"),
            "Eleven berättar att hennes FÖRÄLDRAR planerar en resa i sommar. Hon är rädd.");
  EXPECT_FALSE(FindSnippet(text, "skolan").has_value());
  EXPECT_FALSE(FindSnippet(text, "").has_value());
  // A cut never splits a character.
  const std::string snippet = FindSnippet("åååååååååå x åååååååååå", "x", 3).value_or("");
  EXPECT_EQ(snippet, "…å x å…");
}

}  // namespace
}  // namespace samrad::client
