// Issue 19, "Swedish all the way" and "Statistics people can show", end to
// end: the real samrad and samrad-relay under LANG=sv_SE.UTF-8. A
// professional asks with Swedish values, an adviser reads the queue and
// answers, the professional reads the case and the list of cases, and the
// admin reads the statistics of the ended month (the relay restarted with
// its clock moved past the month's end by the time-shift shim) as a table,
// as CSV and as SVG. No English value name or heading may reach the
// Swedish user.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli_relay_fixture.h"
#include "client/file_util.h"
#include "client/messages.h"
#include "common/reasons.h"
#include "tests/testing/files.h"
#include "tests/testing/process.h"

namespace samrad::client::testing {
namespace {

// English words people must not see under a Swedish locale: value tokens
// and headings. ("normal" is the same word in Swedish.)
const std::vector<std::string>& EnglishWords() {
  static const auto* words = new std::vector<std::string>{
      "honour-violence", "child-marriage", "forced-marriage", "school",  "social-services",
      "health-care",     "young-adult",    "answered",        "claimed", "REFERENCE",
      "URGENCY",         "CATEGORY",       "STATE",           "COUNTY",  "MESSAGES",
      "MONTH",           "FIRST ANSWER",   "GROUPS UNDER",    " UTC"};
  return *words;
}

void ExpectNoEnglish(const std::string& what, const std::string& text) {
  for (const std::string& word : EnglishWords()) {
    EXPECT_FALSE(absl::StrContains(text, word)) << what << " shows \"" << word << "\":\n" << text;
  }
}

class SwedishE2eTest : public CliRelayTest {
 protected:
  // samrad as `who` under a Swedish locale with TZ unset (so Stockholm time),
  // with `extra` added to the environment.
  ProcessResult Sv(const std::string& who, std::vector<std::string> args,
                   const std::string& stdin_text = "",
                   std::map<std::string, std::string> extra = {}) {
    extra["LANG"] = "sv_SE.UTF-8";
    extra["TZ"] = "";
    return SamradWithEnv(who, std::move(args), extra, stdin_text);
  }

