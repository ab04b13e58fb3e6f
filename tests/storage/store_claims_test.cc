// The thread state machine of docs/DESIGN.md ("Thread lifecycle and
// queue"), one test per transition: every start state × every event, as the
// Store applies it (real RocksDB in a temp directory). Then the claim rules
// in detail: take-over audit and race, handover, force-release and the
// claims freed with a revocation (atomic, durable, audited).
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "tests/storage/test_util.h"

namespace samrad::storage {
namespace {

using ::testing::HasSubstr;
using namespace samrad::storage::testing;  // NOLINT: test helpers

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr char kUnit[] = "unit-a";
constexpr char kMe[] = "adv-1";     // the adviser who acts
constexpr char kOther[] = "adv-2";  // another adviser of the unit
constexpr char kThird[] = "adv-3";  // handover target
constexpr char kThread[] = "t1";

class ClaimStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kek_ = RandomKek();
    Reopen();
  }

  StoreOptions Options() {
    StoreOptions options;
    options.data_dir = dir_.path() + "/db";
    options.kek = kek_.Clone();
    options.clock = [] { return kT0; };
    return options;
  }

  void Reopen() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Options());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  void Create(const std::string& id = kThread) {
    ASSERT_TRUE(
        CreateThreadSync(*store_, MakeThread(id, kUnit), ProfessionalMessage(id, id + "-m1", 1))
            .ok());
  }

  v1::ThreadRecord Thread(const std::string& id = kThread) {
    absl::StatusOr<v1::ThreadRecord> thread = store_->GetThread(id);
    EXPECT_TRUE(thread.ok()) << thread.status();
    return thread.ok() ? *thread : v1::ThreadRecord();
  }

  uint64_t NextSequence(const std::string& id = kThread) { return Thread(id).last_sequence() + 1; }

  // A fresh message id per call.
  std::string NewMessageId() { return absl::StrCat("m", ++message_ids_); }

  absl::StatusOr<v1::ThreadRecord> Claim(const std::string& adviser,
                                         const std::string& id = kThread) {
    return Await<v1::ThreadRecord>([&](Callback<v1::ThreadRecord> done) {
      store_->Claim(id, kUnit, adviser, std::nullopt, std::move(done));
    });
  }
  absl::StatusOr<v1::ThreadRecord> Release(const std::string& adviser) {
    return Await<v1::ThreadRecord>([&](Callback<v1::ThreadRecord> done) {
      store_->Release(kThread, kUnit, adviser, std::nullopt, std::move(done));
    });
  }
  absl::StatusOr<v1::ThreadRecord> Handover(const std::string& from, const std::string& to) {
    return Await<v1::ThreadRecord>([&](Callback<v1::ThreadRecord> done) {
      store_->Handover(kThread, kUnit, from, to,
                       AuditDraft{"adviser", from, "handover", kThread, ""}, std::move(done));
    });
  }
  absl::StatusOr<Appended> Answer(const std::string& adviser, bool take_over,
                                  const std::string& id = kThread) {
    v1::StoredMessage message = AdviserMessage(id, NewMessageId(), NextSequence(id), adviser);
    return Await<Appended>([&](Callback<Appended> done) {
      if (take_over) {
        store_->AppendTakingOver(message, AuditDraft{"adviser", adviser, "answer", id, ""},
                                 AuditDraft{"adviser", adviser, "take_over", id, ""},
                                 std::move(done));
      } else {
        store_->AppendMessage(message, AuditDraft{"adviser", adviser, "answer", id, ""},
                              std::move(done));
      }
    });
  }
  absl::StatusOr<Appended> FollowUp() {
    return AppendSync(*store_, ProfessionalMessage(kThread, NewMessageId(), NextSequence()));
  }
  absl::StatusOr<v1::ThreadRecord> Refer() {
    absl::StatusOr<std::vector<v1::StoredMessage>> messages = store_->ListMessages(kThread, 0, 0);
    if (!messages.ok()) return messages.status();
    std::map<std::string, std::vector<v1::WrappedKey>> rewraps;
    for (const v1::StoredMessage& message : *messages) rewraps[message.message_id()] = {};
    return Await<v1::ThreadRecord>([&](Callback<v1::ThreadRecord> done) {
      store_->Refer(kThread, kUnit, "unit-b", rewraps, std::nullopt, std::nullopt, std::move(done));
    });
  }
  absl::StatusOr<v1::ThreadRecord> ForceRelease(const std::string& id = kThread) {
    return Await<v1::ThreadRecord>([&](Callback<v1::ThreadRecord> done) {
      store_->ForceRelease(id, kUnit, AuditDraft{"admin", "ops-1", "force_release", id, ""},
                           std::move(done));
    });
  }
  absl::StatusOr<std::vector<v1::ThreadRecord>> Revoke(const std::string& serial,
                                                       const std::string& adviser) {
    v1::RevocationRecord record;
    record.set_serial_hex(serial);
    return Await<std::vector<v1::ThreadRecord>>([&](Callback<std::vector<v1::ThreadRecord>> done) {
      store_->RevokeAndReleaseClaims(record, AuditDraft{"admin", "ops-1", "revoke", "", ""}, kUnit,
                                     adviser, AuditDraft{"admin", "ops-1", "force_release", "", ""},
                                     std::move(done));
    });
  }
  absl::StatusOr<v1::ThreadRecord> Close() {
    return Await<v1::ThreadRecord>([&](Callback<v1::ThreadRecord> done) {
      store_->Close(kThread, kUnit, std::nullopt, std::move(done));
    });
  }

  std::vector<v1::AuditEntry> AuditWith(const std::string& action) {
    absl::StatusOr<std::vector<v1::AuditEntry>> entries = store_->ReadAudit(0, 0, 1000);
    EXPECT_TRUE(entries.ok()) << entries.status();
    std::vector<v1::AuditEntry> out;
    if (!entries.ok()) return out;
    for (const v1::AuditEntry& entry : *entries) {
      if (entry.action() == action) out.push_back(entry);
    }
    return out;
  }

  TempDir dir_;
  crypto::SecretBytes kek_;
  std::unique_ptr<Store> store_;
  int message_ids_ = 0;
};

