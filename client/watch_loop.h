// `samrad watch` for an adviser's queue: a watch that keeps watching.
//
// The loop subscribes to the relay's WatchQueue stream, then lists the
// unit's queue, and prints one line per event. When the stream ends for a
// transient reason (the relay restarted, the network dropped, the stream
// fell behind) it says so once, reconnects with exponential backoff and
// jitter (1 s doubling to 30 s), lists the queue again and prints only what
// changed since the last event it printed (no duplicates, no gaps), then
// says once that it is back. A permanent ending (revoked or unknown
// certificate, not allowed) ends the watch with its exit code. Every
// `refresh_period` the stream is renewed silently and the queue re-listed,
// which also catches a connection that died without a word and an event
// published in the instant between subscribing and listing.
//
// The decisions (what is new, what changed, how long to wait) are pure
// functions below so they can be tested without a relay. Not thread-safe.
#ifndef SAMRAD_CLIENT_WATCH_LOOP_H_
#define SAMRAD_CLIENT_WATCH_LOOP_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "client/session.h"
#include "proto/relay.pb.h"

namespace samrad::client {

// What the watch last printed (or took as its starting point) of a thread.
struct SeenThread {
  v1::ThreadState state = v1::THREAD_STATE_UNSPECIFIED;
  std::string claimed_by;
  std::string unit;
  uint64_t message_count = 0;
  int64_t last_activity_unix_ms = 0;
};
using SeenQueue = std::map<std::string, SeenThread>;

// One event as the watch prints it.
struct WatchEvent {
  std::string kind;  // "new", "follow-up", "claimed", "released", "answered", ...
  v1::ThreadSummary thread;
};

// The relay's event kinds as printed ("new", "follow-up", "referred-out", ...).
std::string QueueKindName(v1::QueueEvent::Kind kind);

// True when `thread` shows something `seen` does not have yet: an unknown
// thread, or a different state, claim, unit or message count that is not
// older (by last activity and message count) than what was printed.
bool IsNewToWatcher(const SeenQueue& seen, const v1::ThreadSummary& thread);

// Records `thread` as printed.
void Remember(SeenQueue& seen, const v1::ThreadSummary& thread);

// The kind of change from `before` (nullptr: never seen) to `after`: "new",
// "follow-up" / "answered" (more messages; by who wrote last), "closed",
// "claimed", "released", "answered", "referred-in", else "changed".
std::string ChangeKind(const SeenThread* before, const v1::ThreadSummary& after);

// The events that bring a watcher who printed `seen` up to `listing` (the
// unit's open, claimed and answered threads), oldest activity first. The ids
// in `seen` that `listing` lacks (closed or referred away meanwhile) go to
// `vanished`, sorted.
std::vector<WatchEvent> DiffQueue(const SeenQueue& seen,
                                  const std::vector<v1::ThreadSummary>& listing,
                                  std::vector<std::string>* vanished);

// The wait before reconnect attempt `attempt` (0 = the first after losing
// the relay): a ceiling of 1 s doubling per attempt up to 30 s, of which the
// upper half is random (`unit` in [0, 1) picks where).
std::chrono::milliseconds ReconnectDelay(int attempt, double unit);

// Whether a watch that ended with `status` should reconnect (the relay went
// away, timed out, or ended a stream that fell behind) rather than end
// (certificate refused or revoked, not allowed, bad request).
bool IsTransientWatchError(const absl::Status& status);

// The environment --exec passes for `event` (names SAMRAD_EVENT, SAMRAD_REF,
// SAMRAD_URGENCY, SAMRAD_CATEGORY, SAMRAD_COUNTY, SAMRAD_UNIT, SAMRAD_STATE,
// SAMRAD_CLAIMED_BY, SAMRAD_ACUTE). Metadata only, never content.
std::vector<std::pair<std::string, std::string>> EventEnvironment(const WatchEvent& event);

// Runs `command` with /bin/sh -c, with `env` added to this process's
// environment, stdin from /dev/null and its stdout sent to this process's
// stderr. Waits at most `timeout`, then kills its process group. The values
// travel only in the environment: nothing is interpolated into the command.
// OK when it exited 0; otherwise why not (the watch goes on).
[[nodiscard]] absl::Status RunEventCommand(
    const std::string& command, const std::vector<std::pair<std::string, std::string>>& env,
    std::chrono::milliseconds timeout);

// Called when the watch sees a directory epoch newer than the one it started
// with (checked on every (re)connection and refresh). The default re-verifies
// the directory and shares the unit's open cases with advisers the new epoch
// added (ShareUnitBacklog, client/team_share.h), saying so on stderr. A
// failure is printed and the watch goes on.
[[nodiscard]] absl::Status OnNewDirectoryEpoch(Session& session);

struct WatchOptions {
  // --exec: a command run once per event (empty: none).
  std::string exec;
  std::chrono::milliseconds exec_timeout{10000};
  // How often the stream is renewed and the queue re-listed.
  std::chrono::milliseconds refresh_period{std::chrono::minutes(5)};
  std::function<absl::Status(Session&)> on_new_directory_epoch = OnNewDirectoryEpoch;
};

// Watches the adviser's unit queue until a permanent error (returned, with
// its exit code) or the process is stopped. A relay that cannot be reached
// at the very start is an error at once (exit 3).
[[nodiscard]] absl::Status WatchQueueLoop(Session& session, const WatchOptions& options);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_WATCH_LOOP_H_
