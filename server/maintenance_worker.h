// MaintenanceWorker: one thread for blocking maintenance work (backup,
// retention, statistics) and a periodic task (the retention sweeper), so
// that gRPC threads never wait on it.
//
// Jobs run one at a time in the order posted; the periodic task runs when no
// job is waiting and its interval has passed. Stop() lets the running job
// finish, drops nothing already posted (they run first), then joins.
// Thread-safe.
#ifndef SAMRAD_SERVER_MAINTENANCE_WORKER_H_
#define SAMRAD_SERVER_MAINTENANCE_WORKER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace samrad::server {

class MaintenanceWorker {
 public:
  // `periodic` runs every `interval_ms` (never when interval_ms <= 0).
  MaintenanceWorker(int64_t interval_ms, std::function<void()> periodic);
  ~MaintenanceWorker();
  MaintenanceWorker(const MaintenanceWorker&) = delete;
  MaintenanceWorker& operator=(const MaintenanceWorker&) = delete;

  // Queues `job`. False after Stop (the job is not run).
  bool Post(std::function<void()> job);

  // Runs queued jobs, then stops the thread. Idempotent.
  void Stop();

 private:
  void Run();

  const int64_t interval_ms_;
  const std::function<void()> periodic_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_MAINTENANCE_WORKER_H_
