// Relay memory is bounded by bytes (issue 17 item 2), against the real
// RelayServer on 127.0.0.1 with real mTLS and a real RocksDB store:
// GetThread pages under a byte budget with a cursor; a WatchThread backlog
// is sent page by page under the stream's byte cap; professionals cannot
// take the stream slots kept for advisers; and a flood of unread watches of
// a thread of max-size messages keeps the relay's RSS under the configured
// stream budget + 64 MiB.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crypto/random.h"
#include "gtest/gtest.h"
#include "tests/server/relay_fixture.h"

// ASan's shadow memory and quarantine make absolute RSS figures meaningless.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUnderAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kUnderAddressSanitizer = true;
#else
constexpr bool kUnderAddressSanitizer = false;
#endif
#else
constexpr bool kUnderAddressSanitizer = false;
#endif
namespace samrad::server::testing {
namespace {

using grpc::ClientContext;
using grpc::StatusCode;

constexpr char kGetThread[] = "/samrad.v1.Relay/GetThread";
constexpr char kPostMessage[] = "/samrad.v1.Relay/PostMessage";
constexpr char kWatchThread[] = "/samrad.v1.Relay/WatchThread";

// This process's resident set (VmRSS) in bytes; 0 when unreadable.
uint64_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

class StreamMemoryTest : public RelayTest {
 protected:
  // A thread of `count` messages (the question and follow-ups), each with a
  // text of `text_bytes`.
  ThreadKeys FillThread(int count, size_t text_bytes) {
    ThreadKeys thread = NewThreadKeys();
    const std::string text(text_bytes, 'x');
    Submit(thread, text);
    auto pro = Stub(kProfessional);
    for (int sequence = 2; sequence <= count; ++sequence) {
      v1::PostMessageRequest request;
      request.set_thread_id(thread.thread_id);
      request.set_envelope(
          SealFromProfessional(thread, crypto::RandomId(), sequence, text, /*first=*/false));
      Prove(request, kPostMessage, thread);
      ClientContext ctx;
      v1::Ack ack;
      grpc::Status status = pro->PostMessage(&ctx, request, &ack);
      EXPECT_TRUE(status.ok()) << sequence << ": " << status.error_message();
      if (!status.ok()) break;
    }
    return thread;
  }

  // A stub for certificate `name` whose client buffers little of what it
  // does not read (no BDP window growth, 64 KiB lookahead): this process
  // hosts the relay too, and the flood must measure the relay's memory, not
  // the client's receive windows.
  std::unique_ptr<v1::Relay::Stub> NonReadingStub(const std::string& name) {
    const TestPki& pki = SharedPki();
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(pki.dir + "/ca.crt");
    options.pem_private_key = ReadFile(pki.Key(name));
    options.pem_cert_chain = ReadFile(pki.Cert(name));
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 * 1024);
    return v1::Relay::NewStub(grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port_),
                                                        grpc::SslCredentials(options), args));
  }

  // One GetThread page as the professional.
  grpc::Status GetPage(const ThreadKeys& thread, uint64_t after, const std::string& cursor,
                       v1::ThreadView* view) {
    v1::GetThreadRequest request;
    request.set_thread_id(thread.thread_id);
    request.set_after_sequence(after);
    request.set_cursor(cursor);
    Prove(request, kGetThread, thread);
    ClientContext ctx;
    return Stub(kProfessional)->GetThread(&ctx, request, view);
  }
};

