// Issue 19 item 8: samrad(1) is generated from the command table at build
// time (client/man_page.h, client/cli.cmake). The generated files — the ones
// the Debian package installs — name every command at every depth with all
// its flags, in English and in Swedish, and groff renders them without a
// warning.
#include "client/man_page.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/cli.h"
#include "client/file_util.h"
#include "common/version.h"
#include "gtest/gtest.h"
#include "process_util.h"

namespace samrad::client {
namespace {

const std::string kManDir = std::string(SAMRAD_BINARY_DIR) + "/man";

struct Entry {
  std::string line;  // "samrad admin directory init"
  const CommandSpec* command;
};

// Every command of the table, root excluded, with its command line.
std::vector<Entry> AllCommands() {
  std::vector<Entry> out;
  std::vector<Entry> stack;
  for (const CommandSpec& command : CommandTree().subcommands) {
    stack.push_back({"samrad " + command.name, &command});
  }
  while (!stack.empty()) {
    Entry entry = stack.back();
    stack.pop_back();
    out.push_back(entry);
    for (const CommandSpec& sub : entry.command->subcommands) {
      stack.push_back({entry.line + " " + sub.name, &sub});
    }
  }
  return out;
}

void ExpectEveryCommand(const std::string& page, const std::string& which) {
  const std::vector<Entry> commands = AllCommands();
  ASSERT_GT(commands.size(), 40u);
  for (const Entry& entry : commands) {
    EXPECT_TRUE(absl::StrContains(page, absl::StrCat(".SS \"", RoffEscape(entry.line), "\"\n")))
        << which << " lacks " << entry.line;
    for (const FlagSpec& flag : entry.command->flags) {
      EXPECT_TRUE(absl::StrContains(page, RoffEscape("--" + flag.name)))
          << which << " lacks " << entry.line << " --" << flag.name;
    }
  }
  for (const FlagSpec& flag : GlobalFlags()) {
    EXPECT_TRUE(absl::StrContains(page, RoffEscape("--" + flag.name))) << which << flag.name;
  }
}

TEST(ManPageTest, TheBuiltPagesNameEveryCommandAndFlag) {
  const std::string en = ReadFileToString(kManDir + "/samrad.1").value_or("");
  const std::string sv = ReadFileToString(kManDir + "/sv/man1/samrad.1").value_or("");
  ASSERT_TRUE(absl::StartsWith(en, ".TH SAMRAD 1 ")) << en.substr(0, 200);
  ASSERT_TRUE(absl::StartsWith(sv, ".TH SAMRAD 1 ")) << sv.substr(0, 200);
  ExpectEveryCommand(en, "samrad.1");
  ExpectEveryCommand(sv, "sv/man1/samrad.1");
  // The page is the table's, in each language (not a stale copy).
  EXPECT_EQ(en, ManPage(CommandTree(), GlobalFlags(), Messages(Language::kEnglish),
                        SAMRAD_VERSION_STRING));
  EXPECT_EQ(sv, ManPage(CommandTree(), GlobalFlags(), Messages(Language::kSwedish),
                        SAMRAD_VERSION_STRING));
  EXPECT_TRUE(absl::StrContains(sv, ".SH \"KOMMANDON\"")) << sv.substr(0, 400);
  EXPECT_TRUE(absl::StrContains(en, ".SH \"EXIT STATUS\""));
  // The package's compressed copies exist next to them.
  EXPECT_TRUE(std::filesystem::exists(kManDir + "/samrad.1.gz"));
  EXPECT_TRUE(std::filesystem::exists(kManDir + "/sv/man1/samrad.1.gz"));
}

TEST(ManPageTest, RoffEscapeGuardsControlCharactersAndNamesNonAscii) {
  EXPECT_EQ(RoffEscape("--json"), "\\-\\-json");
  EXPECT_EQ(RoffEscape(".x\n'y\\z"), "\\&.x\n\\&'y\\ez");
  EXPECT_EQ(RoffEscape("Samråd"), "Samr\\[u00E5]d");
}

// groff, when installed, renders both pages with every warning enabled and
// says nothing.
TEST(ManPageTest, GroffRendersThePagesWithoutWarnings) {
  if (!std::filesystem::exists("/usr/bin/groff")) GTEST_SKIP() << "groff is not installed";
  const std::string work = ::testing::TempDir();
  for (const std::string& page : {kManDir + "/samrad.1", kManDir + "/sv/man1/samrad.1"}) {
    testing::ProcessResult result =
        testing::RunProcess({"/usr/bin/groff", "-man", "-Tutf8", "-ww", "-z", page}, {}, work);
    EXPECT_EQ(result.exit_code, 0) << page << "\n" << result.err;
    EXPECT_EQ(result.err, "") << page;
  }
}

}  // namespace
}  // namespace samrad::client
