#include "storage/power_loss_fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/mutex.h"

namespace samrad::storage {
namespace {

namespace fs = std::filesystem;

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;

// Ledger events, one a line, fields separated by tabs:
//   C path          a file was created (durable once its directory is synced)
//   S path size     the file's first `size` bytes are durable (the largest S counts)
//   T path size     the file was truncated to `size` (also: reopened empty)
//   D dir           the directory was synced: its creations and renames are durable
//   R src dst old   src was renamed over dst; `old` keeps dst's former contents, or "-"
//   X path          the file was deleted (taken as durable at once)
//   A               the ledger was applied (a second apply is refused)
constexpr char kSeparator = '\t';
constexpr std::string_view kNoBackup = "-";

std::string Normal(const std::string& path) {
  std::string normal = fs::path(path).lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

std::string DirOf(const std::string& normal_path) {
  return fs::path(normal_path).parent_path().string();
}

IOStatus PowerIsOff() { return IOStatus::IOError("power-loss file system: the power is off"); }

}  // namespace

// The state every file and directory of one PowerLossFileSystem shares: the
// ledger's descriptor, whether the power is on, and the full-volume marker.
class PowerLossFileSystem::Ledger {
 public:
  // `fd` < 0: record nothing. `full_marker` empty: the volume never fills.
  Ledger(std::string path, int fd, std::string full_marker)
      : path_(std::move(path)), fd_(fd), full_marker_(std::move(full_marker)) {}
  ~Ledger() {
    if (fd_ >= 0) close(fd_);
  }

  bool recording() const { return fd_ >= 0; }

  const std::string& path() const { return path_; }

  IOStatus CheckPower() {
    MutexLock lock(mu_);
    return power_cut_ ? PowerIsOff() : IOStatus::OK();
  }

  void Cut() {
    MutexLock lock(mu_);
    power_cut_ = true;
  }

  // OK when an append may go ahead; NoSpace while the volume is "full".
  IOStatus Reserve() {
    if (IOStatus s = CheckPower(); !s.ok()) return s;
    if (!full_marker_.empty() && access(full_marker_.c_str(), F_OK) == 0) {
      return IOStatus::NoSpace("simulated disk: no space left on device");
    }
    return IOStatus::OK();
  }

  // Appends one event. Fails, recording nothing, once the power is off: the
  // caller must then report failure so nothing is acknowledged as durable.
  IOStatus Record(std::string_view kind, std::initializer_list<std::string_view> fields) {
    std::string line(kind);
    for (std::string_view field : fields) {
      if (field.find_first_of("\t\n") != std::string_view::npos) {
        return IOStatus::InvalidArgument("power-loss file system: path with a tab or newline");
      }
      line.push_back(kSeparator);
      line.append(field);
    }
    line.push_back('\n');
    MutexLock lock(mu_);
    if (power_cut_) return PowerIsOff();
    if (fd_ < 0) return IOStatus::OK();
    if (write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      return IOStatus::IOError("power-loss file system: cannot write the ledger ", path_);
    }
    return IOStatus::OK();
  }

  // Marks `path` as tracked by this ledger; false when it already was.
  bool Track(const std::string& path) {
    MutexLock lock(mu_);
    return tracked_.insert(path).second;
  }

  std::string NextBackupPath() {
    MutexLock lock(mu_);
    return absl::StrCat(path_, ".old.", backups_++);
  }

 private:
  const std::string path_;
  const int fd_;
  const std::string full_marker_;
  Mutex mu_;  // also serialises the ledger's appends
  bool power_cut_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t backups_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::string> tracked_ ABSL_GUARDED_BY(mu_);
};

namespace {

using Ledger = PowerLossFileSystem::Ledger;

// A writable file whose syncs are recorded in the ledger.
class TrackedFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  TrackedFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::string path,
              std::shared_ptr<Ledger> ledger, uint64_t size)
      : FSWritableFileOwnerWrapper(std::move(file)),
        path_(std::move(path)),
        ledger_(std::move(ledger)),
        size_(size) {}

