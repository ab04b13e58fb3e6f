#include "client/cli.h"

#include <algorithm>
#include <map>
#include <ostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/case_filter.h"
#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/localized_status.h"
#include "client/man_page.h"
#include "client/output.h"
#include "client/relay_client.h"
#include "client/status_class.h"
#include "client/team_share.h"
#include "client/values.h"
#include "common/version.h"

namespace samrad::client {
namespace {

using Action = absl::Status (*)(Session&);

const std::map<std::string, Action>& Actions() {
  static const auto* actions = new std::map<std::string, Action>{
      {"init", RunInit},
      {"check", RunCheck},
      {"unlock", RunUnlock},
      {"lock", RunLock},
      {"passphrase", RunPassphrase},
      {"ask", RunAsk},
      {"resend", RunResend},
      {"discard", RunDiscard},
      {"whoami", RunWhoami},
      {"cases", RunCases},
      {"show", RunShow},
      {"followup", RunFollowup},
      {"close", RunClose},
      {"watch", RunWatch},
      {"keygen", RunKeygen},
      {"keys-list", RunKeysList},
      {"keys-prune", RunKeysPrune},
      {"queue", RunQueue},
      {"search", RunSearch},
      {"claim", RunClaim},
      {"release", RunRelease},
      {"handover", RunHandover},
      {"answer", RunAnswer},
      {"refer", RunRefer},
      {"team-share", RunTeamShare},
      {"dir-init", RunDirectoryInit},
      {"dir-add-unit", RunDirectoryAddUnit},
      {"dir-remove-unit", RunDirectoryRemoveUnit},
      {"dir-add-adviser", RunDirectoryAddAdviser},
      {"dir-remove-adviser", RunDirectoryRemoveAdviser},
      {"dir-sign", RunDirectorySign},
      {"dir-refresh", RunDirectoryRefresh},
      {"dir-publish", RunDirectoryPublish},
      {"dir-show", RunDirectoryShow},
      {"admin-revoke", RunAdminRevoke},
      {"admin-revoked", RunAdminRevoked},
      {"admin-unrevoke", RunAdminUnrevoke},
      {"admin-release", RunAdminRelease},
      {"admin-audit", RunAdminAudit},
      {"admin-stats", RunAdminStats},
      {"admin-purge", RunAdminPurge},
      {"admin-backup", RunAdminBackup},
  };
  return *actions;
}

FlagSpec TextFileFlag() { return {"file", "FILE", Msg::kFlagFile}; }
FlagSpec RedactFlag() { return {"redact", "", Msg::kFlagRedact}; }
FlagSpec YesFlag() { return {"yes", "", Msg::kFlagYes}; }
// --yes on an irreversible command (ConfirmOnTerminal otherwise).
FlagSpec ConfirmYesFlag() { return {"yes", "", Msg::kFlagYesConfirm}; }
PositionalSpec RefArg() { return {"REF", Msg::kArgRef}; }
FlagSpec DirFlag() { return {"dir", "DIR", Msg::kFlagDir}; }

// `flags` followed by the case filters (client/case_filter.h).
std::vector<FlagSpec> WithFilters(std::vector<FlagSpec> flags, bool with_mine) {
  for (FlagSpec& flag : CaseFilterFlags(with_mine)) flags.push_back(std::move(flag));
  return flags;
}

CommandSpec BuildTree() {
  CommandSpec root{.name = "samrad", .summary = Msg::kCmdRoot};
  // Handled by RunCli before parsing (it takes a command path of any depth).
  root.subcommands.push_back({.name = "help",
                              .summary = Msg::kCmdHelp,
                              .positionals = {{"COMMAND", Msg::kArgCommand, false}},
                              .action = "help",
                              .examples = Msg::kExHelp});
  root.subcommands.push_back({.name = "init",
                              .summary = Msg::kCmdInit,
                              .flags = {{"relay", "HOST:PORT", Msg::kFlagRelay, true},
                                        {"cert", "FILE", Msg::kFlagCert, true},
                                        {"key", "FILE", Msg::kFlagKey, true},
                                        {"ca", "FILE", Msg::kFlagCa, true},
                                        {"directory-key", "HEX|FILE", Msg::kFlagDirectoryKey, true},
                                        {"keystore", "FILE", Msg::kFlagKeystore},
                                        {"server-name", "NAME", Msg::kFlagServerName},
                                        {"adviser-id", "ID", Msg::kFlagAdviserIdOpt},
                                        {"force", "", Msg::kFlagForce}},
                              .action = "init",
                              .examples = Msg::kExInit});
  root.subcommands.push_back({.name = "whoami",
                              .summary = Msg::kCmdWhoami,
                              .action = "whoami",
                              .examples = Msg::kExWhoami});
  root.subcommands.push_back({.name = "check",
                              .summary = Msg::kCmdCheck,
                              .flags = {RedactFlag()},
                              .positionals = {{"FILE", Msg::kArgTextFile, false}},
                              .action = "check",
                              .examples = Msg::kExCheck});
  // The agent and the passphrase (commands_agent.cc).
  root.subcommands.push_back({.name = "unlock",
                              .summary = Msg::kCmdUnlock,
                              .flags = {{"idle", "DURATION", Msg::kFlagIdle}},
                              .action = "unlock",
                              .examples = Msg::kExUnlock});
  root.subcommands.push_back(
      {.name = "lock", .summary = Msg::kCmdLock, .action = "lock", .examples = Msg::kExLock});
  root.subcommands.push_back(
      {.name = "passphrase",
       .summary = Msg::kCmdPassphrase,
       .flags = {{"new-passphrase-file", "FILE", Msg::kFlagNewPassphraseFile}},
       .action = "passphrase",
       .examples = Msg::kExPassphrase});
  // Professional.
  root.subcommands.push_back(
      {.name = "ask",
       .summary = Msg::kCmdAsk,
       .flags = {{"county", "CODE", Msg::kFlagCounty, true},
                 {"category", "KIND", Msg::kFlagCategory, true, CategoryNames()},
                 {"urgency", "LEVEL", Msg::kFlagUrgency, true, UrgencyNames()},
                 {"org", "TYPE", Msg::kFlagOrg, true, OrgTypeNames()},
                 {"age", "GROUP", Msg::kFlagAge, true, AgeGroupNames()},
                 TextFileFlag(),
                 RedactFlag(),
                 YesFlag()},
       .action = "ask",
       .examples = Msg::kExAsk});
  root.subcommands.push_back({.name = "resend",
                              .summary = Msg::kCmdResend,
                              .positionals = {RefArg()},
                              .action = "resend",
                              .examples = Msg::kExResend});
  root.subcommands.push_back({.name = "discard",
                              .summary = Msg::kCmdDiscard,
                              .flags = {ConfirmYesFlag()},
                              .positionals = {RefArg()},
                              .action = "discard",
                              .examples = Msg::kExDiscard});
  root.subcommands.push_back({.name = "cases",
                              .summary = Msg::kCmdCases,
                              .flags = WithFilters({{"all", "", Msg::kFlagAll}}, false),
                              .action = "cases",
                              .examples = Msg::kExCases});
  root.subcommands.push_back({.name = "show",
                              .summary = Msg::kCmdShow,
                              .positionals = {RefArg()},
                              .action = "show",
                              .examples = Msg::kExShow});
  root.subcommands.push_back({.name = "followup",
                              .summary = Msg::kCmdFollowup,
                              .flags = {TextFileFlag(), RedactFlag(), YesFlag()},
                              .positionals = {RefArg()},
                              .action = "followup",
                              .examples = Msg::kExFollowup});
  root.subcommands.push_back({.name = "close",
                              .summary = Msg::kCmdClose,
                              .flags = {{"forget", "", Msg::kFlagForget}, ConfirmYesFlag()},
                              .positionals = {RefArg()},
                              .action = "close",
                              .examples = Msg::kExClose});
  root.subcommands.push_back({.name = "watch",
                              .summary = Msg::kCmdWatch,
                              .flags = {{"exec", "CMD", Msg::kFlagExec}},
                              .positionals = {{"REF", Msg::kArgRefOptional, false}},
                              .action = "watch",
                              .examples = Msg::kExWatch});
  // Adviser.
  root.subcommands.push_back(
      {.name = "keygen",
       .summary = Msg::kCmdKeygen,
       .flags = {{"rotate", "", Msg::kFlagRotate}, {"out", "FILE", Msg::kFlagBundleOut}},
       .action = "keygen",
       .examples = Msg::kExKeygen});
  root.subcommands.push_back(
      {.name = "keys",
       .summary = Msg::kCmdKeys,
       .subcommands = {{.name = "list",
                        .summary = Msg::kCmdKeysList,
                        .action = "keys-list",
                        .examples = Msg::kExKeysList},
                       {.name = "prune",
                        .summary = Msg::kCmdKeysPrune,
                        .flags = {{"older-than", "DAYS", Msg::kFlagOlderThan, true}},
                        .action = "keys-prune",
                        .examples = Msg::kExKeysPrune}}});
  root.subcommands.push_back({.name = "queue",
                              .summary = Msg::kCmdQueue,
                              .flags = WithFilters({{"all", "", Msg::kFlagAll}}, true),
                              .action = "queue",
                              .examples = Msg::kExQueue});
  root.subcommands.push_back({.name = "search",
                              .summary = Msg::kCmdSearch,
                              .flags = {{"limit", "N", Msg::kFlagSearchLimit}},
                              .positionals = {{"TEXT", Msg::kArgSearchText}},
                              .action = "search",
                              .examples = Msg::kExSearch});
  root.subcommands.push_back({.name = "claim",
                              .summary = Msg::kCmdClaim,
                              .positionals = {RefArg()},
                              .action = "claim",
                              .examples = Msg::kExClaim});
  root.subcommands.push_back({.name = "release",
                              .summary = Msg::kCmdRelease,
                              .positionals = {RefArg()},
                              .action = "release",
                              .examples = Msg::kExRelease});
  root.subcommands.push_back({.name = "handover",
                              .summary = Msg::kCmdHandover,
                              .positionals = {RefArg(), {"ADVISER-ID", Msg::kArgToAdviser}},
                              .action = "handover",
                              .examples = Msg::kExHandover});
  root.subcommands.push_back(
      {.name = "answer",
       .summary = Msg::kCmdAnswer,
       .flags = {TextFileFlag(), RedactFlag(), YesFlag(), {"take-over", "", Msg::kFlagTakeOver}},
       .positionals = {RefArg()},
       .action = "answer",
       .examples = Msg::kExAnswer});
  root.subcommands.push_back({.name = "refer",
                              .summary = Msg::kCmdRefer,
                              .flags = {{"to", "UNIT", Msg::kFlagTo, true},
                                        {"reason", "TEXT", Msg::kFlagReason, true},
                                        RedactFlag(),
                                        YesFlag()},
                              .positionals = {RefArg()},
                              .action = "refer",
                              .examples = Msg::kExRefer});
  root.subcommands.push_back({.name = "team",
                              .summary = Msg::kCmdTeam,
                              .subcommands = {{.name = "share",
                                               .summary = Msg::kCmdTeamShare,
                                               .action = "team-share",
                                               .examples = Msg::kExTeamShare}}});
  // Admin.
  const FlagSpec key_passphrase{"key-passphrase-file", "FILE", Msg::kFlagKeyPassphraseFile};
  CommandSpec directory{.name = "directory", .summary = Msg::kCmdAdminDirectory};
  directory.subcommands.push_back({.name = "init",
                                   .summary = Msg::kCmdDirInit,
                                   .flags = {{"out", "DIR", Msg::kFlagOut, true},
                                             {"routing", "FILE", Msg::kFlagRouting},
                                             key_passphrase},
                                   .action = "dir-init",
                                   .examples = Msg::kExDirInit});
  directory.subcommands.push_back({.name = "add-unit",
                                   .summary = Msg::kCmdDirAddUnit,
                                   .flags = {DirFlag(),
                                             {"name", "NAME", Msg::kFlagName},
                                             {"counties", "LIST", Msg::kFlagCounties},
                                             {"fallback", "", Msg::kFlagFallback}},
                                   .positionals = {{"UNIT", Msg::kArgUnit}},
                                   .action = "dir-add-unit",
                                   .examples = Msg::kExDirAddUnit});
  directory.subcommands.push_back({.name = "remove-unit",
                                   .summary = Msg::kCmdDirRemoveUnit,
                                   .flags = {DirFlag()},
                                   .positionals = {{"UNIT", Msg::kArgUnit}},
                                   .action = "dir-remove-unit",
                                   .examples = Msg::kExDirRemoveUnit});
  directory.subcommands.push_back(
      {.name = "add-adviser",
       .summary = Msg::kCmdDirAddAdviser,
       .flags = {DirFlag()},
       .positionals = {{"UNIT", Msg::kArgUnit}, {"BUNDLE", Msg::kArgBundle}},
       .action = "dir-add-adviser",
       .examples = Msg::kExDirAddAdviser});
  directory.subcommands.push_back(
      {.name = "remove-adviser",
       .summary = Msg::kCmdDirRemoveAdviser,
       .flags = {DirFlag(), {"revoke-keys", "", Msg::kFlagRevokeKeys}},
       .positionals = {{"UNIT", Msg::kArgUnit}, {"ID", Msg::kArgAdviserId}},
       .action = "dir-remove-adviser",
       .examples = Msg::kExDirRemoveAdviser});
  const FlagSpec valid_days{"valid-days", "DAYS", Msg::kFlagValidDays};
  directory.subcommands.push_back({.name = "sign",
                                   .summary = Msg::kCmdDirSign,
                                   .flags = {DirFlag(), key_passphrase, valid_days},
                                   .action = "dir-sign",
                                   .examples = Msg::kExDirSign});
  directory.subcommands.push_back({.name = "refresh",
                                   .summary = Msg::kCmdDirRefresh,
                                   .flags = {DirFlag(), key_passphrase, valid_days},
                                   .action = "dir-refresh",
                                   .examples = Msg::kExDirRefresh});
  directory.subcommands.push_back({.name = "publish",
                                   .summary = Msg::kCmdDirPublish,
                                   .flags = {DirFlag()},
                                   .action = "dir-publish",
                                   .examples = Msg::kExDirPublish});
  directory.subcommands.push_back({.name = "show",
                                   .summary = Msg::kCmdDirShow,
                                   .flags = {DirFlag()},
                                   .action = "dir-show",
                                   .examples = Msg::kExDirShow});
  CommandSpec admin{.name = "admin", .summary = Msg::kCmdAdmin};
  admin.subcommands.push_back(std::move(directory));
  admin.subcommands.push_back({.name = "revoke",
                               .summary = Msg::kCmdAdminRevoke,
                               .flags = {{"serial", "HEX", Msg::kFlagSerial},
                                         {"cert", "FILE", Msg::kFlagCertFile},
                                         {"reason", "TEXT", Msg::kFlagRevokeReason},
                                         ConfirmYesFlag()},
                               .action = "admin-revoke",
                               .examples = Msg::kExAdminRevoke});
  admin.subcommands.push_back({.name = "revoked",
                               .summary = Msg::kCmdAdminRevoked,
                               .action = "admin-revoked",
                               .examples = Msg::kExAdminRevoked});
  admin.subcommands.push_back({.name = "unrevoke",
                               .summary = Msg::kCmdAdminUnrevoke,
                               .flags = {{"serial", "HEX", Msg::kFlagSerial},
                                         {"cert", "FILE", Msg::kFlagCertFile},
                                         {"reason", "TEXT", Msg::kFlagRevokeReason}},
                               .action = "admin-unrevoke",
                               .examples = Msg::kExAdminUnrevoke});
  admin.subcommands.push_back({.name = "release",
                               .summary = Msg::kCmdAdminRelease,
                               .positionals = {RefArg()},
                               .action = "admin-release",
                               .examples = Msg::kExAdminRelease});
  admin.subcommands.push_back({.name = "audit",
                               .summary = Msg::kCmdAdminAudit,
                               .flags = {{"since", "DATE", Msg::kFlagSince},
                                         {"after", "INDEX", Msg::kFlagAfter},
                                         {"limit", "N", Msg::kFlagLimit},
                                         {"verify", "", Msg::kFlagVerify}},
                               .action = "admin-audit",
                               .examples = Msg::kExAdminAudit});
  admin.subcommands.push_back({.name = "stats",
                               .summary = Msg::kCmdAdminStats,
                               .flags = {{"year", "YYYY", Msg::kFlagYear},
                                         {"quarter", "Q", Msg::kFlagQuarter},
                                         {"month", "M", Msg::kFlagMonth},
                                         {"by", "LIST", Msg::kFlagByStats},
                                         {"csv", "", Msg::kFlagCsv},
                                         {"svg", "FILE", Msg::kFlagSvg},
                                         // Refused with a message (Msg::kStatsRangeGone).
                                         {"from", "DATE", Msg::kFlagFrom},
                                         {"to", "DATE", Msg::kFlagToDate}},
                               .action = "admin-stats",
                               .examples = Msg::kExAdminStats});
  admin.subcommands.push_back({.name = "purge",
                               .summary = Msg::kCmdAdminPurge,
                               .flags = {{"dry-run", "", Msg::kFlagDryRun}},
                               .action = "admin-purge",
                               .examples = Msg::kExAdminPurge});
  admin.subcommands.push_back({.name = "backup",
                               .summary = Msg::kCmdAdminBackup,
                               .flags = {{"list", "", Msg::kFlagBackupList}},
                               .action = "admin-backup",
                               .examples = Msg::kExAdminBackup});
  root.subcommands.push_back(std::move(admin));
  return root;
}

}  // namespace

Msg FailureHint(const absl::Status& status, ExitCode code) {
  // A full relay or a rate limit is not the user's input to correct (a size
  // limit is).
  if (status.code() == absl::StatusCode::kResourceExhausted &&
      ClassifyFailure(status) == FailureKind::kTransient) {
    return Msg::kHintTryLater;
  }
  // Keys that are simply not among a case's recipients are not a wrong
  // passphrase: the message itself says what to do (`samrad team share`).
  if (code == ExitCode::kKeystore && status.code() == absl::StatusCode::kFailedPrecondition) {
    return Msg::kHintFailure;
  }
  switch (code) {
    case ExitCode::kUsage:
      return Msg::kHintUsage;
    case ExitCode::kUnreachable:
      return Msg::kHintUnreachable;
    case ExitCode::kPermission:
      return Msg::kHintPermission;
    case ExitCode::kNotFound:
      return Msg::kHintNotFound;
    case ExitCode::kKeystore:
      return Msg::kHintKeystore;
    case ExitCode::kDirectory:
      return Msg::kHintDirectory;
    case ExitCode::kConflict:
      return Msg::kHintConflict;
    case ExitCode::kRejected:
      return Msg::kHintRejected;
    case ExitCode::kConfig:
      return Msg::kHintConfig;
    default:
      return Msg::kHintFailure;
  }
}

namespace {

// The one line on stderr: "samrad: <what went wrong> (<what to do>)".
void ReportFailure(const absl::Status& status, ExitCode code, const Messages& messages,
                   std::ostream& err) {
  if (status.message().empty()) return;
  // The relay's refusal in the user's language (its reason), never its
  // English unmarked.
  // A status built deep in the client with a message id (localized_status.h)
  // likewise.
  std::string line = messages.Format(Msg::kErrorPrefix, UserText(status, messages));
  std::string hint = messages.Format(FailureHint(status, code));
  // Usage errors already say where help is; some messages say what to do.
  if (!hint.empty() && code != ExitCode::kUsage && !HasOwnAdvice(status)) {
    absl::StrAppend(&line, " (", hint, ")");
  }
  err << line << "\n";
}

// What bash may complete after `samrad WORDS...` (the last word is the one
// being typed, possibly empty), from the command tree: the value choices
// after a value flag that has them, flags after "-", else subcommands; only
// those starting with the last word. Empty when files fit (bash offers them).
std::vector<std::string> CompletionCandidates(const std::vector<std::string>& words,
                                              const Messages& messages) {
  std::vector<const CommandSpec*> path = {&CommandTree()};
  const std::string current = words.empty() ? "" : words.back();
  const FlagSpec* value_flag = nullptr;  // the previous word's, if it takes a value
  const auto find_flag = [&](absl::string_view name) -> const FlagSpec* {
    for (const CommandSpec* command : path) {
      for (const FlagSpec& flag : command->flags) {
        if (flag.name == name) return &flag;
      }
    }
    for (const FlagSpec& flag : GlobalFlags()) {
      if (flag.name == name) return &flag;
    }
    return nullptr;
  };
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    const std::string& word = words[i];
    if (value_flag != nullptr) {
      value_flag = nullptr;
      continue;
    }
    if (absl::StartsWith(word, "--")) {
      const FlagSpec* flag = find_flag(word.substr(2));
      if (flag != nullptr && !flag->value_name.empty() && word.find('=') == std::string::npos) {
        value_flag = flag;
      }
      continue;
    }
    for (const CommandSpec& sub : path.back()->subcommands) {
      if (sub.name == word) {
        path.push_back(&sub);
        break;
      }
    }
  }
  std::vector<std::string> all;
  if (value_flag != nullptr) {
    all = LocalizedChoices(value_flag->choices, messages.language());
  } else if (absl::StartsWith(current, "-")) {
    for (const CommandSpec* command : path) {
      for (const FlagSpec& flag : command->flags) all.push_back("--" + flag.name);
    }
    for (const FlagSpec& flag : GlobalFlags()) all.push_back("--" + flag.name);
  } else {
    for (const CommandSpec& sub : path.back()->subcommands) all.push_back(sub.name);
  }
  std::vector<std::string> matching;
  for (std::string& candidate : all) {
    if (absl::StartsWith(candidate, current)) matching.push_back(std::move(candidate));
  }
  return matching;
}

// The exit codes, shown under the root's help only.
std::string RootExtra(const ParsedArgs& parsed, const Messages& messages) {
  if (parsed.path.size() != 1) return "";
  return absl::StrCat(messages.Format(Msg::kExitCodesTitle), ":\n",
                      messages.Format(Msg::kExitCodesBody));
}

}  // namespace