// ---- The state machine, one test per (start state, event) ----

enum class Start { kOpen, kClaimedByMe, kClaimedByOther, kAnsweredByMe, kAnsweredByOther, kClosed };
enum class Event {
  kClaim,
  kRelease,
  kHandover,
  kTakeOver,
  kAnswer,
  kFollowUp,
  kRefer,
  kForceRelease,
  kRevoke,
  kClose
};

struct Transition {
  Start start;
  Event event;
  // OK: the state and holder after the event. Otherwise the code, and the
  // thread must be exactly as before.
  absl::StatusCode code;
  v1::ThreadState next;
  std::string holder;
};

std::string StartName(Start start) {
  switch (start) {
    case Start::kOpen:
      return "Open";
    case Start::kClaimedByMe:
      return "ClaimedByMe";
    case Start::kClaimedByOther:
      return "ClaimedByOther";
    case Start::kAnsweredByMe:
      return "AnsweredByMe";
    case Start::kAnsweredByOther:
      return "AnsweredByOther";
    case Start::kClosed:
      return "Closed";
  }
  return "";
}

std::string EventName(Event event) {
  switch (event) {
    case Event::kClaim:
      return "Claim";
    case Event::kRelease:
      return "Release";
    case Event::kHandover:
      return "Handover";
    case Event::kTakeOver:
      return "TakeOver";
    case Event::kAnswer:
      return "Answer";
    case Event::kFollowUp:
      return "FollowUp";
    case Event::kRefer:
      return "Referral";
    case Event::kForceRelease:
      return "ForceRelease";
    case Event::kRevoke:
      return "RevokeMe";
    case Event::kClose:
      return "Close";
  }
  return "";
}

class TransitionTest : public ClaimStoreTest, public ::testing::WithParamInterface<Transition> {
 protected:
  void Enter(Start start) {
    Create();
    switch (start) {
      case Start::kOpen:
        return;
      case Start::kClaimedByMe:
        ASSERT_TRUE(Claim(kMe).ok());
        return;
      case Start::kClaimedByOther:
        ASSERT_TRUE(Claim(kOther).ok());
        return;
      case Start::kAnsweredByMe:
        ASSERT_TRUE(Answer(kMe, false).ok());
        return;
      case Start::kAnsweredByOther:
        ASSERT_TRUE(Answer(kOther, false).ok());
        return;
      case Start::kClosed:
        ASSERT_TRUE(Close().ok());
        return;
    }
  }

