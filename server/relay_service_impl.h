// RelayServiceImpl: the samrad.v1.Relay service behind RelayService::New
// (relay_service.h). Private to relay_service.cc (construction, lifecycle,
// the RPCs about cases) and relay_service_admin.cc (the administrators'
// RPCs); nothing else includes it.
//
// Every handler goes through GrpcCalls (grpc_calls.h: admission, the status
// mapped to gRPC once, the store-callback ending) and calls the logic
// modules (admission, directory_state, consultations, maintenance); a
// handler holds no rule of its own. Streams are charged, published to and
// ended through ThreadEvents (thread_events.h).
//
// Ownership: owns every part below; the Store and PeerVerifier are borrowed
// and must outlive it. Members are declared so that each part is built after,
// and destroyed before, what it borrows; the destructor calls Shutdown first,
// so no stream, expiry callback or maintenance job outlives a part.
// Thread-safety: handlers run on gRPC's threads at once; every part is
// thread-safe, and the only state written after construction lives in them.
#ifndef SAMRAD_SERVER_RELAY_SERVICE_IMPL_H_
#define SAMRAD_SERVER_RELAY_SERVICE_IMPL_H_

#include <cstdint>
#include <functional>
#include <string>

#include "crypto/keys.h"
#include "grpcpp/grpcpp.h"
#include "proto/config.pb.h"
#include "proto/relay.grpc.pb.h"
#include "server/admission.h"
#include "server/certificate_expiry.h"
#include "server/consultations.h"
#include "server/directory_state.h"
#include "server/grpc_calls.h"
#include "server/identity.h"
#include "server/maintenance.h"
#include "server/maintenance_worker.h"
#include "server/relay_service.h"
#include "server/thread_events.h"
#include "server/thread_watch.h"
#include "storage/store.h"

namespace samrad::server {

class RelayServiceImpl final : public RelayService {
 public:
  using CallbackServerContext = grpc::CallbackServerContext;
  using ServerUnaryReactor = grpc::ServerUnaryReactor;
  template <typename Event>
  using ServerWriteReactor = grpc::ServerWriteReactor<Event>;

  // `options.config` as FinalizeConfig accepted it.
  RelayServiceImpl(RelayServiceOptions options, storage::Store* store, PeerVerifier* verifier,
                   crypto::Ed25519PublicKey directory_key);
  ~RelayServiceImpl() override { Shutdown(); }

  // Loads the stored directory and canonicalises stored revocations.
  [[nodiscard]] absl::Status Init();
  void Shutdown() override;
  RelayStats Stats() const override;

  // ---- Cases (relay_service.cc) ----

  ServerUnaryReactor* GetDirectory(CallbackServerContext* ctx,
                                   const v1::GetDirectoryRequest* request,
                                   v1::SignedDirectory* reply) override;
  ServerUnaryReactor* SubmitConsultation(CallbackServerContext* ctx,
                                         const v1::SubmitConsultationRequest* request,
                                         v1::Ack* reply) override;
  ServerUnaryReactor* PostMessage(CallbackServerContext* ctx, const v1::PostMessageRequest* request,
                                  v1::Ack* reply) override;
  ServerUnaryReactor* GetThread(CallbackServerContext* ctx, const v1::GetThreadRequest* request,
                                v1::ThreadView* reply) override;
  ServerWriteReactor<v1::ThreadEvent>* WatchThread(CallbackServerContext* ctx,
                                                   const v1::WatchThreadRequest* request) override;
  ServerUnaryReactor* CloseThread(CallbackServerContext* ctx, const v1::CloseThreadRequest* request,
                                  v1::ThreadSummary* reply) override;
  ServerUnaryReactor* ListQueue(CallbackServerContext* ctx, const v1::ListQueueRequest* request,
                                v1::QueuePage* reply) override;
  ServerWriteReactor<v1::QueueEvent>* WatchQueue(CallbackServerContext* ctx,
                                                 const v1::WatchQueueRequest* request) override;
  ServerUnaryReactor* ClaimThread(CallbackServerContext* ctx, const v1::ClaimThreadRequest* request,
                                  v1::ThreadSummary* reply) override;
  ServerUnaryReactor* ReleaseThread(CallbackServerContext* ctx,
                                    const v1::ReleaseThreadRequest* request,
                                    v1::ThreadSummary* reply) override;
  ServerUnaryReactor* HandoverThread(CallbackServerContext* ctx,
                                     const v1::HandoverThreadRequest* request,
                                     v1::ThreadSummary* reply) override;
  ServerUnaryReactor* ForceReleaseThread(CallbackServerContext* ctx,
                                         const v1::ForceReleaseThreadRequest* request,
                                         v1::ThreadSummary* reply) override;
  ServerUnaryReactor* ReferThread(CallbackServerContext* ctx, const v1::ReferThreadRequest* request,
                                  v1::ThreadSummary* reply) override;
  ServerUnaryReactor* ShareThread(CallbackServerContext* ctx, const v1::ShareThreadRequest* request,
                                  v1::ShareThreadReply* reply) override;

