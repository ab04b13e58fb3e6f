// The relay's own TLS certificate and key as gRPC reads them: two in-memory
// files (memfd) at fixed paths /proc/self/fd/N that gRPC's
// FileWatcherCertificateProvider re-reads every second. The operator's files
// (tls.cert_file, tls.key_file) reach them only through Refresh, and only
// after they parse and belong together, so a half-replaced pair is never
// served; no copy of the key is written to a disk.
//
// Refresh runs at start, every tls.refresh_interval_seconds, and on SIGHUP;
// new handshakes see a refreshed pair within about a second. Key and
// certificate are swapped one right after the other (dup2), so a read by
// gRPC that falls between the two gets a mismatched pair, which gRPC's next
// read a second later replaces.
#ifndef SAMRAD_SERVER_SERVED_KEY_PAIR_H_
#define SAMRAD_SERVER_SERVED_KEY_PAIR_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"

namespace samrad::server {

// Checks that the certificate and key PEM parse and belong together.
// INVALID_ARGUMENT naming tls.cert_file / tls.key_file otherwise.
[[nodiscard]] absl::Status CheckKeyPairPem(const std::string& cert_pem, const std::string& key_pem,
                                           const std::string& cert_file,
                                           const std::string& key_file);

class ServedKeyPair {
 public:
  // Reads and checks both files and serves them. PERMISSION_DENIED /
  // NOT_FOUND / INVALID_ARGUMENT naming the file; INTERNAL when no memfd can
  // be made.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ServedKeyPair>> New(std::string cert_file,
                                                                          std::string key_file);
  ~ServedKeyPair();
  ServedKeyPair(const ServedKeyPair&) = delete;
  ServedKeyPair& operator=(const ServedKeyPair&) = delete;

  // Paths for FileWatcherCertificateProvider; valid while this object lives.
  std::string cert_path() const;
  std::string key_path() const;

  // Re-reads the operator's files. True when they changed and are now
  // served, false when unchanged; an error (naming the file) leaves the
  // served pair as it was. Thread-safe.
  [[nodiscard]] absl::StatusOr<bool> Refresh();

 private:
  ServedKeyPair(std::string cert_file, std::string key_file);

  const std::string cert_file_;
  const std::string key_file_;
  Mutex mu_;
  int cert_fd_ = -1;  // set by New, then only read
  int key_fd_ = -1;
  std::string served_cert_ ABSL_GUARDED_BY(mu_);
  std::string served_key_ ABSL_GUARDED_BY(mu_);
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_SERVED_KEY_PAIR_H_
