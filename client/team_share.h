// Team access (DESIGN.md "Team access"): an adviser's client hands the
// content keys of its unit's open cases on to the unit's current advisers
// who cannot open them yet (an adviser enrolled after the case was opened),
// by re-wrapping each key to their directory keys and storing the wraps on
// the relay with ShareThread. No new key type: the relay stores wraps it
// cannot open, and an adviser removed from the directory gets no wrap of
// anything sealed or shared after the removal.
//
// Used by `samrad team share` and, when it sees a new directory epoch, by
// `samrad watch`.
//
// Thread-safety: the functions borrow their arguments (keys, directory,
// relay client) for the call only; call them from one thread per Session.
#ifndef SAMRAD_CLIENT_TEAM_SHARE_H_
#define SAMRAD_CLIENT_TEAM_SHARE_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/session.h"

namespace samrad::client {

// What ShareUnitBacklog did.
struct ShareReport {
  std::string unit;                // the sharing adviser's unit
  uint64_t cases_examined = 0;     // open (not closed) cases of the unit
  uint64_t cases_shared = 0;       // cases where the relay stored a new wrap
  uint64_t messages_shared = 0;    // messages that gained a wrap
  uint64_t wraps_added = 0;        // wraps the relay stored
  std::set<std::string> advisers;  // adviser ids that received a wrap
  // Cases not shared because they failed verification (CheckThreadIntegrity
  // has printed why on stderr); nothing of them was sent.
  std::vector<std::string> refused;
  // Messages whose content key this keystore cannot open (sealed before this
  // adviser joined and not shared with them yet); someone else must share.
  uint64_t messages_unreadable = 0;
};

// Shares every open case of the caller's unit with the unit's current
// advisers (from the verified directory) who are not yet recipients:
//   - lists the unit's OPEN, CLAIMED and ANSWERED cases (all pages);
//   - reads each whole case and verifies it as `show` does; a case that fails
//     (withheld, replaced or forged messages, a redirected unit) is never
//     shared and is listed in `refused`;
//   - for each verified message whose key this keystore opens, re-wraps the
//     content key to each current adviser of the unit whose key id is neither
//     among the envelope's recipients nor its extra recipients, and sends the
//     wraps with ShareThread. Content keys are wiped after use (inside
//     crypto::RewrapContentKey).
// Calls refused by the relay's rate limit are repeated after the wait the
// relay names. FAILED_PRECONDITION tagged kDirectory when the caller's
// current key is not listed for a unit in the directory. Another relay error
// ends the run with that error (cases shared so far stay shared).
[[nodiscard]] absl::StatusOr<ShareReport> ShareUnitBacklog(Session& session);

// Prints `report` (text or --json) on stdout.
void PrintShareReport(Session& session, const ShareReport& report);

// `samrad team share`: ShareUnitBacklog, then PrintShareReport; exit code 7
// (kDirectory) when a case was refused for failing verification.
[[nodiscard]] absl::Status RunTeamShare(Session& session);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_TEAM_SHARE_H_
