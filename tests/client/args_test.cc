// The argument parser: flags, positionals, subcommands, help, usage errors;
// and the message table's language selection.
#include "client/args.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/cli.h"
#include "client/exit_codes.h"
#include "client/messages.h"
#include "client/relay_client.h"
#include "common/reasons.h"
#include "gtest/gtest.h"

namespace samrad::client {
namespace {

const Messages kEnglish(Language::kEnglish);
const Messages kSwedish(Language::kSwedish);

CommandSpec TestTree() {
  CommandSpec root{.name = "tool", .summary = Msg::kCmdRoot};
  root.subcommands.push_back(
      {.name = "ask",
       .summary = Msg::kCmdAsk,
       .flags = {{"county", "CODE", Msg::kFlagCounty, true},
                 {"urgency", "LEVEL", Msg::kFlagUrgency, false, {"acute", "high", "normal"}},
                 {"redact", "", Msg::kFlagRedact}},
       .action = "ask"});
  root.subcommands.push_back({.name = "show",
                              .summary = Msg::kCmdShow,
                              .positionals = {{"REF", Msg::kArgRef}},
                              .action = "show"});
  root.subcommands.push_back(
      {.name = "admin",
       .summary = Msg::kCmdAdmin,
       .subcommands = {{.name = "sign", .summary = Msg::kCmdDirSign, .action = "sign"}}});
  return root;
}

const std::vector<FlagSpec> kGlobals = {{"json", "", Msg::kFlagJson},
                                        {"config", "FILE", Msg::kFlagConfig}};

absl::StatusOr<ParsedArgs> Parse(const CommandSpec& tree, std::vector<std::string> args,
                                 const Messages& messages = kEnglish) {
  return ParseArgs(tree, kGlobals, args, messages);
}

TEST(ArgsTest, ParsesFlagsInBothFormsAndGlobalsAnywhere) {
  CommandSpec tree = TestTree();
  auto parsed = Parse(
      tree, {"--json", "ask", "--county", "07", "--urgency=high", "--redact", "--config", "/x"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->command().action, "ask");
  EXPECT_EQ(parsed->Get("county"), "07");
  EXPECT_EQ(parsed->Get("urgency"), "high");
  EXPECT_TRUE(parsed->Has("redact"));
  EXPECT_TRUE(parsed->Has("json"));
  EXPECT_EQ(parsed->Get("config"), "/x");
  EXPECT_EQ(parsed->CommandLine(), "tool ask");
}

TEST(ArgsTest, PositionalsAndDoubleDash) {
  CommandSpec tree = TestTree();
  auto parsed = Parse(tree, {"show", "--", "--weird-ref"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Positional(0), "--weird-ref");
  auto dash = Parse(tree, {"show", "-"});
  ASSERT_TRUE(dash.ok());
  EXPECT_EQ(dash->Positional(0), "-");
}

void ExpectUsageError(const absl::StatusOr<ParsedArgs>& parsed, absl::string_view needle) {
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ExitCodeOf(parsed.status()), ExitCode::kUsage);
  EXPECT_TRUE(absl::StrContains(parsed.status().message(), needle)) << parsed.status().message();
}

TEST(ArgsTest, UnknownFlagIsUsageError) {
  CommandSpec tree = TestTree();
  ExpectUsageError(Parse(tree, {"ask", "--county", "07", "--bogus"}), "unknown flag \"--bogus\"");
  ExpectUsageError(Parse(tree, {"ask", "-x"}), "unknown flag \"-x\"");
  // A flag of another command is unknown here.
  ExpectUsageError(Parse(tree, {"show", "R", "--county", "07"}), "unknown flag");
}

TEST(ArgsTest, UnknownAndMissingCommandsAreUsageErrors) {
  CommandSpec tree = TestTree();
  ExpectUsageError(Parse(tree, {"frobnicate"}), "unknown command \"frobnicate\"");
  ExpectUsageError(Parse(tree, {"admin"}), "a command is missing after \"tool admin\"");
}

TEST(ArgsTest, MissingValuesArgumentsAndRequiredFlags) {
  CommandSpec tree = TestTree();
  ExpectUsageError(Parse(tree, {"ask", "--county"}), "flag --county needs a value");
  ExpectUsageError(Parse(tree, {"ask"}), "flag --county is required");
  ExpectUsageError(Parse(tree, {"show"}), "argument REF is missing");
  ExpectUsageError(Parse(tree, {"show", "a", "b"}), "unexpected argument \"b\"");
  ExpectUsageError(Parse(tree, {"ask", "--county", "07", "--redact=yes"}),
                   "flag --redact takes no value");
  ExpectUsageError(Parse(tree, {"ask", "--county", "07", "--county", "08"}),
                   "flag --county is given twice");
  ExpectUsageError(Parse(tree, {"ask", "--county", "07", "--urgency", "soon"}),
                   "\"soon\" is not one of: acute, high, normal");
}

TEST(ArgsTest, UsageErrorsPointToHelpOfTheCommand) {
  CommandSpec tree = TestTree();
  ExpectUsageError(Parse(tree, {"ask", "--bogus"}), "see `tool ask --help`");
}

TEST(ArgsTest, HelpOnEveryLevelSkipsRequiredChecks) {
  CommandSpec tree = TestTree();
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"},
                                        {"ask", "--help"},
                                        {"admin", "-h"},
                                        {"admin", "sign", "--help"},
                                        {"help-me", "--help"}}) {
    auto parsed = Parse(tree, args);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE(parsed->help);
  }
  auto parsed = Parse(tree, {"ask", "--help"});
  std::string help = FormatHelp(*parsed, kGlobals, kEnglish);
  EXPECT_TRUE(absl::StrContains(help, "Usage: tool ask [flags]")) << help;
  EXPECT_TRUE(absl::StrContains(help, "--county CODE")) << help;
  EXPECT_TRUE(absl::StrContains(help, "--json")) << help;
  auto admin = Parse(tree, {"admin", "--help"});
  std::string admin_help = FormatHelp(*admin, kGlobals, kEnglish);
  EXPECT_TRUE(absl::StrContains(admin_help, "Usage: tool admin COMMAND")) << admin_help;
  EXPECT_TRUE(absl::StrContains(admin_help, "sign")) << admin_help;
}

TEST(ArgsTest, ErrorsAndHelpFollowTheLanguage) {
  CommandSpec tree = TestTree();
  ExpectUsageError(Parse(tree, {"ask", "--bogus"}, kSwedish), "okänd flagga \"--bogus\"");
  auto parsed = Parse(tree, {"ask", "--help"}, kSwedish);
  std::string help = FormatHelp(*parsed, kGlobals, kSwedish);
  EXPECT_TRUE(absl::StrContains(help, "Användning: tool ask")) << help;
  EXPECT_TRUE(absl::StrContains(help, "Flaggor")) << help;
}

TEST(MessagesTest, LanguageFollowsPosixLocalePrecedence) {
  EXPECT_EQ(LanguageFromLocale(nullptr, nullptr, "sv_SE.UTF-8"), Language::kSwedish);
  EXPECT_EQ(LanguageFromLocale(nullptr, nullptr, "sv"), Language::kSwedish);
  EXPECT_EQ(LanguageFromLocale(nullptr, nullptr, "en_GB.UTF-8"), Language::kEnglish);
  EXPECT_EQ(LanguageFromLocale(nullptr, nullptr, nullptr), Language::kEnglish);
  EXPECT_EQ(LanguageFromLocale(nullptr, nullptr, "C"), Language::kEnglish);
  EXPECT_EQ(LanguageFromLocale(nullptr, nullptr, "svx_XX"), Language::kEnglish);
  EXPECT_EQ(LanguageFromLocale("en_US.UTF-8", nullptr, "sv_SE.UTF-8"), Language::kEnglish);
  EXPECT_EQ(LanguageFromLocale("", "sv_FI.UTF-8", "en_US.UTF-8"), Language::kSwedish);
}

TEST(MessagesTest, EveryMessageHasBothLanguagesAndTheAcuteLineNames112) {
  for (int i = 0; i < static_cast<int>(Msg::kCount_); ++i) {
    Msg id = static_cast<Msg>(i);
    if (id == Msg::kHintFailure) continue;  // deliberately empty
    EXPECT_FALSE(kEnglish.Get(id).empty()) << i;
    EXPECT_FALSE(kSwedish.Get(id).empty()) << i;
  }
  EXPECT_TRUE(absl::StrContains(kEnglish.Format(Msg::kAcuteWarning), "112"));
  EXPECT_TRUE(absl::StrContains(kSwedish.Format(Msg::kAcuteWarning), "ring 112"));
  EXPECT_EQ(kSwedish.Format(Msg::kAskSent, "RC Kronoberg", "abc"),
            "Skickat till RC Kronoberg. Ärendereferens: abc");
}

// A new English text must not reach a Swedish user: every Swedish text
// differs from the English one, except words that are the same in both.
TEST(MessagesTest, EverySwedishTextIsSwedish) {
  const std::set<Msg> same_in_both = {Msg::kCmdAdmin, Msg::kErrorPrefix, Msg::kHintFailure,
                                      Msg::kColOrg, Msg::kColIndex};
  for (int i = 0; i < static_cast<int>(Msg::kCount_); ++i) {
    const Msg id = static_cast<Msg>(i);
    if (same_in_both.count(id) > 0) {
      EXPECT_EQ(kEnglish.Get(id), kSwedish.Get(id)) << i << " is no longer the same word";
    } else {
      EXPECT_NE(kEnglish.Get(id), kSwedish.Get(id)) << i << ": " << kEnglish.Get(id);
    }
  }
}

// The placeholders ($0..$9) a template uses, in order of first use.
std::set<char> Placeholders(absl::string_view text) {
  std::set<char> out;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '$' && text[i + 1] >= '0' && text[i + 1] <= '9') out.insert(text[i + 1]);
  }
  return out;
}

