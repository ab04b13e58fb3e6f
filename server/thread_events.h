// ThreadEvents: who an open stream belongs to, what it may hold, and what the
// relay tells open streams once a write is durable. No gRPC type.
//
// It owns the EventHub (server/event_hub.h) that WatchQueue and WatchThread
// subscribe to, the stream budget (how many streams, per certificate and in
// all, with the adviser reserve) and the relay-wide stream memory (bytes
// queued in all streams). The gRPC layer (grpc_calls.h) charges and
// subscribes streams here; the handlers publish changes here after the store
// callback reports a durable write; revocation, certificate expiry and a new
// directory epoch end streams here.
//
// Errors: none of its own; the budget's Acquire is RESOURCE_EXHAUSTED naming
// the cap, and the hub refuses subscriptions with UNAVAILABLE after Shutdown.
// The statuses it ends streams with are the contract of each End* method.
//
// Privacy: logs carry the certificate serial or epoch and counts, never a
// thread or unit id.
//
// Thread-safety: every method may be called from any thread at once; the
// hub, the budget and the memory pool are thread-safe and ThreadEvents has no
// mutable state of its own. Sinks are closed outside the hub's lock.
// Lifetime: StreamCharge values handed out point at this object's memory
// pool, so it must outlive every stream (the service owns it and shuts the
// hub down before the gRPC server stops).
#ifndef SAMRAD_SERVER_THREAD_EVENTS_H_
#define SAMRAD_SERVER_THREAD_EVENTS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/config.pb.h"
#include "proto/relay.pb.h"
#include "server/directory_state.h"
#include "server/event_hub.h"
#include "server/event_stream.h"
#include "server/identity.h"
#include "server/limits.h"

namespace samrad::server {

class ThreadEvents {
 public:
  // Caps from `limits`: max_concurrent_streams, max_streams_per_identity and
  // adviser_stream_reserve_percent (or those of a LiveLimits bound on this
  // thread, limits.h), stream_memory_bytes, max_stream_queue_bytes and
  // max_envelope_bytes (a backlog page holds at least one envelope).
  explicit ThreadEvents(const v1::LimitsConfig& limits);
  ThreadEvents(const ThreadEvents&) = delete;
  ThreadEvents& operator=(const ThreadEvents&) = delete;

  // ---- Who a stream belongs to ----

  // The budget class: professionals share what the adviser reserve leaves;
  // advisers and admins draw on all of it.
  static StreamClass ClassOf(const Identity& caller);
  // The stream's owner keys: its certificate and, for an adviser, the adviser
  // (every certificate of theirs), so that removal from the directory
  // reaches every one of their streams.
  static EventHub::Owner OwnerOf(const Identity& caller);
  // Where a stream of `stream_class` charges its queued bytes: the relay-wide
  // pool, its own cap (max_stream_queue_bytes), and a backlog page of at
  // least one largest envelope.
  StreamCharge ChargeOf(StreamClass stream_class);

  EventHub& hub() { return hub_; }
  StreamBudget& budget() { return budget_; }
  // Streams counted by the budget now.
  uint32_t open_streams() const { return budget_.open(); }

  // ---- After a durable write ----

  // Tells the thread's (current) unit's queue `kind` and the thread's
  // watchers a ThreadEvent with the thread's summary and `message` (null: a
  // change of state without a message).
  void PublishChange(const v1::ThreadRecord& thread, const v1::StoredMessage* message,
                     v1::QueueEvent::Kind kind);
  // A referral: KIND_REFERRED_OUT to `from_unit`'s queue, then KIND_REFERRED_IN
  // to the thread's new unit and its watchers (PublishChange).
  void PublishReferral(const v1::ThreadRecord& thread, const std::string& from_unit);

  // ---- Ending streams ----

  // Ends the streams of a revoked certificate at once (UNAUTHENTICATED,
  // kCertificateRevoked) rather than at its next call. Returns how many.
  size_t EndStreamsOfRevoked(const std::string& serial);
  // Ends the streams of a certificate that reached its notAfter
  // (UNAUTHENTICATED, kCertificateExpired naming the time) and logs
  // certificate_expired when any ended. Returns how many.
  size_t EndStreamsOfExpired(const std::string& serial, int64_t not_after_unix_ms);
  // Ends, with PERMISSION_DENIED, the streams of every adviser a new directory
  // `epoch` removed: removal ends access at once. Logs adviser_removed per
  // adviser whose streams ended. Returns how many ended in all.
  size_t EndStreamsOfRemovedAdvisers(const std::vector<RemovedAdviser>& removed, uint64_t epoch);
  // Ends every stream with UNAVAILABLE (kStreamShutdown) and refuses new
  // subscriptions. Idempotent.
  void Shutdown();

 private:
  const size_t max_stream_queue_bytes_;
  const size_t min_page_bytes_;
  EventHub hub_;
  StreamBudget budget_;
  StreamMemory memory_;  // bytes queued in all streams (EventStream)
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_THREAD_EVENTS_H_
