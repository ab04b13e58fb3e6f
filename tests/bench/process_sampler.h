// Samples a local process's memory and CPU from /proc while a run is under
// way (--relay-pid): resident set (VmRSS, its maximum over the samples), the
// kernel's high-water mark (VmHWM) and CPU time used during the run.
#ifndef SAMRAD_TESTS_BENCH_PROCESS_SAMPLER_H_
#define SAMRAD_TESTS_BENCH_PROCESS_SAMPLER_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace samrad::bench {

struct ProcessSnapshot {
  int64_t rss_kib = 0;     // VmRSS
  int64_t hwm_kib = 0;     // VmHWM (peak since start or last reset)
  double cpu_seconds = 0;  // utime + stime
};

// One reading of /proc/PID/status and /proc/PID/stat. NOT_FOUND when the
// process does not exist (or is not visible to us).
absl::StatusOr<ProcessSnapshot> ReadProcess(pid_t pid);

// Samples `pid` every `interval` on a background thread between Start() and
// Stop(). Not copyable; Stop() is idempotent and the destructor calls it.
class ProcessSampler {
 public:
  struct Summary {
    bool ok = false;          // at least one sample on each end
    int64_t max_rss_kib = 0;  // over the samples
    int64_t hwm_kib = 0;      // at the last sample
    double cpu_seconds = 0;   // used between Start() and Stop()
    int samples = 0;
  };

  ProcessSampler(pid_t pid, std::chrono::milliseconds interval);
  ~ProcessSampler();
  ProcessSampler(const ProcessSampler&) = delete;
  ProcessSampler& operator=(const ProcessSampler&) = delete;

  void Start();
  Summary Stop();
  // Samples taken so far (one at Start(), then one per interval); safe to
  // call from any thread while the sampler runs.
  int samples_so_far();

 private:
  void Sample();

  const pid_t pid_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  Summary summary_;
  double start_cpu_ = -1;
  double last_cpu_ = -1;
};

// "rss_max_mib=… hwm_mib=… cpu_s=… cpu_us_per_call=…" for `calls` calls.
std::string FormatProcessSummary(const ProcessSampler::Summary& summary, uint64_t calls);

}  // namespace samrad::bench

#endif  // SAMRAD_TESTS_BENCH_PROCESS_SAMPLER_H_
