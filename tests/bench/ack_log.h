// The acknowledgement log: one message id per line, for crash tests and
// `samrad-relay fsck --expect-ids`.
//
// Contract: when Append() returns OK the line is in the kernel (one write(2)
// on an O_APPEND descriptor), so it survives the death of the relay and of
// this process (not of the machine: no fsync). Lines from concurrent callers
// never interleave. Thread-safe.
#ifndef SAMRAD_TESTS_BENCH_ACK_LOG_H_
#define SAMRAD_TESTS_BENCH_ACK_LOG_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace samrad::bench {

class AckLog {
 public:
  // Creates or truncates `path` (mode 0644). The message names the path on failure.
  static absl::StatusOr<std::unique_ptr<AckLog>> Open(const std::string& path);
  ~AckLog();
  AckLog(const AckLog&) = delete;
  AckLog& operator=(const AckLog&) = delete;

  // Appends `id` and a newline with a single write(2). INTERNAL (with errno
  // text) when the write fails or is short, e.g. disk full.
  absl::Status Append(std::string_view id);

 private:
  AckLog(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace samrad::bench

#endif  // SAMRAD_TESTS_BENCH_ACK_LOG_H_
