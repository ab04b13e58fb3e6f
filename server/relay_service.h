// RelayService: the samrad.v1.Relay gRPC service on the callback API.
//
// Each handler authenticates the caller (PeerVerifier, revocation, the
// method table in authz.h, the rate limit), validates the request, checks the
// resource rules, and hands the change to the Store. The reply is sent from
// the Store's callback, i.e. only once the write is durable; gRPC threads
// never wait on disk writes. Work that blocks for long (backup, retention,
// statistics) runs on one maintenance thread, which also runs the retention
// sweeper on its schedule.
//
// Privacy: the service never stores, logs or audits which professional owns a
// thread. Professionals reach a thread only by an OwnershipProof under the
// thread key; their actions are audited with an empty actor id.
//
// Lifetime: the Store and PeerVerifier passed to New must outlive the service.
// Shutdown() must be called before the gRPC server is shut down so that
// streams end and new calls are refused.
#ifndef SAMRAD_SERVER_RELAY_SERVICE_H_
#define SAMRAD_SERVER_RELAY_SERVICE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "proto/config.pb.h"
#include "proto/relay.grpc.pb.h"
#include "server/identity.h"
#include "storage/store.h"

namespace samrad::server {

struct RelayServiceOptions {
  // A config that FinalizeConfig accepted.
  v1::RelayConfig config;
  // The pinned Ed25519 directory public key, 32 raw bytes.
  std::string directory_public_key;
  // Unix milliseconds; default system clock.
  std::function<int64_t()> clock;
  // Called with the outcome of every Store write the service makes, before
  // the caller is answered, on the Store's completion thread (or the
  // maintenance thread). Must not block. Optional; RelayServer feeds its
  // StoreWriteHealth (write_health.h) with it.
  std::function<void(const absl::Status&)> on_store_write;
  // Called after a new directory epoch is published (on the Store's
  // completion thread). Must not block. Optional.
  std::function<void()> on_directory_published;
};

struct RelayStats {
  uint64_t open_streams = 0;
  uint64_t directory_epoch = 0;
  int64_t directory_not_after_unix_ms = 0;  // 0 when none is published
};

class RelayService : public v1::Relay::CallbackService {
 public:
  // Loads the current directory from `store` (if any) and starts the
  // maintenance thread. INVALID_ARGUMENT for a bad directory public key.
  static absl::StatusOr<std::unique_ptr<RelayService>> New(RelayServiceOptions options,
                                                           storage::Store* store,
                                                           PeerVerifier* verifier);
  ~RelayService() override = default;

  // Refuses new calls (UNAVAILABLE), ends every stream with UNAVAILABLE and
  // stops the maintenance thread after its current job. Idempotent.
  virtual void Shutdown() = 0;

  virtual RelayStats Stats() const = 0;

 protected:
  RelayService() = default;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_RELAY_SERVICE_H_