  ProcessResult AskSv(const std::string& category, const std::string& text) {
    return Sv("pro",
              {"ask", "--county", "07", "--category", category, "--urgency", "hög", "--org",
               "skola", "--age", "barn", "--json"},
              text);
  }
};

TEST_F(SwedishE2eTest, EveryoneReadsSwedishAndStatisticsAreShowable) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));

  // Swedish values are accepted; a wrong one lists the Swedish names.
  ProcessResult bad = Sv("pro", {"ask", "--county", "07", "--category", "giftermål", "--urgency",
                                 "hög", "--org", "skola", "--age", "barn"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad.err, "barnäktenskap, tvångsäktenskap")) << bad.err;
  ExpectNoEnglish("a refused value", bad.err);

  // Five child-marriage cases (one base cell of 5) and one honour case (<5).
  std::string ref;
  for (int i = 0; i < 5; ++i) {
    ProcessResult asked =
        AskSv(i % 2 == 0 ? "barnäktenskap" : "BARNAKTENSKAP",
              absl::StrCat("Eleven berättar om ett planerat giftermål i sommar, fråga ", i, ".\n"));
    ASSERT_EQ(asked.exit_code, 0) << asked.err;
    if (ref.empty()) ref = Reference(asked.out);
  }
  ASSERT_EQ(AskSv("hedersrelaterat våld", "Familjen kontrollerar vem eleven träffar.\n").exit_code,
            0);
  ASSERT_EQ(ref.size(), 32u);

  ProcessResult queue = Sv("adviser", {"queue"});
  ASSERT_EQ(queue.exit_code, 0) << queue.err;
  for (const char* word : {"REFERENS", "BRÅDSKA", "KATEGORI", "barnäktenskap",
                           "hedersrelaterat-våld", "hög", "skola", "öppet"}) {
    EXPECT_TRUE(absl::StrContains(queue.out, word)) << word << "\n" << queue.out;
  }
  ExpectNoEnglish("queue", queue.out);
  ASSERT_EQ(Sv("adviser", {"claim", ref}).exit_code, 0);
  ProcessResult answer =
      Sv("adviser", {"answer", ref}, "Kontakta socialtjänsten i dag och dokumentera samtalet.\n");
  ASSERT_EQ(answer.exit_code, 0) << answer.err;

  ProcessResult show = Sv("pro", {"show", ref});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  for (const char* word : {"besvarat", "barnäktenskap", "hög", "län 07"}) {
    EXPECT_TRUE(absl::StrContains(show.out, word)) << word << "\n" << show.out;
  }
  // Stockholm time with the zone named (CET in winter, CEST in summer).
  EXPECT_TRUE(absl::StrContains(show.out, " CET ") || absl::StrContains(show.out, " CEST "))
      << show.out;
  ExpectNoEnglish("show", show.out);
  ProcessResult cases = Sv("pro", {"cases"});
  ASSERT_EQ(cases.exit_code, 0) << cases.err;
  for (const char* word : {"REFERENS", "LÄGE", "besvarat", "öppet", "barnäktenskap"}) {
    EXPECT_TRUE(absl::StrContains(cases.out, word)) << word << "\n" << cases.out;
  }
  ExpectNoEnglish("cases", cases.out);
  // Scripts keep the English names.
  ProcessResult json = Sv("pro", {"cases", "--json"});
  EXPECT_TRUE(absl::StrContains(json.out, R"("category":"child-marriage")")) << json.out;

  // This month has not ended: refused, in Swedish.
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::CivilMonth month = absl::ToCivilMonth(absl::Now(), utc);
  const std::vector<std::string> period = {"admin",   "stats",
                                           "--year",  absl::StrCat(month.year()),
                                           "--month", absl::StrCat(month.month())};
  ProcessResult early = Sv("admin", period);
  EXPECT_EQ(early.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(early.err, "när den är slut")) << early.err;

  // Later: the relay and the admin's samrad a day past the month's end.
  const int64_t shift = absl::ToInt64Seconds(absl::FromCivil(month + 1, utc) - absl::Now()) + 86400;
  ASSERT_NO_FATAL_FAILURE(RestartRelay({{"LD_PRELOAD", SAMRAD_TIME_SHIFT_LIB},
                                        {"SAMRAD_TEST_TIME_SHIFT_SECONDS", absl::StrCat(shift)}}));
  const std::map<std::string, std::string> later = {
      {"LD_PRELOAD", SAMRAD_TIME_SHIFT_LIB},
      {"SAMRAD_TEST_TIME_SHIFT_SECONDS", absl::StrCat(shift)}};
  std::vector<std::string> by_category = period;
  by_category.insert(by_category.end(), {"--by", "unit,county,category"});
  ProcessResult stats = Sv("admin", by_category, "", later);
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_TRUE(absl::StrContains(stats.out, "Konsultationer skapade under")) << stats.out;
  auto has = [&](const std::string& pattern) {
    return std::regex_search(stats.out, std::regex(pattern));
  };
  EXPECT_TRUE(has("Resurscentrum Kronoberg +Kronobergs län +barnäktenskap +5 ")) << stats.out;
  EXPECT_TRUE(has("Resurscentrum Kronoberg +Kronobergs län +hedersrelaterat-våld +<5"))
      << stats.out;
  EXPECT_TRUE(has("Resurscentrum Kronoberg +Kronobergs län +annat +0")) << stats.out;  // zeros
  EXPECT_TRUE(has("Resurscentrum Gävleborg +Gävleborgs län")) << stats.out;
  EXPECT_TRUE(absl::StrContains(stats.out, "Totalt")) << stats.out;
  EXPECT_TRUE(absl::StrContains(stats.out, "5+")) << stats.out;
  EXPECT_TRUE(absl::StrContains(stats.out, " tim")) << stats.out;  // the answered case
  EXPECT_FALSE(absl::StrContains(stats.out, "rc-kronoberg")) << stats.out;
  EXPECT_FALSE(has("Kronobergs län +barnäktenskap +6")) << stats.out;
  ExpectNoEnglish("stats", stats.out);

  // CSV for Excel, and the charts.
  std::vector<std::string> csv_args = by_category;
  csv_args.push_back("--csv");
  ProcessResult csv = Sv("admin", csv_args, "", later);
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_TRUE(absl::StartsWith(csv.out,
                               "\xEF\xBB\xBF"
                               "ENHET;LÄN;KATEGORI;ANTAL;GRUPPER UNDER 5;"))
      << csv.out;
  EXPECT_TRUE(absl::StrContains(
      csv.out, "\r\nResurscentrum Kronoberg;Kronobergs län;hedersrelaterat-våld;<5;1;\r\n"))
      << csv.out;
  EXPECT_TRUE(
      absl::StrContains(csv.out, "\r\nResurscentrum Kronoberg;Kronobergs län;barnäktenskap;5;0;"))
      << csv.out;
  const std::string svg_file = dir().File("uppfoljning.svg");
  std::vector<std::string> svg_args = period;
  svg_args.insert(svg_args.end(), {"--svg", svg_file});
  ProcessResult svg = Sv("admin", svg_args, "", later);
  ASSERT_EQ(svg.exit_code, 0) << svg.err;
  EXPECT_TRUE(absl::StrContains(svg.err, "Diagrammen skrevs till")) << svg.err;
  const std::string picture = ReadFileToString(svg_file).value_or("");
  EXPECT_TRUE(absl::StartsWith(picture, "<?xml")) << picture;
  EXPECT_TRUE(absl::StrContains(picture, "Ärenden per månad och kategori")) << picture;
  EXPECT_TRUE(absl::StrContains(picture, ">&lt;5</text>")) << picture;
  EXPECT_TRUE(
      absl::StrContains(picture, "class=\"cell\" font-size=\"9\" text-anchor=\"middle\">5</text>"))
      << picture;
  EXPECT_FALSE(
      absl::StrContains(picture, "class=\"cell\" font-size=\"9\" text-anchor=\"middle\">1<"))
      << picture;
  ExpectNoEnglish("svg", picture);

  // The old form is refused with the reason.
  ProcessResult range = Sv("admin", {"admin", "stats", "--from", "2026-01-01"}, "", later);
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(range.err, "--from och --to finns inte längre")) << range.err;
}