// Issue 19 item 7 for the relay's refusals: every reason in the catalogue
// has a token and both texts, the Swedish text is not the English one, and
// both use the same arguments; tokens are unique and survive the wire form.
TEST(ReasonsTest, EveryReasonHasBothTextsWithTheSamePlaceholders) {
  std::set<std::string> tokens;
  for (int i = 0; i < static_cast<int>(reasons::Reason::kCount_); ++i) {
    const auto reason = static_cast<reasons::Reason>(i);
    const reasons::ReasonText& text = reasons::TextOf(reason);
    ASSERT_NE(text.token, nullptr) << i;
    EXPECT_TRUE(tokens.insert(text.token).second) << "token used twice: " << text.token;
    EXPECT_EQ(reasons::FromToken(text.token), reason) << text.token;
    EXPECT_FALSE(std::string(text.english).empty()) << text.token;
    EXPECT_FALSE(std::string(text.swedish).empty()) << text.token;
    EXPECT_NE(std::string(text.english), std::string(text.swedish)) << text.token;
    EXPECT_EQ(Placeholders(text.english), Placeholders(text.swedish)) << text.token;
    std::vector<std::string> args;
    for (char c : Placeholders(text.english))
      args.push_back(absl::StrCat("arg", std::string(1, c)));
    const absl::Status status = reasons::Error(absl::StatusCode::kFailedPrecondition, reason, args);
    EXPECT_EQ(status.message(), reasons::Render(text.english, args));
    EXPECT_TRUE(reasons::Is(status, reason)) << text.token;
    const auto decoded = reasons::DecodeDetail(reasons::EncodeDetail(*reasons::ReasonOf(status)));
    ASSERT_TRUE(decoded.has_value()) << text.token;
    EXPECT_EQ(decoded->token, text.token);
    EXPECT_EQ(decoded->args, args);
  }
  EXPECT_FALSE(reasons::FromToken("no-such-reason").has_value());
  EXPECT_FALSE(reasons::DecodeDetail("samrad.v1/size-limit").has_value());
}

