#include "server/relay_service.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/check.h"
#include "common/ids.h"
#include "common/reasons.h"
#include "common/relay_protocol.h"
#include "common/status_macros.h"
#include "crypto/directory.h"
#include "crypto/envelope.h"
#include "crypto/keys.h"
#include "crypto/ownership_proof.h"
#include "grpcpp/grpcpp.h"
#include "server/admission.h"
#include "server/authz.h"
#include "server/certificate_expiry.h"
#include "server/consultations.h"
#include "server/directory_state.h"
#include "server/event_hub.h"
#include "server/event_stream.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/maintenance.h"
#include "server/maintenance_worker.h"
#include "server/status.h"
#include "server/validation.h"

namespace samrad::server {
namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
using grpc::ServerWriteReactor;

constexpr size_t kMaxReasonBytes = 512;

AdmissionOptions AdmissionOptionsOf(const v1::RelayConfig& config, std::function<int64_t()> clock) {
  AdmissionOptions options;
  options.proof_window_ms = int64_t{config.limits().proof_window_seconds()} * 1000;
  options.rate_per_second = config.limits().rate_per_second();
  options.rate_burst = config.limits().rate_burst();
  options.clock = std::move(clock);
  return options;
}

int64_t SystemClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Finish a unary reactor with an absl status (OK or error).
void Fail(ServerUnaryReactor* reactor, const absl::Status& status) {
  reactor->Finish(ToGrpcStatus(status));
}

// ---------------------------------------------------------------------------
class RelayServiceImpl final : public RelayService {
 public:
  RelayServiceImpl(RelayServiceOptions options, storage::Store* store, PeerVerifier* verifier,
                   crypto::Ed25519PublicKey directory_key)
      : config_(std::move(options.config)),
        clock_(options.clock ? std::move(options.clock) : std::function<int64_t()>(SystemClockMs)),
        on_store_write_(std::move(options.on_store_write)),
        on_directory_published_(std::move(options.on_directory_published)),
        store_(store),
        admission_(store, verifier, AdmissionOptionsOf(config_, clock_)),
        directory_(std::move(directory_key)),
        consultations_(store, &admission_, &directory_, config_.limits(), clock_),
        maintenance_(store, config_, clock_, on_store_write_),
        stream_budget_(config_.limits().max_concurrent_streams(),
                       config_.limits().max_streams_per_identity(),
                       config_.limits().adviser_stream_reserve_percent()),
        stream_memory_(config_.limits().stream_memory_bytes(),
                       config_.limits().adviser_stream_reserve_percent()) {}

  ~RelayServiceImpl() override { Shutdown(); }

  static const absl::Status& StatusOf(const absl::Status& status) { return status; }
  template <typename T>
  static const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
    return result.status();
  }

  // A Store write callback that reports the write's outcome
  // (options.on_store_write) and then runs `done`. It holds no pointer to
  // the service: a callback may run while the store drains after Shutdown.
  template <typename Done>
  auto Observed(Done done) const {
    return [report = on_store_write_, done = std::move(done)](auto result) mutable {
      if (report) report(StatusOf(result));
      std::move(done)(std::move(result));
    };
  }

  absl::Status Init() {
    SAMRAD_RETURN_IF_ERROR(directory_.Load(*store_));
    SAMRAD_RETURN_IF_ERROR(admission_.CanonicalizeStoredRevocations());
    const auto& retention = config_.retention();
    const int64_t interval_ms =
        retention.sweeper_disabled() ? 0 : int64_t{retention.sweep_interval_seconds()} * 1000;
    worker_ =
        std::make_unique<MaintenanceWorker>(interval_ms, [this] { maintenance_.ScheduledSweep(); });
    expiry_ = std::make_unique<CertificateExpiry>(
        clock_, [this](const std::string& serial, int64_t not_after) {
          EndStreamsOfExpired(serial, not_after);
        });
    return absl::OkStatus();
  }

  // Ends the streams of a certificate that reached its notAfter.
  void EndStreamsOfExpired(const std::string& serial, int64_t not_after) {
    const size_t ended = hub_.CloseOwner(
        serial,
        reasons::Error(
            absl::StatusCode::kUnauthenticated, reasons::Reason::kCertificateExpired,
            {serial, absl::FormatTime(absl::FromUnixMillis(not_after), absl::UTCTimeZone())}));
    if (ended > 0) {
      LogInfo("certificate_expired", {{"serial", serial}, {"streams_ended", absl::StrCat(ended)}});
    }
  }

  void Shutdown() override {
    if (shutting_down_.exchange(true)) return;
    if (expiry_) expiry_->Stop();
    hub_.Shutdown(
        reasons::Error(absl::StatusCode::kUnavailable, reasons::Reason::kStreamShutdown, {}));
    if (worker_) worker_->Stop();
  }

  RelayStats Stats() const override {
    RelayStats stats;
    stats.open_streams = stream_budget_.open();
    auto dir = directory_.Current();
    stats.directory_epoch = dir ? dir->epoch : 0;
    stats.directory_not_after_unix_ms = dir ? dir->directory.not_after_unix_ms() : 0;
    return stats;
  }

  // ---- Any role ----

  ServerUnaryReactor* GetDirectory(CallbackServerContext* ctx,
                                   const v1::GetDirectoryRequest* request,
                                   v1::SignedDirectory* reply) override {
    return Unary(ctx, method::kGetDirectory, *request,
                 [&](const Identity&, UnaryCall&) -> absl::Status {
                   auto dir = directory_.Current();
                   if (!dir) {
                     return reasons::Error(absl::StatusCode::kNotFound,
                                           reasons::Reason::kNoDirectoryYet, {});
                   }
                   *reply = dir->signed_directory;
                   // So a client can refuse a text too long for this relay before sealing.
                   ctx->AddInitialMetadata(protocol::kMaxEnvelopeBytesMetadata,
                                           absl::StrCat(config_.limits().max_envelope_bytes()));
                   return absl::OkStatus();
                 });
  }