  // The event, by kMe where an adviser acts.
  absl::Status Apply(Event event) {
    switch (event) {
      case Event::kClaim:
        return Claim(kMe).status();
      case Event::kRelease:
        return Release(kMe).status();
      case Event::kHandover:
        return Handover(kMe, kThird).status();
      case Event::kTakeOver:
        return Answer(kMe, true).status();
      case Event::kAnswer:
        return Answer(kMe, false).status();
      case Event::kFollowUp:
        return FollowUp().status();
      case Event::kRefer:
        return Refer().status();
      case Event::kForceRelease:
        return ForceRelease().status();
      case Event::kRevoke:
        return Revoke("0A", kMe).status();
      case Event::kClose:
        return Close().status();
    }
    return absl::InternalError("unknown event");
  }
};

TEST_P(TransitionTest, LeadsToTheDocumentedStateOrError) {
  const Transition& t = GetParam();
  ASSERT_NO_FATAL_FAILURE(Enter(t.start));
  const v1::ThreadRecord before = Thread();
  const absl::Status status = Apply(t.event);
  const v1::ThreadRecord after = Thread();
  ASSERT_EQ(status.code(), t.code) << status;
  if (t.code != absl::StatusCode::kOk) {
    EXPECT_EQ(after.state(), before.state());
    EXPECT_EQ(after.claimed_by(), before.claimed_by());
    EXPECT_EQ(after.last_sequence(), before.last_sequence());
    EXPECT_EQ(after.unit(), before.unit());
    return;
  }
  EXPECT_EQ(after.state(), t.next) << v1::ThreadState_Name(after.state());
  EXPECT_EQ(after.claimed_by(), t.holder);
}

constexpr absl::StatusCode kOk = absl::StatusCode::kOk;
constexpr absl::StatusCode kRefused = absl::StatusCode::kFailedPrecondition;
constexpr v1::ThreadState kOpen = v1::THREAD_STATE_OPEN;
constexpr v1::ThreadState kClaimed = v1::THREAD_STATE_CLAIMED;
constexpr v1::ThreadState kAnswered = v1::THREAD_STATE_ANSWERED;
constexpr v1::ThreadState kClosed = v1::THREAD_STATE_CLOSED;
constexpr v1::ThreadState kSame = v1::THREAD_STATE_UNSPECIFIED;  // unused on errors

