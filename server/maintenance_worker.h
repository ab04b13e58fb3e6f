// MaintenanceWorker: one thread for blocking maintenance work (backup,
// retention, statistics) and a periodic task (the retention sweeper), so
// that gRPC threads never wait on it.
//
// Jobs run one at a time in the order posted; the periodic task runs when no
// job is waiting and its interval has passed. Stop() lets the running job
// finish, drops nothing already posted (they run first), then joins.
//
// Thread-safety: every method may be called from any thread. Jobs and the
// periodic task run on the worker's own thread, never under its lock, so a
// job may Post further jobs (but must not call Stop: it would wait for
// itself — Stop from the worker thread does not join).
// Ownership: the worker owns its thread and the queued jobs; the destructor
// Stops. Whatever a job captures must outlive the worker's Stop.
#ifndef SAMRAD_SERVER_MAINTENANCE_WORKER_H_
#define SAMRAD_SERVER_MAINTENANCE_WORKER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>

#include "common/mutex.h"

namespace samrad::server {

class MaintenanceWorker {
 public:
  // Starts the thread. `periodic` runs every `interval_ms` (never when
  // interval_ms <= 0), first one interval after construction.
  MaintenanceWorker(int64_t interval_ms, std::function<void()> periodic);
  ~MaintenanceWorker();
  MaintenanceWorker(const MaintenanceWorker&) = delete;
  MaintenanceWorker& operator=(const MaintenanceWorker&) = delete;

  // Queues `job`. False after Stop (the job is not run, and is destroyed
  // before Post returns).
  [[nodiscard]] bool Post(std::function<void()> job);

  // Runs queued jobs, then stops the thread. Idempotent.
  void Stop();

 private:
  // The worker thread's loop; returns once stopping and no job is left.
  void Run();

  const int64_t interval_ms_;
  const std::function<void()> periodic_;
  Mutex mu_;
  std::condition_variable cv_;  // signalled under mu_ by Post and Stop
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // set in the constructor, joined by Stop
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_MAINTENANCE_WORKER_H_
