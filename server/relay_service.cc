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
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "common/reasons.h"
#include "common/relay_protocol.h"
#include "crypto/directory.h"
#include "crypto/envelope.h"
#include "crypto/keys.h"
#include "crypto/ownership_proof.h"
#include "grpcpp/grpcpp.h"
#include "server/authz.h"
#include "server/event_hub.h"
#include "server/event_stream.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/maintenance_worker.h"
#include "server/status.h"
#include "server/validation.h"

namespace samrad::server {
namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
using grpc::ServerWriteReactor;

// NOT_FOUND for a thread the caller may not see, worded as for one that
// does not exist.
absl::Status ThreadNotVisible() {
  return reasons::Error(absl::StatusCode::kNotFound, reasons::Reason::kThreadNotVisible, {});
}
constexpr int kMaxRewrapMessages = 10000;
constexpr size_t kMaxReasonBytes = 512;
constexpr size_t kMaxCursorBytes = 1024;

int64_t SystemClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

v1::ThreadSummary Summarize(const v1::ThreadRecord& t) {
  v1::ThreadSummary s;
  s.set_thread_id(t.thread_id());
  s.set_unit(t.unit());
  *s.mutable_metadata() = t.metadata();
  s.set_state(t.state());
  s.set_claimed_by(t.claimed_by());
  s.set_created_at_unix_ms(t.created_at_unix_ms());
  s.set_last_activity_unix_ms(t.last_activity_unix_ms());
  s.set_message_count(t.last_sequence());
  s.set_last_sender_role(t.last_sender_role());
  return s;
}

v1::Ack MakeAck(const storage::Appended& appended) {
  v1::Ack ack;
  ack.set_thread_id(appended.message.thread_id());
  ack.set_message_id(appended.message.message_id());
  ack.set_sequence(appended.message.sequence());
  ack.set_accepted_at_unix_ms(appended.message.accepted_at_unix_ms());
  ack.set_unit(appended.thread.unit());
  ack.set_duplicate(appended.duplicate);
  return ack;
}

// The request digest an OwnershipProof signs: the request with `proof`
// cleared. Requests without a proof field are digested as they are.
template <typename Request>
std::string DigestWithoutProof(const Request& request) {
  if constexpr (requires(Request r) { r.clear_proof(); }) {
    Request copy = request;
    copy.clear_proof();
    return crypto::RequestDigest(copy);
  } else {
    return crypto::RequestDigest(request);
  }
}

storage::AuditDraft Audit(const Identity& who, std::string action, std::string thread_id,
                          std::string detail = "") {
  storage::AuditDraft draft;
  draft.actor_role = std::string(RoleName(who.role));
  // Professionals are never recorded by who they are.
  if (who.role != Role::kProfessional) draft.actor_id = who.id;
  draft.action = std::move(action);
  draft.thread_id = std::move(thread_id);
  draft.detail = std::move(detail);
  return draft;
}

// Finish a unary reactor with an absl status (OK or error).
void Fail(ServerUnaryReactor* reactor, const absl::Status& status) {
  reactor->Finish(ToGrpcStatus(status));
}

using Rewraps = std::map<std::string, std::vector<v1::WrappedKey>>;

// The wraps of a ReferThread or ShareThread request by message id: at most
// kMaxRewrapMessages entries, each a message id named once with 1..
// crypto::kMaxRecipients well-formed wraps. INVALID_ARGUMENT naming the field.
absl::StatusOr<Rewraps> ParseRewraps(
    const google::protobuf::RepeatedPtrField<v1::MessageRewrap>& rewraps) {
  if (rewraps.size() > kMaxRewrapMessages) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rewraps has ", rewraps.size(), " entries; at most ", kMaxRewrapMessages, " are accepted"));
  }
  Rewraps out;
  for (int i = 0; i < rewraps.size(); ++i) {
    const auto& rewrap = rewraps.Get(i);
    const std::string field = absl::StrCat("rewraps[", i, "]");
    if (auto s = ValidateHexId(field + ".message_id", rewrap.message_id()); !s.ok()) return s;
    if (rewrap.recipients().empty() ||
        static_cast<size_t>(rewrap.recipients_size()) > crypto::kMaxRecipients) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".recipients must hold 1..",
                                                     crypto::kMaxRecipients, " wrapped keys"));
    }
    std::vector<v1::WrappedKey> keys;
    for (int k = 0; k < rewrap.recipients_size(); ++k) {
      if (auto s =
              ValidateWrappedKey(absl::StrCat(field, ".recipients[", k, "]"), rewrap.recipients(k));
          !s.ok()) {
        return s;
      }
      keys.push_back(rewrap.recipients(k));
    }
    if (!out.emplace(rewrap.message_id(), std::move(keys)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".message_id names a message that an earlier entry names"));
    }
  }
  return out;
}

// The store's statistics question from the wire request (the store takes
// no wire types). An unknown period stays unspecified: the store refuses it.
storage::StatsQuery StatsQueryOf(const v1::StatsRequest& request) {
  storage::StatsQuery query;
  switch (request.period()) {
    case v1::STATS_PERIOD_MONTH:
      query.period = storage::StatsPeriod::kMonth;
      break;
    case v1::STATS_PERIOD_QUARTER:
      query.period = storage::StatsPeriod::kQuarter;
      break;
    case v1::STATS_PERIOD_YEAR:
      query.period = storage::StatsPeriod::kYear;
      break;
    default:
      query.period = storage::StatsPeriod::kUnspecified;
  }
  query.year = request.year();
  query.index = request.index();
  query.from_unix_ms = request.from_unix_ms();
  query.to_unix_ms = request.to_unix_ms();
  query.group_by.assign(request.group_by().begin(), request.group_by().end());
  return query;
}

