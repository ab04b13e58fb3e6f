#include "server/log.h"

#include <grpc/support/log.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace samrad::server {
namespace {

std::atomic<LogLevel> min_level{LogLevel::kInfo};
std::atomic<LogFormat> log_format{LogFormat::kLogfmt};

void AppendLogfmtValue(std::string& line, absl::string_view value) {
  const bool needs_quotes =
      value.empty() || value.find_first_of(" \t\"=\n\r") != absl::string_view::npos;
  if (!needs_quotes) {
    line.append(value.data(), value.size());
    return;
  }
  line.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') {
      line.push_back('\\');
      line.push_back(c);
    } else if (c == '\n' || c == '\r') {
      line.append("\\n");
    } else {
      line.push_back(c);
    }
  }
  line.push_back('"');
}

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one.
size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = byte(i);
  size_t n = 0;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  // Overlong three- and four-byte forms, surrogates, above U+10FFFF.
  if (b == 0xE0 && byte(i + 1) < 0xA0) return 0;
  if (b == 0xED && byte(i + 1) > 0x9F) return 0;
  if (b == 0xF0 && byte(i + 1) < 0x90) return 0;
  if (b == 0xF4 && byte(i + 1) > 0x8F) return 0;
  return n;
}

void AppendJsonString(std::string& line, absl::string_view value) {
  line.push_back('"');
  for (size_t i = 0; i < value.size();) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      line.push_back('\\');
      line.push_back(static_cast<char>(c));
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      line.append(absl::StrFormat("\\u%04x", c));
      ++i;
    } else if (c < 0x80) {
      line.push_back(static_cast<char>(c));
      ++i;
    } else if (const size_t n = Utf8SequenceLength(value, i); n != 0) {
      line.append(value.data() + i, n);
      i += n;
    } else {
      line.append("\\ufffd");
      ++i;
    }
  }
  line.push_back('"');
}

// True when stderr is the stream $JOURNAL_STREAM ("DEVICE:INODE") names:
// the relay runs under systemd with its output in the journal.
bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  std::pair<std::string, std::string> parts = absl::StrSplit(stream, ':');
  uint64_t device = 0, inode = 0;
  struct stat st = {};
  return absl::SimpleAtoi(parts.first, &device) && absl::SimpleAtoi(parts.second, &inode) &&
         ::fstat(STDERR_FILENO, &st) == 0 && st.st_dev == device && st.st_ino == inode;
}

void Write(LogLevel level, absl::string_view event, std::initializer_list<LogField> fields) {
  if (level < min_level.load(std::memory_order_relaxed)) return;
  static const bool journal = StderrIsJournal();
  std::string line;
  if (journal) {
    line = level == LogLevel::kInfo ? "<6>" : level == LogLevel::kWarning ? "<4>" : "<3>";
  }
  line.append(FormatLogLine(log_format.load(std::memory_order_relaxed), LogLevelName(level), event,
                            fields));
  line.push_back('\n');
  // One fwrite per line: stdio locks the stream, so lines never interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void GrpcLogFunction(gpr_log_func_args* args) {
  const LogLevel level =
      args->severity == GPR_LOG_SEVERITY_ERROR ? LogLevel::kError : LogLevel::kInfo;
  const std::string source =
      absl::StrCat(args->file != nullptr ? args->file : "?", ":", args->line);
  Write(level, "grpc",
        {{"source", source}, {"message", args->message != nullptr ? args->message : ""}});
}

}  // namespace

std::string FormatLogLine(LogFormat format, absl::string_view level, absl::string_view event,
                          std::initializer_list<LogField> fields) {
  const std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::string line;
  if (format == LogFormat::kJson) {
    line = absl::StrCat("{\"ts\":\"", ts, "\",\"level\":\"", level, "\",\"event\":");
    AppendJsonString(line, event);
    for (const auto& [key, value] : fields) {
      line.push_back(',');
      AppendJsonString(line, key);
      line.push_back(':');
      AppendJsonString(line, value);
    }
    line.push_back('}');
    return line;
  }
  line = absl::StrCat("ts=", ts, " level=", level, " event=", event);
  for (const auto& [key, value] : fields) {
    line.push_back(' ');
    line.append(key.data(), key.size());
    line.push_back('=');
    AppendLogfmtValue(line, value);
  }
  return line;
}

void LogInfo(absl::string_view event, std::initializer_list<LogField> fields) {
  Write(LogLevel::kInfo, event, fields);
}
void LogWarning(absl::string_view event, std::initializer_list<LogField> fields) {
  Write(LogLevel::kWarning, event, fields);
}
void LogError(absl::string_view event, std::initializer_list<LogField> fields) {
  Write(LogLevel::kError, event, fields);
}

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name) {
  if (name == "logfmt") return LogFormat::kLogfmt;
  if (name == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("log format \"", name, "\" is not one of: logfmt, json"));
}

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name) {
  if (name == "info") return LogLevel::kInfo;
  if (name == "warning") return LogLevel::kWarning;
  if (name == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("log level \"", name, "\" is not one of: info, warning, error"));
}

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "error";
}

void SetLogFormat(LogFormat format) { log_format.store(format, std::memory_order_relaxed); }
void SetLogLevel(LogLevel level) { min_level.store(level, std::memory_order_relaxed); }
LogLevel GetLogLevel() { return min_level.load(std::memory_order_relaxed); }
void SetInfoLogging(bool enabled) { SetLogLevel(enabled ? LogLevel::kInfo : LogLevel::kWarning); }

void RouteGrpcLogs() { gpr_set_log_function(&GrpcLogFunction); }

LogRateLimiter::LogRateLimiter(uint32_t burst, int64_t window_ms, Clock clock)
    : burst_(burst), window_ms_(window_ms), clock_(std::move(clock)) {}

LogRateLimiter::Decision LogRateLimiter::Admit() {
  const int64_t now = clock_();
  MutexLock lock(mu_);
  Decision decision;
  if (!started_ || now - window_start_ >= window_ms_) {
    decision.suppressed = suppressed_;
    started_ = true;
    window_start_ = now;
    written_ = 0;
    suppressed_ = 0;
  }
  if (written_ < burst_) {
    ++written_;
    decision.write = true;
  } else {
    ++suppressed_;
  }
  return decision;
}

uint64_t LogRateLimiter::TakeSuppressed() {
  MutexLock lock(mu_);
  const uint64_t count = suppressed_;
  suppressed_ = 0;
  return count;
}

int64_t LogRateLimiter::SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace samrad::server