  IOStatus Append(const rocksdb::Slice& data, const IOOptions& options,
                  IODebugContext* dbg) override {
    if (IOStatus s = ledger_->Reserve(); !s.ok()) return s;
    IOStatus s = FSWritableFileOwnerWrapper::Append(data, options, dbg);
    if (s.ok()) size_ += data.size();
    return s;
  }
  IOStatus Append(const rocksdb::Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo& info, IODebugContext* dbg) override {
    if (IOStatus s = ledger_->Reserve(); !s.ok()) return s;
    IOStatus s = FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    if (s.ok()) size_ += data.size();
    return s;
  }
  IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset, const IOOptions& options,
                            IODebugContext* dbg) override {
    if (IOStatus s = ledger_->Reserve(); !s.ok()) return s;
    IOStatus s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, dbg);
    if (s.ok()) GrowTo(offset + data.size());
    return s;
  }
  IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset, const IOOptions& options,
                            const rocksdb::DataVerificationInfo& info,
                            IODebugContext* dbg) override {
    if (IOStatus s = ledger_->Reserve(); !s.ok()) return s;
    IOStatus s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, info, dbg);
    if (s.ok()) GrowTo(offset + data.size());
    return s;
  }
  IOStatus Truncate(uint64_t size, const IOOptions& options, IODebugContext* dbg) override {
    if (IOStatus s = ledger_->CheckPower(); !s.ok()) return s;
    IOStatus s = FSWritableFileOwnerWrapper::Truncate(size, options, dbg);
    if (!s.ok()) return s;
    size_ = size;
    return ledger_->Record("T", {path_, absl::StrCat(size)});
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    return Durably([&] { return FSWritableFileOwnerWrapper::Sync(options, dbg); });
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    return Durably([&] { return FSWritableFileOwnerWrapper::Fsync(options, dbg); });
  }
  IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const IOOptions& options,
                     IODebugContext* dbg) override {
    // sync_file_range makes nothing durable: checked for power, not recorded.
    if (IOStatus s = ledger_->CheckPower(); !s.ok()) return s;
    return FSWritableFileOwnerWrapper::RangeSync(offset, nbytes, options, dbg);
  }

 private:
  void GrowTo(uint64_t end) {
    uint64_t seen = size_.load();
    while (end > seen && !size_.compare_exchange_weak(seen, end)) {
    }
  }

  // Whatever was appended before the sync started is durable once it
  // returns; recorded after the real sync, and failed if the power went out
  // meanwhile, so a caller never hears OK for bytes the ledger would cut.
  template <typename SyncFn>
  IOStatus Durably(SyncFn sync) {
    if (IOStatus s = ledger_->CheckPower(); !s.ok()) return s;
    uint64_t durable = size_.load();
    if (IOStatus s = sync(); !s.ok()) return s;
    return ledger_->Record("S", {path_, absl::StrCat(durable)});
  }

  const std::string path_;
  const std::shared_ptr<Ledger> ledger_;
  std::atomic<uint64_t> size_;
};

// A directory whose fsyncs make its pending creations and renames durable.
class TrackedDirectory : public rocksdb::FSDirectoryWrapper {
 public:
  TrackedDirectory(std::unique_ptr<rocksdb::FSDirectory> dir, std::string path,
                   std::shared_ptr<Ledger> ledger)
      : FSDirectoryWrapper(std::move(dir)), path_(std::move(path)), ledger_(std::move(ledger)) {}

  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    if (IOStatus s = ledger_->CheckPower(); !s.ok()) return s;
    if (IOStatus s = FSDirectoryWrapper::Fsync(options, dbg); !s.ok()) return s;
    return ledger_->Record("D", {path_});
  }
  IOStatus FsyncWithDirOptions(const IOOptions& options, IODebugContext* dbg,
                               const rocksdb::DirFsyncOptions& dir_options) override {
    if (IOStatus s = ledger_->CheckPower(); !s.ok()) return s;
    if (IOStatus s = FSDirectoryWrapper::FsyncWithDirOptions(options, dbg, dir_options); !s.ok()) {
      return s;
    }
    return ledger_->Record("D", {path_});
  }

 private:
  const std::string path_;
  const std::shared_ptr<Ledger> ledger_;
};

