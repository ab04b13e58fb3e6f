#include "client/draft.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/file_util.h"

namespace samrad::client {
namespace {

constexpr size_t kMaxDraftBytes = 1024 * 1024;
constexpr absl::string_view kFilePrefix = "draft-";
constexpr absl::string_view kFileSuffix = ".txt";
constexpr absl::string_view kTempDirPrefix = "samrad-";

// A real directory (not a symlink) owned by this user.
bool OwnDirectory(const std::string& path, struct stat* st) {
  return ::lstat(path.c_str(), st) == 0 && S_ISDIR(st->st_mode) && st->st_uid == ::geteuid();
}

// $XDG_RUNTIME_DIR/samrad, made private; "" when it cannot be used.
std::string RuntimeDraftDir(const std::string& xdg_runtime_dir) {
  if (xdg_runtime_dir.empty() || xdg_runtime_dir[0] != '/') return "";
  const std::string dir = absl::StrCat(xdg_runtime_dir, "/samrad");
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return "";
  struct stat st {};
  if (!OwnDirectory(dir, &st)) return "";
  if ((st.st_mode & 07777) != 0700 && ::chmod(dir.c_str(), 0700) != 0) return "";
  return dir;
}

// A failed file operation on the draft `path` (errno), in the user's
// language; always UNKNOWN (exit code 1), whatever the cause.
absl::Status ErrnoError(Msg what, const std::string& path) {
  return ErrnoStatus(errno, what, path, absl::StatusCode::kUnknown);
}

// Overwrites the first `size` bytes of the open file with zeros.
bool ZeroFill(int fd, off_t size) {
  static const char kZeros[4096] = {};
  off_t done = 0;
  while (done < size) {
    size_t chunk = static_cast<size_t>(std::min<off_t>(size - done, sizeof(kZeros)));
    ssize_t n = ::pwrite(fd, kZeros, chunk, done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += n;
  }
  return true;
}

}  // namespace

absl::StatusOr<Draft> Draft::Create(const DraftPlace& place) {
  std::string dir = RuntimeDraftDir(place.xdg_runtime_dir);
  std::string private_dir;
  if (dir.empty()) {
    const std::string root = place.tmpdir.empty() ? "/tmp" : place.tmpdir;
    std::string pattern = absl::StrCat(root, "/", kTempDirPrefix, "XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
      return ErrnoError(Msg::kLzDraftNoTempDir, root);
    }
    dir = private_dir = pattern;
  }
  std::string path = absl::StrCat(dir, "/", kFilePrefix, "XXXXXX", kFileSuffix);
  int fd = ::mkstemps(path.data(), static_cast<int>(kFileSuffix.size()));
  if (fd < 0) {
    absl::Status status = ErrnoError(Msg::kLzDraftCannotCreate, dir);
    if (!private_dir.empty()) ::rmdir(private_dir.c_str());
    return status;
  }
  ::fchmod(fd, 0600);
  ::close(fd);
  return Draft(std::move(path), std::move(private_dir));
}

std::optional<Draft> Draft::Adopt(const std::string& path, const DraftPlace& place) {
  const std::string dir = DirName(path);
  const std::string name =
      path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  if (name.size() != kFilePrefix.size() + 6 + kFileSuffix.size() ||
      !absl::StartsWith(name, kFilePrefix) || !absl::EndsWith(name, kFileSuffix)) {
    return std::nullopt;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
    return std::nullopt;
  }
  if (!OwnDirectory(dir, &st) || (st.st_mode & 07777) != 0700) return std::nullopt;
  const std::string dir_name = dir.substr(dir.find_last_of('/') + 1);
  if (!place.xdg_runtime_dir.empty() && dir == absl::StrCat(place.xdg_runtime_dir, "/samrad")) {
    return Draft(path, "");
  }
  if (absl::StartsWith(dir_name, kTempDirPrefix) && dir_name.size() == kTempDirPrefix.size() + 6) {
    return Draft(path, dir);
  }
  return std::nullopt;
}

std::string Draft::directory() const { return DirName(path_); }

absl::StatusOr<std::string> Draft::Read() const { return ReadFileToString(path_, kMaxDraftBytes); }

absl::Status Draft::Write(absl::string_view contents) {
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError(Msg::kLzDraftCannotWrite, path_);
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && ZeroFill(fd, st.st_size) && ::ftruncate(fd, 0) == 0;
  size_t done = 0;
  while (ok && done < contents.size()) {
    ssize_t n =
        ::pwrite(fd, contents.data() + done, contents.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false;
    if (n > 0) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return ErrnoError(Msg::kLzDraftCannotWrite, path_);
  return absl::OkStatus();
}

void Draft::Wipe() {
  if (wiped_) return;
  wiped_ = true;
  int fd = ::open(path_.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ZeroFill(fd, st.st_size)) ::fsync(fd);
    ::close(fd);
  }
  ::unlink(path_.c_str());
  if (!private_dir_.empty()) ::rmdir(private_dir_.c_str());
}

std::string StripDraftComments(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    const size_t next = end == absl::string_view::npos ? text.size() : end + 1;
    absl::string_view line = text.substr(pos, next - pos);
    if (!absl::StartsWith(line, kDraftCommentPrefix)) out.append(line.data(), line.size());
    pos = next;
  }
  return out;
}

std::string WithDraftComments(const std::vector<std::string>& comments, absl::string_view body) {
  std::string out;
  for (const std::string& comment : comments) {
    absl::StrAppend(&out, kDraftCommentPrefix, " ", comment, "\n");
  }
  absl::StrAppend(&out, body);
  return out;
}

}  // namespace samrad::client
