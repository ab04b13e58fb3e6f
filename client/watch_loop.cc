#include "client/watch_loop.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <ostream>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/command_helpers.h"
#include "client/config.h"
#include "client/exit_codes.h"
#include "client/localized_status.h"
#include "client/team_share.h"
#include "client/values.h"
#include "crypto/directory.h"

extern char** environ;

namespace samrad::client {
namespace {

using Clock = std::chrono::steady_clock;

bool SameAsSeen(const SeenThread& seen, const v1::ThreadSummary& t) {
  return seen.state == t.state() && seen.claimed_by == t.claimed_by() && seen.unit == t.unit() &&
         seen.message_count == t.message_count() &&
         seen.last_activity_unix_ms == t.last_activity_unix_ms();
}

std::string FormatDuration(Clock::duration d) {
  return FormatAge(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

std::string QueueKindName(v1::QueueEvent::Kind kind) {
  switch (kind) {
    case v1::QueueEvent::KIND_NEW:
      return "new";
    case v1::QueueEvent::KIND_FOLLOW_UP:
      return "follow-up";
    case v1::QueueEvent::KIND_CLAIMED:
      return "claimed";
    case v1::QueueEvent::KIND_RELEASED:
      return "released";
    case v1::QueueEvent::KIND_ANSWERED:
      return "answered";
    case v1::QueueEvent::KIND_REFERRED_IN:
      return "referred-in";
    case v1::QueueEvent::KIND_REFERRED_OUT:
      return "referred-out";
    case v1::QueueEvent::KIND_CLOSED:
      return "closed";
    case v1::QueueEvent::KIND_HANDED_OVER:
      return "handed-over";
    default:
      return "unknown";
  }
}

bool IsNewToWatcher(const SeenQueue& seen, const v1::ThreadSummary& thread) {
  auto it = seen.find(thread.thread_id());
  if (it == seen.end()) return true;
  const SeenThread& before = it->second;
  // Older than what was printed: a late copy of an event a listing covered.
  if (thread.last_activity_unix_ms() < before.last_activity_unix_ms ||
      thread.message_count() < before.message_count) {
    return false;
  }
  return !SameAsSeen(before, thread);
}

void Remember(SeenQueue& seen, const v1::ThreadSummary& thread) {
  SeenThread& entry = seen[thread.thread_id()];
  entry.state = thread.state();
  entry.claimed_by = thread.claimed_by();
  entry.unit = thread.unit();
  entry.message_count = thread.message_count();
  entry.last_activity_unix_ms = thread.last_activity_unix_ms();
}

std::string ChangeKind(const SeenThread* before, const v1::ThreadSummary& after) {
  if (after.state() == v1::THREAD_STATE_CLOSED) return "closed";
  if (before == nullptr) return "new";
  if (before->unit != after.unit()) return "referred-in";
  if (after.message_count() > before->message_count) {
    const bool adviser_wrote = after.last_sender_role() == v1::SENDER_ROLE_ADVISER ||
                               (after.last_sender_role() == v1::SENDER_ROLE_UNSPECIFIED &&
                                after.state() == v1::THREAD_STATE_ANSWERED);
    return adviser_wrote ? "answered" : "follow-up";
  }
  if (after.state() != before->state || after.claimed_by() != before->claimed_by) {
    switch (after.state()) {
      case v1::THREAD_STATE_CLAIMED:
        return "claimed";
      case v1::THREAD_STATE_OPEN:
        return "released";
      case v1::THREAD_STATE_ANSWERED:
        return after.claimed_by() != before->claimed_by ? "claimed" : "answered";
      default:
        break;
    }
  }
  return "changed";
}

std::vector<WatchEvent> DiffQueue(const SeenQueue& seen,
                                  const std::vector<v1::ThreadSummary>& listing,
                                  std::vector<std::string>* vanished) {
  std::vector<WatchEvent> events;
  std::map<std::string, bool> listed;
  for (const v1::ThreadSummary& thread : listing) {
    listed[thread.thread_id()] = true;
    if (!IsNewToWatcher(seen, thread)) continue;
    auto it = seen.find(thread.thread_id());
    events.push_back({ChangeKind(it == seen.end() ? nullptr : &it->second, thread), thread});
  }
  std::stable_sort(events.begin(), events.end(), [](const WatchEvent& a, const WatchEvent& b) {
    return a.thread.last_activity_unix_ms() < b.thread.last_activity_unix_ms();
  });
  if (vanished != nullptr) {
    vanished->clear();
    for (const auto& [id, unused] : seen) {
      if (listed.count(id) == 0) vanished->push_back(id);
    }
  }
  return events;
}

std::chrono::milliseconds ReconnectDelay(int attempt, double unit) {
  constexpr int64_t kFirstMs = 1000;
  constexpr int64_t kCeilingMs = 30000;
  int64_t ceiling = kFirstMs;
  for (int i = 0; i < attempt && ceiling < kCeilingMs; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, kCeilingMs);
  const double clamped = std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(
      ceiling / 2 + static_cast<int64_t>(clamped * static_cast<double>(ceiling / 2)));
}

bool IsTransientWatchError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

std::vector<std::pair<std::string, std::string>> EventEnvironment(const WatchEvent& event) {
  const v1::ThreadSummary& t = event.thread;
  return {
      {"SAMRAD_EVENT", event.kind},
      {"SAMRAD_REF", t.thread_id()},
      {"SAMRAD_URGENCY", std::string(UrgencyName(t.metadata().urgency()))},
      {"SAMRAD_CATEGORY", std::string(CategoryName(t.metadata().category()))},
      {"SAMRAD_COUNTY", t.metadata().county()},
      {"SAMRAD_UNIT", t.unit()},
      {"SAMRAD_STATE", std::string(ThreadStateName(t.state()))},
      {"SAMRAD_CLAIMED_BY", t.claimed_by()},
      {"SAMRAD_ACUTE", t.metadata().urgency() == v1::URGENCY_ACUTE ? "1" : "0"},
  };
}

absl::Status RunEventCommand(const std::string& command,
                             const std::vector<std::pair<std::string, std::string>>& env,
                             std::chrono::milliseconds timeout) {
  // Everything the child needs is built before fork (no allocation after).
  std::vector<std::string> entries;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    bool replaced = false;
    for (const auto& [name, value] : env) replaced |= entry.rfind(name + "=", 0) == 0;
    if (!replaced) entries.push_back(std::move(entry));
  }
  for (const auto& [name, value] : env) {
    std::string clean = value;
    clean.erase(std::remove(clean.begin(), clean.end(), '\0'), clean.end());
    entries.push_back(absl::StrCat(name, "=", clean));
  }
  std::vector<char*> envp;
  for (std::string& entry : entries) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return Localized(absl::StatusCode::kInternal, Msg::kLzHookCannotStart);
  if (pid == 0) {
    ::setpgid(0, 0);
    const int in = ::open("/dev/null", O_RDONLY);
    if (in >= 0) ::dup2(in, STDIN_FILENO);
    ::dup2(STDERR_FILENO, STDOUT_FILENO);  // stdout stays the watch's own
    const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
    ::execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // as the child does, whichever runs first
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      return Localized(absl::StatusCode::kInternal, Msg::kLzHookCannotWait);
    }
    if (Clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return Localized(absl::StatusCode::kDeadlineExceeded, Msg::kLzHookTimedOut,
                       {absl::StrCat(timeout.count() / 1000)});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  if (WIFEXITED(status)) {
    return Localized(absl::StatusCode::kUnknown, Msg::kLzHookExited,
                     {absl::StrCat(WEXITSTATUS(status))});
  }
  return Localized(absl::StatusCode::kUnknown, Msg::kLzHookSignal);
}

absl::Status OnNewDirectoryEpoch(Session& session) {
  session.ForgetVerifiedDirectory();  // share with the advisers of the new epoch
  absl::StatusOr<ShareReport> report = ShareUnitBacklog(session);
  if (!report.ok()) return report.status();
  if (report->cases_shared > 0) {  // on stderr: stdout carries the events (--json)
    session.err() << session.msg().Format(
                         Msg::kTeamShared, report->cases_shared, report->messages_shared,
                         absl::StrJoin(report->advisers, ", "), report->cases_examined)
                  << "\n";
  }
  return absl::OkStatus();
}

namespace {

// The epoch of the directory the relay serves now, verified under the pinned
// key (nothing of it is remembered).
absl::StatusOr<uint64_t> PublishedEpoch(Session& session, RelayClient& relay) {
  absl::StatusOr<const v1::ClientProfile*> profile = session.Profile();
  if (!profile.ok()) return profile.status();
  absl::StatusOr<crypto::Ed25519PublicKey> pinned = PinnedDirectoryKey(**profile);
  if (!pinned.ok()) return pinned.status();
  v1::SignedDirectory signed_directory;
  absl::Status fetched = relay.Call(Msg::kActionFetchDirectory, [&](auto& context) {
    return relay.stub().GetDirectory(&context, v1::GetDirectoryRequest(), &signed_directory);
  });
  if (!fetched.ok()) return fetched;
  absl::StatusOr<v1::KeyDirectory> directory = crypto::VerifyDirectory(signed_directory, *pinned);
  if (!directory.ok()) return directory.status();
  return directory->epoch();
}

class QueueWatch {
 public:
  QueueWatch(Session& session, RelayClient& relay, const WatchOptions& options)
      : session_(session), relay_(relay), options_(options), random_(std::random_device()()) {}

  absl::Status Run() {
    int attempt = 0;
    while (true) {
      absl::Status ended = Connection();
      if (!connected_once_ || !IsTransientWatchError(ended)) return ended;
      if (renewed_) {  // our own refresh deadline: not a loss
        attempt = 0;
        continue;
      }
      const std::chrono::milliseconds wait =
          ReconnectDelay(attempt++, std::uniform_real_distribution<double>(0, 1)(random_));
      if (!lost_) {
        lost_ = true;
        lost_at_ = Clock::now();
        session_.err() << session_.msg().Format(Msg::kWatchLost, UserText(ended, session_.msg()),
                                                (wait.count() + 999) / 1000)
                       << "\n";
        session_.err().flush();
      }
      std::this_thread::sleep_for(wait);
    }
  }

 private:
  // One subscription: subscribe, list and catch up, then read live events
  // until the stream ends. Returns why it ended.
  absl::Status Connection() {
    renewed_ = false;
    std::unique_ptr<grpc::ClientContext> context = relay_.NewStreamContext();
    const auto renew_at = std::chrono::system_clock::now() + options_.refresh_period;
    context->set_deadline(renew_at);
    // Subscribed before listing, so a change falls in one or the other
    // (or both: IsNewToWatcher drops the second copy).
    auto stream = relay_.stub().WatchQueue(context.get(), v1::WatchQueueRequest());
    absl::StatusOr<std::vector<v1::ThreadSummary>> listing = ListWholeQueue(
        session_, {v1::THREAD_STATE_OPEN, v1::THREAD_STATE_CLAIMED, v1::THREAD_STATE_ANSWERED});
    if (!listing.ok()) {
      context->TryCancel();
      (void)stream->Finish();
      return listing.status();
    }
    if (!connected_once_) {
      for (const v1::ThreadSummary& thread : *listing) Remember(seen_, thread);
      connected_once_ = true;
      // On stderr also with --json: scripts may wait for it; stdout stays events.
      session_.err() << session_.msg().Format(Msg::kWatching) << "\n";
      session_.err().flush();
    } else {
      CatchUp(*listing);
    }
    CheckDirectory();
    v1::QueueEvent event;
    while (stream->Read(&event)) {
      if (!IsNewToWatcher(seen_, event.thread())) continue;
      Remember(seen_, event.thread());
      Emit({QueueKindName(event.kind()), event.thread()});
    }
    absl::Status ended = relay_.MapStatus(Msg::kActionWatchQueue, stream->Finish());
    renewed_ = ended.code() == absl::StatusCode::kDeadlineExceeded &&
               std::chrono::system_clock::now() >= renew_at;
    return ended;
  }

  // After a reconnection (or a refresh): prints what changed meanwhile.
  void CatchUp(const std::vector<v1::ThreadSummary>& listing) {
    std::vector<std::string> vanished;
    std::vector<WatchEvent> events = DiffQueue(seen_, listing, &vanished);
    for (const std::string& id : vanished) {
      std::optional<WatchEvent> gone = Vanished(id);
      seen_.erase(id);
      if (gone.has_value()) events.push_back(*std::move(gone));
    }
    if (lost_) {
      session_.err() << session_.msg().Format(Msg::kWatchRegained,
                                              FormatDuration(Clock::now() - lost_at_),
                                              events.size())
                     << "\n";
      session_.err().flush();
      lost_ = false;
    }
    for (WatchEvent& event : events) {
      Remember(seen_, event.thread);
      Emit(event);
    }
  }

  // A thread that left the listing: closed, or referred to another unit
  // (then the relay no longer shows it to this unit).
  std::optional<WatchEvent> Vanished(const std::string& id) {
    v1::ThreadSummary last;
    last.set_thread_id(id);
    const SeenThread& seen = seen_.at(id);
    last.set_unit(seen.unit);
    last.set_state(seen.state);
    last.set_claimed_by(seen.claimed_by);
    last.set_message_count(seen.message_count);
    last.set_last_activity_unix_ms(seen.last_activity_unix_ms);
    v1::ThreadView view;
    absl::Status status = relay_.CallWithRetry(Msg::kActionReadCase, [&](auto& context) {
      v1::GetThreadRequest request;
      request.set_thread_id(id);
      request.set_after_sequence(~uint64_t{0} >> 1);  // the summary only
      return relay_.stub().GetThread(&context, request, &view);
    });
    if (status.ok()) {
      if (!IsNewToWatcher(seen_, view.summary())) return std::nullopt;
      return WatchEvent{ChangeKind(&seen, view.summary()), view.summary()};
    }
    if (status.code() == absl::StatusCode::kNotFound) return WatchEvent{"referred-out", last};
    return std::nullopt;
  }

  void CheckDirectory() {
    absl::StatusOr<uint64_t> epoch = PublishedEpoch(session_, relay_);
    if (!epoch.ok()) return;  // the commands that need it will say why
    if (epoch_ == 0) {
      epoch_ = *epoch;
      return;
    }
    if (*epoch <= epoch_) return;
    epoch_ = *epoch;
    if (absl::Status s = options_.on_new_directory_epoch(session_); !s.ok()) {
      session_.err() << session_.msg().Format(Msg::kWatchHookFailed, epoch_,
                                              UserText(s, session_.msg()))
                     << "\n";
    }
  }

  void Emit(const WatchEvent& event) {
    const v1::ThreadSummary& t = event.thread;
    const bool acute = t.metadata().urgency() == v1::URGENCY_ACUTE;
    Json json = SummaryJson(t);
    json.Set("event", event.kind);
    json.Set("acute", acute);
    // For people, every word in their language; the JSON and SAMRAD_EVENT
    // keep the English tokens (a stable interface for scripts).
    const Messages& m = session_.msg();
    std::string line =
        absl::StrCat(TokenText(ValueKind::kWatchEvent, event.kind, m), "  ", t.thread_id(), "  ",
                     ValueText(t.metadata().urgency(), m), "  ",
                     ValueText(t.metadata().category(), m), "  ", t.metadata().county(), "  ",
                     ValueText(t.state(), m), t.claimed_by().empty() ? "" : "  " + t.claimed_by());
    if (acute) {
      line = absl::StrCat("!!! ", session_.msg().Format(Msg::kWatchAcute), " !!!  ", line);
      if (::isatty(STDOUT_FILENO) == 1) line += "\a";
    }
    session_.Print(json, line + "\n");
    session_.out().flush();
    if (options_.exec.empty()) return;
    if (absl::Status s =
            RunEventCommand(options_.exec, EventEnvironment(event), options_.exec_timeout);
        !s.ok()) {
      session_.err() << session_.msg().Format(Msg::kWatchExecFailed, t.thread_id(),
                                              UserText(s, session_.msg()))
                     << "\n";
    }
  }

  Session& session_;
  RelayClient& relay_;
  const WatchOptions& options_;
  std::mt19937_64 random_;
  SeenQueue seen_;
  bool connected_once_ = false;
  bool renewed_ = false;
  bool lost_ = false;
  Clock::time_point lost_at_;
  uint64_t epoch_ = 0;
};

}  // namespace

absl::Status WatchQueueLoop(Session& session, const WatchOptions& options) {
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  QueueWatch watch(session, **relay, options);
  return watch.Run();
}

}  // namespace samrad::client