// docs/DESIGN.md, "Thread lifecycle and queue": keep the two in step.
const Transition kTransitions[] = {
    // OPEN (unclaimed)
    {Start::kOpen, Event::kClaim, kOk, kClaimed, kMe},
    {Start::kOpen, Event::kRelease, kRefused, kSame, ""},
    {Start::kOpen, Event::kHandover, kRefused, kSame, ""},
    {Start::kOpen, Event::kTakeOver, kOk, kAnswered, kMe},
    {Start::kOpen, Event::kAnswer, kOk, kAnswered, kMe},
    {Start::kOpen, Event::kFollowUp, kOk, kOpen, ""},
    {Start::kOpen, Event::kRefer, kOk, kOpen, ""},
    {Start::kOpen, Event::kForceRelease, kRefused, kSame, ""},
    {Start::kOpen, Event::kRevoke, kOk, kOpen, ""},
    {Start::kOpen, Event::kClose, kOk, kClosed, ""},
    // CLAIMED by the acting adviser
    {Start::kClaimedByMe, Event::kClaim, kOk, kClaimed, kMe},
    {Start::kClaimedByMe, Event::kRelease, kOk, kOpen, ""},
    {Start::kClaimedByMe, Event::kHandover, kOk, kClaimed, kThird},
    {Start::kClaimedByMe, Event::kTakeOver, kOk, kAnswered, kMe},
    {Start::kClaimedByMe, Event::kAnswer, kOk, kAnswered, kMe},
    {Start::kClaimedByMe, Event::kFollowUp, kOk, kClaimed, kMe},
    {Start::kClaimedByMe, Event::kRefer, kOk, kOpen, ""},
    {Start::kClaimedByMe, Event::kForceRelease, kOk, kOpen, ""},
    {Start::kClaimedByMe, Event::kRevoke, kOk, kOpen, ""},
    {Start::kClaimedByMe, Event::kClose, kOk, kClosed, ""},
    // CLAIMED by another adviser
    {Start::kClaimedByOther, Event::kClaim, kRefused, kSame, ""},
    {Start::kClaimedByOther, Event::kRelease, kRefused, kSame, ""},
    {Start::kClaimedByOther, Event::kHandover, kRefused, kSame, ""},
    {Start::kClaimedByOther, Event::kTakeOver, kOk, kAnswered, kMe},
    {Start::kClaimedByOther, Event::kAnswer, kRefused, kSame, ""},
    {Start::kClaimedByOther, Event::kFollowUp, kOk, kClaimed, kOther},
    {Start::kClaimedByOther, Event::kRefer, kOk, kOpen, ""},
    {Start::kClaimedByOther, Event::kForceRelease, kOk, kOpen, ""},
    {Start::kClaimedByOther, Event::kRevoke, kOk, kClaimed, kOther},
    {Start::kClaimedByOther, Event::kClose, kOk, kClosed, ""},
    // ANSWERED, claim held by the acting adviser
    {Start::kAnsweredByMe, Event::kClaim, kOk, kAnswered, kMe},
    {Start::kAnsweredByMe, Event::kRelease, kOk, kOpen, ""},
    {Start::kAnsweredByMe, Event::kHandover, kOk, kAnswered, kThird},
    {Start::kAnsweredByMe, Event::kTakeOver, kOk, kAnswered, kMe},
    {Start::kAnsweredByMe, Event::kAnswer, kOk, kAnswered, kMe},
    {Start::kAnsweredByMe, Event::kFollowUp, kOk, kClaimed, kMe},
    {Start::kAnsweredByMe, Event::kRefer, kOk, kOpen, ""},
    {Start::kAnsweredByMe, Event::kForceRelease, kOk, kOpen, ""},
    {Start::kAnsweredByMe, Event::kRevoke, kOk, kOpen, ""},
    {Start::kAnsweredByMe, Event::kClose, kOk, kClosed, ""},
    // ANSWERED, claim held by another adviser
    {Start::kAnsweredByOther, Event::kClaim, kRefused, kSame, ""},
    {Start::kAnsweredByOther, Event::kRelease, kRefused, kSame, ""},
    {Start::kAnsweredByOther, Event::kHandover, kRefused, kSame, ""},
    {Start::kAnsweredByOther, Event::kTakeOver, kOk, kAnswered, kMe},
    {Start::kAnsweredByOther, Event::kAnswer, kRefused, kSame, ""},
    {Start::kAnsweredByOther, Event::kFollowUp, kOk, kClaimed, kOther},
    {Start::kAnsweredByOther, Event::kRefer, kOk, kOpen, ""},
    {Start::kAnsweredByOther, Event::kForceRelease, kOk, kOpen, ""},
    {Start::kAnsweredByOther, Event::kRevoke, kOk, kAnswered, kOther},
    {Start::kAnsweredByOther, Event::kClose, kOk, kClosed, ""},
    // CLOSED: final
    {Start::kClosed, Event::kClaim, kRefused, kSame, ""},
    {Start::kClosed, Event::kRelease, kRefused, kSame, ""},
    {Start::kClosed, Event::kHandover, kRefused, kSame, ""},
    {Start::kClosed, Event::kTakeOver, kRefused, kSame, ""},
    {Start::kClosed, Event::kAnswer, kRefused, kSame, ""},
    {Start::kClosed, Event::kFollowUp, kRefused, kSame, ""},
    {Start::kClosed, Event::kRefer, kRefused, kSame, ""},
    {Start::kClosed, Event::kForceRelease, kRefused, kSame, ""},
    {Start::kClosed, Event::kRevoke, kOk, kClosed, ""},
    {Start::kClosed, Event::kClose, kRefused, kSame, ""},
};

INSTANTIATE_TEST_SUITE_P(StateMachine, TransitionTest, ::testing::ValuesIn(kTransitions),
                         [](const ::testing::TestParamInfo<Transition>& info) {
                           return StartName(info.param.start) + "_" + EventName(info.param.event);
                         });

// ---- The claim rules in detail ----

TEST_F(ClaimStoreTest, AnswerOnAnotherAdvisersClaimNamesTheHolder) {
  Create();
  ASSERT_TRUE(Claim(kOther).ok());
  absl::StatusOr<Appended> answer = Answer(kMe, false);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(answer.status().message(), HasSubstr("is claimed by adviser adv-2;"));
  EXPECT_TRUE(AuditWith("answer").empty()) << "a refused answer leaves no audit entry";
}