  // ---- Administration (relay_service_admin.cc) ----

  ServerUnaryReactor* PublishDirectory(CallbackServerContext* ctx,
                                       const v1::PublishDirectoryRequest* request,
                                       v1::PublishDirectoryReply* reply) override;
  ServerUnaryReactor* RevokeCertificate(CallbackServerContext* ctx,
                                        const v1::RevokeCertificateRequest* request,
                                        v1::RevocationRecord* reply) override;
  ServerUnaryReactor* UnrevokeCertificate(CallbackServerContext* ctx,
                                          const v1::UnrevokeCertificateRequest* request,
                                          v1::RevocationRecord* reply) override;
  ServerUnaryReactor* ListRevoked(CallbackServerContext* ctx, const v1::ListRevokedRequest* request,
                                  v1::ListRevokedReply* reply) override;
  ServerUnaryReactor* GetStats(CallbackServerContext* ctx, const v1::StatsRequest* request,
                               v1::StatsReply* reply) override;
  ServerUnaryReactor* GetAuditLog(CallbackServerContext* ctx, const v1::AuditLogRequest* request,
                                  v1::AuditLogReply* reply) override;
  ServerUnaryReactor* Backup(CallbackServerContext* ctx, const v1::BackupRequest* request,
                             v1::BackupReply* reply) override;
  ServerUnaryReactor* ListBackups(CallbackServerContext* ctx, const v1::ListBackupsRequest* request,
                                  v1::ListBackupsReply* reply) override;
  ServerUnaryReactor* RunRetention(CallbackServerContext* ctx, const v1::RetentionRequest* request,
                                   v1::RetentionReply* reply) override;

 private:
  // Writes the revocation of `target` (BeginRevocation succeeded) and ends
  // `call` once it is durable (relay_service_admin.cc).
  void Revoke(const Identity& caller, const RevocationTarget& target, const std::string& reason,
              v1::RevocationRecord* reply, UnaryCall& call);

  const v1::RelayConfig config_;
  const std::function<int64_t()> clock_;
  const std::function<void(const absl::Status&)> on_store_write_;
  const std::function<void()> on_directory_published_;
  storage::Store* const store_;
  // Callers, revocations, proofs (server/admission.h).
  Admission admission_;
  // The directory served and routed by (server/directory_state.h).
  DirectoryState directory_;
  // The rules for cases (server/consultations.h).
  Consultations consultations_;
  // Admin reads and long jobs (server/maintenance.h).
  Maintenance maintenance_;

  // Streams: their owners, budget and memory, and what they are told.
  ThreadEvents events_;
  // Backups, retention and statistics, and the retention schedule.
  MaintenanceWorker worker_;
  // Ends the streams of each certificate at its notAfter.
  CertificateExpiry expiry_;
  // How a WatchThread stream starts (backlog pages, audited live reads).
  ThreadWatch watch_;
  // Admission, the call helpers and the store-callback ending.
  GrpcCalls calls_;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_RELAY_SERVICE_IMPL_H_
