// Load figures for the relay over real mTLS on 127.0.0.1 with a real,
// synced RocksDB store: sequential and concurrent SubmitConsultation, and
// ListQueue pages. Prints the figures; fails if any call fails or the rate
// falls below a floor that even a slow CI disk meets.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/server/relay_fixture.h"

namespace samrad::server::testing {
namespace {

using Clock = std::chrono::steady_clock;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

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
  // sealed consultations (sealed beforehand). Returns per-call latencies (ms).
  std::vector<double> SubmitConcurrently(int clients, int per_client, double* out_seconds) {
    std::vector<std::vector<v1::SubmitConsultationRequest>> requests(clients);
    for (auto& r : requests) {
      for (int i = 0; i < per_client; ++i) r.push_back(SubmitRequest(NewThreadKeys(), "load"));
    }
    std::vector<std::unique_ptr<v1::Relay::Stub>> stubs;
    for (int c = 0; c < clients; ++c) stubs.push_back(Stub(kProfessional));
    std::vector<std::vector<double>> latencies(clients);
    std::atomic<int> failures{0};
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        for (const auto& request : requests[c]) {
          grpc::ClientContext ctx;
          v1::Ack ack;
          const auto t0 = Clock::now();
          if (!stubs[c]->SubmitConsultation(&ctx, request, &ack).ok()) ++failures;
          latencies[c].push_back(
              std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        }
      });
    }
    for (auto& t : threads) t.join();
    *out_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    EXPECT_EQ(failures.load(), 0);
    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    return all;
  }
};

TEST_F(RelayLoadTest, SubmitRateSequentialAndConcurrent) {
  for (int clients : {1, 8}) {
    const int per_client = clients == 1 ? 200 : 50;
    double seconds = 0;
    std::vector<double> lat = SubmitConcurrently(clients, per_client, &seconds);
    const double rate = static_cast<double>(lat.size()) / seconds;
    std::printf("relay_load: clients=%d submits=%zu rate=%.0f/s p50=%.2fms p99=%.2fms\n", clients,
                lat.size(), rate, Percentile(lat, 0.5), Percentile(lat, 0.99));
    EXPECT_GT(rate, 10.0);
  }
  // A queue page over the 600 threads now stored.
  auto adviser = Stub(kAdviser);
  std::vector<double> lat;
  std::string cursor;
  int pages = 0, threads = 0;
  do {
    v1::ListQueueRequest request;
    request.set_page_size(50);
    request.set_cursor(cursor);
    v1::QueuePage page;
    grpc::ClientContext ctx;
    const auto t0 = Clock::now();
    ASSERT_TRUE(adviser->ListQueue(&ctx, request, &page).ok());
    lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    cursor = page.next_cursor();
    threads += page.threads_size();
    ++pages;
  } while (!cursor.empty());
  EXPECT_EQ(threads, 600);
  std::printf("relay_load: list_queue pages=%d page_size=50 p50=%.2fms max=%.2fms\n", pages,
              Percentile(lat, 0.5), Percentile(lat, 1.0));
}

}  // namespace
}  // namespace samrad::server::testing
