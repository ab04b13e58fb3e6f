// RelayServiceImpl (relay_service_impl.h): construction, lifecycle and the
// RPCs about cases; the administrators' RPCs are in relay_service_admin.cc.
#include "server/relay_service.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/reasons.h"
#include "common/relay_protocol.h"
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

AdmissionOptions AdmissionOptionsOf(const v1::RelayConfig& config, std::function<int64_t()> clock) {
  AdmissionOptions options;
  options.proof_window_ms = int64_t{config.limits().proof_window_seconds()} * 1000;
  options.rate_per_second = config.limits().rate_per_second();
  options.rate_burst = config.limits().rate_burst();
  options.clock = std::move(clock);
  return options;
}

// How often the retention sweeper runs (0: never).
int64_t SweepIntervalMs(const v1::RelayConfig& config) {
  const auto& retention = config.retention();
  return retention.sweeper_disabled() ? 0 : int64_t{retention.sweep_interval_seconds()} * 1000;
}

}  // namespace

RelayServiceImpl::RelayServiceImpl(RelayServiceOptions options, storage::Store* store,
                                   PeerVerifier* verifier, crypto::Ed25519PublicKey directory_key)
    : config_(std::move(options.config)),
      clock_(options.clock ? std::move(options.clock) : std::function<int64_t()>(SystemNowUnixMs)),
      on_store_write_(std::move(options.on_store_write)),
      on_directory_published_(std::move(options.on_directory_published)),
      store_(store),
      admission_(store, verifier, AdmissionOptionsOf(config_, clock_)),
      directory_(std::move(directory_key)),
      consultations_(store, &admission_, &directory_, config_.limits(), clock_),
      maintenance_(store, config_, clock_, on_store_write_),
      events_(config_.limits()),
      worker_(SweepIntervalMs(config_), [this] { maintenance_.ScheduledSweep(); }),
      expiry_(clock_,
              [this](const std::string& serial, int64_t not_after) {
                events_.EndStreamsOfExpired(serial, not_after);
              }),
      watch_(store, config_.limits(), on_store_write_),
      calls_(&admission_, &directory_, &events_, &worker_, &expiry_, on_store_write_) {}

absl::Status RelayServiceImpl::Init() {
  SAMRAD_RETURN_IF_ERROR(directory_.Load(*store_));
  return admission_.CanonicalizeStoredRevocations();
}

void RelayServiceImpl::Shutdown() {
  if (!calls_.BeginShutdown()) return;
  expiry_.Stop();
  events_.Shutdown();
  worker_.Stop();
}

RelayStats RelayServiceImpl::Stats() const {
  RelayStats stats;
  stats.open_streams = events_.open_streams();
  auto dir = directory_.Current();
  stats.directory_epoch = dir ? dir->epoch : 0;
  stats.directory_not_after_unix_ms = dir ? dir->directory.not_after_unix_ms() : 0;
  return stats;
}

// ---- Any role ----

ServerUnaryReactor* RelayServiceImpl::GetDirectory(CallbackServerContext* ctx,
                                                   const v1::GetDirectoryRequest* request,
                                                   v1::SignedDirectory* reply) {
  return calls_.Unary(
      ctx, method::kGetDirectory, *request, [&](const Identity&, UnaryCall&) -> absl::Status {
        auto dir = directory_.Current();
        if (!dir) {
          return reasons::Error(absl::StatusCode::kNotFound, reasons::Reason::kNoDirectoryYet, {});
        }
        *reply = dir->signed_directory;
        // So a client can refuse a text too long for this relay before sealing.
        ctx->AddInitialMetadata(protocol::kMaxEnvelopeBytesMetadata,
                                absl::StrCat(config_.limits().max_envelope_bytes()));
        return absl::OkStatus();
      });
}

// ---- Professional ----

ServerUnaryReactor* RelayServiceImpl::SubmitConsultation(
    CallbackServerContext* ctx, const v1::SubmitConsultationRequest* request, v1::Ack* reply) {
  return calls_.Unary(
      ctx, method::kSubmitConsultation, *request,
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
            calls_.Written<storage::Appended>(call, [this, reply](storage::Appended& done) {
              *reply = MakeAck(done);
              if (done.duplicate) return;
              events_.PublishChange(done.thread, &done.message, v1::QueueEvent::KIND_NEW);
              LogInfo("thread_created",
                      {{"thread", done.thread.thread_id()}, {"unit", done.thread.unit()}});
            }));
        return absl::OkStatus();
      });
}

