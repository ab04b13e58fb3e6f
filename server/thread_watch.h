// ThreadWatch: how a WatchThread stream starts once it is admitted and
// subscribed (grpc_calls.h, GrpcCalls::Stream), and the audit of what an
// adviser's watch lets them read. No gRPC type.
//
// The backlog is read after subscribing, so nothing falls between, and page
// by page as the client reads (EventStream's pager), never whole; live
// events the backlog already held are skipped by sequence. An adviser's
// watch is audited as a read when it starts, and every message it delivers
// live is audited as a read of that message; it ends (OK) when the thread
// leaves the adviser's unit.
//
// Errors: Start returns the store's status when the thread is gone (NOT_FOUND)
// or cannot be read. A failed audit write is logged (audit_failed), never
// returned: a stream does not wait for its audit.
//
// Thread-safety: every method may be called from any thread at once; no
// mutable state of its own. Lifetime: the store must outlive it, and it must
// outlive every stream it started (the pager and the live hook point at it):
// the service owns it and ends every stream (ThreadEvents::Shutdown) first.
#ifndef SAMRAD_SERVER_THREAD_WATCH_H_
#define SAMRAD_SERVER_THREAD_WATCH_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "proto/config.pb.h"
#include "proto/relay.pb.h"
#include "server/event_stream.h"
#include "server/identity.h"
#include "storage/store.h"

namespace samrad::server {

class ThreadWatch {
 public:
  // `limits`: max_messages_per_read and max_read_bytes bound a backlog page.
  // `on_store_write`: told the outcome of every audit write (may be empty).
  ThreadWatch(storage::Store* store, const v1::LimitsConfig& limits,
              std::function<void(const absl::Status&)> on_store_write);

  // Starts `state` (a subscribed stream of `caller`, whom `thread` was
  // checked for): the thread must still exist now that it is subscribed.
  [[nodiscard]] absl::Status Start(const Identity& caller, const v1::WatchThreadRequest& request,
                                   const v1::ThreadRecord& thread,
                                   EventStream<v1::ThreadEvent>::State& state);

  // Records that `who` read `thread_id` without waiting for the write.
  void AuditReadAsync(const Identity& who, const std::string& thread_id, std::string detail);

 private:
  // A backlog page reader: pages after `last_sequence`, which it advances,
  // bounded by the read limits and the stream's free bytes.
  EventStream<v1::ThreadEvent>::Pager BacklogPager(
      std::string thread_id, v1::ThreadSummary summary,
      std::shared_ptr<std::atomic<uint64_t>> last_sequence);

  storage::Store* const store_;
  const uint32_t max_messages_per_read_;
  const uint32_t max_read_bytes_;
  const std::function<void(const absl::Status&)> on_store_write_;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_THREAD_WATCH_H_