// A relay refusal reaches a Swedish user in Swedish: a known reason in its
// Swedish template, an unknown one (a newer relay) as the relay's English
// inside a Swedish sentence saying it is untranslated; English users read
// the relay's own message.
TEST(ReasonsTest, RelayRefusalsAreRenderedInTheUsersLanguage) {
  const grpc::Status closed(grpc::StatusCode::FAILED_PRECONDITION, "thread 0123 is closed",
                            reasons::EncodeDetail({"thread-closed", {"0123"}}));
  const absl::Status mapped = AttachRelayWords(
      absl::FailedPreconditionError("cannot read the case: thread 0123 is closed"), closed);
  EXPECT_TRUE(reasons::Is(mapped, reasons::Reason::kThreadClosed));
  EXPECT_EQ(RelayRefusalText(mapped, kSwedish), "reläet nekade: ärendet 0123 är stängt");
  EXPECT_EQ(RelayRefusalText(mapped, kEnglish), std::nullopt);

  const grpc::Status newer(grpc::StatusCode::FAILED_PRECONDITION, "the moon is full",
                           reasons::EncodeDetail({"moon-full", {}}));
  const absl::Status unknown =
      AttachRelayWords(absl::FailedPreconditionError("cannot x: the moon is full"), newer);
  const std::string text = RelayRefusalText(unknown, kSwedish).value_or("");
  EXPECT_TRUE(absl::StrContains(text, "inte är översatt till svenska")) << text;
  EXPECT_TRUE(absl::StrContains(text, "the moon is full")) << text;

  // Not from the relay: nothing to translate here.
  EXPECT_EQ(RelayRefusalText(absl::NotFoundError("local"), kSwedish), std::nullopt);
}

