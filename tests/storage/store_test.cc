// Tests of storage/store.cc: every operation and every refusal, the queue
// index, persistence, key checks at open, tamper detection and concurrency.
#include "storage/store.h"

#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/rocks.h"
#include "storage/schema.h"
#include "storage/sealing.h"
#include "tests/storage/test_util.h"

namespace samrad::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace samrad::storage::testing;  // NOLINT: test helpers

constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kek_ = RandomKek();
    now_ = kT0;
    Reopen();
  }

  StoreOptions Options() {
    StoreOptions options;
    options.data_dir = dir_.path() + "/db";
    options.kek = kek_.Clone();
    options.clock = [this] { return now_.load(); };
    return options;
  }

  void Reopen() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Options());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  v1::ThreadRecord Create(const std::string& id, const std::string& unit = "unit-a",
                          v1::Urgency urgency = v1::URGENCY_NORMAL,
                          v1::Category category = v1::CATEGORY_OTHER, int64_t created = 0) {
    absl::StatusOr<Appended> created_thread =
        CreateThreadSync(*store_, MakeThread(id, unit, urgency, category, created),
                         ProfessionalMessage(id, id + "-m1", 1));
    EXPECT_TRUE(created_thread.ok()) << created_thread.status();
    return created_thread.ok() ? created_thread->thread : v1::ThreadRecord();
  }

  absl::StatusOr<v1::ThreadRecord> Claim(const std::string& id, const std::string& unit,
                                         const std::string& adviser,
                                         std::optional<AuditDraft> audit = std::nullopt) {
    return Await<v1::ThreadRecord>([&](Callback<v1::ThreadRecord> done) {
      store_->Claim(id, unit, adviser, audit, std::move(done));
    });
  }

  absl::StatusOr<v1::ThreadRecord> Release(const std::string& id, const std::string& unit,
                                           const std::string& adviser) {
    return Await<v1::ThreadRecord>([&](Callback<v1::ThreadRecord> done) {
      store_->Release(id, unit, adviser, std::nullopt, std::move(done));
    });
  }

  absl::StatusOr<v1::ThreadRecord> CloseThread(const std::string& id, const std::string& unit) {
    return Await<v1::ThreadRecord>([&](Callback<v1::ThreadRecord> done) {
      store_->Close(id, unit, std::nullopt, std::move(done));
    });
  }

  std::vector<std::string> QueueIds(QueueQuery query, std::string* next = nullptr) {
    absl::StatusOr<QueuePageResult> page = store_->ListQueue(query);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> ids;
    if (!page.ok()) return ids;
    for (const v1::ThreadRecord& thread : page->threads) ids.push_back(thread.thread_id());
    if (next != nullptr) *next = page->next_cursor;
    return ids;
  }

  TempDir dir_;
  crypto::SecretBytes kek_;
  std::atomic<int64_t> now_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, CreateThreadStoresThreadAndFirstMessage) {
  absl::StatusOr<Appended> created = CreateThreadSync(
      *store_, MakeThread("t1", "unit-a"), ProfessionalMessage("t1", "m1", 1, "envelope-bytes"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE(created->duplicate);
  EXPECT_EQ(created->thread.state(), v1::THREAD_STATE_OPEN);
  EXPECT_EQ(created->thread.last_sequence(), 1u);
  EXPECT_EQ(created->thread.created_at_unix_ms(), kT0);
  EXPECT_EQ(created->message.accepted_at_unix_ms(), kT0);

  absl::StatusOr<v1::ThreadRecord> thread = store_->GetThread("t1");
  ASSERT_TRUE(thread.ok()) << thread.status();
  EXPECT_EQ(thread->unit(), "unit-a");
  absl::StatusOr<std::vector<v1::StoredMessage>> messages = store_->ListMessages("t1", 0, 10);
  ASSERT_TRUE(messages.ok());
  ASSERT_EQ(messages->size(), 1u);
  EXPECT_EQ((*messages)[0].envelope(), "envelope-bytes");
  absl::StatusOr<v1::StoredMessage> found = store_->FindMessage("m1");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->thread_id(), "t1");
  EXPECT_EQ(store_->FindMessage("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetThread("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ListMessages("nope", 0, 10).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, CreateThreadResubmitOfSameBytesIsDuplicate) {
  Create("t1");
  absl::StatusOr<Appended> again =
      CreateThreadSync(*store_, MakeThread("t1", "unit-a"), ProfessionalMessage("t1", "t1-m1", 1));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->message.accepted_at_unix_ms(), kT0);
}

TEST_F(StoreTest, CreateThreadRefusesReusedMessageIdWithOtherBytes) {
  Create("t1");
  absl::StatusOr<Appended> other = CreateThreadSync(
      *store_, MakeThread("t1", "unit-a"), ProfessionalMessage("t1", "t1-m1", 1, "other bytes"));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(StoreTest, CreateThreadRefusesExistingThreadId) {
  Create("t1");
  absl::StatusOr<Appended> other = CreateThreadSync(*store_, MakeThread("t1", "unit-a"),
                                                    ProfessionalMessage("t1", "fresh-id", 1));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->FindMessage("fresh-id").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, CreateThreadRefusesBadInput) {
  EXPECT_EQ(CreateThreadSync(*store_, MakeThread("", "unit-a"), ProfessionalMessage("", "m", 1))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateThreadSync(*store_, MakeThread("t", ""), ProfessionalMessage("t", "m", 1))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  v1::StoredMessage empty = ProfessionalMessage("t", "m", 1);
  empty.clear_envelope();
  EXPECT_EQ(CreateThreadSync(*store_, MakeThread("t", "u"), empty).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateThreadSync(*store_, MakeThread("t", "u"), AdviserMessage("t", "m", 1, "adv"))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, AdviserAnswerSetsAnsweredAndFirstAnswerTime) {
  Create("t1");
  now_ = kT0 + 5000;
  absl::StatusOr<Appended> answer = AppendSync(*store_, AdviserMessage("t1", "a1", 2, "adv-1"));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->thread.state(), v1::THREAD_STATE_ANSWERED);
  EXPECT_EQ(answer->thread.claimed_by(), "adv-1");
  EXPECT_EQ(answer->thread.first_answer_at_unix_ms(), kT0 + 5000);
  EXPECT_EQ(answer->thread.last_sequence(), 2u);

  now_ = kT0 + 9000;
  absl::StatusOr<Appended> follow_up = AppendSync(*store_, ProfessionalMessage("t1", "p2", 3));
  ASSERT_TRUE(follow_up.ok()) << follow_up.status();
  EXPECT_EQ(follow_up->thread.state(), v1::THREAD_STATE_CLAIMED);
  EXPECT_EQ(follow_up->thread.last_activity_unix_ms(), kT0 + 9000);

  absl::StatusOr<Appended> second_answer =
      AppendSync(*store_, AdviserMessage("t1", "a2", 4, "adv-1"));
  ASSERT_TRUE(second_answer.ok());
  EXPECT_EQ(second_answer->thread.first_answer_at_unix_ms(), kT0 + 5000);

  absl::StatusOr<std::vector<v1::StoredMessage>> after_two = store_->ListMessages("t1", 2, 10);
  ASSERT_TRUE(after_two.ok());
  ASSERT_EQ(after_two->size(), 2u);
  EXPECT_EQ((*after_two)[0].message_id(), "p2");
  EXPECT_EQ((*after_two)[1].message_id(), "a2");
  absl::StatusOr<std::vector<v1::StoredMessage>> limited = store_->ListMessages("t1", 0, 1);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), 1u);
}

// A page stops before the message that would pass the byte budget (the
// first always comes) or the count, and says whether more follow.
TEST_F(StoreTest, ReadMessagePageStopsAtTheByteBudget) {
  Create("t1");
  for (uint64_t sequence = 2; sequence <= 5; ++sequence) {
    ASSERT_TRUE(
        AppendSync(*store_, ProfessionalMessage("t1", absl::StrCat("p", sequence), sequence)).ok());
  }
  absl::StatusOr<MessagePage> one = store_->ReadMessagePage("t1", 0, 100, 1);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->messages.size(), 1u);  // over budget, but never empty
  EXPECT_TRUE(one->more);
  absl::StatusOr<MessagePage> all = store_->ReadMessagePage("t1", 0, 100, size_t{1} << 20);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->messages.size(), 5u);
  EXPECT_FALSE(all->more);
  const size_t one_message = all->messages[0].ByteSizeLong();
  absl::StatusOr<MessagePage> some = store_->ReadMessagePage("t1", 1, 100, 2 * one_message + 64);
  ASSERT_TRUE(some.ok());
  EXPECT_GE(some->messages.size(), 1u);
  EXPECT_LT(some->messages.size(), 4u);
  EXPECT_TRUE(some->more);
  EXPECT_EQ(some->messages[0].sequence(), 2u);
  absl::StatusOr<MessagePage> counted = store_->ReadMessagePage("t1", 3, 2, size_t{1} << 20);
  ASSERT_TRUE(counted.ok());
  ASSERT_EQ(counted->messages.size(), 2u);
  EXPECT_EQ(counted->messages[1].sequence(), 5u);
  EXPECT_FALSE(counted->more);
  EXPECT_EQ(store_->ReadMessagePage("nope", 0, 10, 100).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, FollowUpOnUnclaimedAnsweredThreadReopensIt) {
  Create("t1");
  ASSERT_TRUE(AppendSync(*store_, AdviserMessage("t1", "a1", 2, "adv-1")).ok());
  ASSERT_TRUE(Release("t1", "unit-a", "adv-1").ok());
  absl::StatusOr<Appended> follow_up = AppendSync(*store_, ProfessionalMessage("t1", "p2", 3));
  ASSERT_TRUE(follow_up.ok());
  EXPECT_EQ(follow_up->thread.state(), v1::THREAD_STATE_OPEN);
}

TEST_F(StoreTest, AppendRefusesWrongSequenceNamingTheExpectedOne) {
  Create("t1");
  absl::StatusOr<Appended> skipped = AppendSync(*store_, ProfessionalMessage("t1", "p3", 3));
  EXPECT_EQ(skipped.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(skipped.status().message(), HasSubstr("expected 2"));
  absl::StatusOr<Appended> repeated = AppendSync(*store_, ProfessionalMessage("t1", "p1b", 1));
  EXPECT_EQ(repeated.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->FindMessage("p3").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, AppendRefusesMissingAndClosedThreads) {
  EXPECT_EQ(AppendSync(*store_, ProfessionalMessage("ghost", "g1", 2)).status().code(),
            absl::StatusCode::kNotFound);
  Create("t1");
  ASSERT_TRUE(CloseThread("t1", "").ok());
  EXPECT_EQ(AppendSync(*store_, ProfessionalMessage("t1", "p2", 2)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, AppendResubmitIsDuplicateAndOtherBytesAlreadyExists) {
  Create("t1");
  ASSERT_TRUE(AppendSync(*store_, ProfessionalMessage("t1", "p2", 2)).ok());
  absl::StatusOr<Appended> again = AppendSync(*store_, ProfessionalMessage("t1", "p2", 2));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->thread.last_sequence(), 2u);
  absl::StatusOr<Appended> other =
      AppendSync(*store_, ProfessionalMessage("t1", "p2", 3, "different envelope"));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(StoreTest, ClaimByAnotherAdviserIsRefused) {
  Create("t1");
  absl::StatusOr<v1::ThreadRecord> claimed = Claim("t1", "unit-a", "adv-1");
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_EQ(claimed->state(), v1::THREAD_STATE_CLAIMED);
  EXPECT_EQ(claimed->claimed_by(), "adv-1");
  EXPECT_EQ(Claim("t1", "unit-a", "adv-2").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Claim("t1", "unit-a", "adv-1").ok());  // own claim again
}

TEST_F(StoreTest, ClaimOutsideTheThreadsUnitIsNotFound) {
  Create("t1");
  EXPECT_EQ(Claim("t1", "unit-b", "adv-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Claim("ghost", "unit-a", "adv-1").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, ClaimOfClosedThreadIsRefused) {
  Create("t1");
  ASSERT_TRUE(CloseThread("t1", "unit-a").ok());
  EXPECT_EQ(Claim("t1", "unit-a", "adv-1").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, ConcurrentClaimsExactlyOneWins) {
  Create("t1");
  constexpr int kAdvisers = 16;
  std::atomic<int> wins{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kAdvisers; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<v1::ThreadRecord> result = Claim("t1", "unit-a", absl::StrCat("adv-", i));
      if (result.ok()) ++wins;
      if (result.status().code() == absl::StatusCode::kFailedPrecondition) ++refused;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(refused.load(), kAdvisers - 1);
}

TEST_F(StoreTest, ReleaseOnlyByTheHolder) {
  Create("t1");
  EXPECT_EQ(Release("t1", "unit-a", "adv-1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Claim("t1", "unit-a", "adv-1").ok());
  EXPECT_EQ(Release("t1", "unit-a", "adv-2").status().code(),
            absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<v1::ThreadRecord> released = Release("t1", "unit-a", "adv-1");
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(released->state(), v1::THREAD_STATE_OPEN);
  EXPECT_TRUE(released->claimed_by().empty());
  EXPECT_TRUE(Claim("t1", "unit-a", "adv-2").ok());
}

TEST_F(StoreTest, CloseTwiceIsRefusedAndWrongUnitIsNotFound) {
  Create("t1");
  EXPECT_EQ(CloseThread("t1", "unit-b").status().code(), absl::StatusCode::kNotFound);
  now_ = kT0 + 100;
  absl::StatusOr<v1::ThreadRecord> closed = CloseThread("t1", "unit-a");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->state(), v1::THREAD_STATE_CLOSED);
  EXPECT_EQ(closed->closed_at_unix_ms(), kT0 + 100);
  EXPECT_EQ(CloseThread("t1", "unit-a").status().code(), absl::StatusCode::kFailedPrecondition);
}

absl::StatusOr<v1::ThreadRecord> ReferSync(
    Store& store, const std::string& id, const std::string& from, const std::string& to,
    std::map<std::string, std::vector<v1::WrappedKey>> rewraps,
    std::optional<v1::StoredMessage> note = std::nullopt) {
  return Await<v1::ThreadRecord>([&](Callback<v1::ThreadRecord> done) {
    store.Refer(id, from, to, rewraps, note, std::nullopt, std::move(done));
  });
}

v1::WrappedKey Wrap(const std::string& tag) {
  v1::WrappedKey wrap;
  wrap.set_key_id(tag);
  wrap.set_enc(std::string(32, 'e'));
  wrap.set_ciphertext(std::string(48, 'c'));
  return wrap;
}

TEST_F(StoreTest, ReferMovesThreadAndStoresRewraps) {
  Create("t1");
  ASSERT_TRUE(Claim("t1", "unit-a", "adv-1").ok());
  ASSERT_TRUE(AppendSync(*store_, AdviserMessage("t1", "a1", 2, "adv-1")).ok());
  std::map<std::string, std::vector<v1::WrappedKey>> rewraps = {{"t1-m1", {Wrap("k1")}},
                                                                {"a1", {Wrap("k2")}}};
  v1::StoredMessage note = AdviserMessage("t1", "note", 0, "adv-1");
  absl::StatusOr<v1::ThreadRecord> referred =
      ReferSync(*store_, "t1", "unit-a", "unit-b", rewraps, note);
  ASSERT_TRUE(referred.ok()) << referred.status();
  EXPECT_EQ(referred->unit(), "unit-b");
  EXPECT_EQ(referred->state(), v1::THREAD_STATE_OPEN);
  EXPECT_TRUE(referred->claimed_by().empty());
  EXPECT_THAT(referred->previous_units(), ElementsAre("unit-a"));
  EXPECT_EQ(referred->last_sequence(), 3u);
  absl::StatusOr<v1::StoredMessage> first = store_->FindMessage("t1-m1");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->extra_recipients_size(), 1);
  EXPECT_EQ(first->extra_recipients(0).key_id(), "k1");
  absl::StatusOr<v1::StoredMessage> stored_note = store_->FindMessage("note");
  ASSERT_TRUE(stored_note.ok());
  EXPECT_EQ(stored_note->sequence(), 3u);

  QueueQuery old_unit;
  old_unit.unit = "unit-a";
  EXPECT_TRUE(QueueIds(old_unit).empty());
  QueueQuery new_unit;
  new_unit.unit = "unit-b";
  EXPECT_THAT(QueueIds(new_unit), ElementsAre("t1"));
  EXPECT_EQ(Claim("t1", "unit-a", "adv-1").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, ReferRefusesRewrapsThatDoNotNameEveryMessage) {
  Create("t1");
  ASSERT_TRUE(AppendSync(*store_, ProfessionalMessage("t1", "p2", 2)).ok());
  EXPECT_EQ(ReferSync(*store_, "t1", "unit-a", "unit-b", {{"t1-m1", {Wrap("k")}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReferSync(*store_, "t1", "unit-a", "unit-b",
                      {{"t1-m1", {Wrap("k")}}, {"p2", {Wrap("k")}}, {"stranger", {Wrap("k")}}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ReferSync(*store_, "t1", "unit-x", "unit-b", {{"t1-m1", {Wrap("k")}}, {"p2", {Wrap("k")}}})
          .status()
          .code(),
      absl::StatusCode::kNotFound);
  absl::StatusOr<v1::ThreadRecord> thread = store_->GetThread("t1");
  ASSERT_TRUE(thread.ok());
  EXPECT_EQ(thread->unit(), "unit-a");
  absl::StatusOr<v1::StoredMessage> first = store_->FindMessage("t1-m1");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->extra_recipients_size(), 0);
}

TEST_F(StoreTest, DirectoryRefusesLowerOrEqualEpoch) {
  uint64_t epoch = 0;
  EXPECT_EQ(store_->GetDirectory(&epoch).status().code(), absl::StatusCode::kNotFound);
  auto put = [&](uint64_t e, const std::string& body) {
    v1::SignedDirectory directory;
    directory.set_directory(body);
    directory.set_signature(std::string(64, 's'));
    return AwaitDone([&](DoneCallback done) {
      store_->PutDirectory(directory, e, std::nullopt, std::move(done));
    });
  };
  ASSERT_TRUE(put(5, "five").ok());
  EXPECT_EQ(put(4, "four").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(put(5, "five again").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(put(6, "six").ok());
  absl::StatusOr<v1::SignedDirectory> latest = store_->GetDirectory(&epoch);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(epoch, 6u);
  EXPECT_EQ(latest->directory(), "six");
}

TEST_F(StoreTest, RevokeIsIdempotentAndListed) {
  v1::RevocationRecord record;
  record.set_serial_hex("0A1B");
  record.set_reason("lost laptop");
  record.set_revoked_by("admin-1");
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(AwaitDone([&](DoneCallback done) {
                  store_->Revoke(record, std::nullopt, std::move(done));
                }).ok());
  }
  EXPECT_TRUE(*store_->IsRevoked("0A1B"));
  EXPECT_FALSE(*store_->IsRevoked("FFFF"));
  absl::StatusOr<std::vector<v1::RevocationRecord>> listed = store_->ListRevoked();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].revoked_at_unix_ms(), kT0);
}

TEST_F(StoreTest, AuditEntriesChainAndFailedOpsLeaveNoEntry) {
  absl::StatusOr<v1::AuditEntry> first = Await<v1::AuditEntry>([&](Callback<v1::AuditEntry> done) {
    store_->AppendAudit(AuditDraft{"admin", "admin-1", "publish", "", "epoch 1"}, std::move(done));
  });
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->index(), 1u);
  EXPECT_EQ(first->prev_hash(), std::string(32, '\0'));
  EXPECT_EQ(first->hash().size(), 32u);

  Create("t1");
  AuditDraft claim_audit{"adviser", "adv-1", "claim", "t1", ""};
  ASSERT_TRUE(Claim("t1", "unit-a", "adv-1", claim_audit).ok());
  // Refused: its audit entry must not be written, nor consume an index.
  AuditDraft refused_audit{"adviser", "adv-2", "claim", "t1", ""};
  EXPECT_FALSE(Claim("t1", "unit-a", "adv-2", refused_audit).ok());
  now_ = kT0 + 10;
  absl::StatusOr<v1::AuditEntry> third = Await<v1::AuditEntry>([&](Callback<v1::AuditEntry> done) {
    store_->AppendAudit(AuditDraft{"adviser", "adv-1", "read", "t1", ""}, std::move(done));
  });
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->index(), 3u);

  absl::StatusOr<std::vector<v1::AuditEntry>> all = store_->ReadAudit(0, 0, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].action(), "claim");
  EXPECT_EQ((*all)[1].prev_hash(), (*all)[0].hash());
  EXPECT_EQ((*all)[2].prev_hash(), (*all)[1].hash());
  EXPECT_TRUE(store_->VerifyAuditChain().ok());
  absl::StatusOr<std::vector<v1::AuditEntry>> after_one = store_->ReadAudit(1, 0, 1);
  ASSERT_TRUE(after_one.ok());
  ASSERT_EQ(after_one->size(), 1u);
  EXPECT_EQ((*after_one)[0].index(), 2u);
  absl::StatusOr<std::vector<v1::AuditEntry>> since = store_->ReadAudit(0, kT0 + 10, 100);
  ASSERT_TRUE(since.ok());
  ASSERT_EQ(since->size(), 1u);
  EXPECT_EQ((*since)[0].index(), 3u);

  // The chain continues across a reopen.
  Reopen();
  absl::StatusOr<v1::AuditEntry> fourth = Await<v1::AuditEntry>([&](Callback<v1::AuditEntry> done) {
    store_->AppendAudit(AuditDraft{"relay", "", "start", "", ""}, std::move(done));
  });
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(fourth->index(), 4u);
  EXPECT_EQ(fourth->prev_hash(), third->hash());
  EXPECT_TRUE(store_->VerifyAuditChain().ok());
}

TEST_F(StoreTest, AuditRefusesProfessionalIdentity) {
  absl::StatusOr<v1::AuditEntry> entry = Await<v1::AuditEntry>([&](Callback<v1::AuditEntry> done) {
    store_->AppendAudit(AuditDraft{"professional", "someone", "submit", "t1", ""}, std::move(done));
  });
  EXPECT_EQ(entry.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, TamperedAuditEntryIsNamedByVerify) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Await<v1::AuditEntry>([&](Callback<v1::AuditEntry> done) {
                  store_->AppendAudit(AuditDraft{"admin", "a", "x", "", ""}, std::move(done));
                }).ok());
  }
  store_.reset();
  // Replace entry 2 by a copy of entry 3: it decrypts under 3's key only.
  absl::StatusOr<std::string> third = ReadRaw(Options(), schema::kAudit, schema::AuditKey(3));
  ASSERT_TRUE(third.ok());
  ASSERT_TRUE(WriteRaw(Options(), schema::kAudit, schema::AuditKey(2), *third).ok());
  Reopen();
  absl::Status verified = store_->VerifyAuditChain();
  EXPECT_EQ(verified.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(verified.message(), HasSubstr("audit entry 2"));
}

TEST_F(StoreTest, QueueOrdersByUrgencyThenAgeAndPagesWithCursor) {
  Create("normal-old", "unit-a", v1::URGENCY_NORMAL, v1::CATEGORY_OTHER, kT0 - 5000);
  Create("acute-new", "unit-a", v1::URGENCY_ACUTE, v1::CATEGORY_FGM, kT0 - 1000);
  Create("high", "unit-a", v1::URGENCY_HIGH, v1::CATEGORY_OTHER, kT0 - 3000);
  Create("acute-old", "unit-a", v1::URGENCY_ACUTE, v1::CATEGORY_OTHER, kT0 - 4000);
  Create("normal-new", "unit-a", v1::URGENCY_NORMAL, v1::CATEGORY_FGM, kT0 - 2000);
  Create("elsewhere", "unit-b", v1::URGENCY_ACUTE, v1::CATEGORY_OTHER, kT0 - 9000);
  ASSERT_TRUE(Claim("high", "unit-a", "adv-1").ok());  // CLAIMED is in the default queue
  Create("closed", "unit-a", v1::URGENCY_ACUTE, v1::CATEGORY_OTHER, kT0 - 9999);
  ASSERT_TRUE(CloseThread("closed", "unit-a").ok());

  QueueQuery query;
  query.unit = "unit-a";
  EXPECT_THAT(QueueIds(query),
              ElementsAre("acute-old", "acute-new", "high", "normal-old", "normal-new"));

  query.page_size = 2;
  std::vector<std::string> paged;
  std::string cursor;
  int pages = 0;
  do {
    query.cursor = cursor;
    std::vector<std::string> page = QueueIds(query, &cursor);
    EXPECT_LE(page.size(), 2u);
    paged.insert(paged.end(), page.begin(), page.end());
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_THAT(paged, ElementsAre("acute-old", "acute-new", "high", "normal-old", "normal-new"));
  EXPECT_EQ(pages, 3);

  QueueQuery open_only;
  open_only.unit = "unit-a";
  open_only.states = {v1::THREAD_STATE_OPEN};
  EXPECT_THAT(QueueIds(open_only),
              ElementsAre("acute-old", "acute-new", "normal-old", "normal-new"));
  QueueQuery acute;
  acute.unit = "unit-a";
  acute.urgencies = {v1::URGENCY_ACUTE};
  EXPECT_THAT(QueueIds(acute), ElementsAre("acute-old", "acute-new"));
  QueueQuery fgm;
  fgm.unit = "unit-a";
  fgm.categories = {v1::CATEGORY_FGM};
  EXPECT_THAT(QueueIds(fgm), ElementsAre("acute-new", "normal-new"));
  QueueQuery closed;
  closed.unit = "unit-a";
  closed.states = {v1::THREAD_STATE_CLOSED};
  EXPECT_THAT(QueueIds(closed), ElementsAre("closed"));
}

TEST_F(StoreTest, FilteredQueueScanIsBoundedAndResumable) {
  // 5100 threads that do not match the filter, queued before the one that
  // does: the first call stops after 5000 index entries with a cursor.
  constexpr int kOthers = 5100;
  std::mutex mu;
  std::condition_variable cv;
  int pending = kOthers;
  int failed = 0;
  for (int i = 0; i < kOthers; ++i) {
    std::string id = absl::StrCat("other-", i);
    store_->CreateThread(MakeThread(id, "unit-a", v1::URGENCY_NORMAL, v1::CATEGORY_OTHER, kT0 + i),
                         ProfessionalMessage(id, id, 1), [&](absl::StatusOr<Appended> result) {
                           std::lock_guard lock(mu);
                           if (!result.ok()) ++failed;
                           if (--pending == 0) cv.notify_all();
                         });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return pending == 0; });
  }
  ASSERT_EQ(failed, 0);
  Create("wanted", "unit-a", v1::URGENCY_NORMAL, v1::CATEGORY_FGM, kT0 + kOthers);

  QueueQuery query;
  query.unit = "unit-a";
  query.categories = {v1::CATEGORY_FGM};
  std::string cursor;
  EXPECT_TRUE(QueueIds(query, &cursor).empty());
  ASSERT_FALSE(cursor.empty());
  query.cursor = cursor;
  EXPECT_THAT(QueueIds(query, &cursor), ElementsAre("wanted"));
  EXPECT_TRUE(cursor.empty());
}

TEST_F(StoreTest, QueueRefusesBadQueries) {
  QueueQuery bad_cursor;
  bad_cursor.unit = "unit-a";
  bad_cursor.cursor = "!!not-a-cursor";
  EXPECT_EQ(store_->ListQueue(bad_cursor).status().code(), absl::StatusCode::kInvalidArgument);
  QueueQuery big;
  big.unit = "unit-a";
  big.page_size = 201;
  EXPECT_EQ(store_->ListQueue(big).status().code(), absl::StatusCode::kInvalidArgument);
  QueueQuery no_unit;
  EXPECT_EQ(store_->ListQueue(no_unit).status().code(), absl::StatusCode::kInvalidArgument);
}

// A statistics query for one calendar period grouped by `group_by`.
StatsQuery StatsFor(StatsPeriod period, int year, int index,
                    std::vector<std::string> group_by = {}) {
  StatsQuery query;
  query.period = period;
  query.year = year;
  query.index = index;
  query.group_by = std::move(group_by);
  return query;
}

// For failure messages.
std::string Describe(const StatsQuery& query) {
  return absl::StrCat("period ", static_cast<int>(query.period), " year ", query.year, " index ",
                      query.index, " from ", query.from_unix_ms, " to ", query.to_unix_ms,
                      " group_by ", absl::StrJoin(query.group_by, ","));
}

int64_t UtcMs(int year, int month, int day) {
  return absl::ToUnixMillis(absl::FromCivil(absl::CivilDay(year, month, day), absl::UTCTimeZone()));
}

TEST_F(StoreTest, StatsSuppressSmallCellsAndReportMedians) {
  // Six threads in unit-a answered after 1, 2, ... 6 seconds; two in unit-b.
  for (int i = 1; i <= 6; ++i) {
    std::string id = absl::StrCat("a", i);
    now_ = kT0;
    Create(id, "unit-a");
    now_ = kT0 + i * 1000;
    ASSERT_TRUE(AppendSync(*store_, AdviserMessage(id, id + "-answer", 2, "adv")).ok());
  }
  now_ = kT0;
  Create("b1", "unit-b");
  Create("b2", "unit-b");
  now_ = UtcMs(2024, 1, 5);  // the fourth quarter of 2023 has ended
  absl::StatusOr<std::vector<v1::StatsRow>> rows =
      store_->Stats(StatsFor(StatsPeriod::kMonth, 2023, 11, {"unit"}));
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].group().at("unit"), "unit-a");
  EXPECT_EQ((*rows)[0].count(), "6");
  EXPECT_EQ((*rows)[0].published_count(), 6u);
  EXPECT_EQ((*rows)[0].suppressed_cells(), 0u);
  EXPECT_EQ((*rows)[0].median_ms_to_first_answer(), 3500);
  EXPECT_EQ((*rows)[1].group().at("unit"), "unit-b");
  EXPECT_EQ((*rows)[1].count(), "<5");
  EXPECT_EQ((*rows)[1].published_count(), 0u);
  EXPECT_EQ((*rows)[1].suppressed_cells(), 1u);
  EXPECT_EQ((*rows)[1].median_ms_to_first_answer(), -1);

  // unit-b's two are a base cell of their own: never added in ("6+", not 8).
  rows = store_->Stats(StatsFor(StatsPeriod::kQuarter, 2023, 4, {"month", "category"}));
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].group().at("month"), "2023-11");
  EXPECT_EQ((*rows)[0].group().at("category"), "CATEGORY_OTHER");
  EXPECT_EQ((*rows)[0].count(), "6+");
  EXPECT_EQ((*rows)[0].published_count(), 6u);
  EXPECT_EQ((*rows)[0].suppressed_cells(), 1u);

  StatsQuery unknown = StatsFor(StatsPeriod::kMonth, 2023, 11, {"professional"});
  EXPECT_EQ(store_->Stats(unknown).status().code(), absl::StatusCode::kInvalidArgument);
  // Urgency and organisation are not grouped: they would split the base.
  EXPECT_EQ(store_->Stats(StatsFor(StatsPeriod::kMonth, 2023, 11, {"urgency"})).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, StatsRefuseRangesAndPeriodsNotEnded) {
  now_ = UtcMs(2023, 12, 5);
  StatsQuery range;  // the form before issue 19
  range.from_unix_ms = kT0;
  range.to_unix_ms = kT0 + 1000;
  absl::Status status = store_->Stats(range).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "whole calendar month, quarter or year"))
      << status;
  StatsQuery to_only = StatsFor(StatsPeriod::kYear, 2022, 0);
  to_only.to_unix_ms = kT0;
  EXPECT_EQ(store_->Stats(to_only).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Stats(StatsFor(StatsPeriod::kMonth, 2023, 12)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Stats(StatsFor(StatsPeriod::kQuarter, 2023, 4)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Stats(StatsFor(StatsPeriod::kYear, 2023, 0)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store_->Stats(StatsFor(StatsPeriod::kMonth, 2023, 11)).ok());
  for (const StatsQuery& bad :
       {StatsFor(StatsPeriod::kMonth, 2023, 13), StatsFor(StatsPeriod::kMonth, 2023, 0),
        StatsFor(StatsPeriod::kQuarter, 2023, 5), StatsFor(StatsPeriod::kYear, 2022, 1),
        StatsFor(StatsPeriod::kYear, 1999, 0), StatsFor(StatsPeriod::kUnspecified, 2022, 0)}) {
    EXPECT_EQ(store_->Stats(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << Describe(bad);
  }
}

// The differencing attacks of issue 19 against a real store: every number of
// every allowed query is a sum of whole base cells of 5 or more, so no
// difference of two answers is a group under 5.
TEST_F(StoreTest, StatsCannotBeDifferenced) {
  auto create_at = [&](const std::string& id, int month, int day, v1::Category category) {
    now_ = UtcMs(2024, month, day);
    Create(id, "unit-a", v1::URGENCY_NORMAL, category);
  };
  // January: five on the 10th and a sixth on the 20th (the old attack:
  // [Jan 1, Jan 15) said 5 and [Jan 1, Jan 31) said 6), and two FGM cases.
  for (int i = 0; i < 5; ++i) create_at(absl::StrCat("jan", i), 1, 10, v1::CATEGORY_OTHER);
  create_at("jan-sixth", 1, 20, v1::CATEGORY_OTHER);
  create_at("jan-fgm1", 1, 21, v1::CATEGORY_FGM);
  create_at("jan-fgm2", 1, 22, v1::CATEGORY_FGM);
  // February: seven; March: three (a quarter minus two months would be 3).
  for (int i = 0; i < 7; ++i) create_at(absl::StrCat("feb", i), 2, 3, v1::CATEGORY_OTHER);
  for (int i = 0; i < 3; ++i) create_at(absl::StrCat("mar", i), 3, 4, v1::CATEGORY_OTHER);
  // April: one in another unit.
  now_ = UtcMs(2024, 4, 2);
  Create("apr-b", "unit-b");
  now_ = UtcMs(2025, 1, 2);

  // Only fixed periods: the old range attack cannot even be asked.
  StatsQuery half_january;
  half_january.from_unix_ms = UtcMs(2024, 1, 1);
  half_january.to_unix_ms = UtcMs(2024, 1, 15);
  EXPECT_EQ(store_->Stats(half_january).status().code(), absl::StatusCode::kInvalidArgument);

  // Every answer to every allowed query: periods x groupings.
  std::vector<StatsQuery> queries;
  const std::vector<std::vector<std::string>> groupings = {{},
                                                           {"unit"},
                                                           {"category"},
                                                           {"month"},
                                                           {"county"},
                                                           {"unit", "category"},
                                                           {"month", "category"},
                                                           {"unit", "county", "category", "month"}};
  for (const auto& g : groupings) {
    for (int m = 1; m <= 12; ++m) queries.push_back(StatsFor(StatsPeriod::kMonth, 2024, m, g));
    for (int q = 1; q <= 4; ++q) queries.push_back(StatsFor(StatsPeriod::kQuarter, 2024, q, g));
    queries.push_back(StatsFor(StatsPeriod::kYear, 2024, 0, g));
  }
  // The published base cells: Jan OTHER 6, Feb OTHER 7. Suppressed: Jan FGM
  // 2, Mar OTHER 3, Apr unit-b 1.
  std::map<std::string, uint64_t> published_total_by_period;
  for (const StatsQuery& query : queries) {
    absl::StatusOr<std::vector<v1::StatsRow>> rows = store_->Stats(query);
    ASSERT_TRUE(rows.ok()) << Describe(query) << ": " << rows.status();
    uint64_t total = 0;
    for (const v1::StatsRow& row : *rows) {
      // Every published number is 0 or a sum of base cells >= 5.
      EXPECT_TRUE(row.published_count() == 0 || row.published_count() >= 5)
          << Describe(query) << " " << row.ShortDebugString();
      EXPECT_TRUE(row.published_count() == 0 || row.published_count() == 6 ||
                  row.published_count() == 7 || row.published_count() == 13)
          << Describe(query) << " " << row.ShortDebugString();
      if (row.published_count() == 0) {
        EXPECT_EQ(row.count(), row.suppressed_cells() == 1 ? "<5" : "0+") << row.ShortDebugString();
      }
      total += row.published_count();
    }
    // Same period, any grouping: the same total, so no marginal can be
    // subtracted from another.
    const std::string period = absl::StrCat(static_cast<int>(query.period), "/", query.index);
    auto [it, inserted] = published_total_by_period.emplace(period, total);
    EXPECT_EQ(it->second, total) << Describe(query);
  }
  // Months add up to the quarter and quarters to the year, exactly.
  EXPECT_EQ(published_total_by_period[absl::StrCat(static_cast<int>(StatsPeriod::kMonth), "/1")],
            6u);
  EXPECT_EQ(published_total_by_period[absl::StrCat(static_cast<int>(StatsPeriod::kMonth), "/2")],
            7u);
  EXPECT_EQ(published_total_by_period[absl::StrCat(static_cast<int>(StatsPeriod::kMonth), "/3")],
            0u);
  EXPECT_EQ(published_total_by_period[absl::StrCat(static_cast<int>(StatsPeriod::kQuarter), "/1")],
            13u);
  EXPECT_EQ(published_total_by_period[absl::StrCat(static_cast<int>(StatsPeriod::kQuarter), "/2")],
            0u);
  EXPECT_EQ(published_total_by_period[absl::StrCat(static_cast<int>(StatsPeriod::kYear), "/0")],
            13u);

  // March alone says "<5"; the quarter says "13+" (not 16): quarter minus
  // January and February is 0, not March's 3.
  absl::StatusOr<std::vector<v1::StatsRow>> march =
      store_->Stats(StatsFor(StatsPeriod::kMonth, 2024, 3));
  ASSERT_TRUE(march.ok());
  ASSERT_EQ(march->size(), 1u);
  EXPECT_EQ((*march)[0].count(), "<5");
  absl::StatusOr<std::vector<v1::StatsRow>> quarter =
      store_->Stats(StatsFor(StatsPeriod::kQuarter, 2024, 1));
  ASSERT_TRUE(quarter.ok());
  ASSERT_EQ(quarter->size(), 1u);
  EXPECT_EQ((*quarter)[0].count(), "13+");
  EXPECT_EQ((*quarter)[0].suppressed_cells(), 2u);
  // January by category: OTHER 6 and FGM "<5"; January in total "6+", not 8.
  absl::StatusOr<std::vector<v1::StatsRow>> january =
      store_->Stats(StatsFor(StatsPeriod::kMonth, 2024, 1));
  ASSERT_TRUE(january.ok());
  ASSERT_EQ(january->size(), 1u);
  EXPECT_EQ((*january)[0].count(), "6+");
}

TEST_F(StoreTest, DataSurvivesReopen) {
  Create("t1");
  ASSERT_TRUE(AppendSync(*store_, ProfessionalMessage("t1", "p2", 2)).ok());
  Reopen();
  absl::StatusOr<v1::ThreadRecord> thread = store_->GetThread("t1");
  ASSERT_TRUE(thread.ok()) << thread.status();
  EXPECT_EQ(thread->last_sequence(), 2u);
  EXPECT_TRUE(store_->FindMessage("p2").ok());
}

TEST_F(StoreTest, WrongKekIsRefusedAtOpen) {
  Create("t1");
  store_.reset();
  StoreOptions options = Options();
  options.kek = RandomKek();
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(std::move(options));
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(opened.status().message(), HasSubstr("wrong KEK"));
}

TEST_F(StoreTest, BadOptionsAreRefused) {
  store_.reset();
  StoreOptions short_kek = Options();
  short_kek.kek = crypto::SecretBytes(16);
  EXPECT_EQ(Store::Open(std::move(short_kek)).status().code(), absl::StatusCode::kInvalidArgument);
  StoreOptions missing = Options();
  missing.data_dir = dir_.path() + "/absent";
  missing.create_if_missing = false;
  EXPECT_EQ(Store::Open(std::move(missing)).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, SecondOpenOfTheSameDirectoryIsUnavailable) {
  absl::StatusOr<std::unique_ptr<Store>> second = Store::Open(Options());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(StoreTest, NewerSchemaIsRefusedAtOpen) {
  store_.reset();
  {
    StoreOptions options = Options();
    absl::StatusOr<std::unique_ptr<RocksHandle>> rocks = OpenRocks(options, false);
    ASSERT_TRUE(rocks.ok());
    absl::StatusOr<std::unique_ptr<Keyring>> keyring = LoadKeyring(**rocks, options.kek);
    ASSERT_TRUE(keyring.ok());
    std::string version;
    schema::AppendU32(&version, kSchemaVersion + 1);
    absl::StatusOr<std::string> sealed =
        (*keyring)->Seal("meta", schema::kSchemaVersionKey, version);
    ASSERT_TRUE(sealed.ok());
    ASSERT_TRUE((*rocks)
                    ->db()
                    ->Put(rocksdb::WriteOptions(), (*rocks)->cf(schema::kMeta),
                          std::string(schema::kSchemaVersionKey), *sealed)
                    .ok());
  }
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(Options());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(opened.status().message(), HasSubstr("schema version 2"));
}

TEST_F(StoreTest, TamperedMessageIsDataLossForReadsAndFsck) {
  Create("t1");
  store_.reset();
  const std::string key = schema::MessageKey("t1", 1);
  absl::StatusOr<std::string> sealed = ReadRaw(Options(), schema::kMessages, key);
  ASSERT_TRUE(sealed.ok());
  std::string tampered = *sealed;
  tampered[tampered.size() - 20] ^= 0x01;  // one ciphertext bit
  ASSERT_TRUE(WriteRaw(Options(), schema::kMessages, key, tampered).ok());

  absl::StatusOr<FsckReport> report = Fsck(Options(), "");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->ok());
  EXPECT_THAT(report->problems, ::testing::Contains(HasSubstr("does not decrypt")));

  Reopen();
  EXPECT_EQ(store_->FindMessage("t1-m1").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(store_->ListMessages("t1", 0, 10).status().code(), absl::StatusCode::kDataLoss);
  // A resubmit of the damaged message must not be answered from it either.
  EXPECT_EQ(
      CreateThreadSync(*store_, MakeThread("t1", "unit-a"), ProfessionalMessage("t1", "t1-m1", 1))
          .status()
          .code(),
      absl::StatusCode::kDataLoss);
}

TEST_F(StoreTest, ValueMovedToAnotherKeyIsDataLoss) {
  Create("t1");
  Create("t2");
  store_.reset();
  absl::StatusOr<std::string> t2 = ReadRaw(Options(), schema::kThreads, "t2");
  ASSERT_TRUE(t2.ok());
  ASSERT_TRUE(WriteRaw(Options(), schema::kThreads, "t1", *t2).ok());
  Reopen();
  EXPECT_EQ(store_->GetThread("t1").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(store_->GetThread("t2").ok());
}

TEST_F(StoreTest, ValuesAreNotStoredInPlaintext) {
  Create("t1");
  ASSERT_TRUE(
      AppendSync(*store_, ProfessionalMessage("t1", "p2", 2, "PLAINTEXT-MARKER-1234")).ok());
  store_.reset();
  EXPECT_FALSE(AnyFileContains(Options().data_dir, "PLAINTEXT-MARKER-1234"));
}

// Durability across a crash is power_loss_test's; this one checks a clean close.
TEST_F(StoreTest, ConcurrentAppendsAreAllStoredAfterACleanClose) {
  constexpr int kWriters = 16;
  constexpr int kPerWriter = 40;
  std::vector<std::thread> writers;
  std::mutex acked_mu;
  std::vector<std::string> acked;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::string thread_id = absl::StrCat("w", w);
      absl::StatusOr<Appended> created =
          CreateThreadSync(*store_, MakeThread(thread_id, "unit-a"),
                           ProfessionalMessage(thread_id, thread_id + "-1", 1));
      if (!created.ok()) return;
      {
        std::lock_guard<std::mutex> lock(acked_mu);
        acked.push_back(thread_id + "-1");
      }
      for (int i = 2; i <= kPerWriter; ++i) {
        std::string id = absl::StrCat(thread_id, "-", i);
        if (AppendSync(*store_, ProfessionalMessage(thread_id, id, i)).ok()) {
          std::lock_guard<std::mutex> lock(acked_mu);
          acked.push_back(id);
        }
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(acked.size(), static_cast<size_t>(kWriters * kPerWriter));
  store_.reset();
  std::string expect_path = dir_.path() + "/expect-ids";
  {
    std::ofstream out(expect_path);
    for (const std::string& id : acked) out << id << "\n";
    out << "never-written\n";
  }
  absl::StatusOr<FsckReport> report = Fsck(Options(), expect_path);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->problems.empty()) << report->problems[0];
  EXPECT_EQ(report->messages, static_cast<uint64_t>(kWriters * kPerWriter));
  EXPECT_EQ(report->expected_ids, acked.size() + 1);
  EXPECT_THAT(report->missing_ids, ElementsAre("never-written"));
}

TEST_F(StoreTest, CallbacksMayQueueFurtherWrites) {
  std::promise<absl::StatusOr<Appended>> second;
  store_->CreateThread(MakeThread("t1", "unit-a"), ProfessionalMessage("t1", "m1", 1),
                       [&](absl::StatusOr<Appended> first) {
                         ASSERT_TRUE(first.ok());
                         store_->AppendMessage(ProfessionalMessage("t1", "m2", 2), std::nullopt,
                                               [&](absl::StatusOr<Appended> result) {
                                                 second.set_value(std::move(result));
                                               });
                       });
  absl::StatusOr<Appended> result = second.get_future().get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->thread.last_sequence(), 2u);
}

TEST(KekLoadingTest, LoadsRawAndHexFilesAndEnvironment) {
  TempDir dir;
  std::string raw_path = dir.path() + "/raw";
  std::string hex_path = dir.path() + "/hex";
  std::string bad_path = dir.path() + "/bad";
  std::string raw(32, '\x07');
  std::ofstream(raw_path, std::ios::binary) << raw;
  std::ofstream(hex_path) << std::string(64, 'a') << "\n";
  std::ofstream(bad_path) << "too short";
  absl::StatusOr<crypto::SecretBytes> from_raw = LoadKekFile(raw_path);
  ASSERT_TRUE(from_raw.ok());
  EXPECT_EQ(from_raw->view(), raw);
  absl::StatusOr<crypto::SecretBytes> from_hex = LoadKekFile(hex_path);
  ASSERT_TRUE(from_hex.ok());
  EXPECT_EQ(from_hex->view(), std::string(32, '\xaa'));
  EXPECT_EQ(LoadKekFile(bad_path).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadKekFile(dir.path() + "/missing").status().code(), absl::StatusCode::kNotFound);

  setenv("SAMRAD_TEST_KEK", std::string(64, 'b').c_str(), 1);
  absl::StatusOr<crypto::SecretBytes> from_env = LoadKekEnv("SAMRAD_TEST_KEK");
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->view(), std::string(32, '\xbb'));
  setenv("SAMRAD_TEST_KEK", "xyz", 1);
  EXPECT_EQ(LoadKekEnv("SAMRAD_TEST_KEK").status().code(), absl::StatusCode::kInvalidArgument);
  unsetenv("SAMRAD_TEST_KEK");
  EXPECT_EQ(LoadKekEnv("SAMRAD_TEST_KEK").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace samrad::storage