// The fixed words of every English reason template (common/reasons.h): its
// pieces between placeholders that are long enough to be a phrase.
std::vector<std::string> EnglishReasonPhrases() {
  std::vector<std::string> phrases;
  for (int i = 0; i < static_cast<int>(reasons::Reason::kCount_); ++i) {
    const std::string english = reasons::TextOf(static_cast<reasons::Reason>(i)).english;
    for (absl::string_view piece : absl::StrSplit(english, '$')) {
      // Drop the placeholder digit that starts every piece after the first.
      std::string phrase(piece);
      if (!phrase.empty() && absl::ascii_isdigit(phrase[0])) phrase.erase(0, 1);
      phrase = std::string(absl::StripAsciiWhitespace(phrase));
      if (phrase.size() >= 12) phrases.push_back(phrase);
    }
  }
  return phrases;
}

// Issue 19 item 7 for the relay's refusals: a Swedish user provokes several
// (a case claimed by someone else, a case that is not theirs to release, a
// case that does not exist, a closed case, a county not theirs, an admin
// freeing an unclaimed case) and reads each in Swedish: no English reason
// text and no "cannot ..." from the client.
TEST_F(SwedishE2eTest, RelayRefusalsAreSwedish) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  const std::vector<std::string> english = EnglishReasonPhrases();
  ASSERT_GT(english.size(), 20u);
  auto expect_swedish = [&](const std::string& what, const ProcessResult& result) {
    EXPECT_NE(result.exit_code, 0) << what << " succeeded:\n" << result.out;
    EXPECT_TRUE(absl::StartsWith(result.err, "samrad: ")) << what << ":\n" << result.err;
    for (const std::string& phrase : english) {
      EXPECT_FALSE(absl::StrContains(result.err, phrase))
          << what << " shows the English \"" << phrase << "\":\n"
          << result.err;
    }
    EXPECT_FALSE(absl::StrContains(result.err, "cannot ")) << what << ":\n" << result.err;
    ExpectNoEnglish(what, result.err);
  };

  ProcessResult asked = AskSv("barnäktenskap", "Eleven berättar om ett planerat giftermål.\n");
  ASSERT_EQ(asked.exit_code, 0) << asked.err;
  const std::string ref = Reference(asked.out);
  ASSERT_EQ(Sv("adviser", {"claim", ref}).exit_code, 0);

  // Claimed by a-1: a-2 may neither claim, answer nor release it.
  ProcessResult claim2 = Sv("adviser2", {"claim", ref});
  expect_swedish("a claim held by another", claim2);
  EXPECT_TRUE(absl::StrContains(claim2.err, "har redan tagits av en annan rådgivare"))
      << claim2.err;
  ProcessResult answer2 = Sv("adviser2", {"answer", ref}, "Ett svar.\n");
  expect_swedish("an answer on another's claim", answer2);
  EXPECT_TRUE(absl::StrContains(answer2.err, "a-1")) << answer2.err;  // the holder, from the reason
  ProcessResult release2 = Sv("adviser2", {"release", ref});
  expect_swedish("releasing another's claim", release2);

  // A case nobody can see.
  ProcessResult missing = Sv("adviser", {"show", std::string(32, 'a')});
  expect_swedish("an unknown case", missing);

  // A county that is not the certificate's.
  ProcessResult county = Sv("pro",
                            {"ask", "--county", "12", "--category", "barnäktenskap", "--urgency",
                             "hög", "--org", "skola", "--age", "barn"},
                            "En fråga.\n");
  expect_swedish("another county", county);

  // Released, then freed again by the admin: nothing to release.
  ASSERT_EQ(Sv("adviser", {"release", ref}).exit_code, 0);
  ProcessResult free_again = Sv("admin", {"admin", "release", ref});
  expect_swedish("freeing an unclaimed case", free_again);

  // Closed by the professional: the adviser can no longer take it.
  ProcessResult closed = Sv("pro", {"close", ref});
  ASSERT_EQ(closed.exit_code, 0) << closed.err;
  ProcessResult claim_closed = Sv("adviser", {"claim", ref});
  expect_swedish("claiming a closed case", claim_closed);
  EXPECT_TRUE(
      absl::StrContains(claim_closed.err, "kan inte ta ärendet: ärendet " + ref + " är stängt"))
      << claim_closed.err;
}

