// ThreadEvents (server/thread_events.h) without gRPC or TLS: real EventHub,
// StreamBudget and StreamMemory; recording sinks stand in for open streams.
#include "server/thread_events.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/reasons.h"
#include "gtest/gtest.h"

namespace samrad::server {
namespace {

// An open stream as the hub sees it: records what it is told.
template <typename Event>
class RecordingSink final : public EventSink<Event> {
 public:
  void Deliver(const Event& event) override { events.push_back(event); }
  void Close(const absl::Status& reason) override { closed = reason; }
  std::vector<Event> events;
  std::optional<absl::Status> closed;
};

constexpr char kUnit[] = "rc-kronoberg";
constexpr char kOtherUnit[] = "nkt";

Identity Caller(Role role, const std::string& scope, const std::string& id,
                const std::string& serial) {
  Identity identity;
  identity.role = role;
  identity.scope = scope;
  identity.id = id;
  identity.serial_hex = serial;
  return identity;
}

v1::ThreadRecord Thread(const std::string& id, const std::string& unit) {
  v1::ThreadRecord thread;
  thread.set_thread_id(id);
  thread.set_unit(unit);
  thread.set_state(v1::THREAD_STATE_OPEN);
  return thread;
}

class ThreadEventsTest : public ::testing::Test {
 protected:
  ThreadEventsTest() : events_(Limits()) {}

  static v1::LimitsConfig Limits() {
    v1::LimitsConfig limits;
    limits.set_max_concurrent_streams(4);
    limits.set_max_streams_per_identity(4);
    limits.set_adviser_stream_reserve_percent(50);
    limits.set_stream_memory_bytes(1 << 20);
    limits.set_max_stream_queue_bytes(64 << 10);
    limits.set_max_envelope_bytes(10000);
    return limits;
  }

  std::shared_ptr<RecordingSink<v1::QueueEvent>> WatchQueue(const Identity& caller) {
    auto sink = std::make_shared<RecordingSink<v1::QueueEvent>>();
    EXPECT_TRUE(
        events_.hub().SubscribeQueue(caller.scope, ThreadEvents::OwnerOf(caller), sink).ok());
    return sink;
  }
  std::shared_ptr<RecordingSink<v1::ThreadEvent>> WatchThread(const std::string& thread_id,
                                                              const Identity& caller) {
    auto sink = std::make_shared<RecordingSink<v1::ThreadEvent>>();
    EXPECT_TRUE(events_.hub().SubscribeThread(thread_id, ThreadEvents::OwnerOf(caller), sink).ok());
    return sink;
  }