// Value flags take Swedish spellings; a wrong value lists the allowed ones
// in the user's language.
TEST(CommandTreeTest, ValueFlagsTakeSwedishAndListTheUsersLanguage) {
  auto ask = ParseArgs(CommandTree(), GlobalFlags(),
                       {"ask", "--county", "07", "--category", "barnäktenskap", "--urgency", "AKUT",
                        "--org", "hälso- och sjukvård", "--age", "ung-vuxen"},
                       kSwedish);
  ASSERT_TRUE(ask.ok()) << ask.status();
  EXPECT_EQ(ask->Get("category"), "child-marriage");
  EXPECT_EQ(ask->Get("urgency"), "acute");
  EXPECT_EQ(ask->Get("org"), "health-care");
  EXPECT_EQ(ask->Get("age"), "young-adult");
  auto bad = ParseArgs(CommandTree(), GlobalFlags(), {"ask", "--category", "giftermål"}, kSwedish);
  ASSERT_FALSE(bad.ok());
  const std::string message(bad.status().message());
  EXPECT_TRUE(absl::StrContains(message, "är inte något av: hedersrelaterat-våld, barnäktenskap"))
      << message;
  EXPECT_FALSE(absl::StrContains(message, "child-marriage")) << message;
  auto bad_en = ParseArgs(CommandTree(), GlobalFlags(), {"ask", "--urgency", "soon"}, kEnglish);
  ASSERT_FALSE(bad_en.ok());
  EXPECT_TRUE(absl::StrContains(bad_en.status().message(), "acute, high, normal"))
      << bad_en.status();
}

TEST(CommandTreeTest, EveryLeafHasAnActionAndHelpRenders) {
  std::vector<const CommandSpec*> stack = {&CommandTree()};
  int leaves = 0;
  while (!stack.empty()) {
    const CommandSpec* command = stack.back();
    stack.pop_back();
    if (command->subcommands.empty()) {
      EXPECT_FALSE(command->action.empty()) << command->name;
      ++leaves;
    }
    for (const auto& sub : command->subcommands) stack.push_back(&sub);
  }
  EXPECT_GE(leaves, 25);
  auto parsed = ParseArgs(CommandTree(), GlobalFlags(), {"admin", "directory", "--help"}, kEnglish);
  ASSERT_TRUE(parsed.ok());
  std::string help = FormatHelp(*parsed, GlobalFlags(), kEnglish);
  for (const char* sub : {"init", "add-unit", "remove-unit", "add-adviser", "remove-adviser",
                          "sign", "publish", "show"}) {
    EXPECT_TRUE(absl::StrContains(help, sub)) << sub;
  }
}