const CommandSpec& CommandTree() {
  static const CommandSpec* tree = new CommandSpec(BuildTree());
  return *tree;
}

const std::vector<FlagSpec>& GlobalFlags() {
  static const auto* flags = new std::vector<FlagSpec>{
      {"help", "", Msg::kFlagHelp},         {"json", "", Msg::kFlagJson},
      {"config", "FILE", Msg::kFlagConfig}, {"passphrase-file", "FILE", Msg::kFlagPassphraseFile},
      {"verbose", "", Msg::kFlagVerbose},
  };
  return *flags;
}

int RunCli(const std::vector<std::string>& args, CliIo io, Language language) {
  const Messages messages(language);
  if (args.size() == 1 && args[0] == "--version") {
    *io.out << messages.Format(Msg::kVersion, SAMRAD_VERSION_STRING) << "\n";
    return ToInt(ExitCode::kOk);
  }
  // Hidden: `samrad __complete WORDS...` for the bash completion
  // (deploy/debian/samrad.bash-completion), one candidate a line.
  if (!args.empty() && args[0] == "__complete") {
    for (const std::string& candidate :
         CompletionCandidates(std::vector<std::string>(args.begin() + 1, args.end()), messages)) {
      *io.out << candidate << "\n";
    }
    return ToInt(ExitCode::kOk);
  }
  // Hidden: `samrad __man [--lang en|sv]`: the man page from the command
  // table (client/man_page.h), for the build (client/cli.cmake).
  if (!args.empty() && args[0] == "__man") {
    const bool sv = args.size() == 3 && args[1] == "--lang" && args[2] == "sv";
    const bool en = args.size() == 3 && args[1] == "--lang" && args[2] == "en";
    const Messages page_messages(sv ? Language::kSwedish : en ? Language::kEnglish : language);
    *io.out << ManPage(CommandTree(), GlobalFlags(), page_messages, SAMRAD_VERSION_STRING);
    return ToInt(ExitCode::kOk);
  }
  // `samrad help [COMMAND...]`: the help of that command.
  if (!args.empty() && args[0] == "help" &&
      std::find_if(args.begin(), args.end(), [](const std::string& arg) {
        return arg == "--help" || arg == "-h";
      }) == args.end()) {
    absl::StatusOr<ParsedArgs> path =
        HelpPath(CommandTree(), std::vector<std::string>(args.begin() + 1, args.end()), messages);
    if (!path.ok()) {
      ExitCode code = ExitCodeOf(path.status());
      ReportFailure(path.status(), code, messages, *io.err);
      return ToInt(code);
    }
    *io.out << FormatHelp(*path, GlobalFlags(), messages, RootExtra(*path, messages));
    return ToInt(ExitCode::kOk);
  }
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(CommandTree(), GlobalFlags(), args, messages);
  if (!parsed.ok()) {
    ExitCode code = ExitCodeOf(parsed.status());
    ReportFailure(parsed.status(), code, messages, *io.err);
    return ToInt(code);
  }
  if (parsed->help || args.empty()) {
    *io.out << FormatHelp(*parsed, GlobalFlags(), messages, RootExtra(*parsed, messages));
    return args.empty() ? ToInt(ExitCode::kUsage) : ToInt(ExitCode::kOk);
  }
  auto action = Actions().find(parsed->command().action);
  if (action == Actions().end()) {
    *io.err << "samrad: internal error: no action for " << parsed->CommandLine() << "\n";
    return ToInt(ExitCode::kFailure);
  }
  RouteGrpcLogs(parsed->Has("verbose"));
  Session session(std::move(io), *parsed, messages);
  absl::Status status = action->second(session);
  ExitCode code = ExitCodeOf(status);
  ReportFailure(status, code, messages, session.err());
  // After the error line: a draft is wiped once sent, else kept and named.
  session.FinishDraft(status.ok());
  session.out().flush();
  return ToInt(code);
}

}  // namespace samrad::client
