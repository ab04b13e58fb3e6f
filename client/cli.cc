#include "client/cli.h"

#include <map>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "client/case_filter.h"
#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/output.h"
#include "client/relay_client.h"
#include "client/status_class.h"
#include "client/team_share.h"
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
PositionalSpec RefArg() { return {"REF", Msg::kArgRef}; }
FlagSpec DirFlag() { return {"dir", "DIR", Msg::kFlagDir}; }

// `flags` followed by the case filters (client/case_filter.h).
std::vector<FlagSpec> WithFilters(std::vector<FlagSpec> flags, bool with_mine) {
  for (FlagSpec& flag : CaseFilterFlags(with_mine)) flags.push_back(std::move(flag));
  return flags;
}

CommandSpec BuildTree() {
  CommandSpec root{.name = "samrad", .summary = Msg::kCmdRoot};
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
                              .action = "init"});
  root.subcommands.push_back({.name = "whoami", .summary = Msg::kCmdWhoami, .action = "whoami"});
  root.subcommands.push_back({.name = "check",
                              .summary = Msg::kCmdCheck,
                              .flags = {RedactFlag()},
                              .positionals = {{"FILE", Msg::kArgTextFile, false}},
                              .action = "check"});
  // The agent and the passphrase (commands_agent.cc).
  root.subcommands.push_back({.name = "unlock",
                              .summary = Msg::kCmdUnlock,
                              .flags = {{"idle", "DURATION", Msg::kFlagIdle}},
                              .action = "unlock"});
  root.subcommands.push_back({.name = "lock", .summary = Msg::kCmdLock, .action = "lock"});
  root.subcommands.push_back(
      {.name = "passphrase",
       .summary = Msg::kCmdPassphrase,
       .flags = {{"new-passphrase-file", "FILE", Msg::kFlagNewPassphraseFile}},
       .action = "passphrase"});
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
       .action = "ask"});
  root.subcommands.push_back({.name = "resend",
                              .summary = Msg::kCmdResend,
                              .positionals = {RefArg()},
                              .action = "resend"});
  root.subcommands.push_back({.name = "discard",
                              .summary = Msg::kCmdDiscard,
                              .flags = {{"yes", "", Msg::kFlagYes}},
                              .positionals = {RefArg()},
                              .action = "discard"});
  root.subcommands.push_back({.name = "cases",
                              .summary = Msg::kCmdCases,
                              .flags = WithFilters({{"all", "", Msg::kFlagAll}}, false),
                              .action = "cases"});
  root.subcommands.push_back(
      {.name = "show", .summary = Msg::kCmdShow, .positionals = {RefArg()}, .action = "show"});
  root.subcommands.push_back({.name = "followup",
                              .summary = Msg::kCmdFollowup,
                              .flags = {TextFileFlag(), RedactFlag(), YesFlag()},
                              .positionals = {RefArg()},
                              .action = "followup"});
  root.subcommands.push_back({.name = "close",
                              .summary = Msg::kCmdClose,
                              .flags = {{"forget", "", Msg::kFlagForget}},
                              .positionals = {RefArg()},
                              .action = "close"});
  root.subcommands.push_back({.name = "watch",
                              .summary = Msg::kCmdWatch,
                              .flags = {{"exec", "CMD", Msg::kFlagExec}},
                              .positionals = {{"REF", Msg::kArgRefOptional, false}},
                              .action = "watch"});
  // Adviser.
  root.subcommands.push_back(
      {.name = "keygen",
       .summary = Msg::kCmdKeygen,
       .flags = {{"rotate", "", Msg::kFlagRotate}, {"out", "FILE", Msg::kFlagBundleOut}},
       .action = "keygen"});
  root.subcommands.push_back(
      {.name = "keys",
       .summary = Msg::kCmdKeys,
       .subcommands = {{.name = "list", .summary = Msg::kCmdKeysList, .action = "keys-list"},
                       {.name = "prune",
                        .summary = Msg::kCmdKeysPrune,
                        .flags = {{"older-than", "DAYS", Msg::kFlagOlderThan, true}},
                        .action = "keys-prune"}}});
  root.subcommands.push_back({.name = "queue",
                              .summary = Msg::kCmdQueue,
                              .flags = WithFilters({{"all", "", Msg::kFlagAll}}, true),
                              .action = "queue"});
  root.subcommands.push_back({.name = "search",
                              .summary = Msg::kCmdSearch,
                              .flags = {{"limit", "N", Msg::kFlagSearchLimit}},
                              .positionals = {{"TEXT", Msg::kArgSearchText}},
                              .action = "search"});
  root.subcommands.push_back(
      {.name = "claim", .summary = Msg::kCmdClaim, .positionals = {RefArg()}, .action = "claim"});
  root.subcommands.push_back({.name = "release",
                              .summary = Msg::kCmdRelease,
                              .positionals = {RefArg()},
                              .action = "release"});
  root.subcommands.push_back({.name = "handover",
                              .summary = Msg::kCmdHandover,
                              .positionals = {RefArg(), {"ADVISER-ID", Msg::kArgToAdviser}},
                              .action = "handover"});
  root.subcommands.push_back(
      {.name = "answer",
       .summary = Msg::kCmdAnswer,
       .flags = {TextFileFlag(), RedactFlag(), YesFlag(), {"take-over", "", Msg::kFlagTakeOver}},
       .positionals = {RefArg()},
       .action = "answer"});
  root.subcommands.push_back({.name = "refer",
                              .summary = Msg::kCmdRefer,
                              .flags = {{"to", "UNIT", Msg::kFlagTo, true},
                                        {"reason", "TEXT", Msg::kFlagReason, true},
                                        RedactFlag(),
                                        YesFlag()},
                              .positionals = {RefArg()},
                              .action = "refer"});
  root.subcommands.push_back(
      {.name = "team",
       .summary = Msg::kCmdTeam,
       .subcommands = {{.name = "share", .summary = Msg::kCmdTeamShare, .action = "team-share"}}});
  // Admin.
  const FlagSpec key_passphrase{"key-passphrase-file", "FILE", Msg::kFlagKeyPassphraseFile};
  CommandSpec directory{.name = "directory", .summary = Msg::kCmdAdminDirectory};
  directory.subcommands.push_back({.name = "init",
                                   .summary = Msg::kCmdDirInit,
                                   .flags = {{"out", "DIR", Msg::kFlagOut, true},
                                             {"routing", "FILE", Msg::kFlagRouting},
                                             key_passphrase},
                                   .action = "dir-init"});
  directory.subcommands.push_back({.name = "add-unit",
                                   .summary = Msg::kCmdDirAddUnit,
                                   .flags = {DirFlag(),
                                             {"name", "NAME", Msg::kFlagName},
                                             {"counties", "LIST", Msg::kFlagCounties},
                                             {"fallback", "", Msg::kFlagFallback}},
                                   .positionals = {{"UNIT", Msg::kArgUnit}},
                                   .action = "dir-add-unit"});
  directory.subcommands.push_back({.name = "remove-unit",
                                   .summary = Msg::kCmdDirRemoveUnit,
                                   .flags = {DirFlag()},
                                   .positionals = {{"UNIT", Msg::kArgUnit}},
                                   .action = "dir-remove-unit"});
  directory.subcommands.push_back(
      {.name = "add-adviser",
       .summary = Msg::kCmdDirAddAdviser,
       .flags = {DirFlag()},
       .positionals = {{"UNIT", Msg::kArgUnit}, {"BUNDLE", Msg::kArgBundle}},
       .action = "dir-add-adviser"});
  directory.subcommands.push_back(
      {.name = "remove-adviser",
       .summary = Msg::kCmdDirRemoveAdviser,
       .flags = {DirFlag(), {"revoke-keys", "", Msg::kFlagRevokeKeys}},
       .positionals = {{"UNIT", Msg::kArgUnit}, {"ID", Msg::kArgAdviserId}},
       .action = "dir-remove-adviser"});
  const FlagSpec valid_days{"valid-days", "DAYS", Msg::kFlagValidDays};
  directory.subcommands.push_back({.name = "sign",
                                   .summary = Msg::kCmdDirSign,
                                   .flags = {DirFlag(), key_passphrase, valid_days},
                                   .action = "dir-sign"});
  directory.subcommands.push_back({.name = "refresh",
                                   .summary = Msg::kCmdDirRefresh,
                                   .flags = {DirFlag(), key_passphrase, valid_days},
                                   .action = "dir-refresh"});
  directory.subcommands.push_back({.name = "publish",
                                   .summary = Msg::kCmdDirPublish,
                                   .flags = {DirFlag()},
                                   .action = "dir-publish"});
  directory.subcommands.push_back(
      {.name = "show", .summary = Msg::kCmdDirShow, .flags = {DirFlag()}, .action = "dir-show"});
  CommandSpec admin{.name = "admin", .summary = Msg::kCmdAdmin};
  admin.subcommands.push_back(std::move(directory));
  admin.subcommands.push_back({.name = "revoke",
                               .summary = Msg::kCmdAdminRevoke,
                               .flags = {{"serial", "HEX", Msg::kFlagSerial},
                                         {"cert", "FILE", Msg::kFlagCertFile},
                                         {"reason", "TEXT", Msg::kFlagRevokeReason}},
                               .action = "admin-revoke"});
  admin.subcommands.push_back(
      {.name = "revoked", .summary = Msg::kCmdAdminRevoked, .action = "admin-revoked"});
  admin.subcommands.push_back({.name = "unrevoke",
                               .summary = Msg::kCmdAdminUnrevoke,
                               .flags = {{"serial", "HEX", Msg::kFlagSerial},
                                         {"cert", "FILE", Msg::kFlagCertFile},
                                         {"reason", "TEXT", Msg::kFlagRevokeReason}},
                               .action = "admin-unrevoke"});
  admin.subcommands.push_back({.name = "release",
                               .summary = Msg::kCmdAdminRelease,
                               .positionals = {RefArg()},
                               .action = "admin-release"});
  admin.subcommands.push_back({.name = "audit",
                               .summary = Msg::kCmdAdminAudit,
                               .flags = {{"since", "DATE", Msg::kFlagSince},
                                         {"after", "INDEX", Msg::kFlagAfter},
                                         {"limit", "N", Msg::kFlagLimit},
                                         {"verify", "", Msg::kFlagVerify}},
                               .action = "admin-audit"});
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
                               .action = "admin-stats"});
  admin.subcommands.push_back({.name = "purge",
                               .summary = Msg::kCmdAdminPurge,
                               .flags = {{"dry-run", "", Msg::kFlagDryRun}},
                               .action = "admin-purge"});
  admin.subcommands.push_back(
      {.name = "backup", .summary = Msg::kCmdAdminBackup, .action = "admin-backup"});
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
  std::string line = messages.Format(Msg::kErrorPrefix, status.message());
  std::string hint = messages.Format(FailureHint(status, code));
  // Usage errors already say where help is; some messages say what to do.
  if (!hint.empty() && code != ExitCode::kUsage && !HasOwnAdvice(status)) {
    absl::StrAppend(&line, " (", hint, ")");
  }
  err << line << "\n";
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
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(CommandTree(), GlobalFlags(), args, messages);
  if (!parsed.ok()) {
    ExitCode code = ExitCodeOf(parsed.status());
    ReportFailure(parsed.status(), code, messages, *io.err);
    return ToInt(code);
  }
  if (parsed->help || args.empty()) {
    std::string extra;
    if (parsed->path.size() == 1) {
      extra = absl::StrCat(messages.Format(Msg::kExitCodesTitle), ":\n",
                           messages.Format(Msg::kExitCodesBody));
    }
    *io.out << FormatHelp(*parsed, GlobalFlags(), messages, extra);
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
