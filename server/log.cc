#include "server/log.h"

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace samrad::server {
namespace {

std::atomic<bool> info_enabled{true};

void AppendValue(std::string& line, absl::string_view value) {
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

void Write(absl::string_view level, absl::string_view event,
           std::initializer_list<LogField> fields) {
  std::string line = absl::StrCat(
      "ts=", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
      " level=", level, " event=", event);
  for (const auto& [key, value] : fields) {
    line.push_back(' ');
    line.append(key.data(), key.size());
    line.push_back('=');
    AppendValue(line, value);
  }
  line.push_back('\n');
  // One fwrite per line: stdio locks the stream, so lines never interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

void LogInfo(absl::string_view event, std::initializer_list<LogField> fields) {
  if (info_enabled.load(std::memory_order_relaxed)) Write("info", event, fields);
}
void LogWarning(absl::string_view event, std::initializer_list<LogField> fields) {
  Write("warning", event, fields);
}
void LogError(absl::string_view event, std::initializer_list<LogField> fields) {
  Write("error", event, fields);
}
void SetInfoLogging(bool enabled) { info_enabled.store(enabled, std::memory_order_relaxed); }

}  // namespace samrad::server
