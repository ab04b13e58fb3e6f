// MaintenanceWorker (server/maintenance_worker.h): jobs run one at a time in
// the order posted, on the worker's thread; the periodic task runs only when
// no job waits; Stop runs what was posted, then refuses more.
#include "server/maintenance_worker.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "gtest/gtest.h"

namespace samrad::server {
namespace {

TEST(MaintenanceWorkerTest, JobsRunInOrderOnOneThreadAndStopDrainsThenRefuses) {
  Mutex mu;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  MaintenanceWorker worker(0, [] {});
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  // The first job blocks, so the others queue behind it.
  ASSERT_TRUE(worker.Post([opened] { opened.wait(); }));
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(worker.Post([&, i] {
      MutexLock lock(mu);
      order.push_back(i);
      threads.push_back(std::this_thread::get_id());
    }));
  }
  gate.set_value();
  worker.Stop();  // runs everything posted before it
  EXPECT_FALSE(worker.Post([&] { ADD_FAILURE() << "a job ran after Stop"; }));
  MutexLock lock(mu);
  ASSERT_EQ(order.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[i], i);
  for (const std::thread::id& id : threads) {
    EXPECT_EQ(id, threads.front());
    EXPECT_NE(id, std::this_thread::get_id());
  }
}

TEST(MaintenanceWorkerTest, PeriodicTaskRunsByItsIntervalAndNotAfterStop) {
  std::atomic<int> runs{0};
  MaintenanceWorker worker(20, [&] { ++runs; });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (runs.load() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(runs.load(), 3);
  worker.Stop();
  const int after_stop = runs.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(runs.load(), after_stop);
}

TEST(MaintenanceWorkerTest, WithoutAnIntervalThePeriodicTaskNeverRuns) {
  std::atomic<int> runs{0};
  MaintenanceWorker worker(0, [&] { ++runs; });
  std::promise<void> done;
  ASSERT_TRUE(worker.Post([&] { done.set_value(); }));
  EXPECT_EQ(done.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  worker.Stop();
  EXPECT_EQ(runs.load(), 0);
}

}  // namespace
}  // namespace samrad::server