  // ---- Professional ----

  ServerUnaryReactor* SubmitConsultation(CallbackServerContext* ctx,
                                         const v1::SubmitConsultationRequest* request,
                                         v1::Ack* reply) override {
    return Unary(ctx, method::kSubmitConsultation, *request,
                 [&](const Identity& caller, UnaryCall& call) -> absl::Status {
                   SAMRAD_ASSIGN_OR_RETURN(PreparedMessage prepared,
                                           consultations_.PrepareSubmission(caller, *request));
                   if (prepared.duplicate_ack) {
                     *reply = *prepared.duplicate_ack;
                     return absl::OkStatus();
                   }
                   SAMRAD_RETURN_IF_ERROR(call.BeforeWrite());
                   store_->CreateThread(
                       std::move(prepared.thread), std::move(prepared.message),
                       Written<storage::Appended>(call, [this, reply](storage::Appended& done) {
                         *reply = MakeAck(done);
                         if (done.duplicate) return;
                         PublishChange(done.thread, &done.message, v1::QueueEvent::KIND_NEW);
                         LogInfo("thread_created", {{"thread", done.thread.thread_id()},
                                                    {"unit", done.thread.unit()}});
                       }));
                   return absl::OkStatus();
                 });
  }

  ServerUnaryReactor* PostMessage(CallbackServerContext* ctx, const v1::PostMessageRequest* request,
                                  v1::Ack* reply) override {
    return Unary(
        ctx, method::kPostMessage, *request,
        [&](const Identity& caller, UnaryCall& call) -> absl::Status {
          SAMRAD_ASSIGN_OR_RETURN(PreparedMessage prepared,
                                  consultations_.PreparePost(caller, *request));
          if (prepared.duplicate_ack) {
            *reply = *prepared.duplicate_ack;
            return absl::OkStatus();
          }
          SAMRAD_RETURN_IF_ERROR(call.BeforeWrite());
          const bool from_adviser = caller.role == Role::kAdviser;
          auto done = Written<storage::Appended>(
              call, [this, reply, from_adviser](storage::Appended& appended) {
                *reply = MakeAck(appended);
                if (appended.duplicate) return;
                PublishChange(
                    appended.thread, &appended.message,
                    from_adviser ? v1::QueueEvent::KIND_ANSWERED : v1::QueueEvent::KIND_FOLLOW_UP);
              });
          std::optional<storage::AuditDraft> audit =
              Audit(caller, from_adviser ? "answer" : "follow_up", request->thread_id());
          if (!request->take_over()) {
            store_->AppendMessage(std::move(prepared.message), std::move(audit), std::move(done));
            return absl::OkStatus();
          }
          // The claim moves only together with the answer, in one write.
          store_->AppendTakingOver(std::move(prepared.message), std::move(audit),
                                   Audit(caller, "take_over", request->thread_id()),
                                   std::move(done));
          return absl::OkStatus();
        });
  }

  ServerUnaryReactor* GetThread(CallbackServerContext* ctx, const v1::GetThreadRequest* request,
                                v1::ThreadView* reply) override {
    return Unary(ctx, method::kGetThread, *request,
                 [&](const Identity& caller, UnaryCall& call) -> absl::Status {
                   SAMRAD_ASSIGN_OR_RETURN(uint64_t after,
                                           consultations_.ReadThreadPage(caller, *request, reply));
                   if (caller.role != Role::kAdviser) return absl::OkStatus();
                   // An adviser's read is on the record before the data leaves the relay.
                   store_->AppendAudit(Audit(caller, "read", request->thread_id(),
                                             absl::StrCat("after_sequence=", after)),
                                       Written<v1::AuditEntry>(call, [](v1::AuditEntry&) {}));
                   return absl::OkStatus();
                 });
  }

  ServerWriteReactor<v1::ThreadEvent>* WatchThread(CallbackServerContext* ctx,
                                                   const v1::WatchThreadRequest* request) override {
    std::optional<v1::ThreadRecord> thread;
    return Stream<v1::ThreadEvent>(
        ctx, method::kWatchThread, *request,
        [&](const Identity& caller) -> absl::Status {
          SAMRAD_ASSIGN_OR_RETURN(thread, consultations_.LoadThreadFor(
                                              caller, method::kWatchThread, request->thread_id(),
                                              *request, request->proof(), request->has_proof()));
          return absl::OkStatus();
        },
        [&](const Identity& caller, std::shared_ptr<EventSink<v1::ThreadEvent>> sink) {
          return hub_.SubscribeThread(request->thread_id(), StreamOwner(caller), std::move(sink));
        },
        [&](const Identity& caller, EventStream<v1::ThreadEvent>::State& state) {
          return StartThreadWatch(caller, *request, *thread, state);
        });
  }

  ServerUnaryReactor* CloseThread(CallbackServerContext* ctx, const v1::CloseThreadRequest* request,
                                  v1::ThreadSummary* reply) override {
    return Unary(
        ctx, method::kCloseThread, *request,
        [&](const Identity& caller, UnaryCall& call) -> absl::Status {
          SAMRAD_ASSIGN_OR_RETURN(
              v1::ThreadRecord thread,
              consultations_.LoadThreadFor(caller, method::kCloseThread, request->thread_id(),
                                           *request, request->proof(), request->has_proof()));
          if (thread.state() == v1::THREAD_STATE_CLOSED) {
            return reasons::Error(absl::StatusCode::kFailedPrecondition,
                                  reasons::Reason::kAlreadyClosed, {});
          }
          SAMRAD_RETURN_IF_ERROR(call.BeforeWrite());
          const std::string unit = caller.role == Role::kAdviser ? caller.scope : "";
          store_->Close(request->thread_id(), unit, Audit(caller, "close", request->thread_id()),
                        WrittenChange(call, reply, v1::QueueEvent::KIND_CLOSED, ShowAsIs));
          return absl::OkStatus();
        });
  }