bool Exists(const std::string& path) {
  std::error_code error;
  return fs::exists(path, error);
}

}  // namespace

absl::StatusOr<std::shared_ptr<PowerLossFileSystem>> PowerLossFileSystem::New(
    const std::string& ledger_path, const std::string& full_marker_path) {
  int fd = -1;
  if (!ledger_path.empty()) {
    fd = open(ledger_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create the power-loss ledger ", ledger_path));
    }
  }
  return std::shared_ptr<PowerLossFileSystem>(new PowerLossFileSystem(std::make_shared<Ledger>(
      ledger_path.empty() ? "" : Normal(ledger_path), fd, full_marker_path)));
}

PowerLossFileSystem::PowerLossFileSystem(std::shared_ptr<Ledger> ledger)
    : FileSystemWrapper(rocksdb::FileSystem::Default()), ledger_(std::move(ledger)) {}

PowerLossFileSystem::~PowerLossFileSystem() = default;

void PowerLossFileSystem::CutPower() { ledger_->Cut(); }

rocksdb::IOStatus PowerLossFileSystem::NewWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* dbg) {
  if (IOStatus s = ledger_->CheckPower(); !s.ok()) return s;
  std::string path = Normal(name);
  bool existed = Exists(path);
  std::unique_ptr<rocksdb::FSWritableFile> file;
  if (IOStatus s = target()->NewWritableFile(name, options, &file, dbg); !s.ok()) return s;
  ledger_->Track(path);
  // An existing file is truncated: its entry stays durable, its bytes do not.
  IOStatus s = existed ? ledger_->Record("T", {path, "0"}) : ledger_->Record("C", {path});
  if (!s.ok()) return s;
  *result = std::make_unique<TrackedFile>(std::move(file), path, ledger_, 0);
  return IOStatus::OK();
}

rocksdb::IOStatus PowerLossFileSystem::ReopenWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* dbg) {
  if (IOStatus s = ledger_->CheckPower(); !s.ok()) return s;
  std::string path = Normal(name);
  bool existed = Exists(path);
  std::unique_ptr<rocksdb::FSWritableFile> file;
  if (IOStatus s = target()->ReopenWritableFile(name, options, &file, dbg); !s.ok()) return s;
  uint64_t size = file->GetFileSize(IOOptions(), dbg);
  // What a reopened file holds is taken as durable only when this ledger
  // has no record of it (a file it tracks keeps its synced length).
  IOStatus s = IOStatus::OK();
  if (!existed) {
    ledger_->Track(path);
    s = ledger_->Record("C", {path});
  } else if (ledger_->Track(path)) {
    s = ledger_->Record("S", {path, absl::StrCat(size)});
  }
  if (!s.ok()) return s;
  *result = std::make_unique<TrackedFile>(std::move(file), path, ledger_, size);
  return IOStatus::OK();
}

rocksdb::IOStatus PowerLossFileSystem::ReuseWritableFile(
    const std::string& /*name*/, const std::string& /*old_name*/,
    const rocksdb::FileOptions& /*options*/, std::unique_ptr<rocksdb::FSWritableFile>* /*result*/,
    IODebugContext* /*dbg*/) {
  // Only WAL recycling (recycle_log_file_num > 0) reuses files; the store
  // does not, and a reused file's old bytes would need their own model.
  return IOStatus::NotSupported("power-loss file system: WAL recycling is not modelled");
}

rocksdb::IOStatus PowerLossFileSystem::NewRandomRWFile(
    const std::string& /*name*/, const rocksdb::FileOptions& /*options*/,
    std::unique_ptr<rocksdb::FSRandomRWFile>* /*result*/, IODebugContext* /*dbg*/) {
  // In-place writes (external file ingestion) are not modelled; the store
  // never makes them, and refusing keeps the model honest if that changes.
  return IOStatus::NotSupported("power-loss file system: random writes are not modelled");
}