// A reply stops at limits.max_read_bytes of stored messages (one message
// over at most) and carries a cursor while more follow; following the
// cursors returns every message once, in order. A client that knows no
// cursor (after_sequence only) still pages; a forged cursor is refused.
TEST_F(StreamMemoryTest, GetThreadPagesUnderTheByteBudgetWithACursor) {
  v1::RelayConfig config = BaseConfig();
  config.mutable_limits()->set_max_envelope_bytes(64 * 1024);
  config.mutable_limits()->set_max_read_bytes(64 * 1024);
  StartRelay(config);
  PublishDirectory(1);
  constexpr int kMessages = 12;
  const ThreadKeys thread = FillThread(kMessages, 20 * 1024);
  ASSERT_FALSE(HasFailure());

  std::vector<uint64_t> sequences;
  std::string cursor;
  int pages = 0;
  do {
    v1::ThreadView view;
    grpc::Status status = GetPage(thread, 0, cursor, &view);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_GT(view.messages_size(), 0);
    size_t bytes = 0;
    for (const auto& m : view.messages()) {
      bytes += m.envelope().size();
      sequences.push_back(m.sequence());
    }
    // 20 KiB texts: three fit 64 KiB, the fourth would not.
    EXPECT_LE(bytes, size_t{64 * 1024}) << "page " << pages;
    EXPECT_LT(view.messages_size(), kMessages) << "the whole thread came in one reply";
    cursor = view.next_cursor();
    ++pages;
    ASSERT_LT(pages, 100) << "the cursor does not advance";
  } while (!cursor.empty());
  EXPECT_GE(pages, 4);
  ASSERT_EQ(sequences.size(), size_t{kMessages});
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(sequences[i], uint64_t(i + 1));

  // An old client: after_sequence only, no cursor; pages still start there.
  v1::ThreadView tail;
  ASSERT_TRUE(GetPage(thread, kMessages - 1, "", &tail).ok());
  ASSERT_EQ(tail.messages_size(), 1);
  EXPECT_EQ(tail.messages(0).sequence(), uint64_t{kMessages});
  EXPECT_TRUE(tail.next_cursor().empty());

  v1::ThreadView forged;
  grpc::Status status = GetPage(thread, 0, "not-a-cursor", &forged);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("cursor"), std::string::npos) << status.error_message();
}

