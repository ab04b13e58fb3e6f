// DirectoryFreshness: whether the key directory the relay serves will still
// be accepted by clients, for the gRPC health service.
//
// Clients refuse a directory after its signed not_after (docs/DESIGN.md,
// "Integrity against the relay"), so a relay whose directory is about to
// expire is about to stop every consultation. The health service name
// kDirectoryHealthService is SERVING while the directory is valid for more
// than kDirectoryExpiryWarning, and NOT_SERVING (with one log warning per
// transition, naming the fix) when it expires within that time, has expired,
// or none has been published.
//
// Ownership: DirectoryFreshness owns its thread and its three callbacks;
// whatever they capture must outlive Stop(). Thread-safety: Poke and Stop
// may be called from any thread; the callbacks run on the object's thread
// or on Poke's caller, one evaluation at a time.
#ifndef SAMRAD_SERVER_DIRECTORY_HEALTH_H_
#define SAMRAD_SERVER_DIRECTORY_HEALTH_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <optional>
#include <thread>

#include "common/mutex.h"

namespace samrad::server {

inline constexpr char kDirectoryHealthService[] = "samrad.v1.Directory";
inline constexpr int64_t kDirectoryExpiryWarningMs = int64_t{2} * 24 * 3600 * 1000;

// The directory as the relay serves it: epoch and not_after (0, 0: none).
struct ServedDirectory {
  uint64_t epoch = 0;
  int64_t not_after_unix_ms = 0;
};

// Whether clients will keep accepting `served` for longer than the warning
// time at `now_unix_ms`.
bool DirectoryFresh(const ServedDirectory& served, int64_t now_unix_ms);

class DirectoryFreshness {
 public:
  // Re-evaluates every `interval_ms` on its own thread and on Poke();
  // `set_serving(fresh)` is called on the first evaluation and on every
  // change (evaluations are serialised; it must not call back into this).
  DirectoryFreshness(std::function<ServedDirectory()> served, std::function<int64_t()> clock,
                     std::function<void(bool fresh)> set_serving, int64_t interval_ms);
  ~DirectoryFreshness();  // Stop()
  DirectoryFreshness(const DirectoryFreshness&) = delete;
  DirectoryFreshness& operator=(const DirectoryFreshness&) = delete;

  // Evaluates again now, on the calling thread (after a publish, so health
  // is current when the publish is answered). Thread-safe.
  void Poke();
  // Ends the thread; idempotent.
  void Stop();

 private:
  void Run();
  void Evaluate();

  std::function<ServedDirectory()> served_;
  std::function<int64_t()> clock_;
  std::function<void(bool)> set_serving_;
  const int64_t interval_ms_;
  Mutex evaluate_mu_;  // serialises Evaluate
  std::optional<bool> reported_ ABSL_GUARDED_BY(evaluate_mu_);
  Mutex mu_;
  std::condition_variable wake_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_DIRECTORY_HEALTH_H_
