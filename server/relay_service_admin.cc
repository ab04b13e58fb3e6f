// The administrators' RPCs of RelayServiceImpl (relay_service_impl.h):
// directory publication, revocation, statistics, the audit log, backups and
// retention. Each goes through GrpcCalls; the rules are Admission's,
// DirectoryState's and Maintenance's.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/reasons.h"
#include "common/status_macros.h"
#include "server/authz.h"
#include "server/log.h"
#include "server/relay_service_impl.h"
#include "server/validation.h"

namespace samrad::server {
namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
using grpc::ServerWriteReactor;

constexpr size_t kMaxReasonBytes = 512;

}  // namespace

ServerUnaryReactor* RelayServiceImpl::PublishDirectory(CallbackServerContext* ctx,
                                                       const v1::PublishDirectoryRequest* request,
                                                       v1::PublishDirectoryReply* reply) {
  return calls_.Unary(
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
            calls_.Written<absl::Status>(call, [this, reply, state = std::move(state)]() mutable {
              reply->set_epoch(state->epoch);
              LogInfo("directory_published", {{"epoch", absl::StrCat(state->epoch)}});
              events_.EndStreamsOfRemovedAdvisers(directory_.Install(state), state->epoch);
              if (on_directory_published_) on_directory_published_();
            }));
        return absl::OkStatus();
      });
}