// The fixed English parts (between placeholders) of every message the
// client's deep code gives through client/localized_status.h.
std::vector<std::string> EnglishLocalizedPhrases() {
  std::vector<std::string> phrases;
  const Messages en(Language::kEnglish);
  const Messages sv(Language::kSwedish);
  for (int i = static_cast<int>(Msg::kLzNoKeystore); i < static_cast<int>(Msg::kCount_); ++i) {
    for (absl::string_view part : absl::StrSplit(en.Get(static_cast<Msg>(i)), '$')) {
      if (!part.empty() && absl::ascii_isdigit(part[0])) part.remove_prefix(1);
      part = absl::StripAsciiWhitespace(absl::StripSuffix(absl::StripPrefix(part, ":"), ":"));
      // Identifiers and commands the Swedish text keeps too are not English.
      if (part.size() >= 8 && absl::StrContains(part, " ") &&
          !absl::StrContains(sv.Get(static_cast<Msg>(i)), part)) {
        phrases.emplace_back(part);
      }
    }
  }
  return phrases;
}

// The client's own errors under a Swedish locale (keystore, passphrase,
// profile, damaged files): each says what is wrong in Swedish, and no
// English sentence of the localized messages reaches the user.
TEST_F(SwedishE2eTest, ClientErrorsAreSwedish) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  const std::vector<std::string> english = EnglishLocalizedPhrases();
  ASSERT_GT(english.size(), 25u);
  auto expect_swedish = [&](const std::string& what, const ProcessResult& result,
                            const std::string& swedish) {
    EXPECT_NE(result.exit_code, 0) << what << " succeeded:\n" << result.out;
    EXPECT_TRUE(absl::StartsWith(result.err, "samrad: ")) << what << ":\n" << result.err;
    EXPECT_TRUE(absl::StrContains(result.err, swedish)) << what << ":\n" << result.err;
    for (const std::string& phrase : english) {
      EXPECT_FALSE(absl::StrContains(result.err, phrase))
          << what << " shows the English \"" << phrase << "\":\n"
          << result.err;
    }
    EXPECT_FALSE(absl::StrContains(result.err, "cannot ")) << what << ":\n" << result.err;
  };
  const std::string keystore = dir().File("pro.keystore");
  const std::string wrong_pass = dir().File("wrong.pass");
  ASSERT_TRUE(WriteFileAtomically(wrong_pass, "not the passphrase of pro\n", 0600).ok());

  // A wrong passphrase.
  expect_swedish("a wrong passphrase",
                 Sv("pro", {"cases"}, "", {{"SAMRAD_PASSPHRASE_FILE", wrong_pass}}),
                 "lösenfrasen för nyckelarkivet " + keystore + " är fel");

  // A passphrase file that is not there.
  expect_swedish(
      "a missing passphrase file",
      Sv("pro", {"cases"}, "", {{"SAMRAD_PASSPHRASE_FILE", dir().File("none.pass")}}),
      "kan inte öppna " + dir().File("none.pass") + ": filen eller katalogen finns inte");

  // A profile that is not there, and one that is not a profile.
  expect_swedish("a missing profile",
                 Sv("pro", {"cases"}, "", {{"SAMRAD_CONFIG", dir().File("none.conf")}}),
                 "ingen profil i " + dir().File("none.conf"));
  const std::string garbage = dir().File("garbage.conf");
  ASSERT_TRUE(WriteFileAtomically(garbage, "relay_adress: \"x\"\n", 0600).ok());
  expect_swedish("an unreadable profile", Sv("pro", {"cases"}, "", {{"SAMRAD_CONFIG", garbage}}),
                 "profilen " + garbage + " är inte giltigt textformat");

  // A damaged (tampered) keystore, then no keystore at all.
  absl::StatusOr<std::string> bytes = ReadFileToString(keystore);
  ASSERT_TRUE(bytes.ok());
  std::string tampered = *bytes;
  tampered[tampered.size() - 5] ^= 0x01;
  ASSERT_TRUE(WriteFileAtomically(keystore, tampered, 0600).ok());
  expect_swedish("a tampered keystore", Sv("pro", {"cases"}), "nyckelarkivet " + keystore);
  ASSERT_TRUE(WriteFileAtomically(keystore, *bytes, 0600).ok());
  std::filesystem::rename(keystore, keystore + ".away");
  expect_swedish("a missing keystore", Sv("pro", {"cases"}),
                 "det finns inget nyckelarkiv i " + keystore);
  std::filesystem::rename(keystore + ".away", keystore);

  // An unknown case reference, and one too short.
  expect_swedish("an unknown case", Sv("pro", {"show", "abcdef12"}), "inget ärende \"abcdef12\"");
  expect_swedish("a short reference", Sv("pro", {"show", "ab"}), "ärendereferensen \"ab\"");
}