rocksdb::IOStatus PowerLossFileSystem::NewDirectory(const std::string& name,
                                                    const IOOptions& options,
                                                    std::unique_ptr<rocksdb::FSDirectory>* result,
                                                    IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSDirectory> dir;
  if (IOStatus s = target()->NewDirectory(name, options, &dir, dbg); !s.ok()) return s;
  *result = std::make_unique<TrackedDirectory>(std::move(dir), Normal(name), ledger_);
  return IOStatus::OK();
}

rocksdb::IOStatus PowerLossFileSystem::RenameFile(const std::string& src,
                                                  const std::string& target_name,
                                                  const IOOptions& options, IODebugContext* dbg) {
  if (IOStatus s = ledger_->CheckPower(); !s.ok()) return s;
  std::string from = Normal(src);
  std::string to = Normal(target_name);
  std::string backup(kNoBackup);
  if (ledger_->recording() && Exists(to)) {
    // Until the directory is synced, a crash brings the old target back.
    backup = ledger_->NextBackupPath();
    std::error_code error;
    fs::copy_file(to, backup, fs::copy_options::overwrite_existing, error);
    if (error) {
      return IOStatus::IOError("power-loss file system: cannot keep ", to + ": " + error.message());
    }
  }
  if (IOStatus s = target()->RenameFile(src, target_name, options, dbg); !s.ok()) return s;
  return ledger_->Record("R", {from, to, backup});
}

rocksdb::IOStatus PowerLossFileSystem::LinkFile(const std::string& src,
                                                const std::string& target_name,
                                                const IOOptions& options, IODebugContext* dbg) {
  if (IOStatus s = ledger_->CheckPower(); !s.ok()) return s;
  if (IOStatus s = target()->LinkFile(src, target_name, options, dbg); !s.ok()) return s;
  // A new name for durable bytes: the name is durable once its directory is.
  std::string to = Normal(target_name);
  if (IOStatus s = ledger_->Record("C", {to}); !s.ok()) return s;
  std::error_code error;
  uint64_t size = fs::file_size(to, error);
  return ledger_->Record("S", {to, absl::StrCat(error ? 0 : size)});
}

rocksdb::IOStatus PowerLossFileSystem::DeleteFile(const std::string& name, const IOOptions& options,
                                                  IODebugContext* dbg) {
  if (IOStatus s = ledger_->CheckPower(); !s.ok()) return s;
  if (IOStatus s = target()->DeleteFile(name, options, dbg); !s.ok()) return s;
  return ledger_->Record("X", {Normal(name)});
}

rocksdb::IOStatus PowerLossFileSystem::Truncate(const std::string& name, size_t size,
                                                const IOOptions& options, IODebugContext* dbg) {
  if (IOStatus s = ledger_->CheckPower(); !s.ok()) return s;
  if (IOStatus s = target()->Truncate(name, size, options, dbg); !s.ok()) return s;
  return ledger_->Record("T", {Normal(name), absl::StrCat(size)});
}