struct DirectoryState {
  v1::SignedDirectory signed_directory;
  v1::KeyDirectory directory;
  uint64_t epoch = 0;
};

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
        verifier_(verifier),
        directory_key_(std::move(directory_key)),
        window_ms_(int64_t{config_.limits().proof_window_seconds()} * 1000),
        started_ms_(clock_()),
        rate_limiter_(config_.limits().rate_per_second(), config_.limits().rate_burst()),
        replay_cache_(window_ms_, 1u << 20),
        stream_budget_(config_.limits().max_concurrent_streams(),
                       config_.limits().max_streams_per_identity(),
                       config_.limits().adviser_stream_reserve_percent()),
        stream_memory_(config_.limits().stream_memory_bytes(),
                       config_.limits().adviser_stream_reserve_percent()) {}

  ~RelayServiceImpl() override { Shutdown(); }

  // Reports the outcome of one Store write to options.on_store_write.
  void ReportStoreWrite(const absl::Status& outcome) const {
    if (on_store_write_) on_store_write_(outcome);
  }
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
    uint64_t epoch = 0;
    auto signed_dir = store_->GetDirectory(&epoch);
    if (signed_dir.ok()) {
      auto dir = crypto::VerifyDirectory(*signed_dir, directory_key_);
      if (!dir.ok()) {
        // Served verbatim anyway (clients verify); routing uses it as stored.
        LogWarning("directory_unverified",
                   {{"epoch", absl::StrCat(epoch)}, {"reason", dir.status().message()}});
        v1::KeyDirectory parsed;
        if (!parsed.ParseFromString(signed_dir->directory())) {
          return absl::DataLossError("the stored key directory cannot be parsed");
        }
        dir = std::move(parsed);
      }
      auto state = std::make_shared<DirectoryState>();
      state->signed_directory = *std::move(signed_dir);
      state->directory = *std::move(dir);
      state->epoch = epoch;
      directory_ = std::move(state);
    } else if (!absl::IsNotFound(signed_dir.status())) {
      return signed_dir.status();
    }
    if (auto s = CanonicalizeStoredRevocations(); !s.ok()) return s;
    const auto& retention = config_.retention();
    const int64_t interval_ms =
        retention.sweeper_disabled() ? 0 : int64_t{retention.sweep_interval_seconds()} * 1000;
    worker_ = std::make_unique<MaintenanceWorker>(interval_ms, [this] { ScheduledSweep(); });
    expiry_thread_ = std::thread([this] { ExpiryLoop(); });
    return absl::OkStatus();
  }

  // The streams of a certificate end when it reaches notAfter: registered
  // after the stream subscribed, so a deadline already passed ends it at once.
  void EndStreamsAtExpiry(const Identity& caller) {
    if (caller.not_after_unix_ms <= 0) return;
    std::lock_guard lock(expiry_mu_);
    if (expiry_stopping_) return;
    auto [it, inserted] =
        expiry_by_serial_.try_emplace(caller.serial_hex, caller.not_after_unix_ms);
    if (!inserted) return;  // one deadline per certificate
    expiries_.emplace(caller.not_after_unix_ms, caller.serial_hex);
    expiry_cv_.notify_one();
  }

  // Ends the streams of each certificate at its notAfter (clock_). Wakes at
  // least every second, so an injected clock that jumps is followed.
  void ExpiryLoop() {
    std::unique_lock lock(expiry_mu_);
    while (!expiry_stopping_) {
      if (expiries_.empty()) {
        expiry_cv_.wait(lock);
        continue;
      }
      const int64_t now = clock_();
      auto first = expiries_.begin();
      if (first->first > now) {
        expiry_cv_.wait_for(lock,
                            std::chrono::milliseconds(std::min<int64_t>(first->first - now, 1000)));
        continue;
      }
      const int64_t not_after = first->first;
      const std::string serial = first->second;
      expiries_.erase(first);
      expiry_by_serial_.erase(serial);
      lock.unlock();
      const size_t ended = hub_.CloseOwner(
          serial,
          reasons::Error(
              absl::StatusCode::kUnauthenticated, reasons::Reason::kCertificateExpired,
              {serial, absl::FormatTime(absl::FromUnixMillis(not_after), absl::UTCTimeZone())}));
      if (ended > 0) {
        LogInfo("certificate_expired",
                {{"serial", serial}, {"streams_ended", absl::StrCat(ended)}});
      }
      lock.lock();
    }
  }

  // Revocations stored before serials were compared as integers kept the
  // text as typed (e.g. "0009BE…" copied from a browser) and so never matched
  // a certificate. Each is stored again under its canonical serial, audited,
  // so it takes effect; the original record stays for the audit trail.
  absl::Status CanonicalizeStoredRevocations() {
    auto revoked = store_->ListRevoked();
    if (!revoked.ok()) return revoked.status();
    for (v1::RevocationRecord record : *revoked) {
      auto canonical = ids::CanonicalSerial(record.serial_hex());
      if (!canonical.ok() || *canonical == record.serial_hex()) continue;
      auto already = store_->IsRevoked(*canonical);
      if (!already.ok()) return already.status();
      if (*already) continue;
      const std::string typed = record.serial_hex();
      record.set_serial_hex(*canonical);
      std::promise<absl::Status> done;
      store_->Revoke(record,
                     storage::AuditDraft{"relay", "", "revoke", "",
                                         absl::StrCat("serial=", *canonical, " typed=", typed,
                                                      " (stored again in canonical form)")},
                     [&done](absl::Status s) { done.set_value(std::move(s)); });
      if (auto s = done.get_future().get(); !s.ok()) return s;
      LogWarning("revocation_canonicalized", {{"serial", *canonical}, {"typed", typed}});
    }
    return absl::OkStatus();
  }

  void Shutdown() override {
    if (shutting_down_.exchange(true)) return;
    {
      std::lock_guard lock(expiry_mu_);
      expiry_stopping_ = true;
    }
    expiry_cv_.notify_all();
    if (expiry_thread_.joinable()) expiry_thread_.join();
    hub_.Shutdown(
        reasons::Error(absl::StatusCode::kUnavailable, reasons::Reason::kStreamShutdown, {}));
    if (worker_) worker_->Stop();
  }

  RelayStats Stats() const override {
    RelayStats stats;
    stats.open_streams = stream_budget_.open();
    auto dir = Directory();
    stats.directory_epoch = dir ? dir->epoch : 0;
    stats.directory_not_after_unix_ms = dir ? dir->directory.not_after_unix_ms() : 0;
    return stats;
  }

  // ---- Any role ----

  ServerUnaryReactor* GetDirectory(CallbackServerContext* ctx,
                                   const v1::GetDirectoryRequest* request,
                                   v1::SignedDirectory* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kGetDirectory, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    auto dir = Directory();
    if (!dir) {
      Fail(reactor,
           reasons::Error(absl::StatusCode::kNotFound, reasons::Reason::kNoDirectoryYet, {}));
      return reactor;
    }
    *reply = dir->signed_directory;
    // So a client can refuse a text too long for this relay before sealing.
    ctx->AddInitialMetadata(protocol::kMaxEnvelopeBytesMetadata,
                            absl::StrCat(config_.limits().max_envelope_bytes()));
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  // ---- Professional ----

  ServerUnaryReactor* SubmitConsultation(CallbackServerContext* ctx,
                                         const v1::SubmitConsultationRequest* request,
                                         v1::Ack* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kSubmitConsultation, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    auto prepared = PrepareSubmission(*caller, *request);
    if (!prepared.ok()) return Fail(reactor, prepared.status()), reactor;
    if (prepared->duplicate_ack) {
      *reply = *prepared->duplicate_ack;
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    if (auto s = CheckDeadline(ctx); !s.ok()) return Fail(reactor, s), reactor;
    store_->CreateThread(
        std::move(prepared->thread), std::move(prepared->message),
        Observed([this, reactor, reply](absl::StatusOr<storage::Appended> result) {
          if (!result.ok()) return Fail(reactor, result.status());
          *reply = MakeAck(*result);
          if (!result->duplicate) {
            PublishChange(result->thread, &result->message, v1::QueueEvent::KIND_NEW);
            LogInfo("thread_created",
                    {{"thread", result->thread.thread_id()}, {"unit", result->thread.unit()}});
          }
          reactor->Finish(grpc::Status::OK);
        }));
    return reactor;
  }

  ServerUnaryReactor* PostMessage(CallbackServerContext* ctx, const v1::PostMessageRequest* request,
                                  v1::Ack* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kPostMessage, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    auto prepared = PreparePost(*caller, *request);
    if (!prepared.ok()) return Fail(reactor, prepared.status()), reactor;
    if (prepared->duplicate_ack) {
      *reply = *prepared->duplicate_ack;
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    if (auto s = CheckDeadline(ctx); !s.ok()) return Fail(reactor, s), reactor;
    const bool from_adviser = caller->role == Role::kAdviser;
    std::optional<storage::AuditDraft> audit =
        Audit(*caller, from_adviser ? "answer" : "follow_up", request->thread_id());
    auto done =
        Observed([this, reactor, reply, from_adviser](absl::StatusOr<storage::Appended> result) {
          if (!result.ok()) return Fail(reactor, result.status());
          *reply = MakeAck(*result);
          if (!result->duplicate) {
            PublishChange(
                result->thread, &result->message,
                from_adviser ? v1::QueueEvent::KIND_ANSWERED : v1::QueueEvent::KIND_FOLLOW_UP);
          }
          reactor->Finish(grpc::Status::OK);
        });
    if (request->take_over()) {
      // The claim moves only together with the answer, in one write.
      store_->AppendTakingOver(std::move(prepared->message), std::move(audit),
                               Audit(*caller, "take_over", request->thread_id()), std::move(done));
    } else {
      store_->AppendMessage(std::move(prepared->message), std::move(audit), std::move(done));
    }
    return reactor;
  }

  ServerUnaryReactor* GetThread(CallbackServerContext* ctx, const v1::GetThreadRequest* request,
                                v1::ThreadView* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kGetThread, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    auto thread = LoadThreadFor(*caller, method::kGetThread, request->thread_id(), *request,
                                request->proof(), request->has_proof());
    if (!thread.ok()) return Fail(reactor, thread.status()), reactor;
    auto after = ThreadCursorStart(*request);
    if (!after.ok()) return Fail(reactor, after.status()), reactor;
    // The store stops reading at the page budget; the client pages on with
    // next_cursor.
    auto page = store_->ReadMessagePage(request->thread_id(), *after,
                                        config_.limits().max_messages_per_read(),
                                        config_.limits().max_read_bytes());
    if (!page.ok()) return Fail(reactor, page.status()), reactor;
    *reply->mutable_summary() = Summarize(*thread);
    for (auto& m : page->messages) *reply->add_messages() = std::move(m);
    if (page->more) reply->set_next_cursor(ThreadCursor(reply->messages().rbegin()->sequence()));
    if (caller->role != Role::kAdviser) {
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    // An adviser's read is on the record before the data leaves the relay.
    store_->AppendAudit(
        Audit(*caller, "read", request->thread_id(), absl::StrCat("after_sequence=", *after)),
        Observed([reactor](absl::StatusOr<v1::AuditEntry> entry) {
          if (!entry.ok()) return Fail(reactor, entry.status());
          reactor->Finish(grpc::Status::OK);
        }));
    return reactor;
  }

  ServerWriteReactor<v1::ThreadEvent>* WatchThread(CallbackServerContext* ctx,
                                                   const v1::WatchThreadRequest* request) override {
    auto caller = Admit(ctx, method::kWatchThread, *request);
    if (!caller.ok()) return FailedStream<v1::ThreadEvent>(caller.status());
    auto thread = LoadThreadFor(*caller, method::kWatchThread, request->thread_id(), *request,
                                request->proof(), request->has_proof());
    if (!thread.ok()) return FailedStream<v1::ThreadEvent>(thread.status());
    const std::string budget_key = caller->serial_hex;
    const StreamClass stream_class = StreamClassOf(*caller);
    if (auto s = stream_budget_.Acquire(budget_key, stream_class); !s.ok()) {
      return FailedStream<v1::ThreadEvent>(s);
    }
    auto* stream = new EventStream<v1::ThreadEvent>(StreamChargeOf(stream_class), nullptr);
    auto subscribed =
        hub_.SubscribeThread(request->thread_id(), StreamOwner(*caller), stream->state());
    const uint64_t handle = subscribed.ok() ? *subscribed : 0;
    stream->set_on_done([this, handle, budget_key, stream_class] {
      if (handle != 0) hub_.Unsubscribe(handle);
      stream_budget_.Release(budget_key, stream_class);
    });
    if (!subscribed.ok()) {
      stream->state()->RequestFinish(ToGrpcStatus(subscribed.status()));
      return stream;
    }
    if (auto s = StillAdmitted(*caller); !s.ok()) {
      stream->state()->RequestFinish(ToGrpcStatus(s));
      return stream;
    }
    EndStreamsAtExpiry(*caller);
    // The thread must still exist once subscribed; its backlog is read
    // after subscribing, so nothing falls between, and page by page as the
    // client reads (EventStream), never whole. Live events the backlog
    // already held are skipped by sequence.
    if (auto s = store_->GetThread(request->thread_id()); !s.ok()) {
      stream->state()->RequestFinish(ToGrpcStatus(s.status()));
      return stream;
    }
    // The read is audited only once the stream is admitted: a stream refused
    // by the budget reads nothing (and must not cost a synced audit write per
    // refused attempt).
    if (caller->role == Role::kAdviser) {
      AuditReadAsync(*caller, request->thread_id(), "watch");
    }
    auto last_sequence = std::make_shared<std::atomic<uint64_t>>(request->after_sequence());
    EventStream<v1::ThreadEvent>::Pager pager =
        [this, thread_id = request->thread_id(), summary = Summarize(*thread),
         last_sequence](size_t max_bytes) -> absl::StatusOr<BacklogPage<v1::ThreadEvent>> {
      auto page = store_->ReadMessagePage(
          thread_id, last_sequence->load(),
          std::min(config_.limits().max_messages_per_read(), kMaxBacklogPageEvents),
          std::min<size_t>(max_bytes, config_.limits().max_read_bytes()));
      if (!page.ok()) return page.status();
      BacklogPage<v1::ThreadEvent> out;
      out.more = page->more;
      for (auto& m : page->messages) {
        last_sequence->store(std::max(last_sequence->load(), m.sequence()));
        v1::ThreadEvent event;
        *event.mutable_summary() = summary;
        *event.mutable_message() = std::move(m);
        out.events.push_back(std::move(event));
      }
      return out;
    };
    // An adviser's view ends when the thread leaves their unit (referral).
    std::function<bool(const v1::ThreadEvent&)> end_after;
    if (caller->role == Role::kAdviser) {
      end_after = [unit = caller->scope](const v1::ThreadEvent& e) {
        return e.summary().unit() != unit;
      };
    }
    // Every message an adviser's watch delivers live is on the record too,
    // as a read of that message.
    std::function<void(const v1::ThreadEvent&)> on_live;
    if (caller->role == Role::kAdviser) {
      // Runs inside PublishChange, so the service is alive.
      on_live = [this, who = *caller](const v1::ThreadEvent& e) {
        if (!e.has_message()) return;
        AuditReadAsync(who, e.message().thread_id(),
                       absl::StrCat("watch seq=", e.message().sequence()));
      };
    }
    stream->state()->Start(
        std::move(pager),
        [last_sequence](const v1::ThreadEvent& e) {
          return e.has_message() && e.message().sequence() <= last_sequence->load();
        },
        std::move(end_after), std::move(on_live));
    return stream;
  }

  ServerUnaryReactor* CloseThread(CallbackServerContext* ctx, const v1::CloseThreadRequest* request,
                                  v1::ThreadSummary* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kCloseThread, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    auto thread = LoadThreadFor(*caller, method::kCloseThread, request->thread_id(), *request,
                                request->proof(), request->has_proof());
    if (!thread.ok()) return Fail(reactor, thread.status()), reactor;
    if (thread->state() == v1::THREAD_STATE_CLOSED) {
      Fail(reactor, reasons::Error(absl::StatusCode::kFailedPrecondition,
                                   reasons::Reason::kAlreadyClosed, {}));
      return reactor;
    }
    if (auto s = CheckDeadline(ctx); !s.ok()) return Fail(reactor, s), reactor;
    const std::string unit = caller->role == Role::kAdviser ? caller->scope : "";
    store_->Close(request->thread_id(), unit, Audit(*caller, "close", request->thread_id()),
                  Observed([this, reactor, reply](absl::StatusOr<v1::ThreadRecord> result) {
                    if (!result.ok()) return Fail(reactor, result.status());
                    *reply = Summarize(*result);
                    PublishChange(*result, nullptr, v1::QueueEvent::KIND_CLOSED);
                    reactor->Finish(grpc::Status::OK);
                  }));
    return reactor;
  }

  // ---- Adviser ----

  ServerUnaryReactor* ListQueue(CallbackServerContext* ctx, const v1::ListQueueRequest* request,
                                v1::QueuePage* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kListQueue, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    if (request->page_size() > 200) {
      Fail(reactor,
           reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kQueuePageSize,
                          {absl::StrCat(request->page_size())}));
      return reactor;
    }
    if (request->cursor().size() > kMaxCursorBytes) {
      Fail(reactor,
           reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kBadCursor, {}));
      return reactor;
    }
    if (auto s = ValidateQueueFilters(*request); !s.ok()) return Fail(reactor, s), reactor;
    storage::QueueQuery query;
    query.unit = caller->scope;
    for (int s : request->states()) query.states.push_back(static_cast<v1::ThreadState>(s));
    for (int u : request->urgencies()) query.urgencies.push_back(static_cast<v1::Urgency>(u));
    for (int c : request->categories()) query.categories.push_back(static_cast<v1::Category>(c));
    query.page_size = request->page_size() == 0 ? 50 : request->page_size();
    query.cursor = request->cursor();
    auto page = store_->ListQueue(query);
    if (!page.ok()) return Fail(reactor, page.status()), reactor;
    for (const auto& t : page->threads) *reply->add_threads() = Summarize(t);
    reply->set_next_cursor(page->next_cursor);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  ServerWriteReactor<v1::QueueEvent>* WatchQueue(CallbackServerContext* ctx,
                                                 const v1::WatchQueueRequest* request) override {
    auto caller = Admit(ctx, method::kWatchQueue, *request);
    if (!caller.ok()) return FailedStream<v1::QueueEvent>(caller.status());
    const std::string budget_key = caller->serial_hex;
    const StreamClass stream_class = StreamClassOf(*caller);
    if (auto s = stream_budget_.Acquire(budget_key, stream_class); !s.ok()) {
      return FailedStream<v1::QueueEvent>(s);
    }
    auto* stream = new EventStream<v1::QueueEvent>(StreamChargeOf(stream_class), nullptr);
    auto subscribed = hub_.SubscribeQueue(caller->scope, StreamOwner(*caller), stream->state());
    const uint64_t handle = subscribed.ok() ? *subscribed : 0;
    stream->set_on_done([this, handle, budget_key, stream_class] {
      if (handle != 0) hub_.Unsubscribe(handle);
      stream_budget_.Release(budget_key, stream_class);
    });
    if (!subscribed.ok()) {
      stream->state()->RequestFinish(ToGrpcStatus(subscribed.status()));
      return stream;
    }
    if (auto s = StillAdmitted(*caller); !s.ok()) {
      stream->state()->RequestFinish(ToGrpcStatus(s));
      return stream;
    }
    EndStreamsAtExpiry(*caller);
    stream->state()->Start({}, nullptr);
    return stream;
  }

  ServerUnaryReactor* ClaimThread(CallbackServerContext* ctx, const v1::ClaimThreadRequest* request,
                                  v1::ThreadSummary* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kClaimThread, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    if (auto s = ValidateHexId("thread_id", request->thread_id()); !s.ok()) {
      return Fail(reactor, s), reactor;
    }
    if (auto s = CheckDeadline(ctx); !s.ok()) return Fail(reactor, s), reactor;
    store_->Claim(request->thread_id(), caller->scope, caller->id,
                  Audit(*caller, "claim", request->thread_id()),
                  Observed([this, reactor, reply](absl::StatusOr<v1::ThreadRecord> result) {
                    if (!result.ok()) return Fail(reactor, HideForeign(result.status()));
                    *reply = Summarize(*result);
                    PublishChange(*result, nullptr, v1::QueueEvent::KIND_CLAIMED);
                    reactor->Finish(grpc::Status::OK);
                  }));
    return reactor;
  }

  ServerUnaryReactor* ReleaseThread(CallbackServerContext* ctx,
                                    const v1::ReleaseThreadRequest* request,
                                    v1::ThreadSummary* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kReleaseThread, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    if (auto s = ValidateHexId("thread_id", request->thread_id()); !s.ok()) {
      return Fail(reactor, s), reactor;
    }
    if (auto s = CheckDeadline(ctx); !s.ok()) return Fail(reactor, s), reactor;
    store_->Release(request->thread_id(), caller->scope, caller->id,
                    Audit(*caller, "release", request->thread_id()),
                    Observed([this, reactor, reply](absl::StatusOr<v1::ThreadRecord> result) {
                      if (!result.ok()) return Fail(reactor, HideForeign(result.status()));
                      *reply = Summarize(*result);
                      PublishChange(*result, nullptr, v1::QueueEvent::KIND_RELEASED);
                      reactor->Finish(grpc::Status::OK);
                    }));
    return reactor;
  }

  ServerUnaryReactor* HandoverThread(CallbackServerContext* ctx,
                                     const v1::HandoverThreadRequest* request,
                                     v1::ThreadSummary* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kHandoverThread, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    // The thread first: a caller who cannot see it learns nothing more.
    auto thread = LoadThreadFor(*caller, method::kHandoverThread, request->thread_id(), *request,
                                v1::OwnershipProof(), false);
    if (!thread.ok()) return Fail(reactor, thread.status()), reactor;
    if (auto s = CheckHandoverTarget(*caller, request->to_adviser_id()); !s.ok()) {
      return Fail(reactor, s), reactor;
    }
    if (auto s = CheckDeadline(ctx); !s.ok()) return Fail(reactor, s), reactor;
    const std::string to = request->to_adviser_id();
    store_->Handover(request->thread_id(), caller->scope, caller->id, to,
                     Audit(*caller, "handover", request->thread_id(), absl::StrCat("to=", to)),
                     Observed([this, reactor, reply](absl::StatusOr<v1::ThreadRecord> result) {
                       if (!result.ok()) return Fail(reactor, HideForeign(result.status()));
                       *reply = Summarize(*result);
                       PublishChange(*result, nullptr, v1::QueueEvent::KIND_HANDED_OVER);
                       reactor->Finish(grpc::Status::OK);
                     }));
    return reactor;
  }

  ServerUnaryReactor* ForceReleaseThread(CallbackServerContext* ctx,
                                         const v1::ForceReleaseThreadRequest* request,
                                         v1::ThreadSummary* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kForceReleaseThread, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    if (auto s = ValidateHexId("thread_id", request->thread_id()); !s.ok()) {
      return Fail(reactor, s), reactor;
    }
    auto thread = store_->GetThread(request->thread_id());
    if (!thread.ok()) return Fail(reactor, HideForeign(thread.status())), reactor;
    // An admin of one unit reaches only that unit's threads.
    if (!AdminScopeCovers(caller->scope, thread->unit())) {
      return Fail(reactor, ThreadNotVisible()), reactor;
    }
    if (auto s = CheckDeadline(ctx); !s.ok()) return Fail(reactor, s), reactor;
    // The unit read above: a thread referred meanwhile is NOT_FOUND.
    store_->ForceRelease(request->thread_id(), thread->unit(),
                         Audit(*caller, "force_release", request->thread_id()),
                         Observed([this, reactor, reply](absl::StatusOr<v1::ThreadRecord> result) {
                           if (!result.ok()) return Fail(reactor, HideForeign(result.status()));
                           *reply = Summarize(*result);
                           PublishChange(*result, nullptr, v1::QueueEvent::KIND_RELEASED);
                           reactor->Finish(grpc::Status::OK);
                         }));
    return reactor;
  }

  ServerUnaryReactor* ReferThread(CallbackServerContext* ctx, const v1::ReferThreadRequest* request,
                                  v1::ThreadSummary* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kReferThread, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    auto prepared = PrepareReferral(*caller, *request);
    if (!prepared.ok()) return Fail(reactor, prepared.status()), reactor;
    if (auto s = CheckDeadline(ctx); !s.ok()) return Fail(reactor, s), reactor;
    const std::string from_unit = caller->scope;
    store_->Refer(
        request->thread_id(), from_unit, request->to_unit(), std::move(prepared->rewraps),
        std::move(prepared->note),
        Audit(*caller, "refer", request->thread_id(),
              absl::StrCat("from=", from_unit, " to=", request->to_unit())),
        Observed([this, reactor, reply, from_unit](absl::StatusOr<v1::ThreadRecord> result) {
          if (!result.ok()) return Fail(reactor, HideForeign(result.status()));
          *reply = Summarize(*result);
          v1::QueueEvent out;
          out.set_kind(v1::QueueEvent::KIND_REFERRED_OUT);
          *out.mutable_thread() = *reply;
          hub_.PublishQueue(from_unit, out);
          PublishChange(*result, nullptr, v1::QueueEvent::KIND_REFERRED_IN);
          reactor->Finish(grpc::Status::OK);
        }));
    return reactor;
  }

  // ---- Admin ----

  ServerUnaryReactor* PublishDirectory(CallbackServerContext* ctx,
                                       const v1::PublishDirectoryRequest* request,
                                       v1::PublishDirectoryReply* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kPublishDirectory, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    if (!request->has_directory()) {
      Fail(reactor, reasons::Error(absl::StatusCode::kInvalidArgument,
                                   reasons::Reason::kDirectoryRequired, {}));
      return reactor;
    }
    auto verified = crypto::VerifyDirectory(request->directory(), directory_key_);
    if (!verified.ok()) {
      Fail(reactor,
           reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kDirectoryUnverified,
                          {std::string(verified.status().message())}));
      return reactor;
    }
    if (auto fresh = crypto::CheckDirectoryFresh(*verified, clock_()); !fresh.ok()) {
      Fail(reactor,
           reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kDirectoryStale,
                          {std::string(fresh.message())}));
      return reactor;
    }
    auto current = Directory();
    const uint64_t epoch = verified->epoch();
    if (current && epoch <= current->epoch) {
      Fail(reactor,
           reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kEpochNotHigher,
                          {absl::StrCat(epoch), absl::StrCat(current->epoch)}));
      return reactor;
    }
    auto state = std::make_shared<DirectoryState>();
    state->signed_directory = request->directory();
    state->directory = *std::move(verified);
    state->epoch = epoch;
    store_->PutDirectory(
        request->directory(), epoch, Audit(*caller, "publish", "", absl::StrCat("epoch=", epoch)),
        Observed([this, reactor, reply, state = std::move(state)](absl::Status s) mutable {
          if (!s.ok()) return Fail(reactor, s);
          reply->set_epoch(state->epoch);
          LogInfo("directory_published", {{"epoch", absl::StrCat(state->epoch)}});
          auto previous = Directory();
          SetDirectory(state);
          EndStreamsOfRemovedAdvisers(previous.get(), *state);
          if (on_directory_published_) on_directory_published_();
          reactor->Finish(grpc::Status::OK);
        }));
    return reactor;
  }

  ServerUnaryReactor* RevokeCertificate(CallbackServerContext* ctx,
                                        const v1::RevokeCertificateRequest* request,
                                        v1::RevocationRecord* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kRevokeCertificate, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    if (auto s = ValidateUtf8("reason", request->reason(), kMaxReasonBytes); !s.ok()) {
      return Fail(reactor, s), reactor;
    }
    auto target = ResolveTarget(request->serial_hex(), request->certificate_pem());
    if (!target.ok()) return Fail(reactor, target.status()), reactor;
    if (auto s = CheckRevokeAllowed(*caller, *target); !s.ok()) return Fail(reactor, s), reactor;
    if (auto s = BeginRevocation(*caller, target->serial); !s.ok()) {
      return Fail(reactor, s), reactor;
    }
    const std::string serial = target->serial;
    v1::RevocationRecord record;
    record.set_serial_hex(serial);
    record.set_revoked_at_unix_ms(clock_());
    record.set_reason(request->reason());
    record.set_revoked_by(caller->id);
    if (target->subject.has_value()) record.set_subject_uri(target->subject->uri);
    *reply = record;
    reply->set_seen_since_start(SeenSinceStart(serial));
    // The adviser behind the serial: named by the certificate, or seen
    // calling since the relay started. Their claims are freed in the same
    // write as the revocation, so a crash leaves both or neither (never a
    // revoked holder of a claim nobody can release). A bare serial the relay
    // has not seen since its start frees nothing; an admin frees such claims
    // with ForceReleaseThread.
    SeenAdviser holder = SeenAdviserOf(serial);
    if (target->subject.has_value() && target->subject->role == Role::kAdviser) {
      holder = {target->subject->scope, target->subject->id};
    }
    store_->RevokeAndReleaseClaims(
        std::move(record), Audit(*caller, "revoke", "", absl::StrCat("serial=", serial)),
        holder.unit, holder.adviser_id,
        Audit(*caller, "force_release", "", absl::StrCat("reason=revoked serial=", serial)),
        Observed(
            [this, reactor, reply, serial](absl::StatusOr<std::vector<v1::ThreadRecord>> freed) {
              if (!freed.ok()) {
                EndRevocation(serial);
                return Fail(reactor, freed.status());
              }
              reply->set_claims_released(static_cast<uint32_t>(freed->size()));
              for (const v1::ThreadRecord& thread : *freed) {
                PublishChange(thread, nullptr, v1::QueueEvent::KIND_RELEASED);
              }
              MarkRevoked(serial);
              EndRevocation(serial);
              // Open streams of that certificate end now, not at its next call.
              const size_t ended = hub_.CloseOwner(
                  serial, reasons::Error(absl::StatusCode::kUnauthenticated,
                                         reasons::Reason::kCertificateRevoked, {serial}));
              LogInfo("certificate_revoked", {{"serial", serial},
                                              {"streams_ended", absl::StrCat(ended)},
                                              {"claims_released", absl::StrCat(freed->size())}});
              reactor->Finish(grpc::Status::OK);
            }));
    return reactor;
  }

  ServerUnaryReactor* UnrevokeCertificate(CallbackServerContext* ctx,
                                          const v1::UnrevokeCertificateRequest* request,
                                          v1::RevocationRecord* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kUnrevokeCertificate, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    if (auto s = ValidateUtf8("reason", request->reason(), kMaxReasonBytes); !s.ok()) {
      return Fail(reactor, s), reactor;
    }
    auto target = ResolveTarget(request->serial_hex(), request->certificate_pem());
    if (!target.ok()) return Fail(reactor, target.status()), reactor;
    const std::string serial = target->serial;
    auto stored = StoredFormsOf(serial);
    if (!stored.ok()) return Fail(reactor, stored.status()), reactor;
    if (stored->empty()) {
      Fail(reactor, reasons::Error(absl::StatusCode::kNotFound,
                                   reasons::Reason::kSerialNotRevokedHint, {serial}));
      return reactor;
    }
    if (auto s = CheckDeadline(ctx); !s.ok()) return Fail(reactor, s), reactor;
    store_->Unrevoke(
        *std::move(stored), Audit(*caller, "unrevoke", "", absl::StrCat("serial=", serial)),
        Observed([this, reactor, reply, serial,
                  reason = request->reason()](absl::StatusOr<v1::RevocationRecord> removed) {
          if (!removed.ok()) return Fail(reactor, removed.status());
          *reply = *std::move(removed);
          reply->set_serial_hex(serial);
          MarkUnrevoked(serial);
          LogInfo("certificate_unrevoked", {{"serial", serial}, {"reason", reason}});
          reactor->Finish(grpc::Status::OK);
        }));
    return reactor;
  }

  ServerUnaryReactor* ListRevoked(CallbackServerContext* ctx, const v1::ListRevokedRequest* request,
                                  v1::ListRevokedReply* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kListRevoked, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    auto revoked = store_->ListRevoked();
    if (!revoked.ok()) return Fail(reactor, revoked.status()), reactor;
    for (auto& r : *revoked) {
      if (RevocationVisibleTo(*caller, r)) *reply->add_revoked() = std::move(r);
    }
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  ServerUnaryReactor* GetStats(CallbackServerContext* ctx, const v1::StatsRequest* request,
                               v1::StatsReply* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kGetStats, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    // Suppression and the calendar periods are the store's rule
    // (storage/store.h Stats); here only the cheap checks before a scan.
    static const absl::flat_hash_set<std::string> kDimensions = {"unit", "county", "category",
                                                                 "month"};
    absl::flat_hash_set<std::string> seen;
    for (const std::string& g : request->group_by()) {
      if (!kDimensions.contains(g)) {
        Fail(reactor, reasons::Error(absl::StatusCode::kInvalidArgument,
                                     reasons::Reason::kGroupByUnknown, {g.substr(0, 32)}));
        return reactor;
      }
      if (!seen.insert(g).second) {
        Fail(reactor, reasons::Error(absl::StatusCode::kInvalidArgument,
                                     reasons::Reason::kGroupByTwice, {g}));
        return reactor;
      }
    }
    storage::StatsQuery query = StatsQueryOf(*request);
    if (absl::StatusOr<storage::StatsWindow> window = storage::StatsPeriodWindow(query, clock_());
        !window.ok()) {
      Fail(reactor, window.status());
      return reactor;
    }
    // A unit admin's statistics are their unit's rows of the same query
    // grouped by unit as well: a subset of what a national admin sees, so the
    // suppression rule holds unchanged.
    std::optional<std::string> only_unit;
    if (caller->scope != kNationalScope) {
      only_unit = caller->scope;
      if (!seen.contains("unit")) query.group_by.push_back("unit");
    }
    RunBlocking(reactor, [this, query = std::move(query), reply, only_unit]() -> absl::Status {
      auto rows = store_->Stats(query);
      if (!rows.ok()) return rows.status();
      for (auto& row : *rows) {
        if (only_unit.has_value()) {
          auto unit = row.group().find("unit");
          if (unit == row.group().end() || unit->second != *only_unit) continue;
        }
        *reply->add_rows() = std::move(row);
      }
      return absl::OkStatus();
    });
    return reactor;
  }

  ServerUnaryReactor* GetAuditLog(CallbackServerContext* ctx, const v1::AuditLogRequest* request,
                                  v1::AuditLogReply* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kGetAuditLog, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    if (request->limit() > 1000) {
      Fail(reactor, reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kAuditLimit,
                                   {absl::StrCat(request->limit())}));
      return reactor;
    }
    const uint32_t limit = request->limit() == 0 ? 200 : request->limit();
    if (caller->scope != kNationalScope) {
      // Scans on the maintenance thread: it may read many entries to find few.
      RunBlocking(reactor, [this, reply, who = *caller, after = request->after_index(),
                            since = request->since_unix_ms(),
                            limit]() { return ReadScopedAudit(who, after, since, limit, reply); });
      return reactor;
    }
    auto entries = store_->ReadAudit(request->after_index(), request->since_unix_ms(), limit);
    if (!entries.ok()) return Fail(reactor, entries.status()), reactor;
    for (auto& e : *entries) *reply->add_entries() = std::move(e);
    if (reply->entries_size() > 0) {
      reply->set_scanned_to_index(reply->entries(reply->entries_size() - 1).index());
    }
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  ServerUnaryReactor* Backup(CallbackServerContext* ctx, const v1::BackupRequest* request,
                             v1::BackupReply* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kBackup, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    if (config_.backup_dir().empty()) {
      Fail(reactor,
           reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kBackupsOff, {}));
      return reactor;
    }
    RunBlocking(reactor, [this, reply, who = *caller]() -> absl::Status {
      auto result = store_->Backup(config_.backup_dir(), config_.backup_keep());
      if (!result.ok()) return result.status();
      const storage::BackupInfo& info = result->created;
      reply->set_backup_dir(info.backup_dir);
      reply->set_backup_id(info.backup_id);
      reply->set_size_bytes(info.size_bytes);
      reply->set_backup_keep(config_.backup_keep());
      for (uint32_t id : result->purged_ids) reply->add_purged_backup_ids(id);
      const std::string purged = absl::StrJoin(result->purged_ids, ",");
      LogInfo("backup_done", {{"backup_id", absl::StrCat(info.backup_id)},
                              {"bytes", absl::StrCat(info.size_bytes)},
                              {"purged_backup_ids", purged}});
      return AppendAuditAndWait(Audit(
          who, "backup", "",
          absl::StrCat("backup_id=", info.backup_id, purged.empty() ? "" : " purged=", purged)));
    });
    return reactor;
  }

  ServerUnaryReactor* ListBackups(CallbackServerContext* ctx, const v1::ListBackupsRequest* request,
                                  v1::ListBackupsReply* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kListBackups, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    if (config_.backup_dir().empty()) {
      Fail(reactor,
           reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kBackupsOff, {}));
      return reactor;
    }
    // On the maintenance thread, so it never reads a backup being written.
    RunBlocking(reactor, [this, reply]() -> absl::Status {
      auto backups = storage::ListBackups(config_.backup_dir());
      if (!backups.ok()) return backups.status();
      reply->set_backup_dir(config_.backup_dir());
      reply->set_backup_keep(config_.backup_keep());
      for (const storage::BackupInfo& b : *backups) {
        v1::BackupSummary* summary = reply->add_backups();
        summary->set_backup_id(b.backup_id);
        summary->set_created_unix_ms(b.created_unix_ms);
        summary->set_size_bytes(b.size_bytes);
        summary->set_num_files(b.num_files);
      }
      return absl::OkStatus();
    });
    return reactor;
  }

  ServerUnaryReactor* RunRetention(CallbackServerContext* ctx, const v1::RetentionRequest* request,
                                   v1::RetentionReply* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kRunRetention, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    RunBlocking(reactor, [this, reply, dry_run = request->dry_run(), who = *caller]() {
      auto report = Retain(dry_run, &who);
      if (!report.ok()) return report.status();
      reply->set_threads_closed(report->threads_closed);
      reply->set_threads_purged(report->threads_purged);
      reply->set_messages_purged(report->messages_purged);
      for (const auto& id : report->purged_thread_ids) reply->add_purged_thread_ids(id);
      return absl::OkStatus();
    });
    return reactor;
  }

  // ---- Adviser: team access (DESIGN.md "Team access") ----

  ServerUnaryReactor* ShareThread(CallbackServerContext* ctx, const v1::ShareThreadRequest* request,
                                  v1::ShareThreadReply* reply) override {
    auto* reactor = ctx->DefaultReactor();
    auto caller = Admit(ctx, method::kShareThread, *request);
    if (!caller.ok()) return Fail(reactor, caller.status()), reactor;
    auto prepared = PrepareShare(*caller, *request);
    if (!prepared.ok()) return Fail(reactor, prepared.status()), reactor;
    if (auto s = CheckDeadline(ctx); !s.ok()) return Fail(reactor, s), reactor;
    store_->AddRecipients(
        request->thread_id(), caller->scope, std::move(prepared->wraps),
        Audit(*caller, "share", request->thread_id(), std::move(prepared->audit_detail)),
        Observed([reactor, reply](absl::StatusOr<storage::Store::RecipientsAdded> result) {
          if (!result.ok()) return Fail(reactor, HideForeign(result.status()));
          *reply->mutable_summary() = Summarize(result->thread);
          reply->set_messages_updated(result->messages_updated);
          reply->set_wraps_added(result->wraps_added);
          reactor->Finish(grpc::Status::OK);
        }));
    return reactor;
  }

 private:
  struct PreparedShare {
    Rewraps wraps;
    std::string audit_detail;  // whom the wraps are for; never content
  };

  // A share by an adviser of the thread's current unit who is listed in the
  // current directory, of wraps only to advisers of that unit listed there.
  absl::StatusOr<PreparedShare> PrepareShare(const Identity& caller,
                                             const v1::ShareThreadRequest& request) {
    auto thread = LoadThreadFor(caller, method::kShareThread, request.thread_id(), request,
                                v1::OwnershipProof(), false);
    if (!thread.ok()) return thread.status();
    if (request.rewraps().empty()) {
      return absl::InvalidArgumentError("rewraps is empty; name at least one message");
    }
    PreparedShare out;
    auto wraps = ParseRewraps(request.rewraps());
    if (!wraps.ok()) return wraps.status();
    out.wraps = *std::move(wraps);
    if (thread->state() == v1::THREAD_STATE_CLOSED) {
      return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kShareClosed,
                            {});
    }
    auto dir = Directory();
    if (!dir)
      return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kNoDirectoryYet,
                            {});
    if (auto key = AdviserSigningKey(*dir, caller); !key.ok()) return key.status();
    // Key id -> adviser id of every adviser of the thread's unit at this epoch.
    std::map<std::string, std::string> unit_keys;
    if (auto unit = crypto::FindUnit(dir->directory, thread->unit()); unit.ok()) {
      for (const auto& adviser : (*unit)->advisers()) {
        auto key = crypto::X25519PublicKey::FromBytes(adviser.encryption_public_key());
        if (key.ok()) unit_keys.emplace(key->KeyId(), adviser.adviser_id());
      }
    }
    std::set<std::string> to;
    for (int i = 0; i < request.rewraps_size(); ++i) {
      const auto& rewrap = request.rewraps(i);
      for (int k = 0; k < rewrap.recipients_size(); ++k) {
        auto it = unit_keys.find(rewrap.recipients(k).key_id());
        if (it == unit_keys.end()) {
          return absl::InvalidArgumentError(
              absl::StrCat("rewraps[", i, "].recipients[", k,
                           "].key_id is not the encryption key of an "
                           "adviser of unit ",
                           thread->unit(), " in directory epoch ", dir->epoch,
                           "; a case is shared only with the unit's current advisers"));
        }
        to.insert(it->second);
      }
    }
    out.audit_detail = absl::StrCat("to=", absl::StrJoin(to, ","), " messages=", out.wraps.size(),
                                    " epoch=", dir->epoch);
    return out;
  }

  struct PreparedMessage {
    v1::ThreadRecord thread;
    v1::StoredMessage message;
    std::optional<v1::Ack> duplicate_ack;
  };

  struct PreparedReferral {
    std::map<std::string, std::vector<v1::WrappedKey>> rewraps;
    std::optional<v1::StoredMessage> note;
  };

  std::shared_ptr<const DirectoryState> Directory() const {
    std::lock_guard<std::mutex> lock(directory_mu_);
    return directory_;
  }
  void SetDirectory(std::shared_ptr<const DirectoryState> state) {
    std::lock_guard<std::mutex> lock(directory_mu_);
    if (!directory_ || state->epoch > directory_->epoch) directory_ = std::move(state);
  }

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
  // within their rate.
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
    auto identity = verifier_->Verify(leaf, chain);
    if (!identity.ok()) {
      LogInfo("call_refused", {{"method", full_method}, {"reason", identity.status().message()}});
      return identity.status();
    }
    auto revoked = IsRevoked(identity->serial_hex);
    if (!revoked.ok()) return revoked.status();
    if (*revoked) {
      LogInfo("call_refused",
              {{"method", full_method}, {"serial", identity->serial_hex}, {"reason", "revoked"}});
      return reasons::Error(absl::StatusCode::kUnauthenticated,
                            reasons::Reason::kCertificateRevoked, {identity->serial_hex});
    }
    NoteSeen(*identity);
    if (auto s = AuthorizeMethod(full_method, identity->role, identity->scope); !s.ok()) return s;
    if (auto s = rate_limiter_.Acquire(identity->serial_hex, clock_()); !s.ok()) return s;
    return identity;
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

  // GetThread's cursor is "s" and the last sequence returned, in decimal:
  // opaque to clients, checked here.
  static std::string ThreadCursor(uint64_t last_sequence) {
    return absl::StrCat("s", last_sequence);
  }
  // Where a GetThread page starts: after the cursor's sequence, or after
  // after_sequence when there is no cursor. INVALID_ARGUMENT for a cursor
  // this relay did not return.
  static absl::StatusOr<uint64_t> ThreadCursorStart(const v1::GetThreadRequest& request) {
    if (request.cursor().empty()) return request.after_sequence();
    uint64_t sequence = 0;
    if (request.cursor().size() > kMaxCursorBytes || request.cursor()[0] != 's' ||
        !absl::SimpleAtoi(absl::string_view(request.cursor()).substr(1), &sequence)) {
      return reasons::Error(absl::StatusCode::kInvalidArgument, reasons::Reason::kBadCursor, {});
    }
    return sequence;
  }

  static EventHub::Owner StreamOwner(const Identity& caller) {
    return {caller.serial_hex, caller.role == Role::kAdviser
                                   ? EventHub::AdviserPrincipal(caller.scope, caller.id)
                                   : std::string()};
  }

  // Checked after a stream subscribes, so a revocation or a directory epoch
  // stored in between (whose CloseOwner found nothing yet) still ends it.
  absl::Status StillAdmitted(const Identity& caller) {
    if (auto s = RevokedSinceAdmission(caller.serial_hex); !s.ok()) return s;
    return ListedIfAdviser(caller);
  }

  // PERMISSION_DENIED when `caller` is an adviser the current directory does
  // not list in their unit (removed, or not yet added). OK before any
  // directory is published: there is nothing to check against.
  absl::Status ListedIfAdviser(const Identity& caller) {
    if (caller.role != Role::kAdviser) return absl::OkStatus();
    auto dir = Directory();
    if (!dir) return absl::OkStatus();
    return AdviserSigningKey(*dir, caller).status();
  }

  // Ends the streams of advisers that `previous` lists and `next` does not
  // (in the same unit) with PERMISSION_DENIED: removal from the directory
  // ends access at once, not at the adviser's next call.
  void EndStreamsOfRemovedAdvisers(const DirectoryState* previous, const DirectoryState& next) {
    if (previous == nullptr) return;
    for (const auto& unit : previous->directory.units()) {
      auto next_unit = crypto::FindUnit(next.directory, unit.unit_id());
      for (const auto& adviser : unit.advisers()) {
        bool kept = false;
        if (next_unit.ok()) {
          for (const auto& listed : (*next_unit)->advisers()) {
            kept = kept || listed.adviser_id() == adviser.adviser_id();
          }
        }
        if (kept) continue;
        const size_t ended = hub_.CloseOwner(
            EventHub::AdviserPrincipal(unit.unit_id(), adviser.adviser_id()),
            absl::PermissionDeniedError(absl::StrCat(
                "adviser ", adviser.adviser_id(), " was removed from unit ", unit.unit_id(),
                " in directory epoch ", next.epoch, "; ask the administrator")));
        if (ended > 0) {
          LogInfo("adviser_removed",
                  {{"epoch", absl::StrCat(next.epoch)}, {"streams_ended", absl::StrCat(ended)}});
        }
      }
    }
  }

  // A revocation stored between a stream's admission and its subscription
  // found no stream to end (CloseOwner ran first). MarkRevoked runs before
  // CloseOwner, so a stream that subscribed afterwards sees the mark here.
  absl::Status RevokedSinceAdmission(const std::string& serial) {
    auto revoked = IsRevoked(serial);
    if (!revoked.ok()) return revoked.status();
    if (!*revoked) return absl::OkStatus();
    return reasons::Error(absl::StatusCode::kUnauthenticated, reasons::Reason::kCertificateRevoked,
                          {serial});
  }

  // ---- Admin scope (docs/DESIGN.md section 4) ----

  // What a revocation or unrevocation names: the canonical serial and, when
  // the request carried the certificate, whose it is.
  struct RevocationTarget {
    std::string serial;
    std::optional<Identity> subject;
  };

  // From certificate_pem when set (verified to chain to the client CA; the
  // serial field is then ignored), else from serial_hex.
  absl::StatusOr<RevocationTarget> ResolveTarget(const std::string& serial_hex,
                                                 const std::string& certificate_pem) {
    RevocationTarget out;
    if (!certificate_pem.empty()) {
      auto subject = verifier_->VerifyIssued(certificate_pem);
      if (!subject.ok()) return subject.status();
      out.serial = subject->serial_hex;
      out.subject = *std::move(subject);
      return out;
    }
    auto serial = ids::CanonicalSerial(serial_hex);
    if (!serial.ok()) return serial.status();
    out.serial = *std::move(serial);
    return out;
  }

  // Nobody revokes their own certificate. A national admin revokes any
  // other; a unit admin only an adviser or admin certificate of their own
  // unit, and so only one named by its certificate (a bare serial says
  // nothing about whose it is).
  static absl::Status CheckRevokeAllowed(const Identity& caller, const RevocationTarget& target) {
    if (target.serial == caller.serial_hex) {
      return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kRevokeSelf,
                            {target.serial});
    }
    if (caller.scope == kNationalScope) return absl::OkStatus();
    if (!target.subject.has_value()) {
      return absl::PermissionDeniedError(absl::StrCat(
          "an admin of unit ", caller.scope,
          " may revoke only certificates of that unit, and a bare serial does not say whose it "
          "is: use `samrad admin revoke --cert FILE` with the certificate"));
    }
    const Identity& subject = *target.subject;
    if (subject.role == Role::kProfessional || subject.scope != caller.scope) {
      return reasons::Error(absl::StatusCode::kPermissionDenied,
                            reasons::Reason::kRevokeNotYourUnit,
                            {subject.uri, target.serial, caller.scope});
    }
    return absl::OkStatus();
  }

  // Serialises revocations against the revoking certificates: refuses the
  // caller when their own certificate is revoked or being revoked (so two
  // national admins revoking each other at once cannot both succeed, and one
  // unrevoked national admin always remains), and marks `serial` in flight
  // until EndRevocation. ABORTED when `serial` is being revoked already.
  absl::Status BeginRevocation(const Identity& caller, const std::string& serial) {
    std::lock_guard lock(in_flight_mu_);
    auto revoked = IsRevoked(caller.serial_hex);
    if (!revoked.ok()) return revoked.status();
    if (*revoked || revocations_in_flight_.contains(caller.serial_hex)) {
      return reasons::Error(absl::StatusCode::kUnauthenticated,
                            reasons::Reason::kCertificateBeingRevoked, {caller.serial_hex});
    }
    if (!revocations_in_flight_.insert(serial).second) {
      return reasons::Error(absl::StatusCode::kAborted, reasons::Reason::kRevokeInFlight, {serial});
    }
    return absl::OkStatus();
  }
  void EndRevocation(const std::string& serial) {
    std::lock_guard lock(in_flight_mu_);
    revocations_in_flight_.erase(serial);
  }

  // The stored revocation records of `serial` (canonical and older forms).
  absl::StatusOr<std::vector<std::string>> StoredFormsOf(const std::string& serial) {
    auto revoked = store_->ListRevoked();
    if (!revoked.ok()) return revoked.status();
    std::vector<std::string> out;
    for (const v1::RevocationRecord& record : *revoked) {
      auto canonical = ids::CanonicalSerial(record.serial_hex());
      if (canonical.ok() && *canonical == serial) out.push_back(record.serial_hex());
    }
    return out;
  }

  // A national admin sees every revocation; a unit admin those of
  // certificates of their unit (named by certificate when revoked).
  static bool RevocationVisibleTo(const Identity& caller, const v1::RevocationRecord& record) {
    if (caller.scope == kNationalScope) return true;
    auto subject = ParseSamradUri(record.subject_uri());
    return subject.ok() && subject->role != Role::kProfessional && subject->scope == caller.scope;
  }

  // A unit admin's view of the audit log: an entry about a thread whose
  // current unit is theirs, or an entry without a thread made by an admin
  // with their id (their own publish/revoke/backup...). Scans at most
  // kMaxAuditScan entries per call; scanned_to_index tells the client where
  // to page on.
  absl::Status ReadScopedAudit(const Identity& who, uint64_t after_index, int64_t since_unix_ms,
                               uint32_t limit, v1::AuditLogReply* reply) {
    static constexpr uint64_t kMaxAuditScan = 100000;
    reply->set_scoped(true);
    absl::flat_hash_map<std::string, bool> thread_in_unit;
    uint64_t cursor = after_index;
    uint64_t scanned = 0;
    while (static_cast<uint32_t>(reply->entries_size()) < limit && scanned < kMaxAuditScan) {
      auto batch = store_->ReadAudit(cursor, since_unix_ms, 1000);
      if (!batch.ok()) return batch.status();
      if (batch->empty()) break;
      for (v1::AuditEntry& entry : *batch) {
        cursor = entry.index();
        ++scanned;
        if (AuditEntryVisible(who, entry, &thread_in_unit)) {
          *reply->add_entries() = std::move(entry);
          if (static_cast<uint32_t>(reply->entries_size()) == limit) break;
        }
      }
    }
    reply->set_scanned_to_index(cursor);
    return absl::OkStatus();
  }

  bool AuditEntryVisible(const Identity& who, const v1::AuditEntry& entry,
                         absl::flat_hash_map<std::string, bool>* thread_in_unit) {
    if (entry.thread_id().empty()) {
      return entry.actor_role() == RoleName(Role::kAdmin) && entry.actor_id() == who.id;
    }
    auto [it, inserted] = thread_in_unit->try_emplace(entry.thread_id(), false);
    if (inserted) {
      auto thread = store_->GetThread(entry.thread_id());
      it->second = thread.ok() && thread->unit() == who.scope;
    }
    return it->second;
  }

  // An adviser certificate's unit and id (both empty for other roles).
  struct SeenAdviser {
    std::string unit;
    std::string adviser_id;
  };

  // Serials of verified, unrevoked certificates that called since the relay
  // started, with the adviser they name: so a revocation can say whether its
  // serial was ever seen and free that adviser's claims. In memory, bounded;
  // never stored or logged.
  void NoteSeen(const Identity& identity) {
    std::lock_guard<std::mutex> lock(seen_mu_);
    if (seen_serials_.size() >= kMaxSeenSerials) return;
    SeenAdviser seen;
    if (identity.role == Role::kAdviser) seen = {identity.scope, identity.id};
    seen_serials_.try_emplace(identity.serial_hex, std::move(seen));
  }
  bool SeenSinceStart(const std::string& serial) {
    std::lock_guard<std::mutex> lock(seen_mu_);
    return seen_serials_.contains(serial);
  }
  SeenAdviser SeenAdviserOf(const std::string& serial) {
    std::lock_guard<std::mutex> lock(seen_mu_);
    auto it = seen_serials_.find(serial);
    return it == seen_serials_.end() ? SeenAdviser() : it->second;
  }

  // Cached per serial; MarkRevoked / MarkUnrevoked set the cache after
  // their write is durable. A store read that raced with one of them (the
  // generation moved) is not cached and yields to the mark.
  absl::StatusOr<bool> IsRevoked(const std::string& serial) {
    uint64_t generation = 0;
    {
      std::lock_guard<std::mutex> lock(revoked_mu_);
      auto it = revoked_cache_.find(serial);
      if (it != revoked_cache_.end()) return it->second;
      generation = revoked_generation_;
    }
    auto revoked = store_->IsRevoked(serial);
    if (!revoked.ok()) return revoked.status();
    std::lock_guard<std::mutex> lock(revoked_mu_);
    if (revoked_generation_ != generation) {
      auto it = revoked_cache_.find(serial);
      return it != revoked_cache_.end() ? it->second : *revoked;
    }
    if (revoked_cache_.size() >= 100000) revoked_cache_.clear();
    revoked_cache_[serial] = *revoked;
    return *revoked;
  }

  void MarkRevoked(const std::string& serial) {
    std::lock_guard<std::mutex> lock(revoked_mu_);
    revoked_cache_[serial] = true;
    ++revoked_generation_;
  }

  void MarkUnrevoked(const std::string& serial) {
    std::lock_guard<std::mutex> lock(revoked_mu_);
    revoked_cache_[serial] = false;
    ++revoked_generation_;
  }

  static absl::Status CheckDeadline(CallbackServerContext* ctx) {
    if (ctx->deadline() <= std::chrono::system_clock::now()) {
      return absl::DeadlineExceededError("the call's deadline passed before the write started");
    }
    return absl::OkStatus();
  }

  // Store NOT_FOUND for a thread of another unit looks exactly like a thread
  // that does not exist.
  static absl::Status HideForeign(const absl::Status& status) {
    if (absl::IsNotFound(status)) return ThreadNotVisible();
    return status;
  }

  // The thread, if `caller` may reach it: an adviser of its unit, or a
  // professional whose proof verifies under the thread key (and is fresh).
  template <typename Request>
  absl::StatusOr<v1::ThreadRecord> LoadThreadFor(const Identity& caller,
                                                 absl::string_view full_method,
                                                 const std::string& thread_id,
                                                 const Request& request,
                                                 const v1::OwnershipProof& proof, bool has_proof) {
    if (auto s = ValidateHexId("thread_id", thread_id); !s.ok()) return s;
    const int64_t now = clock_();
    if (caller.role == Role::kProfessional) {
      if (auto s = ValidateProofShape(proof, has_proof, now, window_ms_); !s.ok()) return s;
    }
    auto thread = store_->GetThread(thread_id);
    if (!thread.ok()) return HideForeign(thread.status());
    if (caller.role == Role::kAdviser) {
      if (thread->unit() != caller.scope) return ThreadNotVisible();
      return thread;
    }
    auto key = crypto::Ed25519PublicKey::FromBytes(thread->thread_signing_public_key());
    if (!key.ok()) return ThreadNotVisible();
    if (!crypto::VerifyOwnershipProof(proof, std::string(full_method), thread_id,
                                      DigestWithoutProof(request), now, window_ms_, *key)
             .ok()) {
      return ThreadNotVisible();
    }
    // The replay cache lives in memory and starts empty: a proof signed before
    // this process started may have been used already, so it is refused.
    if (proof.timestamp_unix_ms() < started_ms_) {
      return absl::UnauthenticatedError(
          "proof.timestamp_unix_ms is older than the relay's last start; sign a fresh proof");
    }
    if (auto s = replay_cache_.CheckAndRemember(thread_id, proof.nonce(), proof.timestamp_unix_ms(),
                                                now);
        !s.ok()) {
      return s;
    }
    return thread;
  }

  absl::StatusOr<crypto::ParsedEnvelope> ParseSizedEnvelope(absl::string_view field,
                                                            const std::string& bytes) {
    if (bytes.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
    if (bytes.size() > config_.limits().max_envelope_bytes()) {
      return SizeLimitError(absl::StrCat(field, " is ", bytes.size(),
                                         " bytes; the relay accepts at most ",
                                         config_.limits().max_envelope_bytes()));
    }
    auto parsed = crypto::ParseEnvelope(bytes);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": ", parsed.status().message()));
    }
    // Stored and served verbatim: nothing outside the known fields may ride along.
    if (auto s = RejectUnknownFields(parsed->sealed, field); !s.ok()) return s;
    if (auto s = RejectUnknownFields(parsed->header, absl::StrCat(field, " header")); !s.ok()) {
      return s;
    }
    return parsed;
  }

  // OK when `to` is an adviser of the caller's unit (the thread's) in the
  // current directory and not the caller: NOT_FOUND when no unit lists
  // `to`, FAILED_PRECONDITION when another unit does (naming it).
  absl::Status CheckHandoverTarget(const Identity& caller, const std::string& to) {
    if (!ids::IsClientId(to)) {
      return absl::InvalidArgumentError(
          "to_adviser_id must be an adviser id (1..64 characters of A-Z a-z 0-9 . _ -)");
    }
    if (to == caller.id) {
      return absl::InvalidArgumentError(
          "to_adviser_id is you; hand the case over to another adviser");
    }
    auto dir = Directory();
    if (!dir)
      return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kNoDirectoryYet,
                            {});
    std::string other_unit;
    for (const v1::UnitEntry& unit : dir->directory.units()) {
      for (const auto& adviser : unit.advisers()) {
        if (adviser.adviser_id() != to) continue;
        if (unit.unit_id() == caller.scope) return absl::OkStatus();
        other_unit = unit.unit_id();
      }
    }
    if (!other_unit.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "adviser ", to, " is an adviser of unit ", other_unit, ", not of ", caller.scope,
          " (directory epoch ", dir->epoch, "); refer the case to that unit instead"));
    }
    return absl::NotFoundError(absl::StrCat("no adviser ", to, " in directory epoch ", dir->epoch));
  }

  // The adviser's signing key in the current directory.
  absl::StatusOr<crypto::Ed25519PublicKey> AdviserSigningKey(const DirectoryState& dir,
                                                             const Identity& caller) {
    auto unit = crypto::FindUnit(dir.directory, caller.scope);
    if (unit.ok()) {
      for (const auto& adviser : (*unit)->advisers()) {
        if (adviser.adviser_id() == caller.id) {
          return crypto::Ed25519PublicKey::FromBytes(adviser.signing_public_key());
        }
      }
    }
    return absl::PermissionDeniedError(absl::StrCat(
        "adviser ", caller.id, " of unit ", caller.scope, " has no keys in directory epoch ",
        dir.epoch, "; ask the administrator to add them"));
  }

  static absl::Status VerifySignature(const crypto::ParsedEnvelope& envelope,
                                      const crypto::Ed25519PublicKey& key,
                                      absl::string_view whose) {
    if (!crypto::VerifyEnvelopeSignature(envelope, key).ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the envelope signature does not verify under ", whose));
    }
    return absl::OkStatus();
  }

  // `failure` unless `message_id` was stored before: then the original Ack
  // (duplicate = true) for identical bytes, ALREADY_EXISTS for other bytes.
  absl::StatusOr<PreparedMessage> OrResubmit(absl::Status failure, const std::string& message_id,
                                             const std::string& thread_id,
                                             const std::string& envelope) {
    auto resubmit = CheckResubmit(message_id, thread_id, envelope);
    if (!resubmit.ok()) return resubmit.status();
    if (!resubmit->has_value()) return failure;
    PreparedMessage out;
    out.duplicate_ack = std::move(**resubmit);
    return out;
  }

  // A byte-identical resubmit returns the original Ack; the same message id
  // with other bytes is ALREADY_EXISTS.
  absl::StatusOr<std::optional<v1::Ack>> CheckResubmit(const std::string& message_id,
                                                       const std::string& thread_id,
                                                       const std::string& envelope) {
    auto existing = store_->FindMessage(message_id);
    if (absl::IsNotFound(existing.status())) return std::optional<v1::Ack>();
    if (!existing.ok()) return existing.status();
    if (existing->thread_id() != thread_id || existing->envelope() != envelope) {
      return reasons::Error(absl::StatusCode::kAlreadyExists, reasons::Reason::kMessageIdReused,
                            {std::string(message_id)});
    }
    auto thread = store_->GetThread(thread_id);
    if (!thread.ok()) return thread.status();
    v1::Ack ack;
    ack.set_thread_id(thread_id);
    ack.set_message_id(message_id);
    ack.set_sequence(existing->sequence());
    ack.set_accepted_at_unix_ms(existing->accepted_at_unix_ms());
    ack.set_unit(thread->unit());
    ack.set_duplicate(true);
    return std::optional<v1::Ack>(std::move(ack));
  }

  absl::StatusOr<PreparedMessage> PrepareSubmission(const Identity& caller,
                                                    const v1::SubmitConsultationRequest& request) {
    if (!request.has_metadata()) return absl::InvalidArgumentError("metadata is required");
    v1::CaseMetadata metadata = request.metadata();
    if (auto s = ValidateCaseMetadata(metadata, /*allow_empty_county=*/true); !s.ok()) return s;
    // The county comes from the professional's certificate.
    if (metadata.county().empty()) metadata.set_county(caller.scope);
    if (metadata.county() != caller.scope) {
      return reasons::Error(absl::StatusCode::kPermissionDenied, reasons::Reason::kCountyNotYours,
                            {caller.scope});
    }
    auto thread_key = crypto::Ed25519PublicKey::FromBytes(request.thread_signing_public_key());
    if (!thread_key.ok()) {
      return absl::InvalidArgumentError(
          "thread_signing_public_key must be a 32-byte Ed25519 public key");
    }
    auto envelope = ParseSizedEnvelope("envelope", request.envelope());
    if (!envelope.ok()) return envelope.status();
    const v1::EnvelopeHeader& header = envelope->header;
    if (auto s = ValidateHexId("envelope header thread_id", header.thread_id()); !s.ok()) return s;
    if (auto s = ValidateHexId("envelope header message_id", header.message_id()); !s.ok()) {
      return s;
    }
    if (auto s = VerifySignature(*envelope, *thread_key, "thread_signing_public_key"); !s.ok()) {
      return s;
    }
    // A resubmission fails the freshness checks below (epoch, unit); only
    // then is its message id looked up, which keeps that read off the
    // common path. A byte-identical resubmit that passes them is reported
    // as a duplicate by the Store itself.
    auto or_resubmit = [&](absl::Status failure) {
      return OrResubmit(std::move(failure), header.message_id(), header.thread_id(),
                        request.envelope());
    };
    PreparedMessage out;
    auto dir = Directory();
    if (!dir) {
      return or_resubmit(reasons::Error(absl::StatusCode::kFailedPrecondition,
                                        reasons::Reason::kNoDirectoryYet, {}));
    }
    auto unit = crypto::RouteNewCase(dir->directory, metadata.county());
    if (!unit.ok()) {
      return or_resubmit(reasons::Error(absl::StatusCode::kFailedPrecondition,
                                        reasons::Reason::kCountyUnrouted, {metadata.county()}));
    }
    ExpectedHeader expected;
    expected.thread_id = header.thread_id();
    expected.sequence = 1;
    expected.sender_role = v1::SENDER_ROLE_PROFESSIONAL;
    expected.units = {(*unit)->unit_id()};
    expected.directory_epoch = dir->epoch;
    if (auto s = CheckEnvelopeHeader(header, expected); !s.ok()) return or_resubmit(s);

    const int64_t now = clock_();
    out.thread.set_thread_id(header.thread_id());
    out.thread.set_unit((*unit)->unit_id());
    *out.thread.mutable_metadata() = metadata;
    out.thread.set_state(v1::THREAD_STATE_OPEN);
    out.thread.set_created_at_unix_ms(now);
    out.thread.set_last_activity_unix_ms(now);
    out.thread.set_last_sequence(1);
    out.thread.set_thread_signing_public_key(request.thread_signing_public_key());
    out.message.set_thread_id(header.thread_id());
    out.message.set_message_id(header.message_id());
    out.message.set_sequence(1);
    out.message.set_sender_role(v1::SENDER_ROLE_PROFESSIONAL);
    out.message.set_envelope(request.envelope());
    out.message.set_accepted_at_unix_ms(now);
    return out;
  }

  absl::StatusOr<PreparedMessage> PreparePost(const Identity& caller,
                                              const v1::PostMessageRequest& request) {
    if (request.take_over() && caller.role != Role::kAdviser) {
      return absl::InvalidArgumentError("take_over is for advisers answering a claimed case");
    }
    auto thread = LoadThreadFor(caller, method::kPostMessage, request.thread_id(), request,
                                request.proof(), request.has_proof());
    if (!thread.ok()) return thread.status();
    auto envelope = ParseSizedEnvelope("envelope", request.envelope());
    if (!envelope.ok()) return envelope.status();
    const v1::EnvelopeHeader& header = envelope->header;
    if (auto s = ValidateHexId("envelope header message_id", header.message_id()); !s.ok()) {
      return s;
    }
    auto dir = Directory();
    if (!dir)
      return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kNoDirectoryYet,
                            {});
    const bool adviser = caller.role == Role::kAdviser;
    if (adviser) {
      auto key = AdviserSigningKey(*dir, caller);
      if (!key.ok()) return key.status();
      if (auto s = VerifySignature(*envelope, *key, "your signing key in the directory"); !s.ok()) {
        return s;
      }
    } else {
      auto key = crypto::Ed25519PublicKey::FromBytes(thread->thread_signing_public_key());
      if (!key.ok()) return ThreadNotVisible();
      if (auto s = VerifySignature(*envelope, *key, "the thread key"); !s.ok()) return s;
    }
    // As for submissions: a resubmit fails the sequence (or closed) check.
    auto or_resubmit = [&](absl::Status failure) {
      return OrResubmit(std::move(failure), header.message_id(), request.thread_id(),
                        request.envelope());
    };
    PreparedMessage out;
    if (thread->state() == v1::THREAD_STATE_CLOSED) {
      return or_resubmit(
          absl::FailedPreconditionError("the thread is closed; start a new consultation"));
    }
    ExpectedHeader expected;
    expected.thread_id = request.thread_id();
    expected.sequence = thread->last_sequence() + 1;
    expected.sender_role = adviser ? v1::SENDER_ROLE_ADVISER : v1::SENDER_ROLE_PROFESSIONAL;
    expected.units = {thread->unit()};
    expected.directory_epoch = dir->epoch;
    if (auto s = CheckEnvelopeHeader(header, expected); !s.ok()) return or_resubmit(s);
    out.thread = *std::move(thread);
    out.message.set_thread_id(request.thread_id());
    out.message.set_message_id(header.message_id());
    out.message.set_sequence(header.sequence());
    out.message.set_sender_role(expected.sender_role);
    out.message.set_envelope(request.envelope());
    out.message.set_accepted_at_unix_ms(clock_());
    if (adviser) out.message.set_adviser_id(caller.id);
    return out;
  }

  absl::StatusOr<PreparedReferral> PrepareReferral(const Identity& caller,
                                                   const v1::ReferThreadRequest& request) {
    if (auto s = ValidateHexId("thread_id", request.thread_id()); !s.ok()) return s;
    if (request.to_unit().empty()) return absl::InvalidArgumentError("to_unit is required");
    auto dir = Directory();
    if (!dir)
      return reasons::Error(absl::StatusCode::kFailedPrecondition, reasons::Reason::kNoDirectoryYet,
                            {});
    if (!crypto::FindUnit(dir->directory, request.to_unit()).ok()) {
      return absl::NotFoundError(absl::StrCat("unit \"", request.to_unit().substr(0, 64),
                                              "\" is not in directory epoch ", dir->epoch));
    }
    if (request.to_unit() == caller.scope) {
      return absl::InvalidArgumentError("to_unit is your own unit; refer to another unit");
    }
    auto thread = LoadThreadFor(caller, method::kReferThread, request.thread_id(), request,
                                v1::OwnershipProof(), false);
    if (!thread.ok()) return thread.status();
    if (thread->state() == v1::THREAD_STATE_CLOSED) {
      return absl::FailedPreconditionError("the thread is closed and cannot be referred");
    }
    PreparedReferral out;
    auto rewraps = ParseRewraps(request.rewraps());
    if (!rewraps.ok()) return rewraps.status();
    out.rewraps = *std::move(rewraps);
    if (out.rewraps.size() != thread->last_sequence()) {
      return absl::InvalidArgumentError(absl::StrCat("rewraps cover ", out.rewraps.size(),
                                                     " messages; the thread has ",
                                                     thread->last_sequence(),
                                                     " and every one needs its content key "
                                                     "re-wrapped for ",
                                                     request.to_unit()));
    }
    // Readers learn that a case moved only from this signed note (its body
    // names to_unit), so a referral without one is refused.
    if (request.note_envelope().empty()) {
      return absl::InvalidArgumentError(
          "note_envelope is required: the referral note signed by the referring adviser is what "
          "lets readers verify that the case moved");
    }
    {
      auto envelope = ParseSizedEnvelope("note_envelope", request.note_envelope());
      if (!envelope.ok()) return envelope.status();
      auto key = AdviserSigningKey(*dir, caller);
      if (!key.ok()) return key.status();
      if (auto s = VerifySignature(*envelope, *key, "your signing key in the directory"); !s.ok()) {
        return s;
      }
      ExpectedHeader expected;
      expected.thread_id = request.thread_id();
      expected.sequence = thread->last_sequence() + 1;
      expected.sender_role = v1::SENDER_ROLE_ADVISER;
      expected.units = {request.to_unit()};
      expected.directory_epoch = dir->epoch;
      if (auto s = CheckEnvelopeHeader(envelope->header, expected); !s.ok()) return s;
      v1::StoredMessage note;
      note.set_thread_id(request.thread_id());
      note.set_message_id(envelope->header.message_id());
      note.set_sequence(expected.sequence);
      note.set_sender_role(v1::SENDER_ROLE_ADVISER);
      note.set_envelope(request.note_envelope());
      note.set_accepted_at_unix_ms(clock_());
      note.set_adviser_id(caller.id);
      out.note = std::move(note);
    }
    return out;
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

  // Runs `job` on the maintenance thread and finishes `reactor` with its status.
  void RunBlocking(ServerUnaryReactor* reactor, std::function<absl::Status()> job) {
    auto shared_job = std::make_shared<std::function<absl::Status()>>(std::move(job));
    if (!worker_->Post([reactor, shared_job] { Fail(reactor, (*shared_job)()); })) {
      Fail(reactor,
           reasons::Error(absl::StatusCode::kUnavailable, reasons::Reason::kShuttingDown, {}));
    }
  }

  // Only from the maintenance thread (never a Store callback).
  absl::Status AppendAuditAndWait(storage::AuditDraft draft) {
    std::promise<absl::Status> done;
    auto future = done.get_future();
    store_->AppendAudit(std::move(draft), Observed([&done](absl::StatusOr<v1::AuditEntry> entry) {
                          done.set_value(entry.status());
                        }));
    return future.get();
  }

  absl::StatusOr<storage::RetentionReport> Retain(bool dry_run, const Identity* who) {
    storage::RetentionPolicy policy;
    policy.closed_days = static_cast<int>(config_.retention().closed_days());
    policy.inactive_days = static_cast<int>(config_.retention().inactive_days());
    policy.dry_run = dry_run;
    auto report = store_->RunRetention(policy);
    if (!dry_run) ReportStoreWrite(report.status());
    if (!report.ok()) return report.status();
    LogInfo("retention", {{"dry_run", dry_run ? "true" : "false"},
                          {"closed", absl::StrCat(report->threads_closed)},
                          {"purged", absl::StrCat(report->threads_purged)},
                          {"messages_purged", absl::StrCat(report->messages_purged)}});
    if (!dry_run && (report->threads_closed > 0 || report->threads_purged > 0)) {
      storage::AuditDraft draft;
      if (who != nullptr) {
        draft = Audit(*who, "retention", "");
      } else {
        draft.actor_role = "relay";
        draft.action = "retention";
      }
      draft.detail =
          absl::StrCat("closed=", report->threads_closed, " purged=", report->threads_purged,
                       " messages=", report->messages_purged);
      if (auto s = AppendAuditAndWait(std::move(draft)); !s.ok()) return s;
    }
    return report;
  }

  void ScheduledSweep() {
    auto report = Retain(/*dry_run=*/false, nullptr);
    if (!report.ok()) LogError("retention_failed", {{"reason", report.status().message()}});
  }

  const v1::RelayConfig config_;
  const std::function<int64_t()> clock_;
  const std::function<void(const absl::Status&)> on_store_write_;
  const std::function<void()> on_directory_published_;
  storage::Store* const store_;
  PeerVerifier* const verifier_;
  const crypto::Ed25519PublicKey directory_key_;
  const int64_t window_ms_;
  // When this service started (clock_); ownership proofs older are refused.
  const int64_t started_ms_;

  std::atomic<bool> shutting_down_{false};
  EventHub hub_;
  RateLimiter rate_limiter_;
  ReplayCache replay_cache_;
  StreamBudget stream_budget_;
  StreamMemory stream_memory_;  // bytes queued in all streams (EventStream)

  mutable std::mutex directory_mu_;
  std::shared_ptr<const DirectoryState> directory_;

  static constexpr size_t kMaxSeenSerials = 1'000'000;
  std::mutex seen_mu_;
  absl::flat_hash_map<std::string, SeenAdviser> seen_serials_;
  std::mutex revoked_mu_;
  absl::flat_hash_map<std::string, bool> revoked_cache_;
  uint64_t revoked_generation_ = 0;
  // Serials whose revocation is being written (BeginRevocation).
  std::mutex in_flight_mu_;
  absl::flat_hash_set<std::string> revocations_in_flight_;

  std::unique_ptr<MaintenanceWorker> worker_;

  // Certificate deadlines of open streams (EndStreamsAtExpiry), one per serial.
  std::mutex expiry_mu_;
  std::condition_variable expiry_cv_;
  bool expiry_stopping_ = false;
  std::multimap<int64_t, std::string> expiries_;
  absl::flat_hash_map<std::string, int64_t> expiry_by_serial_;
  std::thread expiry_thread_;
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
