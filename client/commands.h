// The commands of `samrad`, one function each. Every function validates its
// arguments, does its work through the Session and the libraries, prints its
// result (table/plain text, or JSON with --json) and returns OK or a status
// tagged with its exit code. A non-OK status with an empty message means the
// command already told the user (e.g. `check` printed its findings).
#ifndef SAMRAD_CLIENT_COMMANDS_H_
#define SAMRAD_CLIENT_COMMANDS_H_

#include "absl/status/status.h"
#include "client/session.h"

namespace samrad::client {

// Setup and keys (commands_setup.cc).
absl::Status RunInit(Session& session);
absl::Status RunCheck(Session& session);
absl::Status RunKeygen(Session& session);
absl::Status RunKeysList(Session& session);
absl::Status RunKeysPrune(Session& session);
// whoami: the certificate's identity and dates, the directory seen.
absl::Status RunWhoami(Session& session);

// The agent and the passphrase (commands_agent.cc).
absl::Status RunUnlock(Session& session);
absl::Status RunLock(Session& session);
absl::Status RunPassphrase(Session& session);

// Professional (commands_professional.cc).
absl::Status RunAsk(Session& session);
absl::Status RunResend(Session& session);
// discard REF: removes an entry the relay never acknowledged (asks on a
// terminal, or --yes).
absl::Status RunDiscard(Session& session);
absl::Status RunCases(Session& session);
absl::Status RunFollowup(Session& session);

// Both roles; the role is the keystore's: a reference that names a case in
// the keystore acts as its professional, otherwise as an adviser.
absl::Status RunShow(Session& session);
absl::Status RunClose(Session& session);
absl::Status RunWatch(Session& session);

// Adviser (commands_adviser.cc).
absl::Status RunQueue(Session& session);
// search: client/case_search.cc
absl::Status RunSearch(Session& session);
absl::Status RunClaim(Session& session);
absl::Status RunRelease(Session& session);
absl::Status RunHandover(Session& session);
absl::Status RunAnswer(Session& session);
absl::Status RunRefer(Session& session);

// Admin: the signed key directory (commands_admin.cc).
absl::Status RunDirectoryInit(Session& session);
absl::Status RunDirectoryAddUnit(Session& session);
absl::Status RunDirectoryRemoveUnit(Session& session);
absl::Status RunDirectoryAddAdviser(Session& session);
absl::Status RunDirectoryRemoveAdviser(Session& session);
absl::Status RunDirectorySign(Session& session);
absl::Status RunDirectoryRefresh(Session& session);
absl::Status RunDirectoryPublish(Session& session);
absl::Status RunDirectoryShow(Session& session);

// Admin calls to the relay (commands_admin_relay.cc): revocation, audit log,
// statistics, retention and backup.
absl::Status RunAdminRevoke(Session& session);
absl::Status RunAdminRevoked(Session& session);
absl::Status RunAdminUnrevoke(Session& session);
absl::Status RunAdminRelease(Session& session);
absl::Status RunAdminAudit(Session& session);
absl::Status RunAdminStats(Session& session);
absl::Status RunAdminPurge(Session& session);
absl::Status RunAdminBackup(Session& session);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_COMMANDS_H_