// The backlog of a WatchThread far larger than the stream's byte cap comes
// whole, in order, page by page as the client reads, then live events
// follow without a duplicate.
TEST_F(StreamMemoryTest, WatchThreadBacklogLargerThanTheCapArrivesInPagesThenLive) {
  v1::RelayConfig config = BaseConfig();
  config.mutable_limits()->set_max_envelope_bytes(64 * 1024);
  config.mutable_limits()->set_max_stream_queue_bytes(64 * 1024);
  StartRelay(config);
  PublishDirectory(1);
  constexpr int kMessages = 24;  // ~480 KiB of backlog, 7x the cap
  const ThreadKeys thread = FillThread(kMessages, 20 * 1024);
  ASSERT_FALSE(HasFailure());

  v1::WatchThreadRequest watch;
  watch.set_thread_id(thread.thread_id);
  Prove(watch, kWatchThread, thread);
  ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
  auto reader = Stub(kProfessional)->WatchThread(&ctx, watch);
  v1::ThreadEvent event;
  for (int sequence = 1; sequence <= kMessages; ++sequence) {
    ASSERT_TRUE(reader->Read(&event)) << "backlog ended at " << sequence;
    ASSERT_TRUE(event.has_message());
    EXPECT_EQ(event.message().sequence(), uint64_t(sequence));
  }
  // Live, after the backlog.
  v1::PostMessageRequest post;
  post.set_thread_id(thread.thread_id);
  post.set_envelope(
      SealFromAdviser(advisers_.at(kAdviser), thread, crypto::RandomId(), kMessages + 1, "svar"));
  {
    ClientContext post_ctx;
    v1::Ack ack;
    grpc::Status status = Stub(kAdviser)->PostMessage(&post_ctx, post, &ack);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  ASSERT_TRUE(reader->Read(&event));
  ASSERT_TRUE(event.has_message());
  EXPECT_EQ(event.message().sequence(), uint64_t{kMessages + 1});
  ctx.TryCancel();
  while (reader->Read(&event)) {
  }
  reader->Finish();
}

// A backlog of many small messages (more than the 1,024 events a stream may
// hold) is paged by count as well as bytes, so a live event arriving while
// it pages is held and delivered after it, not taken for a client that fell
// behind.
TEST_F(StreamMemoryTest, ALongBacklogOfSmallMessagesLeavesRoomForLiveEvents) {
  StartRelay();
  PublishDirectory(1);
  constexpr int kMessages = 1100;
  const ThreadKeys thread = FillThread(kMessages, 16);
  ASSERT_FALSE(HasFailure());
  v1::WatchThreadRequest watch;
  watch.set_thread_id(thread.thread_id);
  Prove(watch, kWatchThread, thread);
  ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
  auto reader = Stub(kProfessional)->WatchThread(&ctx, watch);
  v1::ThreadEvent event;
  ASSERT_TRUE(reader->Read(&event));  // the stream is open and its backlog paging
  v1::PostMessageRequest post;
  post.set_thread_id(thread.thread_id);
  post.set_envelope(
      SealFromAdviser(advisers_.at(kAdviser), thread, crypto::RandomId(), kMessages + 1, "svar"));
  {
    ClientContext post_ctx;
    v1::Ack ack;
    grpc::Status status = Stub(kAdviser)->PostMessage(&post_ctx, post, &ack);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  for (int sequence = 2; sequence <= kMessages + 1; ++sequence) {
    ASSERT_TRUE(reader->Read(&event))
        << "ended at " << sequence << ": " << reader->Finish().error_message();
    ASSERT_TRUE(event.has_message());
    ASSERT_EQ(event.message().sequence(), uint64_t(sequence));
  }
  ctx.TryCancel();
  while (reader->Read(&event)) {
  }
  reader->Finish();
}

// With 8 stream slots and half kept for advisers, professionals (two
// certificates, 4 watches each) get 4 in all, the rest RESOURCE_EXHAUSTED
// saying why; an adviser can still open a watch.
TEST_F(StreamMemoryTest, AdviserCanWatchWhileProfessionalsHoldTheirMaximum) {
  v1::RelayConfig config = BaseConfig();
  config.mutable_limits()->set_max_concurrent_streams(8);
  config.mutable_limits()->set_max_streams_per_identity(8);
  config.mutable_limits()->set_adviser_stream_reserve_percent(50);
  StartRelay(config);
  PublishDirectory(1);
  const ThreadKeys thread = FillThread(1, 100);
  ASSERT_FALSE(HasFailure());

  struct Watch {
    std::unique_ptr<ClientContext> ctx;
    std::unique_ptr<grpc::ClientReader<v1::ThreadEvent>> reader;
  };
  std::vector<Watch> watches;
  std::vector<std::unique_ptr<v1::Relay::Stub>> stubs;
  stubs.push_back(Stub(kProfessional));
  stubs.push_back(Stub(kProfessional2));
  int admitted = 0, refused = 0;
  std::string reason;
  for (int i = 0; i < 8; ++i) {
    v1::WatchThreadRequest watch;
    watch.set_thread_id(thread.thread_id);
    Prove(watch, kWatchThread, thread);
    Watch w;
    w.ctx = std::make_unique<ClientContext>();
    w.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
    w.reader = stubs[i % 2]->WatchThread(w.ctx.get(), watch);
    v1::ThreadEvent event;
    if (w.reader->Read(&event)) {
      ++admitted;  // the backlog: the question
      watches.push_back(std::move(w));
    } else {
      grpc::Status status = w.reader->Finish();
      EXPECT_EQ(status.error_code(), StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
      reason = status.error_message();
      ++refused;
    }
  }
  EXPECT_EQ(admitted, 4);
  EXPECT_EQ(refused, 4);
  EXPECT_NE(reason.find("advisers"), std::string::npos) << reason;

  ClientContext adviser_ctx;
  adviser_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
  v1::WatchThreadRequest adviser_watch;
  adviser_watch.set_thread_id(thread.thread_id);
  auto adviser = Stub(kAdviser)->WatchThread(&adviser_ctx, adviser_watch);
  v1::ThreadEvent event;
  EXPECT_TRUE(adviser->Read(&event))
      << "an adviser could not watch: " << adviser->Finish().error_message();
  adviser_ctx.TryCancel();
  while (adviser->Read(&event)) {
  }
  adviser->Finish();
  for (auto& w : watches) {
    w.ctx->TryCancel();
    while (w.reader->Read(&event)) {
    }
    w.reader->Finish();
  }
}

// The flood of issue 17: a thread of max-size messages, and every watch two
// professional certificates may open, from sequence 0, none of them read.
// The relay (this process: the relay and the test's client) stays under the
// configured stream budget + 64 MiB; before, every stream queued the whole
// thread (here ~30 MiB each, ~480 MiB in all).
TEST_F(StreamMemoryTest, FloodOfUnreadWatchesStaysUnderTheStreamBudget) {
  constexpr uint64_t kBudget = 32ull << 20;
  v1::RelayConfig config = BaseConfig();
  config.mutable_limits()->set_stream_memory_bytes(kBudget);
  config.mutable_storage()->set_block_cache_bytes(8ull << 20);
  config.mutable_storage()->set_write_buffer_bytes(4ull << 20);
  StartRelay(config);
  PublishDirectory(1);
  constexpr int kMessages = 120;
  // The largest text whose envelope fits max_envelope_bytes (256 KiB).
  const ThreadKeys thread = FillThread(kMessages, 250 * 1024);
  ASSERT_FALSE(HasFailure());
  const uint64_t before = ResidentBytes();
  ASSERT_GT(before, 0u);

  struct Watch {
    std::unique_ptr<ClientContext> ctx;
    std::unique_ptr<grpc::ClientReader<v1::ThreadEvent>> reader;
  };
  std::vector<Watch> watches;
  std::vector<std::unique_ptr<v1::Relay::Stub>> stubs;
  stubs.push_back(NonReadingStub(kProfessional));
  stubs.push_back(NonReadingStub(kProfessional2));
  for (int i = 0; i < 16; ++i) {
    v1::WatchThreadRequest watch;
    watch.set_thread_id(thread.thread_id);
    Prove(watch, kWatchThread, thread);
    Watch w;
    w.ctx = std::make_unique<ClientContext>();
    w.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
    w.reader = stubs[i % 2]->WatchThread(w.ctx.get(), watch);
    watches.push_back(std::move(w));
  }
  // Let the relay queue all it will: sample until the RSS stops growing.
  uint64_t peak = ResidentBytes();
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    peak = std::max(peak, ResidentBytes());
  }
  std::printf("rss_before_watches=%llu MiB rss_peak=%llu MiB budget=%llu MiB\n",
              static_cast<unsigned long long>(before >> 20),
              static_cast<unsigned long long>(peak >> 20),
              static_cast<unsigned long long>(kBudget >> 20));
  // What the watches added is bounded by the budget and a margin in every
  // build; the absolute figure only without a sanitizer, whose shadow memory
  // and quarantine alone are hundreds of MiB.
  EXPECT_LT(peak - std::min(peak, before), kBudget + (64ull << 20))
      << "the watches grew relay RSS from " << (before >> 20) << " to " << (peak >> 20) << " MiB";
  if (!kUnderAddressSanitizer) {
    EXPECT_LT(peak, kBudget + (64ull << 20))
        << "relay RSS " << (peak >> 20) << " MiB, before the watches " << (before >> 20) << " MiB";
  }
  // The relay still answers.
  v1::ThreadView view;
  EXPECT_TRUE(GetPage(thread, kMessages - 1, "", &view).ok());
  for (auto& w : watches) w.ctx->TryCancel();
  v1::ThreadEvent event;
  for (auto& w : watches) {
    while (w.reader->Read(&event)) {
    }
    w.reader->Finish();
  }
}

}  // namespace
}  // namespace samrad::server::testing