ServerUnaryReactor* RelayServiceImpl::PostMessage(CallbackServerContext* ctx,
                                                  const v1::PostMessageRequest* request,
                                                  v1::Ack* reply) {
  return calls_.Unary(
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
        const auto kind =
            from_adviser ? v1::QueueEvent::KIND_ANSWERED : v1::QueueEvent::KIND_FOLLOW_UP;
        auto done = calls_.Written<storage::Appended>(call, [this, reply, kind](auto& appended) {
          *reply = MakeAck(appended);
          if (!appended.duplicate) events_.PublishChange(appended.thread, &appended.message, kind);
        });
        std::optional<storage::AuditDraft> audit =
            Audit(caller, from_adviser ? "answer" : "follow_up", request->thread_id());
        if (request->take_over()) {  // the claim moves only together with the answer, in one write
          store_->AppendTakingOver(std::move(prepared.message), std::move(audit),
                                   Audit(caller, "take_over", request->thread_id()),
                                   std::move(done));
        } else {
          store_->AppendMessage(std::move(prepared.message), std::move(audit), std::move(done));
        }
        return absl::OkStatus();
      });
}

ServerUnaryReactor* RelayServiceImpl::GetThread(CallbackServerContext* ctx,
                                                const v1::GetThreadRequest* request,
                                                v1::ThreadView* reply) {
  return calls_.Unary(
      ctx, method::kGetThread, *request,
      [&](const Identity& caller, UnaryCall& call) -> absl::Status {
        SAMRAD_ASSIGN_OR_RETURN(uint64_t after,
                                consultations_.ReadThreadPage(caller, *request, reply));
        if (caller.role != Role::kAdviser) return absl::OkStatus();
        // An adviser's read is on the record before the data leaves the relay.
        store_->AppendAudit(
            Audit(caller, "read", request->thread_id(), absl::StrCat("after_sequence=", after)),
            calls_.Written<v1::AuditEntry>(call, [](v1::AuditEntry&) {}));
        return absl::OkStatus();
      });
}

ServerWriteReactor<v1::ThreadEvent>* RelayServiceImpl::WatchThread(
    CallbackServerContext* ctx, const v1::WatchThreadRequest* request) {
  std::optional<v1::ThreadRecord> thread;
  return calls_.Stream<v1::ThreadEvent>(
      ctx, method::kWatchThread, *request,
      [&](const Identity& caller) -> absl::Status {
        SAMRAD_ASSIGN_OR_RETURN(
            thread, consultations_.LoadThreadFor(caller, method::kWatchThread, request->thread_id(),
                                                 *request, request->proof(), request->has_proof()));
        return absl::OkStatus();
      },
      [&](const Identity& caller, std::shared_ptr<EventSink<v1::ThreadEvent>> sink) {
        return events_.hub().SubscribeThread(request->thread_id(), ThreadEvents::OwnerOf(caller),
                                             std::move(sink));
      },
      [&](const Identity& caller, EventStream<v1::ThreadEvent>::State& state) {
        return watch_.Start(caller, *request, *thread, state);
      });
}

ServerUnaryReactor* RelayServiceImpl::CloseThread(CallbackServerContext* ctx,
                                                  const v1::CloseThreadRequest* request,
                                                  v1::ThreadSummary* reply) {
  return calls_.Unary(
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
                      calls_.WrittenChange(call, reply, v1::QueueEvent::KIND_CLOSED, ShowAsIs));
        return absl::OkStatus();
      });
}

// ---- Adviser ----

ServerUnaryReactor* RelayServiceImpl::ListQueue(CallbackServerContext* ctx,
                                                const v1::ListQueueRequest* request,
                                                v1::QueuePage* reply) {
  return calls_.Unary(
      ctx, method::kListQueue, *request, [&](const Identity& caller, UnaryCall&) -> absl::Status {
        SAMRAD_ASSIGN_OR_RETURN(storage::QueueQuery query,
                                Consultations::QueueQueryOf(caller, *request));
        SAMRAD_ASSIGN_OR_RETURN(storage::QueuePageResult page, store_->ListQueue(query));
        for (const auto& t : page.threads) *reply->add_threads() = Summarize(t);
        reply->set_next_cursor(page.next_cursor);
        return absl::OkStatus();
      });
}

