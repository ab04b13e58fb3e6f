#include "tests/bench/ack_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace samrad::bench {

absl::StatusOr<std::unique_ptr<AckLog>> AckLog::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("--ack-log ", path, ": cannot open for writing: ", std::strerror(errno)));
  }
  return std::unique_ptr<AckLog>(new AckLog(fd, path));
}

AckLog::~AckLog() { ::close(fd_); }

absl::Status AckLog::Append(std::string_view id) {
  std::string line;
  line.reserve(id.size() + 1);
  line.append(id);
  line.push_back('\n');
  ssize_t written;
  do {
    written = ::write(fd_, line.data(), line.size());
  } while (written < 0 && errno == EINTR);
  if (written < 0) {
    return absl::InternalError(absl::StrCat(path_, ": write failed: ", std::strerror(errno)));
  }
  if (static_cast<size_t>(written) != line.size()) {
    return absl::InternalError(absl::StrCat(path_, ": short write (disk full?)"));
  }
  return absl::OkStatus();
}

}  // namespace samrad::bench
