// A one-line progress display for long offline commands of samrad-relay
// (fsck, restore): percent, amount, rate and ETA, redrawn in place on a
// terminal and silent otherwise (so logs and pipes see only the results).
#ifndef SAMRAD_SERVER_PROGRESS_H_
#define SAMRAD_SERVER_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "common/mutex.h"

namespace samrad::server {

enum class ProgressUnit { kEntries, kBytes };

// The figures of a progress line after `elapsed_s` seconds with `done` of
// `total` units. `total` 0 means unknown: no percent and no ETA. The rate is
// the average since the start (done / elapsed_s; 0 before any time has
// passed); ETA = (total - done) / rate in whole seconds, rounded up, absent
// without a total or a rate. Percent is capped at 100 (estimates can be low).
struct ProgressFigures {
  std::optional<int> percent;
  double rate_per_s = 0;
  std::optional<int64_t> eta_s;
};
ProgressFigures ComputeProgress(uint64_t done, uint64_t total, double elapsed_s);

// "fsck: 42% 420,000/1,000,000 entries, 61,234/s, ETA 0:09"
// "restore: 42% 1.2/2.9 GiB, 85.0 MiB/s, ETA 0:21"
// Without a total: "fsck: 420,000 entries, 61,234/s".
std::string FormatProgressLine(std::string_view label, ProgressUnit unit, uint64_t done,
                               uint64_t total, double elapsed_s);

// Draws FormatProgressLine on `out`, one line rewritten in place ("\r", then
// spaces over what the previous drawing left), at most once per `interval`.
// A disabled line writes nothing at all. Update and Finish are thread-safe.
class ProgressLine {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  ProgressLine(FILE* out, bool enabled, std::string label, ProgressUnit unit,
               Clock clock = std::chrono::steady_clock::now,
               std::chrono::milliseconds interval = std::chrono::milliseconds(250));

  // Redraws when `interval` has passed since the last drawing (the first
  // call always draws).
  void Update(uint64_t done, uint64_t total);
  // Draws the last state given to Update and ends the line; nothing when
  // nothing was drawn.
  void Finish();

  bool enabled() const { return enabled_; }

  // True when stderr is a terminal: where the commands draw progress.
  static bool StderrIsTerminal();

 private:
  void DrawLocked(std::chrono::steady_clock::time_point now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  FILE* const out_;
  const bool enabled_;
  const std::string label_;
  const ProgressUnit unit_;
  const Clock clock_;
  const std::chrono::milliseconds interval_;
  const std::chrono::steady_clock::time_point start_;
  Mutex mu_;
  uint64_t done_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t total_ ABSL_GUARDED_BY(mu_) = 0;
  bool drawn_ ABSL_GUARDED_BY(mu_) = false;
  size_t last_width_ ABSL_GUARDED_BY(mu_) = 0;
  std::chrono::steady_clock::time_point last_draw_ ABSL_GUARDED_BY(mu_){};
};

// The bytes of the regular files under `dir` (0 when it cannot be read): how
// far a restore into `dir` has come.
uint64_t DirectoryBytes(const std::string& dir);

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_PROGRESS_H_