// A profile file like `who`'s with `from` replaced by `to` (written as
// <name>.conf); its path.
std::string EditedProfile(const TempDir& dir, const std::string& who, const std::string& name,
                          const std::string& from, const std::string& to) {
  std::string conf = ReadFileToString(dir.File(who + ".conf")).value_or("");
  const size_t at = conf.find(from);
  EXPECT_NE(at, std::string::npos) << from << " not in\n" << conf;
  if (at != std::string::npos) conf.replace(at, from.size(), to);
  const std::string path = dir.File(name + ".conf");
  EXPECT_TRUE(WriteFileAtomically(path, conf, 0600).ok());
  return path;
}

// The texts of setup, connection, certificates, the signed directory and the
// admin's directory commands under a Swedish locale (issue 19 item 7, the
// texts of config.cc, certificate.cc, relay_client.cc, directory_admin.cc,
// the command files and crypto/ at the client's boundary): each error says
// what is wrong in Swedish and no English phrase of the client's messages
// (message ids from kLzNoKeystore on, which include every "cannot <action>"
// phrase) reaches the user.
TEST_F(SwedishE2eTest, SetupDirectoryAndConnectionErrorsAreSwedish) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  const std::vector<std::string> english = EnglishLocalizedPhrases();
  ASSERT_GT(english.size(), 80u);
  auto expect_swedish = [&](const std::string& what, const ProcessResult& result,
                            const std::string& swedish) {
    EXPECT_NE(result.exit_code, 0) << what << " succeeded:\n" << result.out;
    EXPECT_TRUE(absl::StartsWith(result.err, "samrad: ")) << what << ":\n" << result.err;
    EXPECT_TRUE(absl::StrContains(result.err, swedish)) << what << ":\n" << result.err;
    // crypto/'s own words are shown, marked as a technical detail in English.
    const std::string ours(
        absl::string_view(result.err)
            .substr(
                0, result.err.find(Messages(Language::kSwedish).Format(Msg::kLzCryptoDetail, ""))));
    for (const std::string& phrase : english) {
      EXPECT_FALSE(absl::StrContains(ours, phrase))
          << what << " shows the English \"" << phrase << "\":\n"
          << result.err;
    }
    EXPECT_FALSE(absl::StrContains(ours, "cannot ")) << what << ":\n" << result.err;
  };
  const std::map<std::string, std::string> fresh = {{"SAMRAD_CONFIG", dir().File("new.conf")}};

  // init: a relay address without a port, a directory key that is neither
  // hex nor a file; nothing is written.
  expect_swedish(
      "a relay address without a port",
      Sv("pro", CliInitArgs(dir(), pki(), "port", "new", "professional-07-p-1", {}), "", fresh),
      "relay_address \"127.0.0.1:port\" har inte formen värd:port");
  std::vector<std::string> bad_key =
      CliInitArgs(dir(), pki(), port(), "new", "professional-07-p-1", {});
  bad_key[std::find(bad_key.begin(), bad_key.end(), "--directory-key") - bad_key.begin() + 1] =
      "abc123";
  expect_swedish("a directory key that is not hex", Sv("pro", bad_key, "", fresh),
                 "katalognyckeln \"abc123\" är varken 64 hextecken eller en läsbar fil");
  EXPECT_FALSE(std::filesystem::exists(dir().File("new.conf")));

  // Profiles: a pinned key of the wrong length, a missing CA file, a relay
  // that does not run, another key pinned than the one that signs.
  const std::string pinned(absl::StripAsciiWhitespace(
      ReadFileToString(dir().File("dir") + "/directory.pub").value_or("")));
  ASSERT_EQ(pinned.size(), 64u);
  const std::string short_key =
      EditedProfile(dir(), "pro", "short-key", pinned, pinned.substr(0, 10));
  expect_swedish("a short pinned key", Sv("pro", {"cases"}, "", {{"SAMRAD_CONFIG", short_key}}),
                 "profilen " + short_key + ": directory_public_key_hex måste vara 64 hextecken");
  const std::string no_ca =
      EditedProfile(dir(), "adviser", "no-ca", pki() + "/ca.crt", dir().File("none.crt"));
  expect_swedish("a missing CA file", Sv("adviser", {"queue"}, "", {{"SAMRAD_CONFIG", no_ca}}),
                 "kan inte läsa CA-certifikatet: kan inte öppna " + dir().File("none.crt"));
  const std::string down =
      EditedProfile(dir(), "adviser", "down", "127.0.0.1:" + port(), "127.0.0.1:1");
  expect_swedish("a relay that does not run",
                 Sv("adviser", {"queue"}, "", {{"SAMRAD_CONFIG", down}}),
                 "når inte reläet på 127.0.0.1:1");
  std::string other_key = pinned;
  other_key[0] = other_key[0] == 'a' ? 'b' : 'a';
  const std::string wrong_key = EditedProfile(dir(), "pro", "wrong-key", pinned, other_key);
  const ProcessResult unverified = Sv("pro",
                                      {"ask", "--county", "07", "--category", "barnäktenskap",
                                       "--urgency", "hög", "--org", "skola", "--age", "barn"},
                                      "En fråga.\n", {{"SAMRAD_CONFIG", wrong_key}});
  expect_swedish("another pinned key", unverified,
                 "nyckelkatalogen från reläet kunde inte verifieras med den låsta katalognyckeln: "
                 "teknisk uppgift på engelska:");

  // An adviser's reference that matches no case in the queue.
  expect_swedish("an unknown reference in the queue", Sv("adviser", {"show", "abcdef"}),
                 "inget ärende \"abcdef\" i enhetens kö");

  // The admin's directory: a bad unit id, a county code that is not one, a
  // unit that is not there, the fallback unit, a bundle that is not JSON.
  expect_swedish("a bad unit id",
                 Sv("admin", {"admin", "directory", "add-unit", "RC_X", "--counties", "08"}),
                 "enhets-id:t \"RC_X\" måste vara 1–64 tecken");
  expect_swedish("a county that is not one",
                 Sv("admin", {"admin", "directory", "add-unit", "rc-x", "--counties", "99"}),
                 "\"99\" är ingen svensk länskod; använd en av: 01 Stockholms län");
  expect_swedish("a unit that is not there",
                 Sv("admin", {"admin", "directory", "remove-unit", "rc-nowhere"}),
                 "det finns ingen enhet \"rc-nowhere\" i katalogen");
  const std::string bundle = dir().File("not-a.bundle.json");
  ASSERT_TRUE(WriteFileAtomically(bundle, "{nonsense", 0600).ok());
  expect_swedish("a bundle that is not JSON",
                 Sv("admin", {"admin", "directory", "add-adviser", "rc-kronoberg", bundle}),
                 "filen " + bundle + ": rådgivarens publika fil är inte giltig JSON");
}

