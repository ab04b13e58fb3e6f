#include "client/keystore.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/localized_status.h"

namespace samrad::client {
namespace {

constexpr uint32_t kContentsVersion = 1;
constexpr size_t kMinReferenceLen = 6;

absl::Status KeystoreError(absl::Status status) {
  if (status.code() == absl::StatusCode::kNotFound) return status;
  return WithExitCode(std::move(status), ExitCode::kKeystore);
}

// Device, inode, size and modification time of `path`; empty when absent.
std::string FileVersion(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "";
  return absl::StrCat(st.st_dev, ":", st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".",
                      st.st_mtim.tv_nsec);
}

// An exclusive flock on `path` for the object's lifetime.
class FileLock {
 public:
  static absl::StatusOr<std::unique_ptr<FileLock>> Acquire(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return absl::UnknownError(absl::StrCat("cannot open lock file ", path));
    }
    if (::flock(fd, LOCK_EX) != 0) {
      ::close(fd);
      return absl::UnknownError(absl::StrCat("cannot lock ", path));
    }
    return std::unique_ptr<FileLock>(new FileLock(fd));
  }
  ~FileLock() { ::close(fd_); }  // closing releases the lock
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

void WipeAdviserKeys(v1::AdviserKeyPair& pair) {
  WipeString(*pair.mutable_encryption_private_key());
  WipeString(*pair.mutable_signing_private_key());
}

}  // namespace

void WipeThreadKeys(v1::ThreadKeys& keys) {
  WipeString(*keys.mutable_reply_private_key());
  WipeString(*keys.mutable_signing_private_key());
}

absl::StatusOr<std::unique_ptr<Keystore>> Keystore::Create(const std::string& path,
                                                           crypto::SecretBytes passphrase,
                                                           const Argon2Params& params) {
  if (PathExists(path)) {
    return absl::AlreadyExistsError(
        absl::StrCat("a keystore already exists at ", path, "; it is never overwritten"));
  }
  absl::StatusOr<SealingKey> key = NewSealingKey(passphrase, params);
  if (!key.ok()) return key.status();
  std::unique_ptr<Keystore> ks(new Keystore(path, std::move(*key)));
  ks->contents_.set_version(kContentsVersion);
  if (absl::Status s = ks->Save(); !s.ok()) return s;
  return ks;
}

template <typename MakeKey>
absl::StatusOr<std::unique_ptr<Keystore>> Keystore::OpenFile(const std::string& path,
                                                             MakeKey make_key) {
  const std::string version = FileVersion(path);
  absl::StatusOr<std::string> bytes = ReadFileToString(path, 300u * 1024 * 1024);
  if (!bytes.ok()) {
    if (bytes.status().code() == absl::StatusCode::kNotFound) {
      return Localized(absl::StatusCode::kNotFound, Msg::kLzNoKeystore, {path});
    }
    return KeystoreError(bytes.status());
  }
  absl::StatusOr<SealingKey> key = make_key(*bytes);
  absl::StatusOr<crypto::SecretBytes> plain =
      key.ok() ? OpenWithKey(kKeystoreMagic, *bytes, *key)
               : absl::StatusOr<crypto::SecretBytes>(key.status());
  if (!plain.ok()) {
    if (plain.status().code() == absl::StatusCode::kUnauthenticated) {
      return KeystoreError(
          Localized(absl::StatusCode::kUnauthenticated, Msg::kLzWrongPassphrase, {path}));
    }
    return KeystoreError(
        LocalizedWrap(plain.status().code(), Msg::kLzKeystoreDamaged, {path}, plain.status()));
  }
  std::unique_ptr<Keystore> ks(new Keystore(path, std::move(*key)));
  ks->file_version_ = version;
  if (!ks->contents_.ParseFromArray(plain->data(), static_cast<int>(plain->size())) ||
      ks->contents_.version() != kContentsVersion) {
    return KeystoreError(
        LocalizedWrap(absl::StatusCode::kDataLoss, Msg::kLzKeystoreDamaged, {path},
                      Localized(absl::StatusCode::kDataLoss, Msg::kLzContentsDoNotParse)));
  }
  return ks;
}

absl::StatusOr<std::unique_ptr<Keystore>> Keystore::Open(const std::string& path,
                                                         crypto::SecretBytes passphrase) {
  return OpenFile(path, [&](absl::string_view bytes) {
    return DeriveSealingKey(kKeystoreMagic, bytes, passphrase);
  });
}

absl::StatusOr<std::unique_ptr<Keystore>> Keystore::OpenWithKeyMaterial(
    const std::string& path, crypto::SecretBytes material) {
  return OpenFile(path, [&](absl::string_view bytes) {
    return SealingKeyForFile(kKeystoreMagic, bytes, std::move(material));
  });
}

Keystore::~Keystore() {
  for (auto& pair : *contents_.mutable_adviser_keys()) WipeAdviserKeys(pair);
  for (auto& thread : *contents_.mutable_threads()) WipeThreadKeys(thread);
}

absl::Status Keystore::Save() {
  absl::StatusOr<std::unique_ptr<FileLock>> lock = FileLock::Acquire(path_ + ".lock");
  if (!lock.ok()) return lock.status();
  if (FileVersion(path_) != file_version_) {
    return WithExitCode(Localized(absl::StatusCode::kAborted, Msg::kLzKeystoreChanged, {path_}),
                        ExitCode::kConflict);
  }
  std::string plain;
  if (!contents_.SerializeToString(&plain)) {  // a bug: English on purpose
    return absl::InternalError("cannot serialise the keystore");
  }
  absl::StatusOr<std::string> sealed = SealWithKey(kKeystoreMagic, plain, key_);
  WipeString(plain);
  if (!sealed.ok()) return sealed.status();
  if (absl::Status s = WriteFileAtomically(path_, *sealed, 0600); !s.ok()) return s;
  file_version_ = FileVersion(path_);
  return absl::OkStatus();
}

absl::Status Keystore::ChangePassphrase(const crypto::SecretBytes& new_passphrase,
                                        const Argon2Params& params) {
  absl::StatusOr<SealingKey> key = NewSealingKey(new_passphrase, params);
  if (!key.ok()) return key.status();
  std::swap(key_, *key);
  absl::Status saved = Save();
  if (!saved.ok()) std::swap(key_, *key);  // the file still has the old one
  return saved;
}

int Keystore::AddAdviserKeyPair(const crypto::X25519PrivateKey& encryption,
                                const crypto::Ed25519PrivateKey& signing, int64_t now_unix_ms) {
  for (auto& pair : *contents_.mutable_adviser_keys()) {
    if (pair.superseded_at_unix_ms() == 0) pair.set_superseded_at_unix_ms(now_unix_ms);
  }
  v1::AdviserKeyPair* pair = contents_.add_adviser_keys();
  crypto::SecretBytes enc = encryption.Serialize();
  crypto::SecretBytes sig = signing.Serialize();
  pair->set_encryption_private_key(std::string(enc.view()));
  pair->set_signing_private_key(std::string(sig.view()));
  pair->set_created_at_unix_ms(now_unix_ms);
  return contents_.adviser_keys_size() - 1;
}

absl::StatusOr<const v1::AdviserKeyPair*> Keystore::CurrentAdviserKeys() const {
  const v1::AdviserKeyPair* best = nullptr;
  for (const auto& pair : contents_.adviser_keys()) {
    if (pair.superseded_at_unix_ms() != 0) continue;
    if (best == nullptr || pair.created_at_unix_ms() > best->created_at_unix_ms()) best = &pair;
  }
  if (best == nullptr) {
    return Localized(absl::StatusCode::kNotFound, Msg::kLzNoAdviserKeys);
  }
  return best;
}

int Keystore::PruneAdviserKeys(int64_t cutoff_unix_ms) {
  auto* keys = contents_.mutable_adviser_keys();
  int removed = 0;
  for (int i = keys->size() - 1; i >= 0; --i) {
    const auto& pair = keys->Get(i);
    if (pair.superseded_at_unix_ms() != 0 && pair.superseded_at_unix_ms() < cutoff_unix_ms) {
      WipeAdviserKeys(*keys->Mutable(i));
      keys->DeleteSubrange(i, 1);
      ++removed;
    }
  }
  return removed;
}

absl::StatusOr<v1::ThreadKeys*> Keystore::FindThread(absl::string_view reference) {
  std::string ref = absl::AsciiStrToLower(reference);
  if (ref.size() < kMinReferenceLen) {
    return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzRefTooShort,
                     {std::string(reference), absl::StrCat(kMinReferenceLen)});
  }
  v1::ThreadKeys* found = nullptr;
  for (auto& thread : *contents_.mutable_threads()) {
    if (!absl::StartsWith(thread.thread_id(), ref)) continue;
    if (found != nullptr) {
      return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzRefAmbiguous,
                       {std::string(reference)});
    }
    found = &thread;
  }
  if (found == nullptr) {
    return Localized(absl::StatusCode::kNotFound, Msg::kLzNoSuchCase, {std::string(reference)});
  }
  return found;
}

