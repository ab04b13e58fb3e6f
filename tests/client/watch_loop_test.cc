// The decisions of `samrad watch` (client/watch_loop.h) without a relay:
// what is new to the watcher, what a re-listing after a reconnection must
// print, the backoff, which errors end the watch, and --exec's environment.
#include "client/watch_loop.h"

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/file_util.h"
#include "client/localized_status.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace samrad::client {
namespace {

v1::ThreadSummary Thread(const std::string& id, v1::ThreadState state, uint64_t count,
                         int64_t activity, const std::string& claimed_by = "") {
  v1::ThreadSummary t;
  t.set_thread_id(id);
  t.set_unit("rc-kronoberg");
  t.set_state(state);
  t.set_message_count(count);
  t.set_last_activity_unix_ms(activity);
  t.set_claimed_by(claimed_by);
  t.mutable_metadata()->set_urgency(v1::URGENCY_NORMAL);
  return t;
}

TEST(WatchLoopTest, AnEventIsPrintedOnceAndALateCopyIsDropped) {
  SeenQueue seen;
  const v1::ThreadSummary fresh = Thread("a", v1::THREAD_STATE_OPEN, 1, 100);
  EXPECT_TRUE(IsNewToWatcher(seen, fresh));
  Remember(seen, fresh);
  EXPECT_FALSE(IsNewToWatcher(seen, fresh));  // the same event twice
  const v1::ThreadSummary claimed = Thread("a", v1::THREAD_STATE_CLAIMED, 1, 200, "a-1");
  EXPECT_TRUE(IsNewToWatcher(seen, claimed));
  Remember(seen, claimed);
  // The stream's copy of the older event, after a listing already showed the claim.
  EXPECT_FALSE(IsNewToWatcher(seen, fresh));
  // A second change in the same millisecond still counts.
  EXPECT_TRUE(IsNewToWatcher(seen, Thread("a", v1::THREAD_STATE_OPEN, 1, 200)));
}

TEST(WatchLoopTest, ReListingAfterAReconnectionPrintsOnlyWhatChanged) {
  SeenQueue seen;
  Remember(seen, Thread("a", v1::THREAD_STATE_ANSWERED, 2, 100, "a-1"));
  Remember(seen, Thread("b", v1::THREAD_STATE_OPEN, 1, 110));
  Remember(seen, Thread("c", v1::THREAD_STATE_OPEN, 1, 120));
  Remember(seen, Thread("gone", v1::THREAD_STATE_OPEN, 1, 90));

  v1::ThreadSummary follow_up = Thread("a", v1::THREAD_STATE_CLAIMED, 3, 300, "a-1");
  follow_up.set_last_sender_role(v1::SENDER_ROLE_PROFESSIONAL);
  const std::vector<v1::ThreadSummary> listing = {
      follow_up, Thread("b", v1::THREAD_STATE_OPEN, 1, 110),  // unchanged: not printed again
      Thread("c", v1::THREAD_STATE_CLAIMED, 1, 250, "a-2"),
      Thread("d", v1::THREAD_STATE_OPEN, 1, 200),  // opened while away
  };
  std::vector<std::string> vanished;
  std::vector<WatchEvent> events = DiffQueue(seen, listing, &vanished);
  ASSERT_EQ(events.size(), 3u);
  // Oldest activity first.
  EXPECT_EQ(events[0].thread.thread_id(), "d");
  EXPECT_EQ(events[0].kind, "new");
  EXPECT_EQ(events[1].thread.thread_id(), "c");
  EXPECT_EQ(events[1].kind, "claimed");
  EXPECT_EQ(events[2].thread.thread_id(), "a");
  EXPECT_EQ(events[2].kind, "follow-up");
  EXPECT_EQ(vanished, std::vector<std::string>{"gone"});

  // Once remembered, the same listing (or the stream's copies) prints nothing.
  for (const WatchEvent& event : events) Remember(seen, event.thread);
  EXPECT_TRUE(DiffQueue(seen, listing, nullptr).empty());
  EXPECT_FALSE(IsNewToWatcher(seen, follow_up));
}

TEST(WatchLoopTest, ChangeKindsSayWhatHappened) {
  SeenQueue seen;
  Remember(seen, Thread("a", v1::THREAD_STATE_OPEN, 1, 100));
  const SeenThread* open = &seen.at("a");
  v1::ThreadSummary answered = Thread("a", v1::THREAD_STATE_ANSWERED, 2, 200, "a-1");
  answered.set_last_sender_role(v1::SENDER_ROLE_ADVISER);
  EXPECT_EQ(ChangeKind(open, answered), "answered");
  EXPECT_EQ(ChangeKind(open, Thread("a", v1::THREAD_STATE_CLAIMED, 1, 200, "a-1")), "claimed");
  EXPECT_EQ(ChangeKind(open, Thread("a", v1::THREAD_STATE_CLOSED, 1, 200)), "closed");
  EXPECT_EQ(ChangeKind(nullptr, Thread("z", v1::THREAD_STATE_OPEN, 1, 200)), "new");
  Remember(seen, Thread("b", v1::THREAD_STATE_CLAIMED, 1, 100, "a-1"));
  EXPECT_EQ(ChangeKind(&seen.at("b"), Thread("b", v1::THREAD_STATE_OPEN, 1, 200)), "released");
  // Relays that did not record the last writer: the state tells.
  EXPECT_EQ(ChangeKind(&seen.at("b"), Thread("b", v1::THREAD_STATE_ANSWERED, 2, 200, "a-1")),
            "answered");
  EXPECT_EQ(ChangeKind(&seen.at("b"), Thread("b", v1::THREAD_STATE_CLAIMED, 2, 200, "a-1")),
            "follow-up");
}

TEST(WatchLoopTest, BackoffDoublesFromOneSecondToThirtyWithJitter) {
  using std::chrono::milliseconds;
  EXPECT_EQ(ReconnectDelay(0, 0.0), milliseconds(500));
  EXPECT_EQ(ReconnectDelay(0, 0.999), milliseconds(999));
  EXPECT_EQ(ReconnectDelay(1, 0.0), milliseconds(1000));
  EXPECT_EQ(ReconnectDelay(2, 1.0), milliseconds(4000));
  EXPECT_EQ(ReconnectDelay(4, 1.0), milliseconds(16000));
  EXPECT_EQ(ReconnectDelay(5, 1.0), milliseconds(30000));
  EXPECT_EQ(ReconnectDelay(1000, 1.0), milliseconds(30000));
  EXPECT_EQ(ReconnectDelay(1000, 0.0), milliseconds(15000));
}

TEST(WatchLoopTest, OnlyTransientErrorsReconnect) {
  EXPECT_TRUE(IsTransientWatchError(absl::UnavailableError("relay restarting")));
  EXPECT_TRUE(IsTransientWatchError(absl::ResourceExhaustedError("fell behind")));
  EXPECT_TRUE(IsTransientWatchError(absl::DeadlineExceededError("no answer")));
  EXPECT_FALSE(IsTransientWatchError(absl::UnauthenticatedError("revoked")));
  EXPECT_FALSE(IsTransientWatchError(absl::PermissionDeniedError("not an adviser")));
  EXPECT_FALSE(IsTransientWatchError(absl::InvalidArgumentError("bad request")));
}

TEST(WatchLoopTest, ExecGetsTheEventOnlyInItsEnvironment) {
  testing::TempDir dir;
  WatchEvent event{"new", Thread("0123456789abcdef0123456789abcdef", v1::THREAD_STATE_OPEN, 1, 1)};
  event.thread.mutable_metadata()->set_urgency(v1::URGENCY_ACUTE);
  // A unit name with shell syntax stays a value: nothing is interpolated.
  event.thread.set_unit("rc-x$(touch " + dir.File("pwned") + ")");
  const std::string out = dir.File("env.txt");
  ASSERT_TRUE(
      RunEventCommand(absl::StrCat("printf '%s|%s|%s|%s\\n' \"$SAMRAD_EVENT\" ",
                                   "\"$SAMRAD_REF\" \"$SAMRAD_ACUTE\" \"$SAMRAD_UNIT\" > ", out),
                      EventEnvironment(event), std::chrono::seconds(10))
          .ok());
  EXPECT_EQ(ReadFileToString(out).value_or(""),
            absl::StrCat("new|0123456789abcdef0123456789abcdef|1|", event.thread.unit(), "\n"));
  EXPECT_FALSE(PathExists(dir.File("pwned")));

  const absl::Status failed = RunEventCommand("exit 3", {}, std::chrono::seconds(10));
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("exited with 3"), std::string::npos) << failed;
  const Messages sv(Language::kSwedish);
  EXPECT_EQ(LocalizedText(failed, sv), "kommandot avslutades med slutkod 3") << failed;
  const auto start = std::chrono::steady_clock::now();
  const absl::Status slow = RunEventCommand("sleep 30", {}, std::chrono::milliseconds(300));
  EXPECT_EQ(slow.code(), absl::StatusCode::kDeadlineExceeded) << slow;
  EXPECT_EQ(LocalizedText(slow, sv), "kommandot körde längre än 0 s och stoppades") << slow;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace samrad::client