  ThreadEvents events_;
  const Identity professional_ = Caller(Role::kProfessional, "07", "p-1", "0A01");
  const Identity adviser_ = Caller(Role::kAdviser, kUnit, "a-1", "0B01");
  // A second certificate of the same adviser.
  const Identity adviser_again_ = Caller(Role::kAdviser, kUnit, "a-1", "0B02");
  const Identity other_adviser_ = Caller(Role::kAdviser, kUnit, "a-2", "0B03");
};

TEST_F(ThreadEventsTest, AStreamBelongsToItsCertificateAndAnAdviserToo) {
  EXPECT_EQ(ThreadEvents::ClassOf(professional_), StreamClass::kProfessional);
  EXPECT_EQ(ThreadEvents::ClassOf(adviser_), StreamClass::kReserved);
  EXPECT_EQ(ThreadEvents::ClassOf(Caller(Role::kAdmin, "national", "ops", "0C")),
            StreamClass::kReserved);
  EXPECT_EQ(ThreadEvents::OwnerOf(professional_).serial, "0A01");
  EXPECT_EQ(ThreadEvents::OwnerOf(professional_).principal, "");
  EXPECT_EQ(ThreadEvents::OwnerOf(adviser_).principal, EventHub::AdviserPrincipal(kUnit, "a-1"));
  EXPECT_EQ(ThreadEvents::OwnerOf(adviser_again_).principal,
            ThreadEvents::OwnerOf(adviser_).principal);
}

TEST_F(ThreadEventsTest, AStreamIsChargedToTheSharedPoolWithItsOwnCap) {
  const StreamCharge charge = events_.ChargeOf(StreamClass::kProfessional);
  ASSERT_NE(charge.memory, nullptr);
  EXPECT_EQ(charge.memory, events_.ChargeOf(StreamClass::kReserved).memory);
  EXPECT_EQ(charge.memory->budget(), 1u << 20);
  EXPECT_EQ(charge.stream_class, StreamClass::kProfessional);
  EXPECT_EQ(charge.cap_bytes, size_t{64} << 10);
  EXPECT_EQ(charge.min_page_bytes, 10000u + 4096u);
}

TEST_F(ThreadEventsTest, ProfessionalsLeaveTheAdviserReserveOpen) {
  // 4 streams, half kept for advisers.
  ASSERT_TRUE(events_.budget().Acquire("p1", StreamClass::kProfessional).ok());
  ASSERT_TRUE(events_.budget().Acquire("p2", StreamClass::kProfessional).ok());
  EXPECT_EQ(events_.budget().Acquire("p3", StreamClass::kProfessional).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(events_.budget().Acquire("a1", StreamClass::kReserved).ok());
  EXPECT_EQ(events_.open_streams(), 3u);
  events_.budget().Release("p1", StreamClass::kProfessional);
  EXPECT_EQ(events_.open_streams(), 2u);
}

TEST_F(ThreadEventsTest, AChangeReachesTheUnitsQueueAndTheThreadsWatchers) {
  auto queue = WatchQueue(adviser_);
  auto other_queue = WatchQueue(Caller(Role::kAdviser, kOtherUnit, "b-1", "0D01"));
  auto watcher = WatchThread("t1", professional_);
  auto other_watcher = WatchThread("t2", professional_);
  v1::StoredMessage message;
  message.set_thread_id("t1");
  message.set_sequence(3);
  events_.PublishChange(Thread("t1", kUnit), &message, v1::QueueEvent::KIND_FOLLOW_UP);
  events_.PublishChange(Thread("t1", kUnit), nullptr, v1::QueueEvent::KIND_CLOSED);

  ASSERT_EQ(queue->events.size(), 2u);
  EXPECT_EQ(queue->events[0].kind(), v1::QueueEvent::KIND_FOLLOW_UP);
  EXPECT_EQ(queue->events[0].thread().thread_id(), "t1");
  EXPECT_EQ(queue->events[1].kind(), v1::QueueEvent::KIND_CLOSED);
  ASSERT_EQ(watcher->events.size(), 2u);
  EXPECT_EQ(watcher->events[0].summary().thread_id(), "t1");
  EXPECT_EQ(watcher->events[0].message().sequence(), 3u);
  EXPECT_FALSE(watcher->events[1].has_message());
  EXPECT_TRUE(other_queue->events.empty());
  EXPECT_TRUE(other_watcher->events.empty());
}

TEST_F(ThreadEventsTest, AReferralLeavesTheOldQueueAndEntersTheNewOne) {
  auto from = WatchQueue(adviser_);
  auto to = WatchQueue(Caller(Role::kAdviser, kOtherUnit, "b-1", "0D01"));
  auto watcher = WatchThread("t1", professional_);
  events_.PublishReferral(Thread("t1", kOtherUnit), kUnit);

  ASSERT_EQ(from->events.size(), 1u);
  EXPECT_EQ(from->events[0].kind(), v1::QueueEvent::KIND_REFERRED_OUT);
  EXPECT_EQ(from->events[0].thread().unit(), kOtherUnit);
  ASSERT_EQ(to->events.size(), 1u);
  EXPECT_EQ(to->events[0].kind(), v1::QueueEvent::KIND_REFERRED_IN);
  ASSERT_EQ(watcher->events.size(), 1u);
  EXPECT_EQ(watcher->events[0].summary().unit(), kOtherUnit);
}

TEST_F(ThreadEventsTest, ARevokedCertificatesStreamsEndAtOnce) {
  auto revoked = WatchThread("t1", professional_);
  auto other = WatchThread("t1", Caller(Role::kProfessional, "07", "p-2", "0A02"));
  EXPECT_EQ(events_.EndStreamsOfRevoked("0A01"), 1u);
  ASSERT_TRUE(revoked->closed.has_value());
  EXPECT_EQ(revoked->closed->code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(reasons::Is(*revoked->closed, reasons::Reason::kCertificateRevoked));
  EXPECT_FALSE(other->closed.has_value());
  events_.PublishChange(Thread("t1", kUnit), nullptr, v1::QueueEvent::KIND_CLOSED);
  EXPECT_TRUE(revoked->events.empty()) << "an ended stream is told nothing more";
  EXPECT_EQ(other->events.size(), 1u);
}

TEST_F(ThreadEventsTest, AnExpiredCertificatesStreamsEndNamingTheTime) {
  auto queue = WatchQueue(adviser_);
  EXPECT_EQ(events_.EndStreamsOfExpired("0B01", 1'700'000'000'000), 1u);
  ASSERT_TRUE(queue->closed.has_value());
  EXPECT_EQ(queue->closed->code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(reasons::Is(*queue->closed, reasons::Reason::kCertificateExpired));
  EXPECT_NE(queue->closed->message().find("2023-11-14"), std::string::npos)
      << queue->closed->message();
  EXPECT_EQ(events_.EndStreamsOfExpired("0B01", 1'700'000'000'000), 0u);
}

TEST_F(ThreadEventsTest, AnAdviserRemovedFromTheDirectoryLosesEveryStream) {
  auto queue = WatchQueue(adviser_);
  auto watch = WatchThread("t1", adviser_again_);
  auto colleague = WatchQueue(other_adviser_);
  const size_t ended = events_.EndStreamsOfRemovedAdvisers({{kUnit, "a-1"}}, 7);
  EXPECT_EQ(ended, 2u);
  ASSERT_TRUE(queue->closed.has_value());
  ASSERT_TRUE(watch->closed.has_value());
  EXPECT_EQ(queue->closed->code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(queue->closed->message().find("epoch 7"), std::string::npos);
  EXPECT_EQ(watch->closed->code(), absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(colleague->closed.has_value());
  EXPECT_EQ(events_.EndStreamsOfRemovedAdvisers({{kOtherUnit, "a-1"}}, 8), 0u)
      << "the same id in another unit is another adviser";
}

TEST_F(ThreadEventsTest, ShutdownEndsEveryStreamAndRefusesNewOnes) {
  auto queue = WatchQueue(adviser_);
  auto watch = WatchThread("t1", professional_);
  events_.Shutdown();
  ASSERT_TRUE(queue->closed.has_value());
  EXPECT_EQ(queue->closed->code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(reasons::Is(*watch->closed, reasons::Reason::kStreamShutdown));
  auto late = std::make_shared<RecordingSink<v1::QueueEvent>>();
  EXPECT_EQ(
      events_.hub().SubscribeQueue(kUnit, ThreadEvents::OwnerOf(adviser_), late).status().code(),
      absl::StatusCode::kUnavailable);
  events_.Shutdown();  // idempotent
}

}  // namespace
}  // namespace samrad::server
