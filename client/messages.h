// Every sentence `samrad` shows to people, in English and Swedish, from one
// table (messages.cc). The language follows the POSIX locale variables:
// LC_ALL, else LC_MESSAGES, else LANG; a value starting with "sv" (e.g.
// sv_SE.UTF-8) selects Swedish, anything else English.
//
// Texts use absl::Substitute placeholders $0, $1, ... Immutable; thread-safe.
#ifndef SAMRAD_CLIENT_MESSAGES_H_
#define SAMRAD_CLIENT_MESSAGES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/strings/substitute.h"

namespace samrad::client {

enum class Language { kEnglish, kSwedish };

// The language for the given variable values (nullptr or "" = unset).
Language LanguageFromLocale(const char* lc_all, const char* lc_messages, const char* lang);
// The language of this process's environment.
Language LanguageFromEnvironment();

enum class Msg {
  // Usage and parsing.
  kUsage,
  kCommands,
  kArguments,
  kFlags,
  kGlobalFlags,
  kExitCodesTitle,
  kExitCodesBody,
  kSeeHelp,
  kUnknownCommand,
  kMissingCommand,
  kUnknownFlag,
  kFlagNeedsValue,
  kFlagTakesNoValue,
  kFlagRepeated,
  kMissingArgument,
  kTooManyArguments,
  kMissingFlag,
  kBadFlagValue,
  // Global flags.
  kFlagHelp,
  kFlagJson,
  kFlagConfig,
  kFlagPassphraseFile,
  // Command summaries.
  kCmdRoot,
  kCmdInit,
  kCmdCheck,
  kCmdAsk,
  kCmdCases,
  kCmdShow,
  kCmdFollowup,
  kCmdClose,
  kCmdWatch,
  kCmdResend,
  kCmdKeygen,
  kCmdKeys,
  kCmdKeysList,
  kCmdKeysPrune,
  kCmdQueue,
  kCmdClaim,
  kCmdRelease,
  kCmdAnswer,
  kCmdRefer,
  kCmdAdmin,
  kCmdAdminDirectory,
  kCmdDirInit,
  kCmdDirAddUnit,
  kCmdDirRemoveUnit,
  kCmdDirAddAdviser,
  kCmdDirRemoveAdviser,
  kCmdDirSign,
  kCmdDirPublish,
  kCmdDirShow,
  // Arguments and flags of commands.
  kArgRef,
  kArgRefOptional,
  kArgTextFile,
  kArgUnit,
  kArgBundle,
  kArgAdviserId,
  kFlagRelay,
  kFlagCert,
  kFlagKey,
  kFlagCa,
  kFlagDirectoryKey,
  kFlagKeystore,
  kFlagServerName,
  kFlagAdviserIdOpt,
  kFlagForce,
  kFlagCounty,
  kBadCounty,
  kFlagCategory,
  kFlagUrgency,
  kFlagOrg,
  kFlagAge,
  kFlagFile,
  kFlagRedact,
  kFlagForget,
  kFlagRotate,
  kFlagBundleOut,
  kFlagOlderThan,
  kFlagAll,
  kFlagTo,
  kFlagReason,
  kFlagOut,
  kFlagRouting,
  kFlagDir,
  kFlagKeyPassphraseFile,
  kFlagName,
  kFlagCounties,
  kFlagFallback,
  // Errors: one-line "what to do" hints per exit code.
  kErrorPrefix,
  kHintFailure,
  kHintUsage,
  kHintUnreachable,
  kHintPermission,
  kHintNotFound,
  kHintKeystore,
  kHintDirectory,
  kHintConflict,
  kHintRejected,
  kHintTryLater,
  kHintConfig,
  // Prompts and results.
  kPromptPassphrase,
  kPromptPassphraseAgain,
  kPromptDirectoryPassphrase,
  kPassphraseMismatch,
  kPassphraseNoTty,
  kInitDone,
  kAcuteWarning,
  kAskSent,
  kAskPending,
  kFollowupSent,
  kAnswerSent,
  kClosed,
  kClosedForgotten,
  kClaimed,
  kReleased,
  kReferred,
  kKeygenDone,
  kKeygenRotated,
  kPruneDone,
  kDirInitDone,
  kDirSaved,
  kDirSigned,
  // Integrity against the relay (issue 14); kept together.
  kCmdDirRefresh,
  kFlagValidDays,
  kFlagRevokeKeys,
  kDirectoryExpired,
  kIntegrityUnit,
  kIntegrityMissing,
  kIntegrityMissingRange,
  kIntegrityReplaced,
  kIntegrityFewer,
  kIntegrityMessage,
  kAuditNotExtending,
  kDirPublished,
  kGuardRefused,
  kGuardRedacted,
  kEmptyText,
  kAuthorMe,
  kAuthorAdviser,
  kAuthorProfessional,
  kReferralNote,
  kUnreadable,
  kNoCases,
  kQueueEmpty,
  kWatching,
  kCountyLabel,
  // Table headings.
  kColReference,
  kColAge,
  kColUrgency,
  kColCategory,
  kColCounty,
  kColOrg,
  kColAgeGroup,
  kColState,
  kColClaimedBy,
  kColUnit,
  kColCreated,
  kColMessages,
  kColCounties,
  kColAdvisers,
  kColName,
  kColKind,
  // Admin: revocation, audit, statistics, retention, backup.
  kCmdAdminRevoke,
  kCmdAdminRevoked,
  kCmdAdminAudit,
  kCmdAdminStats,
  kCmdAdminPurge,
  kCmdAdminBackup,
  kFlagSerial,
  kFlagCertFile,
  kFlagRevokeReason,
  kFlagSince,
  kFlagAfter,
  kFlagLimit,
  kFlagVerify,
  kFlagFrom,
  kFlagToDate,
  kFlagBy,
  kFlagCsv,
  kFlagDryRun,
  kRevokedUnseen,
  kRevokedDone,
  kNoneRevoked,
  kAuditEmpty,
  kAuditIntact,
  kAuditBroken,
  kStatsEmpty,
  kPurgeWould,
  kPurgeDone,
  kBackupDone,
  kColSerial,
  kColRevokedAt,
  kColRevokedBy,
  kColReason,
  kColIndex,
  kColTime,
  kColActor,
  kColAction,
  kColThread,
  kColDetail,
  kColCount,
  kColMedianAnswer,
  kRequiredNote,
  kVersion,
  // The anonymisation guard's review of a redacted text (issue 20).
  kFlagYes,
  kGuardConfirmPrompt,
  kGuardNotConfirmed,
  kGuardNeedsYes,
  // Drafts written in $EDITOR (issue 20): reopened when refused, never lost.
  kDraftReopening,
  kDraftCommentInstruction,
  kDraftDiscarded,
  kDraftKept,
  kDraftStillRefused,
  // The agent (issue 19): unlock once, and the passphrase rules.
  kCmdUnlock,
  kCmdLock,
  kCmdPassphrase,
  kFlagIdle,
  kFlagNewPassphraseFile,
  kAgentUnlocked,
  kAgentAlreadyUnlocked,
  kAgentLocked,
  kAgentNotRunning,
  kAgentDirUnsafe,
  kBadIdle,
  kPassphraseTryAgain,
  kPassphraseTooManyTries,
  kPassphraseTooShort,
  kPassphraseShortHint,
  kPassphraseFileReadable,
  kPromptNewPassphrase,
  kPassphraseChanged,
  kPassphraseChangedAgentLocked,
  kCount_,  // not a message: the number of entries
};

class Messages {
 public:
  explicit Messages(Language language) : language_(language) {}
  Language language() const { return language_; }
  // The text of `id` in this language.
  absl::string_view Get(Msg id) const;
  template <typename... Args>
  std::string Format(Msg id, const Args&... args) const {
    return absl::Substitute(Get(id), args...);
  }

 private:
  Language language_;
};

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_MESSAGES_H_
