#include "server/served_key_pair.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "crypto/x509.h"
#include "server/config.h"

namespace samrad::server {
namespace {

// A new memfd holding `contents`, or -1 with errno set.
int MemfdWith(const char* name, const std::string& contents) {
  const int fd = ::memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return -1;
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      ::close(fd);
      errno = saved;
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  return fd;
}

// Overwrites `s` before it is freed (the private key).
void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace

absl::Status CheckKeyPairPem(const std::string& cert_pem, const std::string& key_pem,
                             const std::string& cert_file, const std::string& key_file) {
  switch (crypto::x509::CheckKeyPair(cert_pem, key_pem)) {
    case crypto::x509::KeyPairProblem::kNone:
      return absl::OkStatus();
    case crypto::x509::KeyPairProblem::kNoCertificate:
      return absl::InvalidArgumentError(
          absl::StrCat("tls.cert_file ", cert_file, " holds no PEM certificate"));
    case crypto::x509::KeyPairProblem::kNoKey:
      return absl::InvalidArgumentError(
          absl::StrCat("tls.key_file ", key_file, " holds no unencrypted PEM private key"));
    case crypto::x509::KeyPairProblem::kMismatch:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("tls.key_file ", key_file, " does not belong to tls.cert_file ", cert_file,
                   " (replace both together, e.g. by renaming a directory that holds them)"));
}

ServedKeyPair::ServedKeyPair(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

ServedKeyPair::~ServedKeyPair() {
  if (cert_fd_ >= 0) ::close(cert_fd_);
  if (key_fd_ >= 0) ::close(key_fd_);
  Wipe(served_key_);
}

absl::StatusOr<std::unique_ptr<ServedKeyPair>> ServedKeyPair::New(std::string cert_file,
                                                                  std::string key_file) {
  std::unique_ptr<ServedKeyPair> pair(new ServedKeyPair(std::move(cert_file), std::move(key_file)));
  pair->cert_fd_ = MemfdWith("samrad-relay-cert", "");
  pair->key_fd_ = MemfdWith("samrad-relay-key", "");
  if (pair->cert_fd_ < 0 || pair->key_fd_ < 0) {
    return absl::InternalError(
        absl::StrCat("cannot create an in-memory file for the TLS pair: ", std::strerror(errno)));
  }
  auto changed = pair->Refresh();
  if (!changed.ok()) return changed.status();
  return pair;
}

std::string ServedKeyPair::cert_path() const { return absl::StrCat("/proc/self/fd/", cert_fd_); }
std::string ServedKeyPair::key_path() const { return absl::StrCat("/proc/self/fd/", key_fd_); }

absl::StatusOr<bool> ServedKeyPair::Refresh() {
  auto cert = ReadFileToString(cert_file_);
  if (!cert.ok()) {
    return absl::Status(cert.status().code(),
                        absl::StrCat("tls.cert_file: ", cert.status().message()));
  }
  auto key = ReadFileToString(key_file_);
  if (!key.ok()) {
    return absl::Status(key.status().code(),
                        absl::StrCat("tls.key_file: ", key.status().message()));
  }
  MutexLock lock(mu_);
  if (*cert == served_cert_ && *key == served_key_) {
    Wipe(*key);
    return false;
  }
  absl::Status valid = CheckKeyPairPem(*cert, *key, cert_file_, key_file_);
  if (!valid.ok()) {
    Wipe(*key);
    return valid;
  }
  const int new_cert = MemfdWith("samrad-relay-cert", *cert);
  const int new_key = MemfdWith("samrad-relay-key", *key);
  if (new_cert < 0 || new_key < 0) {
    const int saved = errno;
    if (new_cert >= 0) ::close(new_cert);
    if (new_key >= 0) ::close(new_key);
    Wipe(*key);
    return absl::InternalError(
        absl::StrCat("cannot create an in-memory file for the TLS pair: ", std::strerror(saved)));
  }
  // dup2 replaces what the fixed descriptor refers to atomically; the paths
  // gRPC reads stay the same.
  ::dup2(new_key, key_fd_);
  ::dup2(new_cert, cert_fd_);
  ::close(new_key);
  ::close(new_cert);
  served_cert_ = *std::move(cert);
  Wipe(served_key_);
  served_key_ = *std::move(key);
  return true;
}

}  // namespace samrad::server
