// client/localized_status.h: a status built with a message id reads in the
// user's language at print time, composes with wrapped statuses, and keeps
// the other payloads (exit codes) of what it wraps.
#include "client/localized_status.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/exit_codes.h"
#include "client/relay_client.h"
#include "tests/testing/files.h"

namespace samrad::client {
namespace {

const Messages kEn(Language::kEnglish);
const Messages kSv(Language::kSwedish);

TEST(LocalizedStatusTest, MessageIsEnglishAndPayloadRendersSwedish) {
  absl::Status status =
      Localized(absl::StatusCode::kNotFound, Msg::kLzNoKeystore, {"/tmp/x.keystore"});
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no keystore at /tmp/x.keystore");
  EXPECT_EQ(LocalizedText(status, kEn), "no keystore at /tmp/x.keystore");
  EXPECT_EQ(LocalizedText(status, kSv), "det finns inget nyckelarkiv i /tmp/x.keystore");
}

TEST(LocalizedStatusTest, WrapRendersTheInnerTextInTheSameLanguage) {
  absl::Status inner = WithExitCode(Localized(absl::StatusCode::kDataLoss, Msg::kLzFileDamaged),
                                    ExitCode::kKeystore);
  absl::Status outer =
      LocalizedWrap(absl::StatusCode::kDataLoss, Msg::kLzKeystoreDamaged, {"k"}, inner);
  EXPECT_EQ(outer.message(), "keystore k is damaged: the file is damaged (authentication failed)");
  EXPECT_EQ(LocalizedText(outer, kSv),
            "nyckelarkivet k är skadat: filen är skadad (äktheten kunde inte bekräftas)");
  EXPECT_EQ(ExitCodeOf(outer), ExitCode::kKeystore);  // inner's payloads kept

  // Twice wrapped, and an inner status without a message id (its English
  // text is all there is).
  absl::Status twice =
      LocalizedWrap(absl::StatusCode::kDataLoss, Msg::kLzProfileInvalid, {"p"}, outer);
  EXPECT_EQ(LocalizedText(twice, kSv),
            "profilen p: nyckelarkivet k är skadat: filen är skadad (äktheten kunde inte "
            "bekräftas)");
  absl::Status plain = LocalizedWrap(absl::StatusCode::kInvalidArgument, Msg::kLzProfileNotText,
                                     {"p"}, absl::InvalidArgumentError("1:3: no field"));
  EXPECT_EQ(LocalizedText(plain, kSv), "profilen p är inte giltigt textformat: 1:3: no field");
}

TEST(LocalizedStatusTest, PlainAndForgottenStatusesHaveNoLocalizedText) {
  EXPECT_FALSE(LocalizedText(absl::NotFoundError("no"), kSv).has_value());
  absl::Status status = Localized(absl::StatusCode::kUnauthenticated, Msg::kLzPassphraseWrong);
  EXPECT_FALSE(LocalizedText(ForgetLocalizedText(status), kSv).has_value());
  // A payload that does not decode is ignored, never rendered half.
  absl::Status bad = absl::UnknownError("x");
  bad.SetPayload("samrad.client/localized", absl::Cord("99999"));
  EXPECT_FALSE(LocalizedText(bad, kSv).has_value());
  bad.SetPayload("samrad.client/localized", absl::Cord("3L100:short"));
  EXPECT_FALSE(LocalizedText(bad, kSv).has_value());
}

// "cannot <action>: <relay's words>" (RelayClient::MapStatus): the English
// message is the old sentence; in Swedish the action is its Swedish phrase
// and the relay's words are its reason's Swedish template, or its English
// text inside a sentence saying so when the reason is unknown or missing.
TEST(LocalizedStatusTest, ComposedArgumentsRenderActionAndRelayWords) {
  const reasons::WireReason closed{"thread-closed", {"0123"}};
  absl::Status known = LocalizedOf(
      absl::StatusCode::kFailedPrecondition, Msg::kLzRelayCannot,
      {LzArg::Message(Msg::kActionTakeCase), LzArg::RelayWords("thread 0123 is closed", closed)});
  EXPECT_EQ(known.message(), "cannot take the case: thread 0123 is closed");
  EXPECT_EQ(LocalizedText(known, kEn), "cannot take the case: thread 0123 is closed");
  EXPECT_EQ(LocalizedText(known, kSv), "kan inte ta ärendet: ärendet 0123 är stängt");

  const reasons::WireReason newer{"moon-full", {}};
  for (const auto& reason :
       {std::optional<reasons::WireReason>(newer), std::optional<reasons::WireReason>()}) {
    absl::Status unknown =
        LocalizedOf(absl::StatusCode::kUnauthenticated, Msg::kLzRelayRejectedCert,
                    {LzArg::Message(Msg::kActionFetchDirectory),
                     LzArg::RelayWords("the moon is full", reason)});
    EXPECT_EQ(unknown.message(),
              "cannot fetch the key directory: the relay rejected your certificate (the moon is "
              "full)");
    EXPECT_EQ(LocalizedText(unknown, kSv),
              "kan inte hämta nyckelkatalogen: reläet godtog inte ditt certifikat (reläet svarade "
              "med en text som inte är översatt till svenska: \"the moon is full\")");
  }

  // Literals and messages with arguments; wrapped, the whole stays Swedish.
  absl::Status silent =
      LocalizedOf(absl::StatusCode::kUnavailable, Msg::kLzRelayDidNotAnswer,
                  {LzArg::Message(Msg::kActionListQueue), "127.0.0.1:1", std::string("GOAWAY")});
  EXPECT_EQ(silent.message(),
            "cannot list the queue: the relay at 127.0.0.1:1 did not answer (GOAWAY)");
  absl::Status wrapped =
      LocalizedWrap(absl::StatusCode::kUnavailable, Msg::kLzProfileInvalid, {"p"}, silent);
  EXPECT_EQ(LocalizedText(wrapped, kSv),
            "profilen p: kan inte lista kön: reläet på 127.0.0.1:1 svarade inte (GOAWAY)");
  // A relay argument whose length is wrong is ignored as a whole.
  absl::Status bad = absl::UnknownError("x");
  bad.SetPayload("samrad.client/localized",
                 absl::Cord(absl::StrCat(static_cast<int>(Msg::kLzRelayCannot), "R5:99:ab")));
  EXPECT_FALSE(LocalizedText(bad, kSv).has_value());
}

// UserText, for a sentence that quotes a status (a lost watch, a message
// that fails verification): localized text first, then the relay's refusal,
// then the message itself.
TEST(LocalizedStatusTest, UserTextPrefersTheUsersLanguage) {
  EXPECT_EQ(UserText(Localized(absl::StatusCode::kNotFound, Msg::kLzNoKeystore, {"k"}), kSv),
            "det finns inget nyckelarkiv i k");
  const grpc::Status closed(grpc::StatusCode::FAILED_PRECONDITION, "thread 0123 is closed",
                            reasons::EncodeDetail({"thread-closed", {"0123"}}));
  EXPECT_EQ(UserText(AttachRelayWords(absl::FailedPreconditionError("x"), closed), kSv),
            "reläet nekade: ärendet 0123 är stängt");
  EXPECT_EQ(UserText(absl::NotFoundError("plain"), kSv), "plain");
  EXPECT_EQ(UserText(ForeignText(absl::DataLossError("AEAD authentication failed"),
                                 Msg::kLzMessageDoesNotOpen),
                     kSv),
            "meddelandet kunde inte öppnas och verifieras (teknisk uppgift på engelska: AEAD "
            "authentication failed)");
}

TEST(LocalizedStatusTest, EveryLocalizedMessageHasItsOwnSwedishText) {
  for (int i = static_cast<int>(Msg::kLzNoKeystore); i < static_cast<int>(Msg::kCount_); ++i) {
    const Msg id = static_cast<Msg>(i);
    EXPECT_NE(kEn.Get(id), kSv.Get(id)) << i;
    EXPECT_FALSE(kSv.Get(id).empty()) << i;
  }
}

// Source check (in the style of ReasonsSourceTest): in the client files whose
// texts were converted, no status is built from a hand-written English
// sentence (absl::...Error("...") or absl::...Error(absl::StrCat(...)) /
// absl::Status(code, "...")) unless it is on the allow-list below, each entry
// with the reason no person reads it in English. A new English error in these
// files fails here; use Localized (deep code) or session.msg().Format.
TEST(ClientTextsSourceTest, ConvertedFilesBuildNoEnglishStatusByHand) {
  // file -> the start of each allowed hand-written status text, and why.
  const std::map<std::string, std::map<std::string, std::string>> allowed = {
      {"client/config.cc",
       {{"\"hex string of odd length\"", "FromHex: callers validate or replace it"},
        {"\"not a hex string\"", "FromHex: callers validate or replace it"},
        {"\"cannot print the profile\"", "a bug only"}}},
      {"client/directory_admin.cc", {{"\"cannot print the directory\"", "a bug only"}}},
      {"client/session.cc",
       {{"\"no terminal\"", "io.prompt_secret's contract; callers say it in their own words"}}},
      {"client/thread_crypto.cc",
       {{"\"unknown sender role\"", "wrapped in kLzMessageDoesNotOpen as a technical detail"}}},
      {"client/team_share.cc",
       {{"\"not addressed to this keystore\"", "counted as unreadable, never printed"}}},
      {"client/commands_setup.cc", {{"\"\")", "an empty message: only the exit code"}}},
      {"client/certificate.cc", {}},
      {"client/relay_client.cc", {}},
      {"client/command_helpers.cc", {}},
      {"client/commands_admin.cc", {}},
      {"client/commands_adviser.cc", {}},
      {"client/commands_professional.cc", {}},
      {"client/commands_admin_relay.cc", {}},
      {"client/case_search.cc", {}},
      {"client/stats_report.cc", {}},
      {"client/admin_audit.cc", {}},
      {"client/watch_loop.cc", {}},
      {"client/draft.cc", {}},
      {"client/agent.cc",
       {{"\"agent request: ",
         "the agent decoding a request: only a broken or foreign program sends one it refuses, "
         "and it gets a reply code, never this text"},
        {"\"the agent's key has the wrong size\"", "a bug only"}}},
  };
  const std::regex by_hand(
      R"(absl::(\w+Error|Status)\(\s*(absl::StatusCode::\w+,\s*)?("[^"]*"\)?|absl::StrCat))");
  for (const auto& [path, exceptions] : allowed) {
    const std::string text = std::regex_replace(samrad::harness::ReadSourceFile(path),
                                                std::regex("//[^\n]*"), "");  // comments may quote
    ASSERT_GT(text.size(), 500u) << path;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), by_hand);
         it != std::sregex_iterator(); ++it) {
      const std::string built = (*it)[3].str();
      bool ok = false;
      for (const auto& [start, why] : exceptions) ok = ok || absl::StartsWith(built, start);
      EXPECT_TRUE(ok) << path << " builds a status from English by hand: " << it->str();
    }
  }
}

}  // namespace
}  // namespace samrad::client