TEST_F(ClaimStoreTest, TakeOverMovesTheClaimWithTheAnswerAndIsAudited) {
  Create();
  ASSERT_TRUE(Claim(kOther).ok());
  absl::StatusOr<Appended> answer = Answer(kMe, true);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->taken_from, kOther);
  EXPECT_EQ(answer->thread.claimed_by(), kMe);
  const std::vector<v1::AuditEntry> take_overs = AuditWith("take_over");
  ASSERT_EQ(take_overs.size(), 1u);
  EXPECT_EQ(take_overs[0].actor_id(), kMe);
  EXPECT_EQ(take_overs[0].thread_id(), kThread);
  EXPECT_EQ(take_overs[0].detail(), "from=adv-2");
  EXPECT_EQ(AuditWith("answer").size(), 1u);
  EXPECT_TRUE(store_->VerifyAuditChain().ok());
}

TEST_F(ClaimStoreTest, TakeOverWithoutAnotherHolderWritesNoTakeOverEntry) {
  Create();
  absl::StatusOr<Appended> answer = Answer(kMe, true);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_TRUE(answer->taken_from.empty());
  EXPECT_TRUE(AuditWith("take_over").empty());
}

TEST_F(ClaimStoreTest, TakeOverRefusesAProfessionalMessage) {
  Create();
  absl::StatusOr<Appended> result = Await<Appended>([&](Callback<Appended> done) {
    store_->AppendTakingOver(ProfessionalMessage(kThread, "p2", 2), std::nullopt,
                             AuditDraft{"adviser", kMe, "take_over", kThread, ""}, std::move(done));
  });
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
}

