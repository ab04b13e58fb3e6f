#include "server/progress.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace samrad::server {
namespace {

// 1234567 -> "1,234,567".
std::string Grouped(uint64_t n) {
  std::string digits = absl::StrCat(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// Seconds as M:SS, or H:MM:SS from an hour on.
std::string Duration(int64_t seconds) {
  if (seconds >= 3600) {
    return absl::StrFormat("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
  }
  return absl::StrFormat("%d:%02d", seconds / 60, seconds % 60);
}

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = kMiB * 1024.0;

// The amount done (of total): entries grouped, bytes in MiB or GiB (by the
// larger of the two, so both use one scale).
std::string Amount(ProgressUnit unit, uint64_t done, uint64_t total) {
  if (unit == ProgressUnit::kEntries) {
    return total > 0 ? absl::StrCat(Grouped(done), "/", Grouped(total), " entries")
                     : absl::StrCat(Grouped(done), " entries");
  }
  const bool gib = std::max(done, total) >= static_cast<uint64_t>(kGiB);
  const double scale = gib ? kGiB : kMiB;
  const char* name = gib ? "GiB" : "MiB";
  const double d = static_cast<double>(done) / scale;
  return total > 0 ? absl::StrFormat("%.1f/%.1f %s", d, static_cast<double>(total) / scale, name)
                   : absl::StrFormat("%.1f %s", d, name);
}

std::string Rate(ProgressUnit unit, double per_s) {
  if (unit == ProgressUnit::kEntries) {
    return absl::StrCat(Grouped(static_cast<uint64_t>(std::llround(per_s))), "/s");
  }
  return absl::StrFormat("%.1f MiB/s", per_s / kMiB);
}

}  // namespace

ProgressFigures ComputeProgress(uint64_t done, uint64_t total, double elapsed_s) {
  ProgressFigures figures;
  if (total > 0) {
    figures.percent = static_cast<int>(std::min<uint64_t>(100, done * 100 / total));
  }
  if (elapsed_s > 0) figures.rate_per_s = static_cast<double>(done) / elapsed_s;
  if (total > 0 && figures.rate_per_s > 0) {
    const uint64_t left = done >= total ? 0 : total - done;
    figures.eta_s = static_cast<int64_t>(std::ceil(static_cast<double>(left) / figures.rate_per_s));
  }
  return figures;
}

std::string FormatProgressLine(std::string_view label, ProgressUnit unit, uint64_t done,
                               uint64_t total, double elapsed_s) {
  const ProgressFigures figures = ComputeProgress(done, total, elapsed_s);
  std::string line(label);
  line += ":";
  if (figures.percent) absl::StrAppend(&line, " ", *figures.percent, "%");
  absl::StrAppend(&line, " ", Amount(unit, done, total), ", ", Rate(unit, figures.rate_per_s));
  if (figures.eta_s) absl::StrAppend(&line, ", ETA ", Duration(*figures.eta_s));
  return line;
}

ProgressLine::ProgressLine(FILE* out, bool enabled, std::string label, ProgressUnit unit,
                           Clock clock, std::chrono::milliseconds interval)
    : out_(out),
      enabled_(enabled),
      label_(std::move(label)),
      unit_(unit),
      clock_(std::move(clock)),
      interval_(interval),
      start_(clock_()) {}

void ProgressLine::Update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  MutexLock lock(mu_);
  done_ = done;
  total_ = total;
  const auto now = clock_();
  if (drawn_ && now - last_draw_ < interval_) return;
  DrawLocked(now);
}

void ProgressLine::Finish() {
  if (!enabled_) return;
  MutexLock lock(mu_);
  if (!drawn_) return;
  DrawLocked(clock_());
  std::fputc('\n', out_);
  std::fflush(out_);
  drawn_ = false;
}

void ProgressLine::DrawLocked(std::chrono::steady_clock::time_point now) {
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  std::string line = FormatProgressLine(label_, unit_, done_, total_, elapsed);
  const size_t width = line.size();
  if (width < last_width_) line.append(last_width_ - width, ' ');
  std::fprintf(out_, "\r%s", line.c_str());
  std::fflush(out_);
  last_width_ = width;
  last_draw_ = now;
  drawn_ = true;
}

bool ProgressLine::StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

uint64_t DirectoryBytes(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  uint64_t bytes = 0;
  for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code size_error;
    if (it->is_regular_file(size_error)) {
      const uintmax_t size = it->file_size(size_error);
      if (!size_error) bytes += size;
    }
  }
  return bytes;
}

}  // namespace samrad::server
