// The commands of `samrad`, one function each. Every function validates its
// arguments, does its work through the Session and the libraries, prints its
// result (table/plain text, or JSON with --json) and returns OK or a status
// tagged with its exit code. A non-OK status with an empty message means the
// command already told the user (e.g. `check` printed its findings).
//
// Errors: INVALID_ARGUMENT for bad arguments (exit 2), the relay's code for a
// refusal (with its reason, rendered in the user's language), and the codes
// of the helpers they call (client/exit_codes.h maps each to an exit code).
// Ownership and threads: `session` is borrowed for the call; each runs on the
// calling thread, one command per process (cli.cc).
#ifndef SAMRAD_CLIENT_COMMANDS_H_
#define SAMRAD_CLIENT_COMMANDS_H_

#include "absl/status/status.h"
#include "client/session.h"

namespace samrad::client {

// Setup and keys (commands_setup.cc).
[[nodiscard]] absl::Status RunInit(Session& session);
[[nodiscard]] absl::Status RunCheck(Session& session);
[[nodiscard]] absl::Status RunKeygen(Session& session);
[[nodiscard]] absl::Status RunKeysList(Session& session);
[[nodiscard]] absl::Status RunKeysPrune(Session& session);
// whoami: the certificate's identity and dates, the directory seen.
[[nodiscard]] absl::Status RunWhoami(Session& session);

// The agent and the passphrase (commands_agent.cc).
[[nodiscard]] absl::Status RunUnlock(Session& session);
[[nodiscard]] absl::Status RunLock(Session& session);
[[nodiscard]] absl::Status RunPassphrase(Session& session);

// Professional (commands_professional.cc).
[[nodiscard]] absl::Status RunAsk(Session& session);
[[nodiscard]] absl::Status RunResend(Session& session);
// discard REF: removes an entry the relay never acknowledged (asks on a
// terminal, or --yes).
[[nodiscard]] absl::Status RunDiscard(Session& session);
[[nodiscard]] absl::Status RunCases(Session& session);
[[nodiscard]] absl::Status RunFollowup(Session& session);

// Both roles; the role is the keystore's: a reference that names a case in
// the keystore acts as its professional, otherwise as an adviser.
[[nodiscard]] absl::Status RunShow(Session& session);
[[nodiscard]] absl::Status RunClose(Session& session);
[[nodiscard]] absl::Status RunWatch(Session& session);

// Adviser (commands_adviser.cc).
[[nodiscard]] absl::Status RunQueue(Session& session);
// search: client/case_search.cc
[[nodiscard]] absl::Status RunSearch(Session& session);
[[nodiscard]] absl::Status RunClaim(Session& session);
[[nodiscard]] absl::Status RunRelease(Session& session);
[[nodiscard]] absl::Status RunHandover(Session& session);
[[nodiscard]] absl::Status RunAnswer(Session& session);
[[nodiscard]] absl::Status RunRefer(Session& session);

// Admin: the signed key directory (commands_admin.cc).
[[nodiscard]] absl::Status RunDirectoryInit(Session& session);
[[nodiscard]] absl::Status RunDirectoryAddUnit(Session& session);
[[nodiscard]] absl::Status RunDirectoryRemoveUnit(Session& session);
[[nodiscard]] absl::Status RunDirectoryAddAdviser(Session& session);
[[nodiscard]] absl::Status RunDirectoryRemoveAdviser(Session& session);
[[nodiscard]] absl::Status RunDirectorySign(Session& session);
[[nodiscard]] absl::Status RunDirectoryRefresh(Session& session);
[[nodiscard]] absl::Status RunDirectoryPublish(Session& session);
[[nodiscard]] absl::Status RunDirectoryShow(Session& session);

// Admin calls to the relay (commands_admin_relay.cc): revocation, audit log,
// statistics, retention and backup.
[[nodiscard]] absl::Status RunAdminRevoke(Session& session);
[[nodiscard]] absl::Status RunAdminRevoked(Session& session);
[[nodiscard]] absl::Status RunAdminUnrevoke(Session& session);
[[nodiscard]] absl::Status RunAdminRelease(Session& session);
[[nodiscard]] absl::Status RunAdminAudit(Session& session);
[[nodiscard]] absl::Status RunAdminStats(Session& session);
[[nodiscard]] absl::Status RunAdminPurge(Session& session);
[[nodiscard]] absl::Status RunAdminBackup(Session& session);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_COMMANDS_H_
