// RelayServer: the running relay — TLS credentials, the Store, the service,
// health and reflection — and its orderly shutdown.
//
// Health (grpc.health.v1, the server-wide service ""): SERVING while the
// relay runs and its store writes; NOT_SERVING from a store write that fails
// because the volume is full or on an I/O error (write_health.h) until a
// write succeeds again — the relay keeps accepting calls meanwhile, and each
// new write retries the store — and for good from the start of Shutdown.
// The service "samrad.v1.Directory" is NOT_SERVING while the served key
// directory expires within two days or none is published
// (directory_health.h).
#ifndef SAMRAD_SERVER_RELAY_SERVER_H_
#define SAMRAD_SERVER_RELAY_SERVER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "proto/config.pb.h"

namespace grpc {
class HealthCheckServiceInterface;
class Server;
}  // namespace grpc

namespace samrad::storage {
class SimulatedDisk;
class Store;
}  // namespace samrad::storage

namespace samrad::server {

class DirectoryFreshness;
class LiveLimits;
class MetricsHttpServer;
class PeerVerifier;
class RelayMetrics;
class ServedKeyPair;
class RelayService;
class StoreWriteHealth;

class RelayServer {
 public:
  // Checks the files the config names (TLS pair, client CA, directory key,
  // KEK), opens the store, and starts serving on config.listen_address.
  // `config` must have passed FinalizeConfig. Errors name the file or field:
  // INVALID_ARGUMENT / NOT_FOUND for bad files, FAILED_PRECONDITION for a
  // wrong KEK, UNAVAILABLE when the address cannot be bound.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RelayServer>> Start(
      v1::RelayConfig config, std::function<int64_t()> clock = nullptr);

  // Shuts down (see Shutdown) if still running.
  ~RelayServer();
  RelayServer(const RelayServer&) = delete;
  RelayServer& operator=(const RelayServer&) = delete;

  // The bound port (the chosen one when the config says port 0).
  int port() const { return port_; }

  // Health NOT_SERVING, refuses new calls, ends streams with UNAVAILABLE,
  // lets in-flight calls finish within shutdown_grace_seconds (then cancels
  // them), stops background work and closes the store. Idempotent,
  // thread-safe; blocks until done.
  void Shutdown();

  // What a reload (SIGHUP) did: each entry is a field name, a change
  // "FIELD OLD -> NEW", or for a failure the reason naming the file.
  struct ReloadReport {
    std::vector<std::string> reloaded;               // re-read and in effect now
    std::vector<std::string> changed;                // "FIELD OLD -> NEW" applied now
    std::vector<std::string> failed;                 // kept as before; reason says why
    std::vector<std::string> needs_restart;          // fields that differ in `next` but are fixed
    std::vector<std::string> needs_restart_changes;  // the same as "FIELD OLD -> NEW"
  };
  // Re-reads what can change without a restart: the relay's certificate and
  // key (served to new handshakes within about a second), the client CA
  // bundle, and from `next` (a config that passed FinalizeConfig) log_level
  // and the limits limits.rate_per_second, rate_burst,
  // max_concurrent_streams and max_streams_per_identity (in effect from the
  // next call). Revocations need no reload (they apply when made). Every
  // other field of `next` that differs from the running config is listed in
  // needs_restart and left as it is. Thread-safe with respect to serving;
  // call from one thread at a time.
  ReloadReport Reload(const v1::RelayConfig& next);

 private:
  RelayServer();

  // The steps of Start, in this order; each reads config_ and fills the
  // members it names. `now`: Unix ms (never empty); `clock`: the test clock
  // or empty for the system clock (the store and the service default it).
  // TLS: served_pair_, verifier_ (tls.* files, TLS 1.3 only).
  [[nodiscard]] absl::Status LoadTls(const std::function<int64_t()>& now);
  // metrics_, and metrics_http_ bound (not yet serving) when configured.
  [[nodiscard]] absl::Status BindMetrics();
  // Data and backup directories checked and private, store_, write_health_.
  [[nodiscard]] absl::Status OpenStore(const std::function<int64_t()>& clock);
  // live_limits_ and service_ over store_ and verifier_.
  [[nodiscard]] absl::Status StartService(std::string directory_public_key,
                                          const std::function<int64_t()>& clock);
  // server_ listening with mTLS on listen_address (port_), health SERVING.
  [[nodiscard]] absl::Status StartGrpcServer();
  // directory_freshness_, the TLS refresher thread, the metrics endpoint.
  [[nodiscard]] absl::Status StartBackground(std::function<int64_t()> now);

  // Refreshes served_pair_ every tls.refresh_interval_seconds until Shutdown.
  void RefreshTlsLoop();

  // Sets the health service's status unless serving has not started or
  // Shutdown has begun. Thread-safe.
  void SetServing(bool serving);

  // The metrics exposition (metrics.h) with the store size, directory and
  // certificate read now. Called on the metrics thread while serving.
  std::string RenderMetrics();

  v1::RelayConfig config_;  // as running: Reload updates what it applies
  int port_ = 0;
  // The service's rate limit and stream caps, retuned by Reload.
  std::shared_ptr<LiveLimits> live_limits_;
  // Counted into from the start (declared first: outlives the store and the
  // server, which call into it); the endpoint exists when metrics_address is
  // set and is stopped first in Shutdown.
  std::unique_ptr<RelayMetrics> metrics_;
  std::unique_ptr<MetricsHttpServer> metrics_http_;
  std::unique_ptr<PeerVerifier> verifier_;
  std::unique_ptr<ServedKeyPair> served_pair_;
  std::thread refresher_;
  Mutex refresh_mu_;
  std::condition_variable refresh_cv_;  // signalled by Shutdown
  bool stop_refresh_ ABSL_GUARDED_BY(refresh_mu_) = false;
  // Test builds only (storage/simulated_disk.h); outlives store_.
  std::unique_ptr<storage::SimulatedDisk> simulated_disk_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<StoreWriteHealth> write_health_;
  std::unique_ptr<RelayService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<DirectoryFreshness> directory_freshness_;
  // Held for the whole of Shutdown, so a second caller waits until it is done.
  Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
  // Set once serving starts, cleared when Shutdown begins (owned by
  // server_). Never held while calling into StoreWriteHealth.
  Mutex health_mu_;
  grpc::HealthCheckServiceInterface* health_ ABSL_GUARDED_BY(health_mu_) = nullptr;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_RELAY_SERVER_H_