// The texts of the last converted files under a Swedish locale (issue 19
// item 7): a draft that cannot be created (samrad on a terminal, so the
// editor path, with no usable XDG_RUNTIME_DIR and a TMPDIR that is not
// there), a `watch --exec` command that fails, an agent socket directory
// others may enter and one that cannot be created, and a damaged audit
// anchor; and the plain lines of a queue watch and of a case watch. Each says what is wrong in
// Swedish; no English phrase of the client's messages (from kLzNoKeystore on), nor the agent
// directory's or the watch's English sentence, reaches the user.
TEST_F(SwedishE2eTest, DraftWatchAgentAndAuditErrorsAreSwedish) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  std::vector<std::string> english = EnglishLocalizedPhrases();
  english.push_back("refusing the agent directory");
  english.push_back("the watch goes on");
  english.push_back("cannot ");
  auto expect_swedish = [&](const std::string& what, int exit_code, const std::string& text,
                            const std::string& swedish) {
    EXPECT_NE(exit_code, 0) << what << " succeeded:\n" << text;
    EXPECT_TRUE(absl::StrContains(text, swedish)) << what << ":\n" << text;
    for (const std::string& phrase : english) {
      EXPECT_FALSE(absl::StrContains(text, phrase))
          << what << " shows the English \"" << phrase << "\":\n"
          << text;
    }
  };
  const std::map<std::string, std::string> swedish_env = {{"LANG", "sv_SE.UTF-8"}, {"TZ", ""}};

  // A draft: on a terminal the text is written in the editor, in a draft
  // under TMPDIR when XDG_RUNTIME_DIR is not set.
  std::map<std::string, std::string> env = CliEnvFor(dir(), "pro");
  for (const auto& [k, v] : swedish_env) env[k] = v;
  env["XDG_RUNTIME_DIR"] = "";
  env["TMPDIR"] = dir().File("no-tmp");
  env["EDITOR"] = "true";
  const ProcessResult draft =
      harness::RunOnTerminal({kSamrad, "ask", "--county", "07", "--category", "barnäktenskap",
                              "--urgency", "hög", "--org", "skola", "--age", "barn"},
                             MakeEnv(env), dir().path(), "", {});
  EXPECT_EQ(draft.exit_code, 1) << draft.out;
  expect_swedish("a draft that cannot be created", draft.exit_code, draft.out,
                 "samrad: kan inte skapa en privat tillfällig katalog i " + dir().File("no-tmp") +
                     ": filen eller katalogen finns inte");

  // A watch whose --exec command fails: said in Swedish, the watch goes on.
  {
    BackgroundWatch watch(dir(), "adviser", {"--exec", "exit 3"}, swedish_env);
    const std::string err_file = dir().File("adviser-watch.err");
    ASSERT_TRUE(harness::WaitForText(err_file, "Bevakar", 90000)) << watch.Err();
    ProcessResult asked = AskSv("barnäktenskap", "Eleven berättar om ett planerat giftermål.\n");
    ASSERT_EQ(asked.exit_code, 0) << asked.err;
    const std::string ref = Reference(asked.out);
    ASSERT_TRUE(harness::WaitForText(err_file, "slutkod 3", 90000)) << watch.Err();
    expect_swedish("a failing --exec", 1, watch.Err(),
                   "samrad: --exec för ärende " + ref +
                       ": kommandot avslutades med slutkod 3 (bevakningen fortsätter)");
    // The event line itself: every word Swedish (the JSON keeps English tokens).
    const std::string out = watch.Out();
    EXPECT_TRUE(absl::StrContains(out, "nytt  " + ref)) << out;
    EXPECT_TRUE(absl::StrContains(out, "  barnäktenskap  07  öppet")) << out;
    for (const char* english : {"new  ", "child-marriage", "  open"}) {
      EXPECT_FALSE(absl::StrContains(out, english)) << english << " in " << out;
    }
    // The professional's watch of the case: a change of state is Swedish too.
    // The answer shows once the watch is subscribed (a message is also
    // replayed from the backlog; a change of state is not), then the close.
    BackgroundWatch case_watch(dir(), "pro", {ref}, swedish_env);
    ASSERT_TRUE(harness::WaitForText(dir().File("pro-watch.err"), "Bevakar", 90000))
        << case_watch.Err();
    const ProcessResult answered = Sv("adviser", {"answer", ref}, "Ring socialtjänsten.\n");
    ASSERT_EQ(answered.exit_code, 0) << answered.err;
    ASSERT_TRUE(harness::WaitForText(dir().File("pro-watch.out"), "Ring socialtjänsten.", 90000))
        << case_watch.Out() << case_watch.Err();
    const ProcessResult closed = Sv("adviser", {"close", ref});
    ASSERT_EQ(closed.exit_code, 0) << closed.err;
    ASSERT_TRUE(harness::WaitForText(dir().File("pro-watch.out"), ref + "  stängt", 90000))
        << case_watch.Out() << case_watch.Err();
    EXPECT_FALSE(absl::StrContains(case_watch.Out(), "  closed")) << case_watch.Out();
  }

  // The agent's socket directory: open to others, then not creatable.
  const std::string runtime = dir().File("run");
  ASSERT_EQ(::mkdir(runtime.c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((runtime + "/samrad").c_str(), 0755), 0);
  ASSERT_EQ(::chmod((runtime + "/samrad").c_str(), 0755), 0);
  const ProcessResult open_dir = Sv("adviser", {"unlock"}, "", {{"XDG_RUNTIME_DIR", runtime}});
  EXPECT_EQ(open_dir.exit_code, 10) << open_dir.err;
  expect_swedish("an agent directory others may enter", open_dir.exit_code, open_dir.err,
                 "samrad: vägrar använda agentkatalogen " + runtime + "/samrad");
  EXPECT_TRUE(absl::StrContains(open_dir.err, "rättigheterna 40755")) << open_dir.err;
  const std::string missing = dir().File("no-run");
  const ProcessResult no_dir = Sv("adviser", {"unlock"}, "", {{"XDG_RUNTIME_DIR", missing}});
  EXPECT_EQ(no_dir.exit_code, 10) << no_dir.err;
  expect_swedish(
      "an agent directory that cannot be created", no_dir.exit_code, no_dir.err,
      "samrad: kan inte skapa katalogen " + missing + "/samrad: filen eller katalogen finns inte");

  // A damaged audit anchor (beside the admin's keystore).
  const std::string anchor = dir().File("admin.keystore") + ".audit-anchor";
  ASSERT_TRUE(WriteFileAtomically(anchor, "not an anchor\n", 0600).ok());
  const ProcessResult audit = Sv("admin", {"admin", "audit", "--verify"});
  EXPECT_EQ(audit.exit_code, 10) << audit.err;
  expect_swedish("a damaged audit anchor", audit.exit_code, audit.err,
                 "samrad: granskningsankaret " + anchor + " är skadat");
}

}  // namespace
}  // namespace samrad::client::testing