TEST(EditDistanceTest, CountsInsertionsDeletionsSubstitutionsAndTranspositions) {
  EXPECT_EQ(EditDistance("queue", "queue"), 0);
  EXPECT_EQ(EditDistance("qeue", "queue"), 1);   // deletion
  EXPECT_EQ(EditDistance("qoeoe", "queue"), 2);  // two substitutions
  EXPECT_EQ(EditDistance("qeuue", "queue"), 1);  // transposition
  EXPECT_EQ(EditDistance("claim", "calim"), 1);  // transposition
  EXPECT_EQ(EditDistance("", "ask"), 3);
  EXPECT_EQ(EditDistance("ask", ""), 3);
  EXPECT_EQ(EditDistance("show", "close"), 4);
}

TEST(EditDistanceTest, ClosestMatchSuggestsOnlyNearAndNeverTheWordItself) {
  const std::vector<std::string> commands = {"ask", "cases", "claim", "close", "queue", "show"};
  EXPECT_EQ(ClosestMatch("qeue", commands), "queue");
  EXPECT_EQ(ClosestMatch("csaes", commands), "cases");
  EXPECT_EQ(ClosestMatch("frobnicate", commands), std::nullopt);
  EXPECT_EQ(ClosestMatch("queue", commands), std::nullopt);
  EXPECT_EQ(ClosestMatch("x", commands), std::nullopt) << "one letter is not a guess";
  // A tie goes to the first candidate; a closer one wins.
  EXPECT_EQ(ClosestMatch("clos", commands), "close");
  EXPECT_EQ(ClosestMatch("clam", commands), "claim");
}

TEST(CommandTreeTest, MistypedCommandsFlagsAndValuesSuggestTheNearest) {
  auto command = ParseArgs(CommandTree(), GlobalFlags(), {"qeue"}, kEnglish);
  ASSERT_FALSE(command.ok());
  EXPECT_TRUE(absl::StrContains(command.status().message(), "did you mean \"queue\"?"))
      << command.status();
  auto nested = ParseArgs(CommandTree(), GlobalFlags(), {"admin", "direcotry", "sign"}, kSwedish);
  ASSERT_FALSE(nested.ok());
  EXPECT_TRUE(absl::StrContains(nested.status().message(), "menade du \"directory\"?"))
      << nested.status();
  auto flag = ParseArgs(CommandTree(), GlobalFlags(), {"close", "abc", "--froget"}, kEnglish);
  ASSERT_FALSE(flag.ok());
  EXPECT_TRUE(absl::StrContains(flag.status().message(), "did you mean \"--forget\"?"))
      << flag.status();
  auto value = ParseArgs(CommandTree(), GlobalFlags(), {"ask", "--urgency", "acut"}, kEnglish);
  ASSERT_FALSE(value.ok());
  EXPECT_TRUE(absl::StrContains(value.status().message(), "did you mean \"acute\"?"))
      << value.status();
  auto swedish = ParseArgs(CommandTree(), GlobalFlags(), {"ask", "--age", "vuxne"}, kSwedish);
  ASSERT_FALSE(swedish.ok());
  EXPECT_TRUE(absl::StrContains(swedish.status().message(), "menade du \"vuxen\"?"))
      << swedish.status();
  auto far = ParseArgs(CommandTree(), GlobalFlags(), {"frobnicate"}, kEnglish);
  ASSERT_FALSE(far.ok());
  EXPECT_FALSE(absl::StrContains(far.status().message(), "did you mean")) << far.status();
}