namespace {

struct PendingChange {
  enum Kind { kCreate, kRename } kind;
  std::string path;    // created path, or the rename's target
  std::string source;  // the rename's source
  std::string backup;  // the rename target's former contents, or "-"
};

// The disk as the ledger describes it: durable length of every tracked file,
// and per directory the creations and renames no fsync has covered yet.
struct DurableState {
  std::map<std::string, uint64_t> durable_size;
  std::map<std::string, std::vector<PendingChange>> pending;
};

absl::Status Replay(const std::string& ledger_path, DurableState& state) {
  std::ifstream in(ledger_path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the ledger ", ledger_path));
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::vector<std::string> f = absl::StrSplit(line, kSeparator);
    auto bad = [&] {
      return absl::DataLossError(
          absl::StrCat(ledger_path, ":", number, ": bad event '", line, "'"));
    };
    uint64_t size = 0;
    if (f[0] == "A") {
      return absl::FailedPreconditionError(
          absl::StrCat("the ledger ", ledger_path, " was applied already"));
    } else if (f[0] == "C" && f.size() == 2) {
      state.durable_size[f[1]] = 0;
      state.pending[DirOf(f[1])].push_back({PendingChange::kCreate, f[1], "", ""});
    } else if (f[0] == "S" && f.size() == 3 && absl::SimpleAtoi(f[2], &size)) {
      // Overlapping syncs of one file may record out of order: durable is
      // the most any of them covered (C and T are what lower it).
      uint64_t& durable = state.durable_size[f[1]];
      durable = std::max(durable, size);
    } else if (f[0] == "T" && f.size() == 3 && absl::SimpleAtoi(f[2], &size)) {
      auto it = state.durable_size.find(f[1]);
      if (it != state.durable_size.end()) {
        it->second = std::min(it->second, size);
      } else {
        state.durable_size[f[1]] = size;  // an older file, tracked from here
      }
    } else if (f[0] == "D" && f.size() == 2) {
      state.pending.erase(f[1]);
    } else if (f[0] == "R" && f.size() == 4) {
      auto it = state.durable_size.find(f[1]);
      if (it != state.durable_size.end()) {
        state.durable_size[f[2]] = it->second;
        state.durable_size.erase(it);
      } else {
        state.durable_size.erase(f[2]);
      }
      state.pending[DirOf(f[2])].push_back({PendingChange::kRename, f[2], f[1], f[3]});
    } else if (f[0] == "X" && f.size() == 2) {
      state.durable_size.erase(f[1]);
      std::vector<PendingChange>& changes = state.pending[DirOf(f[1])];
      std::erase_if(changes, [&](const PendingChange& c) {
        return c.kind == PendingChange::kCreate && c.path == f[1];
      });
    } else {
      return bad();
    }
  }
  return absl::OkStatus();
}

absl::Status Fail(const std::string& what, const std::error_code& error) {
  return absl::InternalError(absl::StrCat("power loss: ", what, ": ", error.message()));
}

}  // namespace

absl::StatusOr<PowerLossReport> ApplyPowerLossLedger(const std::string& ledger_path) {
  DurableState state;
  if (absl::Status s = Replay(ledger_path, state); !s.ok()) return s;
  PowerLossReport report;
  std::error_code error;
  // Undo what no directory sync covered, newest first.
  for (auto& [dir, changes] : state.pending) {
    for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
      if (it->kind == PendingChange::kCreate) {
        if (fs::remove(it->path, error)) ++report.files_deleted;
        if (error) return Fail("delete " + it->path, error);
        state.durable_size.erase(it->path);
        continue;
      }
      if (Exists(it->path)) {
        fs::rename(it->path, it->source, error);
        if (error) return Fail("undo rename of " + it->path, error);
      }
      auto moved = state.durable_size.find(it->path);
      if (moved != state.durable_size.end()) {
        state.durable_size[it->source] = moved->second;
        state.durable_size.erase(moved);
      }
      if (it->backup != kNoBackup) {
        fs::rename(it->backup, it->path, error);
        if (error) return Fail("restore " + it->path, error);
      }
      ++report.renames_undone;
    }
  }
  // Cut every surviving tracked file back to what was synced.
  for (const auto& [path, durable] : state.durable_size) {
    uint64_t size = fs::file_size(path, error);
    if (error) {
      error.clear();
      continue;  // gone: deleted after its last event
    }
    if (size <= durable) continue;
    fs::resize_file(path, durable, error);
    if (error) return Fail("truncate " + path, error);
    ++report.files_truncated;
    report.bytes_dropped += size - durable;
  }
  std::ofstream mark(ledger_path, std::ios::app);
  mark << "A\n";
  if (!mark.flush()) {
    return absl::InternalError(absl::StrCat("cannot mark the ledger ", ledger_path, " applied"));
  }
  return report;
}

}  // namespace samrad::storage