ServerWriteReactor<v1::QueueEvent>* RelayServiceImpl::WatchQueue(
    CallbackServerContext* ctx, const v1::WatchQueueRequest* request) {
  return calls_.Stream<v1::QueueEvent>(
      ctx, method::kWatchQueue, *request, [](const Identity&) { return absl::OkStatus(); },
      [&](const Identity& caller, std::shared_ptr<EventSink<v1::QueueEvent>> sink) {
        return events_.hub().SubscribeQueue(caller.scope, ThreadEvents::OwnerOf(caller),
                                            std::move(sink));
      },
      [](const Identity&, EventStream<v1::QueueEvent>::State& state) {
        state.Start({}, nullptr);
        return absl::OkStatus();
      });
}

ServerUnaryReactor* RelayServiceImpl::ClaimThread(CallbackServerContext* ctx,
                                                  const v1::ClaimThreadRequest* request,
                                                  v1::ThreadSummary* reply) {
  return calls_.Unary(
      ctx, method::kClaimThread, *request,
      [&](const Identity& caller, UnaryCall& call) -> absl::Status {
        SAMRAD_RETURN_IF_ERROR(ValidateHexId("thread_id", request->thread_id()));
        SAMRAD_RETURN_IF_ERROR(call.BeforeWrite());
        store_->Claim(request->thread_id(), caller.scope, caller.id,
                      Audit(caller, "claim", request->thread_id()),
                      calls_.WrittenChange(call, reply, v1::QueueEvent::KIND_CLAIMED, HideForeign));
        return absl::OkStatus();
      });
}

ServerUnaryReactor* RelayServiceImpl::ReleaseThread(CallbackServerContext* ctx,
                                                    const v1::ReleaseThreadRequest* request,
                                                    v1::ThreadSummary* reply) {
  return calls_.Unary(
      ctx, method::kReleaseThread, *request,
      [&](const Identity& caller, UnaryCall& call) -> absl::Status {
        SAMRAD_RETURN_IF_ERROR(ValidateHexId("thread_id", request->thread_id()));
        SAMRAD_RETURN_IF_ERROR(call.BeforeWrite());
        store_->Release(
            request->thread_id(), caller.scope, caller.id,
            Audit(caller, "release", request->thread_id()),
            calls_.WrittenChange(call, reply, v1::QueueEvent::KIND_RELEASED, HideForeign));
        return absl::OkStatus();
      });
}

ServerUnaryReactor* RelayServiceImpl::HandoverThread(CallbackServerContext* ctx,
                                                     const v1::HandoverThreadRequest* request,
                                                     v1::ThreadSummary* reply) {
  return calls_.Unary(
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
            calls_.WrittenChange(call, reply, v1::QueueEvent::KIND_HANDED_OVER, HideForeign));
        return absl::OkStatus();
      });
}

ServerUnaryReactor* RelayServiceImpl::ForceReleaseThread(
    CallbackServerContext* ctx, const v1::ForceReleaseThreadRequest* request,
    v1::ThreadSummary* reply) {
  return calls_.Unary(
      ctx, method::kForceReleaseThread, *request,
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
            calls_.WrittenChange(call, reply, v1::QueueEvent::KIND_RELEASED, HideForeign));
        return absl::OkStatus();
      });
}

ServerUnaryReactor* RelayServiceImpl::ReferThread(CallbackServerContext* ctx,
                                                  const v1::ReferThreadRequest* request,
                                                  v1::ThreadSummary* reply) {
  return calls_.Unary(ctx, method::kReferThread, *request,
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
                            calls_.Written<v1::ThreadRecord>(
                                call,
                                [this, reply, from_unit](v1::ThreadRecord& thread) {
                                  *reply = Summarize(thread);
                                  events_.PublishReferral(thread, from_unit);
                                },
                                HideForeign));
                        return absl::OkStatus();
                      });
}

// ---- Adviser: team access (DESIGN.md "Team access") ----

ServerUnaryReactor* RelayServiceImpl::ShareThread(CallbackServerContext* ctx,
                                                  const v1::ShareThreadRequest* request,
                                                  v1::ShareThreadReply* reply) {
  return calls_.Unary(
      ctx, method::kShareThread, *request,
      [&](const Identity& caller, UnaryCall& call) -> absl::Status {
        SAMRAD_ASSIGN_OR_RETURN(PreparedShare prepared,
                                consultations_.PrepareShare(caller, *request));
        SAMRAD_RETURN_IF_ERROR(call.BeforeWrite());
        store_->AddRecipients(
            request->thread_id(), caller.scope, std::move(prepared.wraps),
            Audit(caller, "share", request->thread_id(), std::move(prepared.audit_detail)),
            calls_.Written<storage::Store::RecipientsAdded>(
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
