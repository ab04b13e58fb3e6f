#include "tests/bench/process_sampler.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace samrad::bench {

absl::StatusOr<ProcessSnapshot> ReadProcess(pid_t pid) {
  const std::string base = absl::StrCat("/proc/", pid);
  std::ifstream status(base + "/status");
  std::ifstream stat(base + "/stat");
  if (!status || !stat) return absl::NotFoundError(absl::StrCat("no process ", pid));
  ProcessSnapshot snap;
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view view(line);
    int64_t* field = nullptr;
    if (absl::ConsumePrefix(&view, "VmRSS:")) field = &snap.rss_kib;
    if (absl::ConsumePrefix(&view, "VmHWM:")) field = &snap.hwm_kib;
    if (field == nullptr) continue;
    view = absl::StripAsciiWhitespace(view);
    absl::ConsumeSuffix(&view, " kB");
    if (!absl::SimpleAtoi(view, field)) {
      return absl::InternalError(absl::StrCat(base, "/status: unreadable line: ", line));
    }
  }
  std::stringstream buffer;
  buffer << stat.rdbuf();
  const std::string text = buffer.str();
  // Fields after the parenthesised command name (which may hold spaces).
  const size_t close = text.rfind(')');
  if (close == std::string::npos)
    return absl::InternalError(absl::StrCat(base, "/stat: malformed"));
  std::vector<std::string> fields =
      absl::StrSplit(absl::string_view(text).substr(close + 2), ' ', absl::SkipEmpty());
  // utime and stime are fields 14 and 15 of stat(5); here 0-based from field 3.
  int64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return absl::InternalError(absl::StrCat(base, "/stat: no utime/stime"));
  }
  snap.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  return snap;
}

ProcessSampler::ProcessSampler(pid_t pid, std::chrono::milliseconds interval)
    : pid_(pid), interval_(interval) {}

ProcessSampler::~ProcessSampler() { Stop(); }

void ProcessSampler::Sample() {
  absl::StatusOr<ProcessSnapshot> snap = ReadProcess(pid_);
  if (!snap.ok()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (start_cpu_ < 0) start_cpu_ = snap->cpu_seconds;
  last_cpu_ = snap->cpu_seconds;
  summary_.max_rss_kib = std::max(summary_.max_rss_kib, snap->rss_kib);
  summary_.hwm_kib = snap->hwm_kib;
  ++summary_.samples;
}

void ProcessSampler::Start() {
  Sample();
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      Sample();
      lock.lock();
    }
  });
}

ProcessSampler::Summary ProcessSampler::Stop() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
    Sample();
  }
  std::lock_guard<std::mutex> lock(mu_);
  Summary out = summary_;
  out.ok = summary_.samples >= 2 && start_cpu_ >= 0;
  out.cpu_seconds = out.ok ? last_cpu_ - start_cpu_ : 0;
  return out;
}

int ProcessSampler::samples_so_far() {
  std::lock_guard<std::mutex> lock(mu_);
  return summary_.samples;
}

std::string FormatProcessSummary(const ProcessSampler::Summary& s, uint64_t calls) {
  if (!s.ok) return "process not sampled (gone, or not ours to read)";
  return absl::StrFormat("rss_max_mib=%.1f hwm_mib=%.1f cpu_s=%.2f cpu_us_per_call=%.1f",
                         s.max_rss_kib / 1024.0, s.hwm_kib / 1024.0, s.cpu_seconds,
                         calls > 0 ? s.cpu_seconds * 1e6 / static_cast<double>(calls) : 0.0);
}

}  // namespace samrad::bench
