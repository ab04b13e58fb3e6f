#include "server/directory_health.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/log.h"

namespace samrad::server {

bool DirectoryFresh(const ServedDirectory& served, int64_t now_unix_ms) {
  return served.epoch != 0 && served.not_after_unix_ms - now_unix_ms > kDirectoryExpiryWarningMs;
}

DirectoryFreshness::DirectoryFreshness(std::function<ServedDirectory()> served,
                                       std::function<int64_t()> clock,
                                       std::function<void(bool fresh)> set_serving,
                                       int64_t interval_ms)
    : served_(std::move(served)),
      clock_(std::move(clock)),
      set_serving_(std::move(set_serving)),
      interval_ms_(interval_ms),
      thread_([this] { Run(); }) {}

DirectoryFreshness::~DirectoryFreshness() { Stop(); }

void DirectoryFreshness::Poke() { Evaluate(); }

void DirectoryFreshness::Stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void DirectoryFreshness::Evaluate() {
  MutexLock lock(evaluate_mu_);
  const ServedDirectory served = served_();
  const int64_t now = clock_();
  const bool fresh = DirectoryFresh(served, now);
  if (reported_.has_value() && *reported_ == fresh) return;
  if (!fresh && served.epoch == 0) {
    LogWarning("directory_missing",
               {{"health", "NOT_SERVING"},
                {"why", "no key directory is published, so clients can send nothing"},
                {"fix", "samrad admin directory sign, then samrad admin directory publish"}});
  } else if (!fresh) {
    LogWarning("directory_expiring",
               {{"health", "NOT_SERVING"},
                {"epoch", absl::StrCat(served.epoch)},
                {"hours_left", absl::StrCat((served.not_after_unix_ms - now) / 3'600'000)},
                {"why", "the key directory expires within 2 days; clients refuse it after that"},
                {"fix", "samrad admin directory refresh, then samrad admin directory publish"}});
  } else if (reported_.has_value()) {
    LogInfo("directory_fresh", {{"epoch", absl::StrCat(served.epoch)}});
  }
  set_serving_(fresh);
  reported_ = fresh;
}

void DirectoryFreshness::Run() {
  while (true) {
    Evaluate();
    MutexLock lock(mu_);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(interval_ms_);
    while (!stop_ && lock.WaitUntil(wake_, deadline)) {
    }
    if (stop_) return;
  }
}

}  // namespace samrad::server