// Two advisers take over the same case at once, each with the sequence they
// read: exactly one answer lands, the case is ANSWERED and held by its
// author, the other is refused naming the sequence conflict.
TEST_F(ClaimStoreTest, TakeOverRaceEndsInOneValidState) {
  for (int round = 0; round < 10; ++round) {
    const std::string id = absl::StrCat("race", round);
    Create(id);
    ASSERT_TRUE(Claim(kMe, id).ok());
    const uint64_t sequence = NextSequence(id);
    std::vector<absl::StatusOr<Appended>> results(2, absl::UnknownError("not run"));
    std::atomic<bool> go{false};
    std::vector<std::thread> racers;
    for (int i = 0; i < 2; ++i) {
      racers.emplace_back([&, i] {
        const std::string adviser = i == 0 ? kOther : kThird;
        v1::StoredMessage message =
            AdviserMessage(id, absl::StrCat(id, "-", adviser), sequence, adviser);
        while (!go.load()) std::this_thread::yield();
        results[i] = Await<Appended>([&](Callback<Appended> done) {
          store_->AppendTakingOver(message, std::nullopt,
                                   AuditDraft{"adviser", adviser, "take_over", id, ""},
                                   std::move(done));
        });
      });
    }
    go = true;
    for (std::thread& racer : racers) racer.join();
    ASSERT_NE(results[0].ok(), results[1].ok()) << results[0].status() << results[1].status();
    const int winner = results[0].ok() ? 0 : 1;
    const absl::Status& lost = results[1 - winner].status();
    EXPECT_EQ(lost.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(lost.message(), HasSubstr("out of order"));
    const v1::ThreadRecord thread = Thread(id);
    EXPECT_EQ(thread.state(), v1::THREAD_STATE_ANSWERED);
    EXPECT_EQ(thread.claimed_by(), winner == 0 ? kOther : kThird);
    EXPECT_EQ(thread.last_sequence(), sequence);
  }
}

TEST_F(ClaimStoreTest, HandoverRefusesItsOwnHolderAndAnEmptyTarget) {
  Create();
  ASSERT_TRUE(Claim(kMe).ok());
  EXPECT_EQ(Handover(kMe, kMe).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Handover(kMe, "").status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<v1::ThreadRecord> by_other = Handover(kOther, kThird);
  EXPECT_EQ(by_other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(by_other.status().message(), HasSubstr("is claimed by adviser adv-1;"));
  EXPECT_EQ(Thread().claimed_by(), kMe);
}

TEST_F(ClaimStoreTest, HandoverOfAThreadOfAnotherUnitIsNotFound) {
  Create();
  ASSERT_TRUE(Claim(kMe).ok());
  absl::StatusOr<v1::ThreadRecord> result = Await<v1::ThreadRecord>([&](auto done) {
    store_->Handover(kThread, "unit-b", kMe, kThird, std::nullopt, std::move(done));
  });
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ClaimStoreTest, ForceReleaseNamesTheHolderInTheAuditAndRefusesAnUnclaimedCase) {
  Create();
  absl::StatusOr<v1::ThreadRecord> unclaimed = ForceRelease();
  EXPECT_EQ(unclaimed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unclaimed.status().message(), HasSubstr("not claimed by anyone"));
  ASSERT_TRUE(Claim(kOther).ok());
  ASSERT_TRUE(ForceRelease().ok());
  const std::vector<v1::AuditEntry> entries = AuditWith("force_release");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].detail(), "holder=adv-2");
  EXPECT_EQ(entries[0].actor_role(), "admin");
}

TEST_F(ClaimStoreTest, RevocationFreesEveryClaimOfThatAdviserInOneDurableWrite) {
  for (const char* id : {"a", "b", "c", "d"}) Create(id);
  ASSERT_TRUE(Claim(kMe, "a").ok());
  ASSERT_TRUE(Answer(kMe, false, "b").ok());  // ANSWERED, held by kMe
  ASSERT_TRUE(Claim(kOther, "c").ok());       // someone else's: stays
  absl::StatusOr<std::vector<v1::ThreadRecord>> freed = Revoke("0A", kMe);
  ASSERT_TRUE(freed.ok()) << freed.status();
  std::vector<std::string> ids;
  for (const v1::ThreadRecord& thread : *freed) ids.push_back(thread.thread_id());
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre("a", "b"));
  ASSERT_NO_FATAL_FAILURE(Reopen());  // what the callback saw is on disk
  EXPECT_EQ(Thread("a").state(), v1::THREAD_STATE_OPEN);
  EXPECT_EQ(Thread("a").claimed_by(), "");
  EXPECT_EQ(Thread("b").state(), v1::THREAD_STATE_OPEN);
  EXPECT_EQ(Thread("c").claimed_by(), kOther);
  EXPECT_EQ(Thread("d").state(), v1::THREAD_STATE_OPEN);
  absl::StatusOr<bool> revoked = store_->IsRevoked("0A");
  ASSERT_TRUE(revoked.ok());
  EXPECT_TRUE(*revoked);
  const std::vector<v1::AuditEntry> releases = AuditWith("force_release");
  ASSERT_EQ(releases.size(), 2u);
  for (const v1::AuditEntry& entry : releases) EXPECT_EQ(entry.detail(), "holder=adv-1");
  EXPECT_EQ(AuditWith("revoke").size(), 1u);
  EXPECT_TRUE(store_->VerifyAuditChain().ok());
  // The freed cases are in the queue again, for anyone of the unit.
  QueueQuery query;
  query.unit = kUnit;
  query.states = {v1::THREAD_STATE_OPEN};
  absl::StatusOr<QueuePageResult> open = store_->ListQueue(query);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->threads.size(), 3u);
  EXPECT_TRUE(Claim(kOther, "a").ok());
}

TEST_F(ClaimStoreTest, RevocationOfAnAlreadyRevokedSerialStillFreesClaims) {
  Create();
  ASSERT_TRUE(Revoke("0B", kMe).ok());
  ASSERT_TRUE(Claim(kMe).ok());
  absl::StatusOr<std::vector<v1::ThreadRecord>> freed = Revoke("0B", kMe);
  ASSERT_TRUE(freed.ok()) << freed.status();
  EXPECT_EQ(freed->size(), 1u);
  EXPECT_EQ(AuditWith("revoke").size(), 1u) << "the revocation itself is recorded once";
}

TEST_F(ClaimStoreTest, RevocationWithoutAKnownAdviserOnlyRevokes) {
  Create();
  ASSERT_TRUE(Claim(kMe).ok());
  absl::StatusOr<std::vector<v1::ThreadRecord>> freed = Revoke("0C", "");
  ASSERT_TRUE(freed.ok()) << freed.status();
  EXPECT_TRUE(freed->empty());
  EXPECT_EQ(Thread().claimed_by(), kMe);
}

}  // namespace
}  // namespace samrad::storage