bool Keystore::RemoveThread(absl::string_view thread_id) {
  auto* threads = contents_.mutable_threads();
  for (int i = 0; i < threads->size(); ++i) {
    if (threads->Get(i).thread_id() == thread_id) {
      WipeThreadKeys(*threads->Mutable(i));
      threads->DeleteSubrange(i, 1);
      return true;
    }
  }
  return false;
}

absl::Status Keystore::ObserveDirectoryEpoch(uint64_t epoch) {
  if (epoch < contents_.highest_directory_epoch()) {
    return WithExitCode(
        absl::FailedPreconditionError(
            absl::StrCat("the relay served key directory epoch ", epoch, ", older than epoch ",
                         contents_.highest_directory_epoch(), " seen before (possible rollback)")),
        ExitCode::kDirectory);
  }
  contents_.set_highest_directory_epoch(epoch);
  return absl::OkStatus();
}

void Keystore::RememberSigner(absl::string_view adviser_id, absl::string_view unit,
                              absl::string_view signing_public_key, uint64_t epoch) {
  for (const auto& known : contents_.known_signers()) {
    if (known.signing_public_key() == signing_public_key && known.adviser_id() == adviser_id &&
        known.unit() == unit) {
      return;
    }
  }
  v1::KnownSigner* signer = contents_.add_known_signers();
  signer->set_adviser_id(std::string(adviser_id));
  signer->set_unit(std::string(unit));
  signer->set_signing_public_key(std::string(signing_public_key));
  signer->set_first_seen_epoch(epoch);
}

}  // namespace samrad::client