// The words of one example command line after "samrad", up to "&&" or a
// redirection; single quotes group words.
std::vector<std::string> ExampleWords(absl::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool quoted = false;
  bool in_word = false;
  for (char c : line) {
    if (c == '\'') {
      quoted = !quoted;
      in_word = true;
    } else if (c == ' ' && !quoted) {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  std::vector<std::string> args;
  for (size_t i = 1; i < words.size(); ++i) {
    if (words[i] == "&&" || words[i] == ">") break;
    args.push_back(words[i]);
  }
  return args;
}

// Every leaf command has examples in both languages, and every example is
// a command line that the parser accepts for that very command.
TEST(CommandTreeTest, EveryLeafHasExamplesThatParseAsThatCommand) {
  std::vector<std::pair<const CommandSpec*, std::vector<std::string>>> stack = {
      {&CommandTree(), {}}};
  int leaves = 0;
  while (!stack.empty()) {
    auto [command, path] = stack.back();
    stack.pop_back();
    for (const auto& sub : command->subcommands) {
      std::vector<std::string> sub_path = path;
      sub_path.push_back(sub.name);
      stack.push_back({&sub, sub_path});
    }
    if (!command->subcommands.empty()) continue;
    ++leaves;
    const std::string name = absl::StrJoin(path, " ");
    ASSERT_TRUE(command->examples.has_value()) << name << " has no example";
    EXPECT_NE(kEnglish.Get(*command->examples), kSwedish.Get(*command->examples)) << name;
    for (const Messages* messages : {&kEnglish, &kSwedish}) {
      int lines = 0;
      for (absl::string_view line : absl::StrSplit(messages->Get(*command->examples), '\n')) {
        if (absl::StartsWith(line, "    ")) continue;  // the explanation
        ++lines;
        EXPECT_TRUE(absl::StartsWith(line, "samrad " + name)) << name << ": " << line;
        std::vector<std::string> args = ExampleWords(line);
        if (name == "help") {
          args.erase(args.begin());
          EXPECT_TRUE(HelpPath(CommandTree(), args, *messages).ok()) << line;
          continue;
        }
        auto parsed = ParseArgs(CommandTree(), GlobalFlags(), args, *messages);
        ASSERT_TRUE(parsed.ok()) << line << ": " << parsed.status();
        EXPECT_EQ(parsed->CommandLine(), "samrad " + name) << line;
      }
      EXPECT_GE(lines, 1) << name;
      EXPECT_LE(lines, 2) << name;
    }
  }
  EXPECT_GE(leaves, 40);
}

TEST(ExitCodeTest, MapsStatusCodesAndHonoursTags) {
  EXPECT_EQ(ExitCodeOf(absl::OkStatus()), ExitCode::kOk);
  EXPECT_EQ(ExitCodeOf(absl::UnavailableError("x")), ExitCode::kUnreachable);
  EXPECT_EQ(ExitCodeOf(absl::DeadlineExceededError("x")), ExitCode::kUnreachable);
  EXPECT_EQ(ExitCodeOf(absl::UnauthenticatedError("x")), ExitCode::kPermission);
  EXPECT_EQ(ExitCodeOf(absl::PermissionDeniedError("x")), ExitCode::kPermission);
  EXPECT_EQ(ExitCodeOf(absl::NotFoundError("x")), ExitCode::kNotFound);
  EXPECT_EQ(ExitCodeOf(absl::FailedPreconditionError("x")), ExitCode::kConflict);
  EXPECT_EQ(ExitCodeOf(absl::InvalidArgumentError("x")), ExitCode::kRejected);
  EXPECT_EQ(ExitCodeOf(absl::DataLossError("x")), ExitCode::kKeystore);
  EXPECT_EQ(ExitCodeOf(absl::InternalError("x")), ExitCode::kFailure);
  EXPECT_EQ(ExitCodeOf(WithExitCode(absl::PermissionDeniedError("sig"), ExitCode::kDirectory)),
            ExitCode::kDirectory);
  EXPECT_TRUE(WithExitCode(absl::OkStatus(), ExitCode::kUsage).ok());
}

}  // namespace
}  // namespace samrad::client