ServerUnaryReactor* RelayServiceImpl::RevokeCertificate(CallbackServerContext* ctx,
                                                        const v1::RevokeCertificateRequest* request,
                                                        v1::RevocationRecord* reply) {
  return calls_.Unary(
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

ServerUnaryReactor* RelayServiceImpl::UnrevokeCertificate(
    CallbackServerContext* ctx, const v1::UnrevokeCertificateRequest* request,
    v1::RevocationRecord* reply) {
  return calls_.Unary(
      ctx, method::kUnrevokeCertificate, *request,
      [&](const Identity& caller, UnaryCall& call) -> absl::Status {
        SAMRAD_RETURN_IF_ERROR(ValidateUtf8("reason", request->reason(), kMaxReasonBytes));
        SAMRAD_ASSIGN_OR_RETURN(
            RevocationTarget target,
            admission_.ResolveTarget(request->serial_hex(), request->certificate_pem()));
        const std::string serial = target.serial;
        SAMRAD_ASSIGN_OR_RETURN(std::vector<std::string> stored, admission_.StoredFormsOf(serial));
        if (stored.empty()) {
          return reasons::Error(absl::StatusCode::kNotFound, reasons::Reason::kSerialNotRevokedHint,
                                {serial});
        }
        SAMRAD_RETURN_IF_ERROR(call.BeforeWrite());
        store_->Unrevoke(
            std::move(stored), Audit(caller, "unrevoke", "", absl::StrCat("serial=", serial)),
            calls_.Written<v1::RevocationRecord>(
                call,
                [this, reply, serial, reason = request->reason()](v1::RevocationRecord& removed) {
                  *reply = std::move(removed);
                  reply->set_serial_hex(serial);
                  admission_.MarkUnrevoked(serial);
                  LogInfo("certificate_unrevoked", {{"serial", serial}, {"reason", reason}});
                }));
        return absl::OkStatus();
      });
}

ServerUnaryReactor* RelayServiceImpl::ListRevoked(CallbackServerContext* ctx,
                                                  const v1::ListRevokedRequest* request,
                                                  v1::ListRevokedReply* reply) {
  return calls_.Unary(
      ctx, method::kListRevoked, *request, [&](const Identity& caller, UnaryCall&) -> absl::Status {
        SAMRAD_ASSIGN_OR_RETURN(std::vector<v1::RevocationRecord> revoked, store_->ListRevoked());
        for (auto& r : revoked) {
          if (Admission::RevocationVisibleTo(caller, r)) *reply->add_revoked() = std::move(r);
        }
        return absl::OkStatus();
      });
}

ServerUnaryReactor* RelayServiceImpl::GetStats(CallbackServerContext* ctx,
                                               const v1::StatsRequest* request,
                                               v1::StatsReply* reply) {
  return calls_.Unary(ctx, method::kGetStats, *request,
                      [&](const Identity& caller, UnaryCall& call) -> absl::Status {
                        SAMRAD_ASSIGN_OR_RETURN(ScopedStatsQuery query,
                                                maintenance_.StatsQueryOf(caller, *request));
                        return calls_.RunBlocking(call, [this, query = std::move(query), reply]() {
                          return maintenance_.RunStats(query, reply);
                        });
                      });
}

ServerUnaryReactor* RelayServiceImpl::GetAuditLog(CallbackServerContext* ctx,
                                                  const v1::AuditLogRequest* request,
                                                  v1::AuditLogReply* reply) {
  return calls_.Unary(
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
        return calls_.RunBlocking(call, [this, reply, who = caller, after = request->after_index(),
                                         since = request->since_unix_ms(), limit]() {
          return maintenance_.ReadScopedAudit(who, after, since, limit, reply);
        });
      });
}

ServerUnaryReactor* RelayServiceImpl::Backup(CallbackServerContext* ctx,
                                             const v1::BackupRequest* request,
                                             v1::BackupReply* reply) {
  return calls_.Unary(
      ctx, method::kBackup, *request, [&](const Identity& caller, UnaryCall& call) -> absl::Status {
        SAMRAD_RETURN_IF_ERROR(maintenance_.BackupsOn());
        return calls_.RunBlocking(
            call, [this, reply, who = caller]() { return maintenance_.RunBackup(who, reply); });
      });
}

ServerUnaryReactor* RelayServiceImpl::ListBackups(CallbackServerContext* ctx,
                                                  const v1::ListBackupsRequest* request,
                                                  v1::ListBackupsReply* reply) {
  return calls_.Unary(ctx, method::kListBackups, *request,
                      [&](const Identity&, UnaryCall& call) -> absl::Status {
                        SAMRAD_RETURN_IF_ERROR(maintenance_.BackupsOn());
                        // On the maintenance thread, so it never reads a backup being written.
                        return calls_.RunBlocking(
                            call, [this, reply]() { return maintenance_.ListBackupsInto(reply); });
                      });
}

ServerUnaryReactor* RelayServiceImpl::RunRetention(CallbackServerContext* ctx,
                                                   const v1::RetentionRequest* request,
                                                   v1::RetentionReply* reply) {
  return calls_.Unary(ctx, method::kRunRetention, *request,
                      [&](const Identity& caller, UnaryCall& call) -> absl::Status {
                        return calls_.RunBlocking(
                            call, [this, reply, dry_run = request->dry_run(), who = caller]() {
                              return maintenance_.RetainInto(dry_run, who, reply);
                            });
                      });
}

// Writes the revocation of `target` (BeginRevocation succeeded) and ends
// `call` once it is durable.
void RelayServiceImpl::Revoke(const Identity& caller, const RevocationTarget& target,
                              const std::string& reason, v1::RevocationRecord* reply,
                              UnaryCall& call) {
  const std::string serial = target.serial;
  Revocation revocation = admission_.RevocationOf(caller, target, reason, clock_());
  *reply = revocation.record;
  reply->set_seen_since_start(admission_.SeenSinceStart(serial));
  const SeenAdviser& holder = revocation.holder;
  store_->RevokeAndReleaseClaims(
      std::move(revocation.record), Audit(caller, "revoke", "", absl::StrCat("serial=", serial)),
      holder.unit, holder.adviser_id,
      Audit(caller, "force_release", "", absl::StrCat("reason=revoked serial=", serial)),
      calls_.Written<std::vector<v1::ThreadRecord>>(
          call,
          [this, reply, serial](std::vector<v1::ThreadRecord>& freed) {
            reply->set_claims_released(static_cast<uint32_t>(freed.size()));
            for (const v1::ThreadRecord& thread : freed) {
              events_.PublishChange(thread, nullptr, v1::QueueEvent::KIND_RELEASED);
            }
            admission_.MarkRevoked(serial);
            admission_.EndRevocation(serial);
            // Open streams of that certificate end now, not at its next call.
            const size_t ended = events_.EndStreamsOfRevoked(serial);
            LogInfo("certificate_revoked", {{"serial", serial},
                                            {"streams_ended", absl::StrCat(ended)},
                                            {"claims_released", absl::StrCat(freed.size())}});
          },
          [this, serial](const absl::Status& failure) {
            admission_.EndRevocation(serial);
            return failure;
          }));
}

}  // namespace samrad::server
