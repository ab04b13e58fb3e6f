// GrpcCalls: the relay's gRPC call helpers. Every RelayService handler goes
// through one of two: Unary (admission, the body, the status mapped to gRPC
// once, the call finished exactly once) or Stream (admission, the stream
// budget, the hub subscription, a second look at revocation and the
// directory, the certificate's expiry). A unary body that writes hands its
// call to the store callback that Written (or WrittenChange) makes, so the
// reply leaves only after the durable write; a body with blocking work hands
// it to the maintenance thread (RunBlocking).
//
// Admission, once per call, in this order: shutting down → UNAVAILABLE
// (kShuttingDown); the certificate of the TLS session, revocation, the method
// table and the rate limit (Admission::Authenticate: UNAUTHENTICATED,
// PERMISSION_DENIED, RESOURCE_EXHAUSTED); unknown fields in the request →
// INVALID_ARGUMENT. Every status reaches the client through ToGrpcStatus
// (server/status.h) and nowhere else.
//
// Ownership: the service owns the GrpcCalls and the parts it borrows
// (Admission, DirectoryState, ThreadEvents, MaintenanceWorker,
// CertificateExpiry), which must outlive it. A store callback made by
// Written holds no pointer to GrpcCalls (only the reactor, the write-outcome
// hook and what on_ok/on_error capture): it may run while the store drains
// after Shutdown.
// Thread-safety: every method may be called from any thread at once (the
// only state of its own is the atomic shutdown flag). A UnaryCall belongs
// to one handler invocation and is not shared.
#ifndef SAMRAD_SERVER_GRPC_CALLS_H_
#define SAMRAD_SERVER_GRPC_CALLS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/check.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "proto/relay.pb.h"
#include "server/admission.h"
#include "server/certificate_expiry.h"
#include "server/consultations.h"
#include "server/directory_state.h"
#include "server/event_stream.h"
#include "server/identity.h"
#include "server/maintenance_worker.h"
#include "server/status.h"
#include "server/thread_events.h"
#include "storage/store.h"

namespace samrad::server {

// One admitted unary call. Unary() finishes it with the body's status unless
// the body handed it on (Written, RunBlocking); then the store callback or
// the maintenance job finishes it, exactly once.
class UnaryCall {
 public:
  UnaryCall(grpc::ServerUnaryReactor* reactor, std::chrono::system_clock::time_point deadline)
      : reactor_(reactor), deadline_(deadline) {}
  // DEADLINE_EXCEEDED when the caller's deadline passed: checked before a
  // write starts, so nothing is written for a caller who has given up.
  [[nodiscard]] absl::Status BeforeWrite() const;
  grpc::ServerUnaryReactor* reactor() const { return reactor_; }
  bool handed_on() const { return handed_on_; }
  // From now on someone else finishes the call (exactly once).
  void HandOn() { handed_on_ = true; }

 private:
  grpc::ServerUnaryReactor* const reactor_;
  const std::chrono::system_clock::time_point deadline_;
  bool handed_on_ = false;
};

// The status of a store write's outcome (absl::Status or absl::StatusOr<T>).
inline const absl::Status& OutcomeStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& OutcomeStatus(const absl::StatusOr<T>& result) {
  return result.status();
}

// A failed write's status as it is, for Written's on_error.
inline absl::Status ShowAsIs(const absl::Status& status) { return status; }

// The Store's callback type for a write whose value is `Result`
// (absl::Status: a write without a value).
template <typename Result>
using WriteCallback = std::conditional_t<std::is_same_v<Result, absl::Status>,
                                         storage::DoneCallback, storage::Callback<Result>>;

// The store callback that ends a call, without gRPC: reports the write's
// outcome to `report` (may be empty), then calls `finish(on_error(failure))`,
// or `on_ok(result)` (`on_ok()` when Result is absl::Status) and then
// `finish(OK)`. So `finish` runs exactly once, after `report`, and on_ok
// (which fills the reply and publishes the change) before it.
template <typename Result, typename Finish, typename OnOk, typename OnError>
WriteCallback<Result> EndAfterWrite(std::function<void(const absl::Status&)> report, Finish finish,
                                    OnOk on_ok, OnError on_error) {
  constexpr bool kBare = std::is_same_v<Result, absl::Status>;
  using Outcome = std::conditional_t<kBare, absl::Status, absl::StatusOr<Result>>;
  return [report = std::move(report), finish = std::move(finish), on_ok = std::move(on_ok),
          on_error = std::move(on_error)](Outcome outcome) mutable {
    if (report) report(OutcomeStatus(outcome));
    if (!outcome.ok()) return finish(on_error(OutcomeStatus(outcome)));
    if constexpr (kBare) {
      on_ok();
    } else {
      on_ok(*outcome);
    }
    finish(absl::OkStatus());
  };
}

class GrpcCalls {
 public:
  // `on_store_write`: told the outcome of every store write a call makes,
  // before the caller is answered (RelayServiceOptions::on_store_write);
  // may be empty.
  GrpcCalls(Admission* admission, const DirectoryState* directory, ThreadEvents* events,
            MaintenanceWorker* worker, CertificateExpiry* expiry,
            std::function<void(const absl::Status&)> on_store_write);
  GrpcCalls(const GrpcCalls&) = delete;
  GrpcCalls& operator=(const GrpcCalls&) = delete;