  // ---- Adviser ----

  ServerUnaryReactor* ListQueue(CallbackServerContext* ctx, const v1::ListQueueRequest* request,
                                v1::QueuePage* reply) override {
    return Unary(ctx, method::kListQueue, *request,
                 [&](const Identity& caller, UnaryCall&) -> absl::Status {
                   SAMRAD_ASSIGN_OR_RETURN(storage::QueueQuery query,
                                           Consultations::QueueQueryOf(caller, *request));
                   SAMRAD_ASSIGN_OR_RETURN(storage::QueuePageResult page, store_->ListQueue(query));
                   for (const auto& t : page.threads) *reply->add_threads() = Summarize(t);
                   reply->set_next_cursor(page.next_cursor);
                   return absl::OkStatus();
                 });
  }

  ServerWriteReactor<v1::QueueEvent>* WatchQueue(CallbackServerContext* ctx,
                                                 const v1::WatchQueueRequest* request) override {
    return Stream<v1::QueueEvent>(
        ctx, method::kWatchQueue, *request, [](const Identity&) { return absl::OkStatus(); },
        [&](const Identity& caller, std::shared_ptr<EventSink<v1::QueueEvent>> sink) {
          return hub_.SubscribeQueue(caller.scope, StreamOwner(caller), std::move(sink));
        },
        [](const Identity&, EventStream<v1::QueueEvent>::State& state) {
          state.Start({}, nullptr);
          return absl::OkStatus();
        });
  }

  ServerUnaryReactor* ClaimThread(CallbackServerContext* ctx, const v1::ClaimThreadRequest* request,
                                  v1::ThreadSummary* reply) override {
    return Unary(ctx, method::kClaimThread, *request,
                 [&](const Identity& caller, UnaryCall& call) -> absl::Status {
                   SAMRAD_RETURN_IF_ERROR(ValidateHexId("thread_id", request->thread_id()));
                   SAMRAD_RETURN_IF_ERROR(call.BeforeWrite());
                   store_->Claim(
                       request->thread_id(), caller.scope, caller.id,
                       Audit(caller, "claim", request->thread_id()),
                       WrittenChange(call, reply, v1::QueueEvent::KIND_CLAIMED, HideForeign));
                   return absl::OkStatus();
                 });
  }

  ServerUnaryReactor* ReleaseThread(CallbackServerContext* ctx,
                                    const v1::ReleaseThreadRequest* request,
                                    v1::ThreadSummary* reply) override {
    return Unary(ctx, method::kReleaseThread, *request,
                 [&](const Identity& caller, UnaryCall& call) -> absl::Status {
                   SAMRAD_RETURN_IF_ERROR(ValidateHexId("thread_id", request->thread_id()));
                   SAMRAD_RETURN_IF_ERROR(call.BeforeWrite());
                   store_->Release(
                       request->thread_id(), caller.scope, caller.id,
                       Audit(caller, "release", request->thread_id()),
                       WrittenChange(call, reply, v1::QueueEvent::KIND_RELEASED, HideForeign));
                   return absl::OkStatus();
                 });
  }

  ServerUnaryReactor* HandoverThread(CallbackServerContext* ctx,
                                     const v1::HandoverThreadRequest* request,
                                     v1::ThreadSummary* reply) override {
    return Unary(
        ctx, method::kHandoverThread, *request,
        [&](const Identity& caller, UnaryCall& call) -> absl::Status {
          // The thread first: a caller who cannot see it learns nothing more.
          SAMRAD_RETURN_IF_ERROR(consultations_
                                     .LoadThreadFor(caller, method::kHandoverThread,
                                                    request->thread_id(), *request,
                                                    v1::OwnershipProof(), false)
                                     .status());
          SAMRAD_RETURN_IF_ERROR(directory_.CheckHandoverTarget(caller, request->to_adviser_id()));
          SAMRAD_RETURN_IF_ERROR(call.BeforeWrite());
          const std::string& to = request->to_adviser_id();
          store_->Handover(
              request->thread_id(), caller.scope, caller.id, to,
              Audit(caller, "handover", request->thread_id(), absl::StrCat("to=", to)),
              WrittenChange(call, reply, v1::QueueEvent::KIND_HANDED_OVER, HideForeign));
          return absl::OkStatus();
        });
  }

  ServerUnaryReactor* ForceReleaseThread(CallbackServerContext* ctx,
                                         const v1::ForceReleaseThreadRequest* request,
                                         v1::ThreadSummary* reply) override {
    return Unary(ctx, method::kForceReleaseThread, *request,
                 [&](const Identity& caller, UnaryCall& call) -> absl::Status {
                   SAMRAD_RETURN_IF_ERROR(ValidateHexId("thread_id", request->thread_id()));
                   auto thread = store_->GetThread(request->thread_id());
                   if (!thread.ok()) return HideForeign(thread.status());
                   // An admin of one unit reaches only that unit's threads.
                   if (!AdminScopeCovers(caller.scope, thread->unit())) return ThreadNotVisible();
                   SAMRAD_RETURN_IF_ERROR(call.BeforeWrite());
                   // The unit read above: a thread referred meanwhile is NOT_FOUND.
                   store_->ForceRelease(
                       request->thread_id(), thread->unit(),
                       Audit(caller, "force_release", request->thread_id()),
                       WrittenChange(call, reply, v1::QueueEvent::KIND_RELEASED, HideForeign));
                   return absl::OkStatus();
                 });
  }

