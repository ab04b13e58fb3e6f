// The relay's refusals go through the reason catalogue (common/reasons.h),
// checked over the source: a refusal written by hand would reach a Swedish
// user in English. Cheap and precise rather than complete: it names the
// patterns that the conversion removed, so they cannot come back.
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "common/reasons.h"
#include "gtest/gtest.h"
#include "tests/testing/files.h"

namespace samrad::reasons {
namespace {

// `text` without // comments (so a comment may quote a refusal).
std::string WithoutComments(const std::string& text) {
  return std::regex_replace(text, std::regex("//[^\n]*"), "");
}

int Count(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  return static_cast<int>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

// The relay's logic lives in the modules under the gRPC layer
// (relay_service.cc); the rules hold for each of them.
const std::vector<std::string> kConverted = {
    "server/relay_service.cc", "server/relay_service_admin.cc", "server/grpc_calls.cc",
    "server/thread_events.cc", "server/thread_watch.cc",        "server/admission.cc",
    "server/consultations.cc", "server/directory_state.cc",     "server/maintenance.cc",
    "server/authz.cc",         "server/validation.cc",          "server/limits.cc",
    "storage/store.cc"};

TEST(ReasonsSourceTest, TheRelayFailsOnlyThroughTheCatalogue) {
  // The handlers (relay_service*.cc) and the call helpers (grpc_calls.cc).
  for (const char* path :
       {"server/relay_service.cc", "server/relay_service_admin.cc", "server/grpc_calls.cc"}) {
    const std::string service = WithoutComments(harness::ReadSourceFile(path));
    ASSERT_GT(service.size(), 2000u) << path;
    EXPECT_EQ(Count(service, R"(Finish\(\s*ToGrpcStatus\(\s*absl::\w+Error\()"), 0)
        << path << ": a call fails with a hand-written refusal; use reasons::Error";
    // The thin gRPC layer writes no refusal of its own: a handler returns what
    // the logic modules decided (their refusals are checked below). The
    // factory's start-up error (RelayService::New) is not a refusal.
    const std::string handlers = service.substr(0, service.find("RelayService::New("));
    EXPECT_EQ(
        Count(
            handlers,
            R"(return\s+absl::(InvalidArgument|FailedPrecondition|NotFound|PermissionDenied|AlreadyExists|Unauthenticated|ResourceExhausted|Aborted)Error\()"),
        0)
        << path
        << ": a handler returns a hand-written refusal; use reasons::Error in the logic "
           "module";
  }
  for (const char* path : {"server/authz.cc", "server/limits.cc"}) {
    const std::string text = WithoutComments(harness::ReadSourceFile(path));
    ASSERT_FALSE(text.empty()) << path;
    EXPECT_EQ(Count(text, R"(absl::\w+Error\()"), 0) << path << " has a hand-written refusal";
  }
}

TEST(ReasonsSourceTest, NoRefusalAboutACaseIsWrittenByHand) {
  for (const std::string& path : kConverted) {
    const std::string text = WithoutComments(harness::ReadSourceFile(path));
    ASSERT_FALSE(text.empty()) << path;
    EXPECT_EQ(
        Count(
            text,
            R"(absl::(InvalidArgument|FailedPrecondition|NotFound|PermissionDenied|AlreadyExists)Error\(\s*absl::StrCat\(\s*"(thread|message id|message sequence|directory epoch|serial) )"),
        0)
        << path;
  }
}

// No copy of a catalogue text: the first fixed phrase of every English
// template (when it is long enough to be one) appears in no converted file
// as the start of a string literal.
TEST(ReasonsSourceTest, NoCatalogueTextIsCopiedIntoTheRelay) {
  for (const std::string& path : kConverted) {
    const std::string text = WithoutComments(harness::ReadSourceFile(path));
    for (int i = 0; i < static_cast<int>(Reason::kCount_); ++i) {
      const ReasonText& entry = TextOf(static_cast<Reason>(i));
      const std::string first(absl::StripAsciiWhitespace(
          std::vector<std::string>(absl::StrSplit(entry.english, '$'))[0]));
      if (first.size() < 12) continue;
      EXPECT_EQ(text.find("\"" + first), std::string::npos)
          << path << " spells out \"" << first << "\" (" << entry.token << ")";
    }
  }
}

}  // namespace
}  // namespace samrad::reasons
