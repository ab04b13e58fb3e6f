// Structured one-line logs on stderr, one line per call, written atomically,
// in one of two formats (docs/RELIABILITY.md, "Logs", lists every field):
//   logfmt (default):  ts=2024-05-01T10:00:00.000Z level=info event=relay_started port=7443
//   json: {"ts":"2024-05-01T10:00:00.000Z","level":"info","event":"relay_started","port":"7443"}
// Every line has ts (UTC, milliseconds), level (info|warning|error) and event;
// further fields are strings. When stderr is the systemd journal
// ($JOURNAL_STREAM names it), each line starts with the syslog priority
// "<6>", "<4>" or "<3>", which journald strips and keeps as the priority.
//
// Contract for callers: never pass message content, key material, or the
// identity of a professional together with a thread id. In logfmt, values
// containing spaces, quotes or '=' are quoted; JSON values are escaped (control
// characters as \u00XX, bytes that are not UTF-8 as U+FFFD). Thread-safe.
#ifndef SAMRAD_SERVER_LOG_H_
#define SAMRAD_SERVER_LOG_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/mutex.h"

namespace samrad::server {

using LogField = std::pair<absl::string_view, absl::string_view>;

void LogInfo(absl::string_view event, std::initializer_list<LogField> fields = {});
void LogWarning(absl::string_view event, std::initializer_list<LogField> fields = {});
void LogError(absl::string_view event, std::initializer_list<LogField> fields = {});

enum class LogFormat { kLogfmt, kJson };
enum class LogLevel { kInfo, kWarning, kError };

// "logfmt" | "json"; INVALID_ARGUMENT naming the accepted values otherwise.
[[nodiscard]] absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name);
// "info" | "warning" | "error"; INVALID_ARGUMENT naming the accepted values.
[[nodiscard]] absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name);
absl::string_view LogLevelName(LogLevel level);

// The format and level are process-wide and may be changed while other
// threads log (SIGHUP): each line uses the values read when it is written.
void SetLogFormat(LogFormat format);
// Lines below `level` are dropped. Default kInfo.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

// Silences LogInfo (tests keep warnings and errors): SetLogLevel(kWarning),
// or back to kInfo.
void SetInfoLogging(bool enabled);

// Routes gRPC's own log lines (gpr_log) through this logger as event=grpc
// with fields source (file:line) and message; gRPC's debug and info lines
// become level info, its errors level error. Call once, before gRPC starts.
void RouteGrpcLogs();

// The line that Log* would write for these arguments, without the journald
// priority prefix and without the trailing newline (for tests).
std::string FormatLogLine(LogFormat format, absl::string_view level, absl::string_view event,
                          std::initializer_list<LogField> fields);

// Keeps one kind of log line from flooding the log: in each window of
// `window_ms` (starting at the first line after the previous window ended)
// the first `burst` lines are written and the rest only counted; the first
// line after the window reports that count, so the caller writes one summary
// line ("N more ... in the last 60 s") before it. A count not yet reported
// when the lines stop is taken with TakeSuppressed (e.g. at shutdown).
// `clock` is monotonic milliseconds (injected by tests). Thread-safe.
class LogRateLimiter {
 public:
  using Clock = std::function<int64_t()>;
  LogRateLimiter(uint32_t burst, int64_t window_ms, Clock clock = SteadyNowMs);

  struct Decision {
    bool write = false;       // write this line
    uint64_t suppressed = 0;  // lines held back in the window that just ended
  };
  Decision Admit();
  // The lines held back in the current window, not yet reported; resets it.
  uint64_t TakeSuppressed();

  static int64_t SteadyNowMs();

 private:
  const uint32_t burst_;
  const int64_t window_ms_;
  const Clock clock_;
  Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  int64_t window_start_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t suppressed_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_LOG_H_