  ServerUnaryReactor* ReferThread(CallbackServerContext* ctx, const v1::ReferThreadRequest* request,
                                  v1::ThreadSummary* reply) override {
    return Unary(ctx, method::kReferThread, *request,
                 [&](const Identity& caller, UnaryCall& call) -> absl::Status {
                   SAMRAD_ASSIGN_OR_RETURN(PreparedReferral prepared,
                                           consultations_.PrepareReferral(caller, *request));
                   SAMRAD_RETURN_IF_ERROR(call.BeforeWrite());
                   const std::string from_unit = caller.scope;
                   store_->Refer(
                       request->thread_id(), from_unit, request->to_unit(),
                       std::move(prepared.rewraps), std::move(prepared.note),
                       Audit(caller, "refer", request->thread_id(),
                             absl::StrCat("from=", from_unit, " to=", request->to_unit())),
                       Written<v1::ThreadRecord>(
                           call,
                           [this, reply, from_unit](v1::ThreadRecord& thread) {
                             *reply = Summarize(thread);
                             v1::QueueEvent out;
                             out.set_kind(v1::QueueEvent::KIND_REFERRED_OUT);
                             *out.mutable_thread() = *reply;
                             hub_.PublishQueue(from_unit, out);
                             PublishChange(thread, nullptr, v1::QueueEvent::KIND_REFERRED_IN);
                           },
                           HideForeign));
                   return absl::OkStatus();
                 });
  }

  // ---- Admin ----

  ServerUnaryReactor* PublishDirectory(CallbackServerContext* ctx,
                                       const v1::PublishDirectoryRequest* request,
                                       v1::PublishDirectoryReply* reply) override {
    return Unary(
        ctx, method::kPublishDirectory, *request,
        [&](const Identity& caller, UnaryCall& call) -> absl::Status {
          SAMRAD_ASSIGN_OR_RETURN(
              std::shared_ptr<const DirectorySnapshot> state,
              directory_.Verify(request->has_directory() ? &request->directory() : nullptr,
                                clock_()));
          const uint64_t epoch = state->epoch;
          store_->PutDirectory(
              request->directory(), epoch,
              Audit(caller, "publish", "", absl::StrCat("epoch=", epoch)),
              Written<absl::Status>(call, [this, reply, state = std::move(state)]() mutable {
                reply->set_epoch(state->epoch);
                LogInfo("directory_published", {{"epoch", absl::StrCat(state->epoch)}});
                EndStreamsOfRemovedAdvisers(directory_.Install(state), state->epoch);
                if (on_directory_published_) on_directory_published_();
              }));
          return absl::OkStatus();
        });
  }

  ServerUnaryReactor* RevokeCertificate(CallbackServerContext* ctx,
                                        const v1::RevokeCertificateRequest* request,
                                        v1::RevocationRecord* reply) override {
    return Unary(
        ctx, method::kRevokeCertificate, *request,
        [&](const Identity& caller, UnaryCall& call) -> absl::Status {
          SAMRAD_RETURN_IF_ERROR(ValidateUtf8("reason", request->reason(), kMaxReasonBytes));
          SAMRAD_ASSIGN_OR_RETURN(
              RevocationTarget target,
              admission_.ResolveTarget(request->serial_hex(), request->certificate_pem()));
          SAMRAD_RETURN_IF_ERROR(Admission::CheckRevokeAllowed(caller, target));
          SAMRAD_RETURN_IF_ERROR(admission_.BeginRevocation(caller, target.serial));
          Revoke(caller, target, request->reason(), reply, call);
          return absl::OkStatus();
        });
  }

  ServerUnaryReactor* UnrevokeCertificate(CallbackServerContext* ctx,
                                          const v1::UnrevokeCertificateRequest* request,
                                          v1::RevocationRecord* reply) override {
    return Unary(
        ctx, method::kUnrevokeCertificate, *request,
        [&](const Identity& caller, UnaryCall& call) -> absl::Status {
          SAMRAD_RETURN_IF_ERROR(ValidateUtf8("reason", request->reason(), kMaxReasonBytes));
          SAMRAD_ASSIGN_OR_RETURN(
              RevocationTarget target,
              admission_.ResolveTarget(request->serial_hex(), request->certificate_pem()));
          const std::string serial = target.serial;
          SAMRAD_ASSIGN_OR_RETURN(std::vector<std::string> stored,
                                  admission_.StoredFormsOf(serial));
          if (stored.empty()) {
            return reasons::Error(absl::StatusCode::kNotFound,
                                  reasons::Reason::kSerialNotRevokedHint, {serial});
          }
          SAMRAD_RETURN_IF_ERROR(call.BeforeWrite());
          store_->Unrevoke(
              std::move(stored), Audit(caller, "unrevoke", "", absl::StrCat("serial=", serial)),
              Written<v1::RevocationRecord>(call, [this, reply, serial, reason = request->reason()](
                                                      v1::RevocationRecord& removed) {
                *reply = std::move(removed);
                reply->set_serial_hex(serial);
                admission_.MarkUnrevoked(serial);
                LogInfo("certificate_unrevoked", {{"serial", serial}, {"reason", reason}});
              }));
          return absl::OkStatus();
        });
  }