  // From now on every call is refused with UNAVAILABLE. True the first time.
  bool BeginShutdown() { return !shutting_down_.exchange(true); }

  // Admission (see the top) from the PEM strings of the TLS session.
  [[nodiscard]] absl::StatusOr<Identity> AdmitPeer(const std::string& leaf_pem,
                                                   const std::string& chain_pem,
                                                   absl::string_view full_method,
                                                   const google::protobuf::Message& request);
  // AdmitPeer with the PEM strings of `ctx`'s TLS session.
  [[nodiscard]] absl::StatusOr<Identity> Admit(grpc::CallbackServerContext* ctx,
                                               absl::string_view full_method,
                                               const google::protobuf::Message& request);

  // The one place a unary call is admitted and answered: `body(caller, call)`
  // runs only for an admitted caller; a non-OK status it returns is the
  // answer. A body that hands `call` on must return OK afterwards (else
  // SAMRAD_CHECK fails: the call would be finished twice).
  template <typename Request, typename Body>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx, absl::string_view full_method,
                                  const Request& request, Body body) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    UnaryCall call(reactor, ctx->deadline());
    absl::StatusOr<Identity> caller = Admit(ctx, full_method, request);
    const absl::Status status = caller.ok() ? body(*caller, call) : caller.status();
    SAMRAD_CHECK(status.ok() || !call.handed_on(), "a handler failed after handing its call on");
    if (!call.handed_on()) reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }

  // Hands `call` on to the store callback this returns (EndAfterWrite): the
  // write's outcome goes to on_store_write, then `call` finishes with
  // `on_error(failure)` or, after `on_ok` filled the reply and published the
  // change, with OK.
  template <typename Result, typename OnOk,
            typename OnError = absl::Status (*)(const absl::Status&)>
  WriteCallback<Result> Written(UnaryCall& call, OnOk on_ok, OnError on_error = ShowAsIs) const {
    call.HandOn();
    return EndAfterWrite<Result>(
        on_store_write_,
        [reactor = call.reactor()](const absl::Status& status) {
          reactor->Finish(ToGrpcStatus(status));
        },
        std::move(on_ok), std::move(on_error));
  }

  // Written for a write that changes a thread: the reply is the thread's
  // summary, and `kind` goes to the unit's queue and the thread's watchers.
  template <typename OnError>
  storage::Callback<v1::ThreadRecord> WrittenChange(UnaryCall& call, v1::ThreadSummary* reply,
                                                    v1::QueueEvent::Kind kind, OnError on_error) {
    return Written<v1::ThreadRecord>(
        call,
        [events = events_, reply, kind](v1::ThreadRecord& thread) {
          *reply = Summarize(thread);
          events->PublishChange(thread, nullptr, kind);
        },
        on_error);
  }

  // Runs `job` on the maintenance thread, which finishes `call` with the
  // job's status. UNAVAILABLE (kShuttingDown; `call` not handed on) once the
  // worker has stopped.
  [[nodiscard]] absl::Status RunBlocking(UnaryCall& call, std::function<absl::Status()> job);

  // The one place a stream is admitted and opened: Admit, `check(caller)`,
  // the stream budget, `subscribe(caller, sink)` to the hub, a second look
  // at revocation and the directory (StillAdmitted), the certificate's
  // expiry, then `start(caller, state)`. A refusal before the budget is a
  // failed stream; after it, the opened stream finishes with the status.
  // The budget slot and the subscription are returned when the stream is done.
  template <typename Event, typename Request, typename Check, typename Subscribe, typename Start>
  grpc::ServerWriteReactor<Event>* Stream(grpc::CallbackServerContext* ctx,
                                          absl::string_view full_method, const Request& request,
                                          Check check, Subscribe subscribe, Start start) {
    absl::StatusOr<Identity> caller = Admit(ctx, full_method, request);
    if (!caller.ok()) return FailedStream<Event>(caller.status());
    if (absl::Status s = check(*caller); !s.ok()) return FailedStream<Event>(s);
    const std::string budget_key = caller->serial_hex;
    const StreamClass stream_class = ThreadEvents::ClassOf(*caller);
    if (absl::Status s = events_->budget().Acquire(budget_key, stream_class); !s.ok()) {
      return FailedStream<Event>(s);
    }
    auto* stream = new EventStream<Event>(events_->ChargeOf(stream_class), nullptr);
    absl::StatusOr<uint64_t> subscribed = subscribe(*caller, stream->state());
    const uint64_t handle = subscribed.ok() ? *subscribed : 0;
    stream->set_on_done([events = events_, handle, budget_key, stream_class] {
      if (handle != 0) events->hub().Unsubscribe(handle);
      events->budget().Release(budget_key, stream_class);
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

  // Checked after a stream subscribes, so a revocation or a directory epoch
  // stored in between (whose stream ending found nothing yet) still ends it:
  // UNAUTHENTICATED for a revoked certificate, PERMISSION_DENIED for an
  // adviser the current directory does not list.
  [[nodiscard]] absl::Status StillAdmitted(const Identity& caller);

 private:
  Admission* const admission_;
  const DirectoryState* const directory_;
  ThreadEvents* const events_;
  MaintenanceWorker* const worker_;
  CertificateExpiry* const expiry_;
  const std::function<void(const absl::Status&)> on_store_write_;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_GRPC_CALLS_H_
