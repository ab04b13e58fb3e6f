#include "client/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "client/localized_status.h"
#include "crypto/random.h"

namespace samrad::client {
namespace {

// Closes `fd` when it goes out of scope unless released.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  // Closes now and reports the error close() returned (0 on success).
  int CloseNow() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, Msg::kLzCannotWrite, path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status FsyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, Msg::kLzCannotOpen, dir);
  FdCloser closer(fd);
  if (::fsync(fd) != 0) return ErrnoStatus(errno, Msg::kLzCannotWrite, dir);
  return absl::OkStatus();
}

}  // namespace

absl::Status ErrnoStatus(int err, Msg what, const std::string& path,
                         std::optional<absl::StatusCode> code_given) {
  absl::StatusCode code = absl::StatusCode::kUnknown;
  std::optional<Msg> cause;
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      code = absl::StatusCode::kNotFound;
      cause = Msg::kLzErrNoSuchFile;
      break;
    case EACCES:
    case EPERM:
      code = absl::StatusCode::kPermissionDenied;
      cause = Msg::kLzErrPermission;
      break;
    case EROFS:
      code = absl::StatusCode::kPermissionDenied;
      cause = Msg::kLzErrReadOnly;
      break;
    case ENOSPC:
    case EDQUOT:
      code = absl::StatusCode::kResourceExhausted;
      cause = Msg::kLzErrNoSpace;
      break;
    case EFBIG:
      code = absl::StatusCode::kResourceExhausted;
      break;
    default:
      break;
  }
  if (code_given.has_value()) code = *code_given;
  if (cause.has_value()) return LocalizedWrap(code, what, {path}, Localized(code, *cause));
  return Localized(code, what, {path, std::strerror(err)});
}

void WipeString(std::string& s) {
  volatile char* p = s.data();
  for (size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, Msg::kLzCannotOpen, path);
  FdCloser closer(fd);
  std::string out;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, Msg::kLzCannotRead, path);
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat(path, " is larger than ", max_bytes, " bytes"));
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents, int mode) {
  const std::string dir = DirName(path);
  const std::string temp = absl::StrCat(path, ".tmp-", crypto::RandomId().substr(0, 12));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoStatus(errno, Msg::kLzCannotCreate, temp);
  FdCloser closer(fd);
  auto fail = [&](absl::Status status) {
    ::unlink(temp.c_str());
    return status;
  };
  // O_CREAT honours the umask; the mode must be exact for private files.
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    return fail(ErrnoStatus(errno, Msg::kLzCannotWrite, temp));
  }
  if (absl::Status s = WriteAll(fd, contents, temp); !s.ok()) return fail(s);
  if (::fsync(fd) != 0) return fail(ErrnoStatus(errno, Msg::kLzCannotWrite, temp));
  if (int err = closer.CloseNow(); err != 0)
    return fail(ErrnoStatus(err, Msg::kLzCannotWrite, temp));
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return fail(ErrnoStatus(errno, Msg::kLzCannotReplace, path));
  }
  return FsyncDirectory(dir);
}

absl::Status MakeDirectories(const std::string& path, int mode) {
  if (path.empty()) return absl::InvalidArgumentError("empty directory path");
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(path, " exists and is not a directory"));
  }
  std::string parent = DirName(path);
  if (parent != path && parent != "." && parent != "/") {
    if (absl::Status s = MakeDirectories(parent, mode); !s.ok()) return s;
  }
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, Msg::kLzCannotCreateDir, path);
  }
  return absl::OkStatus();
}

}  // namespace samrad::client