  ServerUnaryReactor* ListRevoked(CallbackServerContext* ctx, const v1::ListRevokedRequest* request,
                                  v1::ListRevokedReply* reply) override {
    return Unary(ctx, method::kListRevoked, *request,
                 [&](const Identity& caller, UnaryCall&) -> absl::Status {
                   SAMRAD_ASSIGN_OR_RETURN(std::vector<v1::RevocationRecord> revoked,
                                           store_->ListRevoked());
                   for (auto& r : revoked) {
                     if (Admission::RevocationVisibleTo(caller, r))
                       *reply->add_revoked() = std::move(r);
                   }
                   return absl::OkStatus();
                 });
  }

  ServerUnaryReactor* GetStats(CallbackServerContext* ctx, const v1::StatsRequest* request,
                               v1::StatsReply* reply) override {
    return Unary(ctx, method::kGetStats, *request,
                 [&](const Identity& caller, UnaryCall& call) -> absl::Status {
                   SAMRAD_ASSIGN_OR_RETURN(ScopedStatsQuery query,
                                           maintenance_.StatsQueryOf(caller, *request));
                   return RunBlocking(call, [this, query = std::move(query), reply]() {
                     return maintenance_.RunStats(query, reply);
                   });
                 });
  }

  ServerUnaryReactor* GetAuditLog(CallbackServerContext* ctx, const v1::AuditLogRequest* request,
                                  v1::AuditLogReply* reply) override {
    return Unary(
        ctx, method::kGetAuditLog, *request,
        [&](const Identity& caller, UnaryCall& call) -> absl::Status {
          if (request->limit() > 1000) {
            return reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kAuditLimit,
                                  {absl::StrCat(request->limit())});
          }
          const uint32_t limit = request->limit() == 0 ? 200 : request->limit();
          if (caller.scope == kNationalScope) {
            return maintenance_.ReadAudit(request->after_index(), request->since_unix_ms(), limit,
                                          reply);
          }
          // Scans on the maintenance thread: it may read many entries to find few.
          return RunBlocking(call, [this, reply, who = caller, after = request->after_index(),
                                    since = request->since_unix_ms(), limit]() {
            return maintenance_.ReadScopedAudit(who, after, since, limit, reply);
          });
        });
  }

  ServerUnaryReactor* Backup(CallbackServerContext* ctx, const v1::BackupRequest* request,
                             v1::BackupReply* reply) override {
    return Unary(ctx, method::kBackup, *request,
                 [&](const Identity& caller, UnaryCall& call) -> absl::Status {
                   SAMRAD_RETURN_IF_ERROR(maintenance_.BackupsOn());
                   return RunBlocking(call, [this, reply, who = caller]() {
                     return maintenance_.RunBackup(who, reply);
                   });
                 });
  }

  ServerUnaryReactor* ListBackups(CallbackServerContext* ctx, const v1::ListBackupsRequest* request,
                                  v1::ListBackupsReply* reply) override {
    return Unary(
        ctx, method::kListBackups, *request, [&](const Identity&, UnaryCall& call) -> absl::Status {
          SAMRAD_RETURN_IF_ERROR(maintenance_.BackupsOn());
          // On the maintenance thread, so it never reads a backup being written.
          return RunBlocking(call, [this, reply]() { return maintenance_.ListBackupsInto(reply); });
        });
  }

  ServerUnaryReactor* RunRetention(CallbackServerContext* ctx, const v1::RetentionRequest* request,
                                   v1::RetentionReply* reply) override {
    return Unary(ctx, method::kRunRetention, *request,
                 [&](const Identity& caller, UnaryCall& call) -> absl::Status {
                   return RunBlocking(call,
                                      [this, reply, dry_run = request->dry_run(), who = caller]() {
                                        return maintenance_.RetainInto(dry_run, who, reply);
                                      });
                 });
  }

  // ---- Adviser: team access (DESIGN.md "Team access") ----

  ServerUnaryReactor* ShareThread(CallbackServerContext* ctx, const v1::ShareThreadRequest* request,
                                  v1::ShareThreadReply* reply) override {
    return Unary(
        ctx, method::kShareThread, *request,
        [&](const Identity& caller, UnaryCall& call) -> absl::Status {
          SAMRAD_ASSIGN_OR_RETURN(PreparedShare prepared,
                                  consultations_.PrepareShare(caller, *request));
          SAMRAD_RETURN_IF_ERROR(call.BeforeWrite());
          store_->AddRecipients(
              request->thread_id(), caller.scope, std::move(prepared.wraps),
              Audit(caller, "share", request->thread_id(), std::move(prepared.audit_detail)),
              Written<storage::Store::RecipientsAdded>(
                  call,
                  [reply](storage::Store::RecipientsAdded& added) {
                    *reply->mutable_summary() = Summarize(added.thread);
                    reply->set_messages_updated(added.messages_updated);
                    reply->set_wraps_added(added.wraps_added);
                  },
                  HideForeign));
          return absl::OkStatus();
        });
  }

 private:
  // Authenticate, then refuse a request with unknown fields (INVALID_ARGUMENT)
  // so nothing the relay does not understand is stored or served.
  absl::StatusOr<Identity> Admit(CallbackServerContext* ctx, absl::string_view full_method,
                                 const google::protobuf::Message& request) {
    auto caller = Authenticate(ctx, full_method);
    if (!caller.ok()) return caller;
    if (auto s = RejectUnknownFields(request); !s.ok()) return s;
    return caller;
  }

  // Who is calling, whether they may call `full_method`, and whether they are
  // within their rate (Admission), from the PEM of the TLS session.
  absl::StatusOr<Identity> Authenticate(CallbackServerContext* ctx, absl::string_view full_method) {
    if (shutting_down_.load()) {
      return reasons::Error(absl::StatusCode::kUnavailable, reasons::Reason::kShuttingDown, {});
    }
    std::string leaf, chain;
    if (auto auth = ctx->auth_context(); auth != nullptr) {
      auto leaf_values = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
      if (!leaf_values.empty()) leaf.assign(leaf_values[0].data(), leaf_values[0].size());
      auto chain_values = auth->FindPropertyValues(GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME);
      if (!chain_values.empty()) chain.assign(chain_values[0].data(), chain_values[0].size());
    }
    return admission_.Authenticate(leaf, chain, full_method);
  }

  // Whose a stream is: its certificate and, for an adviser, the adviser
  // (every certificate of theirs), so removal from the directory reaches it.
  // Professionals share what the adviser reserve leaves (limits.*).
  static StreamClass StreamClassOf(const Identity& caller) {
    return caller.role == Role::kProfessional ? StreamClass::kProfessional : StreamClass::kReserved;
  }
  StreamCharge StreamChargeOf(StreamClass stream_class) {
    return StreamCharge{&stream_memory_, stream_class,
                        static_cast<size_t>(config_.limits().max_stream_queue_bytes()),
                        size_t{config_.limits().max_envelope_bytes()} + 4096};
  }

  static EventHub::Owner StreamOwner(const Identity& caller) {
    return {caller.serial_hex, caller.role == Role::kAdviser
                                   ? EventHub::AdviserPrincipal(caller.scope, caller.id)
                                   : std::string()};
  }

  // Checked after a stream subscribes, so a revocation or a directory epoch
  // stored in between (whose CloseOwner found nothing yet) still ends it.
  absl::Status StillAdmitted(const Identity& caller) {
    SAMRAD_RETURN_IF_ERROR(admission_.NotRevokedNow(caller.serial_hex));
    return directory_.ListedIfAdviser(caller);
  }

  // Ends the streams of advisers a new directory epoch removed with
  // PERMISSION_DENIED: removal from the directory ends access at once, not
  // at the adviser's next call.
  void EndStreamsOfRemovedAdvisers(const std::vector<RemovedAdviser>& removed, uint64_t epoch) {
    for (const RemovedAdviser& adviser : removed) {
      const size_t ended = hub_.CloseOwner(
          EventHub::AdviserPrincipal(adviser.unit, adviser.adviser_id),
          absl::PermissionDeniedError(
              absl::StrCat("adviser ", adviser.adviser_id, " was removed from unit ", adviser.unit,
                           " in directory epoch ", epoch, "; ask the administrator")));
      if (ended > 0) {
        LogInfo("adviser_removed",
                {{"epoch", absl::StrCat(epoch)}, {"streams_ended", absl::StrCat(ended)}});
      }
    }
  }

  // QueueEvent `kind` to the thread's (current) unit and a ThreadEvent to
  // the thread's watchers.
  void PublishChange(const v1::ThreadRecord& thread, const v1::StoredMessage* message,
                     v1::QueueEvent::Kind kind) {
    v1::QueueEvent queue_event;
    queue_event.set_kind(kind);
    *queue_event.mutable_thread() = Summarize(thread);
    v1::ThreadEvent thread_event;
    *thread_event.mutable_summary() = queue_event.thread();
    if (message != nullptr) *thread_event.mutable_message() = *message;
    hub_.PublishQueue(thread.unit(), queue_event);
    hub_.PublishThread(thread.thread_id(), thread_event);
  }

  // Records that `who` read `thread_id` without waiting for the write (a
  // stream does not wait for its audit); a failure is logged.
  void AuditReadAsync(const Identity& who, const std::string& thread_id, std::string detail) {
    store_->AppendAudit(
        Audit(who, "read", thread_id, std::move(detail)),
        Observed([](absl::StatusOr<v1::AuditEntry> entry) {
          if (!entry.ok()) {
            LogError("audit_failed", {{"action", "read"}, {"reason", entry.status().message()}});
          }
        }));
  }

  // ---- The two call helpers: every handler goes through one of them ----

  // One admitted unary call. Unary() finishes it with the body's status
  // unless the body handed it on (Written, RunBlocking); then the store
  // callback or the maintenance job finishes it, exactly once.
  class UnaryCall {
   public:
    UnaryCall(ServerUnaryReactor* reactor, std::chrono::system_clock::time_point deadline)
        : reactor_(reactor), deadline_(deadline) {}
    // DEADLINE_EXCEEDED when the caller's deadline passed: checked before a
    // write starts, so nothing is written for a caller who has given up.
    absl::Status BeforeWrite() const {
      if (deadline_ <= std::chrono::system_clock::now()) {
        return absl::DeadlineExceededError("the call's deadline passed before the write started");
      }
      return absl::OkStatus();
    }
    ServerUnaryReactor* reactor() const { return reactor_; }
    bool handed_on() const { return handed_on_; }
    void HandOn() { handed_on_ = true; }

   private:
    ServerUnaryReactor* const reactor_;
    const std::chrono::system_clock::time_point deadline_;
    bool handed_on_ = false;
  };

  // The one place a unary call is admitted (shutdown, certificate,
  // revocation, method table, rate limit, unknown fields) and answered:
  // `body(caller, call)` runs only for an admitted caller; a non-OK status
  // it returns is the answer, mapped to gRPC once (server/status.h). A body
  // that hands `call` on must return OK afterwards.
  template <typename Request, typename Body>
  ServerUnaryReactor* Unary(CallbackServerContext* ctx, absl::string_view full_method,
                            const Request& request, Body body) {
    ServerUnaryReactor* reactor = ctx->DefaultReactor();
    UnaryCall call(reactor, ctx->deadline());
    absl::StatusOr<Identity> caller = Admit(ctx, full_method, request);
    const absl::Status status = caller.ok() ? body(*caller, call) : caller.status();
    SAMRAD_CHECK(status.ok() || !call.handed_on(), "a handler failed after handing its call on");
    if (!call.handed_on()) Fail(reactor, status);
    return reactor;
  }

  static absl::Status ShowAsIs(const absl::Status& status) { return status; }

  // The Store's callback type for a write whose value is `Result`
  // (absl::Status: a write without a value).
  template <typename Result>
  using WriteCallback = std::conditional_t<std::is_same_v<Result, absl::Status>,
                                           storage::DoneCallback, storage::Callback<Result>>;

  // The Store callback that ends `call`: reports the write's outcome
  // (options.on_store_write), then finishes with `on_error(failure)`, or
  // with OK after `on_ok(result)` filled the reply and published the change
  // (so the reply leaves only once the write is durable). `Result` is the
  // store's value type, or absl::Status for a write without one (then
  // `on_ok()` takes no argument). It holds no pointer to the service
  // beyond what on_ok captures: a callback may run while the store drains
  // after Shutdown.
  template <typename Result, typename OnOk,
            typename OnError = absl::Status (*)(const absl::Status&)>
  WriteCallback<Result> Written(UnaryCall& call, OnOk on_ok, OnError on_error = ShowAsIs) const {
    call.HandOn();
    constexpr bool kBare = std::is_same_v<Result, absl::Status>;
    using Outcome = std::conditional_t<kBare, absl::Status, absl::StatusOr<Result>>;
    return [report = on_store_write_, reactor = call.reactor(), on_ok = std::move(on_ok),
            on_error = std::move(on_error)](Outcome outcome) mutable {
      if (report) report(StatusOf(outcome));
      if (!outcome.ok()) return Fail(reactor, on_error(StatusOf(outcome)));
      if constexpr (kBare) {
        on_ok();
      } else {
        on_ok(*outcome);
      }
      Fail(reactor, absl::OkStatus());
    };
  }

  // Written for a write that changes a thread: the reply is the thread's
  // summary, and `kind` goes to the unit's queue and the thread's watchers.
  template <typename OnError>
  storage::Callback<v1::ThreadRecord> WrittenChange(UnaryCall& call, v1::ThreadSummary* reply,
                                                    v1::QueueEvent::Kind kind, OnError on_error) {
    return Written<v1::ThreadRecord>(
        call,
        [this, reply, kind](v1::ThreadRecord& thread) {
          *reply = Summarize(thread);
          PublishChange(thread, nullptr, kind);
        },
        on_error);
  }

  // The one place a stream is admitted and opened: Admit, `check(caller)`,
  // the stream budget, `subscribe(caller, sink)` to the hub, a second look
  // at revocation and the directory (StillAdmitted), the certificate's
  // expiry, then `start(caller, state)`. A refusal before the budget is a
  // failed stream; after it, the opened stream finishes with the status.
  template <typename Event, typename Request, typename Check, typename Subscribe, typename Start>
  ServerWriteReactor<Event>* Stream(CallbackServerContext* ctx, absl::string_view full_method,
                                    const Request& request, Check check, Subscribe subscribe,
                                    Start start) {
    absl::StatusOr<Identity> caller = Admit(ctx, full_method, request);
    if (!caller.ok()) return FailedStream<Event>(caller.status());
    if (absl::Status s = check(*caller); !s.ok()) return FailedStream<Event>(s);
    const std::string budget_key = caller->serial_hex;
    const StreamClass stream_class = StreamClassOf(*caller);
    if (absl::Status s = stream_budget_.Acquire(budget_key, stream_class); !s.ok()) {
      return FailedStream<Event>(s);
    }
    auto* stream = new EventStream<Event>(StreamChargeOf(stream_class), nullptr);
    absl::StatusOr<uint64_t> subscribed = subscribe(*caller, stream->state());
    const uint64_t handle = subscribed.ok() ? *subscribed : 0;
    stream->set_on_done([this, handle, budget_key, stream_class] {
      if (handle != 0) hub_.Unsubscribe(handle);
      stream_budget_.Release(budget_key, stream_class);
    });
    absl::Status started = subscribed.status();
    if (started.ok()) started = StillAdmitted(*caller);
    if (started.ok()) {
      // Registered after subscribing: a deadline already passed ends it at once.
      expiry_->Watch(caller->serial_hex, caller->not_after_unix_ms);
      started = start(*caller, *stream->state());
    }
    if (!started.ok()) stream->state()->RequestFinish(ToGrpcStatus(started));
    return stream;
  }

  // Runs `job` on the maintenance thread, which finishes `call` with the
  // job's status. UNAVAILABLE (and `call` not handed on) when shutting down.
  absl::Status RunBlocking(UnaryCall& call, std::function<absl::Status()> job) {
    auto shared_job = std::make_shared<std::function<absl::Status()>>(std::move(job));
    if (!worker_->Post(
            [reactor = call.reactor(), shared_job] { Fail(reactor, (*shared_job)()); })) {
      return reasons::Error(absl::StatusCode::kUnavailable, reasons::Reason::kShuttingDown, {});
    }
    call.HandOn();
    return absl::OkStatus();
  }

  // ---- Handler steps ----

  // Starts a subscribed WatchThread stream: the thread must still exist once
  // subscribed; its backlog is read after subscribing, so nothing falls
  // between, and page by page as the client reads (EventStream), never
  // whole. Live events the backlog already held are skipped by sequence.
  absl::Status StartThreadWatch(const Identity& caller, const v1::WatchThreadRequest& request,
                                const v1::ThreadRecord& thread,
                                EventStream<v1::ThreadEvent>::State& state) {
    SAMRAD_RETURN_IF_ERROR(store_->GetThread(request.thread_id()).status());
    // The read is audited only once the stream is admitted: a stream refused
    // by the budget reads nothing (and must not cost a synced audit write per
    // refused attempt).
    const bool adviser = caller.role == Role::kAdviser;
    if (adviser) AuditReadAsync(caller, request.thread_id(), "watch");
    auto last_sequence = std::make_shared<std::atomic<uint64_t>>(request.after_sequence());
    // An adviser's view ends when the thread leaves their unit (referral).
    std::function<bool(const v1::ThreadEvent&)> end_after;
    // Every message an adviser's watch delivers live is on the record too,
    // as a read of that message.
    std::function<void(const v1::ThreadEvent&)> on_live;
    if (adviser) {
      end_after = [unit = caller.scope](const v1::ThreadEvent& e) {
        return e.summary().unit() != unit;
      };
      // Runs inside PublishChange, so the service is alive.
      on_live = [this, who = caller](const v1::ThreadEvent& e) {
        if (!e.has_message()) return;
        AuditReadAsync(who, e.message().thread_id(),
                       absl::StrCat("watch seq=", e.message().sequence()));
      };
    }
    state.Start(
        BacklogPager(request.thread_id(), Summarize(thread), last_sequence),
        [last_sequence](const v1::ThreadEvent& e) {
          return e.has_message() && e.message().sequence() <= last_sequence->load();
        },
        std::move(end_after), std::move(on_live));
    return absl::OkStatus();
  }

  // A WatchThread backlog page reader: pages after `last_sequence`, which it
  // advances, bounded by the read limits and the stream's free bytes.
  EventStream<v1::ThreadEvent>::Pager BacklogPager(
      std::string thread_id, v1::ThreadSummary summary,
      std::shared_ptr<std::atomic<uint64_t>> last_sequence) {
    return [this, thread_id = std::move(thread_id), summary = std::move(summary),
            last_sequence](size_t max_bytes) -> absl::StatusOr<BacklogPage<v1::ThreadEvent>> {
      SAMRAD_ASSIGN_OR_RETURN(
          storage::MessagePage page,
          store_->ReadMessagePage(
              thread_id, last_sequence->load(),
              std::min(config_.limits().max_messages_per_read(), kMaxBacklogPageEvents),
              std::min<size_t>(max_bytes, config_.limits().max_read_bytes())));
      BacklogPage<v1::ThreadEvent> out;
      out.more = page.more;
      for (auto& m : page.messages) {
        last_sequence->store(std::max(last_sequence->load(), m.sequence()));
        v1::ThreadEvent event;
        *event.mutable_summary() = summary;
        *event.mutable_message() = std::move(m);
        out.events.push_back(std::move(event));
      }
      return out;
    };
  }

  // Writes the revocation of `target` (BeginRevocation succeeded) and ends
  // `call` once it is durable.
  void Revoke(const Identity& caller, const RevocationTarget& target, const std::string& reason,
              v1::RevocationRecord* reply, UnaryCall& call) {
    const std::string serial = target.serial;
    Revocation revocation = admission_.RevocationOf(caller, target, reason, clock_());
    *reply = revocation.record;
    reply->set_seen_since_start(admission_.SeenSinceStart(serial));
    const SeenAdviser& holder = revocation.holder;
    store_->RevokeAndReleaseClaims(
        std::move(revocation.record), Audit(caller, "revoke", "", absl::StrCat("serial=", serial)),
        holder.unit, holder.adviser_id,
        Audit(caller, "force_release", "", absl::StrCat("reason=revoked serial=", serial)),
        Written<std::vector<v1::ThreadRecord>>(
            call,
            [this, reply, serial](std::vector<v1::ThreadRecord>& freed) {
              reply->set_claims_released(static_cast<uint32_t>(freed.size()));
              for (const v1::ThreadRecord& thread : freed) {
                PublishChange(thread, nullptr, v1::QueueEvent::KIND_RELEASED);
              }
              admission_.MarkRevoked(serial);
              admission_.EndRevocation(serial);
              // Open streams of that certificate end now, not at its next call.
              const size_t ended = hub_.CloseOwner(
                  serial, reasons::Error(absl::StatusCode::kUnauthenticated,
                                         reasons::Reason::kCertificateRevoked, {serial}));
              LogInfo("certificate_revoked", {{"serial", serial},
                                              {"streams_ended", absl::StrCat(ended)},
                                              {"claims_released", absl::StrCat(freed.size())}});
            },
            [this, serial](const absl::Status& failure) {
              admission_.EndRevocation(serial);
              return failure;
            }));
  }

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

  std::atomic<bool> shutting_down_{false};
  EventHub hub_;
  StreamBudget stream_budget_;
  StreamMemory stream_memory_;  // bytes queued in all streams (EventStream)

  std::unique_ptr<MaintenanceWorker> worker_;

  // Ends the streams of each certificate at its notAfter (EndStreamsOfExpired).
  std::unique_ptr<CertificateExpiry> expiry_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RelayService>> RelayService::New(RelayServiceOptions options,
                                                                storage::Store* store,
                                                                PeerVerifier* verifier) {
  auto key = crypto::Ed25519PublicKey::FromBytes(options.directory_public_key);
  if (!key.ok()) {
    return absl::InvalidArgumentError("the directory public key must be 32 bytes (Ed25519)");
  }
  auto service =
      std::make_unique<RelayServiceImpl>(std::move(options), store, verifier, *std::move(key));
  if (auto s = service->Init(); !s.ok()) return s;
  return service;
}

}  // namespace samrad::server
