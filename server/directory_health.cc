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

void DirectoryFreshness::Poke() {
  std::lock_guard<std::mutex> lock(mu_);
  poked_ = true;
  wake_.notify_all();
}

void DirectoryFreshness::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void DirectoryFreshness::Run() {
  std::optional<bool> reported;
  while (true) {
    const ServedDirectory served = served_();
    const int64_t now = clock_();
    const bool fresh = DirectoryFresh(served, now);
    if (!reported.has_value() || *reported != fresh) {
      if (!fresh && served.epoch == 0) {
        LogWarning("directory_missing",
                   {{"health", "NOT_SERVING"},
                    {"fix", "publish a key directory: samrad admin directory publish"}});
      } else if (!fresh) {
        LogWarning(
            "directory_expiring",
            {{"health", "NOT_SERVING"},
             {"epoch", absl::StrCat(served.epoch)},
             {"hours_left", absl::StrCat((served.not_after_unix_ms - now) / 3'600'000)},
             {"fix", "samrad admin directory refresh, then samrad admin directory publish"}});
      } else if (reported.has_value()) {
        LogInfo("directory_fresh", {{"epoch", absl::StrCat(served.epoch)}});
      }
      set_serving_(fresh);
      reported = fresh;
    }
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, std::chrono::milliseconds(interval_ms_),
                   [this] { return stop_ || poked_; });
    if (stop_) return;
    poked_ = false;
  }
}

}  // namespace samrad::server
