// Structured one-line logs: `ts=... level=... event=... key=value ...` on
// stderr, one line per call, written atomically.
//
// Contract for callers: never pass message content, key material, or the
// identity of a professional together with a thread id. Values containing
// spaces, quotes or '=' are quoted. Thread-safe.
#ifndef SAMRAD_SERVER_LOG_H_
#define SAMRAD_SERVER_LOG_H_

#include <initializer_list>
#include <utility>

#include "absl/strings/string_view.h"

namespace samrad::server {

using LogField = std::pair<absl::string_view, absl::string_view>;

void LogInfo(absl::string_view event, std::initializer_list<LogField> fields = {});
void LogWarning(absl::string_view event, std::initializer_list<LogField> fields = {});
void LogError(absl::string_view event, std::initializer_list<LogField> fields = {});

// Silences LogInfo (tests keep warnings and errors).
void SetInfoLogging(bool enabled);

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_LOG_H_
