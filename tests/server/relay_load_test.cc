// The relay under concurrent load over real mTLS on 127.0.0.1 with a real,
// synced RocksDB store: sequential and concurrent SubmitConsultation, then
// ListQueue pages over everything stored. Functional only: every call
// succeeds, every acknowledged thread is in the queue exactly once and the
// pages add up. Speed is not asserted here; `samrad-bench` measures it
// (docs/benchmarks/relay.md). The only time limit is ctest's TIMEOUT, a hang
// guard.
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/server/relay_fixture.h"

namespace samrad::server::testing {
namespace {

class RelayLoadTest : public RelayTest {
 protected:
  void SetUp() override {
    RelayTest::SetUp();
    v1::RelayConfig config = BaseConfig();
    config.mutable_limits()->set_rate_per_second(100000);
    config.mutable_limits()->set_rate_burst(100000);
    StartRelay(config);
    PublishDirectory(1);
  }

  // `clients` threads, each with its own connection, submit `per_client`
  // sealed consultations (sealed beforehand). Returns the thread ids the
  // relay acknowledged; a failed call or an ack naming another thread fails
  // the test.
  std::vector<std::string> SubmitConcurrently(int clients, int per_client) {
    std::vector<std::vector<ThreadKeys>> keys(clients);
    std::vector<std::vector<v1::SubmitConsultationRequest>> requests(clients);
    for (int c = 0; c < clients; ++c) {
      for (int i = 0; i < per_client; ++i) {
        keys[c].push_back(NewThreadKeys());
        requests[c].push_back(SubmitRequest(keys[c].back(), "load"));
      }
    }
    std::vector<std::unique_ptr<v1::Relay::Stub>> stubs;
    for (int c = 0; c < clients; ++c) stubs.push_back(Stub(kProfessional));
    std::mutex mu;
    std::vector<std::string> acked;
    std::atomic<int> failures{0}, wrong_acks{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        for (int i = 0; i < per_client; ++i) {
          grpc::ClientContext ctx;
          v1::Ack ack;
          if (!stubs[c]->SubmitConsultation(&ctx, requests[c][i], &ack).ok()) {
            ++failures;
            continue;
          }
          if (ack.thread_id() != keys[c][i].thread_id || ack.duplicate()) ++wrong_acks;
          std::lock_guard<std::mutex> lock(mu);
          acked.push_back(ack.thread_id());
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(wrong_acks.load(), 0) << "acks that named another thread or a duplicate";
    return acked;
  }
};

TEST_F(RelayLoadTest, ConcurrentSubmitsAreAllAcknowledgedAndListedOnce) {
  std::vector<std::string> submitted;
  for (int clients : {1, 8}) {
    const int per_client = clients == 1 ? 200 : 50;
    std::vector<std::string> acked = SubmitConcurrently(clients, per_client);
    EXPECT_EQ(acked.size(), static_cast<size_t>(clients * per_client)) << clients << " clients";
    submitted.insert(submitted.end(), acked.begin(), acked.end());
  }
  ASSERT_EQ(submitted.size(), 600u);

  // The queue, page by page, holds each acknowledged thread exactly once.
  std::map<std::string, int> listed;
  auto adviser = Stub(kAdviser);
  std::string cursor;
  int pages = 0;
  do {
    v1::ListQueueRequest request;
    request.set_page_size(50);
    request.set_cursor(cursor);
    v1::QueuePage page;
    grpc::ClientContext ctx;
    ASSERT_TRUE(adviser->ListQueue(&ctx, request, &page).ok());
    EXPECT_LE(page.threads_size(), 50);
    for (const auto& t : page.threads()) ++listed[t.thread_id()];
    cursor = page.next_cursor();
    ++pages;
    ASSERT_LE(pages, 13) << "the cursor does not end";
  } while (!cursor.empty());
  EXPECT_EQ(pages, 12);
  EXPECT_EQ(listed.size(), 600u);
  for (const std::string& id : submitted) EXPECT_EQ(listed[id], 1) << id;
}

}  // namespace
}  // namespace samrad::server::testing
