// EventStream: the server-streaming reactor behind WatchQueue and
// WatchThread, fed by the EventHub.
//
// Memory is bounded by bytes. Every queued event (a backlog page, a live
// event, or a live event held back while the backlog is still paging) is
// counted against the stream's own cap (max_stream_queue_bytes) and charged
// to the relay-wide StreamMemory (stream_memory_bytes, with a share kept for
// advisers); it is released when gRPC has taken the write. A live event
// that does not fit ends the stream with RESOURCE_EXHAUSTED (the client
// reconnects and catches up with a read). A backlog is never loaded whole:
// the next page is read from the store only when the stream's queued bytes
// have dropped to half its cap (OnWriteDone drives it), so a client that
// does not read holds at most about one cap. The reactor deletes itself in
// OnDone after running its on_done hook.
//
// Ownership: gRPC owns the reactor (EventStream) from the handler's return
// until OnDone, which deletes it. The State is shared by the reactor and the
// EventHub (as its sink); it may outlive the reactor and is then inert
// (ReleaseAll set finish_requested_, so nothing more is written).
// Thread-safety: State's public methods may be called from any thread (the
// hub's publishers, gRPC's callbacks); its own mutex guards all mutable
// state. The reactor's StartWrite/Finish, the pager and on_live run outside
// it; skip_live and end_after are predicates called under it, so they must
// not block or call back into the stream.
#ifndef SAMRAD_SERVER_EVENT_STREAM_H_
#define SAMRAD_SERVER_EVENT_STREAM_H_

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "grpcpp/grpcpp.h"
#include "server/event_hub.h"
#include "server/limits.h"
#include "server/status.h"

namespace samrad::server {

inline constexpr size_t kMaxStreamBacklogEvents = 1024;
// Events in one backlog page (the pager's count limit): with the pump's
// threshold, a stream that reads keeps well under kMaxStreamBacklogEvents.
inline constexpr uint32_t kMaxBacklogPageEvents = kMaxStreamBacklogEvents / 4;

// Where a stream's bytes are charged: the relay-wide pool, the caller's class
// and the stream's own cap. `memory` may be null (no relay-wide budget).
struct StreamCharge {
  StreamMemory* memory = nullptr;
  StreamClass stream_class = StreamClass::kReserved;
  size_t cap_bytes = size_t{8} << 20;
  // The smallest backlog page worth reading (one largest message): reserved
  // instead of half the cap when the pool is short.
  size_t min_page_bytes = size_t{256} << 10;
};

// One page of a stream's backlog; `more` is false on the last one.
template <typename Event>
struct BacklogPage {
  std::vector<Event> events;
  bool more = false;
};

// Server-streaming reactor shared by WatchQueue and WatchThread.
//
// The hub holds the State (an EventSink); the reactor holds it too. Reactor
// methods (StartWrite, Finish) are only ever called outside the mutex and
// guarded by writing_/finish_called_, so a reaction that runs inline cannot
// deadlock and the reactor is never touched after Finish.
template <typename Event>
class EventStream final : public grpc::ServerWriteReactor<Event> {
 public:
  // Reads the next backlog page of at most `max_bytes` (at least one event
  // while any remain). Called on one thread at a time, never under mu_.
  using Pager = std::function<absl::StatusOr<BacklogPage<Event>>(size_t max_bytes)>;

  class State final : public EventSink<Event> {
   public:
    State(EventStream* stream, StreamCharge charge) : stream_(stream), charge_(charge) {}

    void Deliver(const Event& event) override {
      DeliverShared(std::make_shared<const Event>(event));
    }
    // The hub's path: the stream queues a reference to the one copy every
    // watcher of the topic shares (gRPC serialises a const message safely
    // from several threads). Its bytes are still counted against this
    // stream's cap and charged to StreamMemory per stream, as if it were a
    // copy: the budget stays an upper bound whatever the sharing.
    void DeliverShared(const std::shared_ptr<const Event>& event) override {
      if (const auto* on_live = Enqueue(event)) (*on_live)(*event);
    }
    void Close(const absl::Status& reason) override { RequestFinish(ToGrpcStatus(reason)); }

    // Starts sending: first the backlog, page by page from `pager` (null: no
    // backlog), then live events. Live events published before the backlog
    // is done are held back and, when it is, those `skip_live` matches (the
    // backlog already had them) are dropped. `end_after`, if set, ends the
    // stream (OK) after delivering the first event it matches. `on_live`, if
    // set, runs (outside the lock) for every published event queued for
    // sending, not for the backlog — the relay audits an adviser's live
    // reads with it.
    void Start(Pager pager, std::function<bool(const Event&)> skip_live,
               std::function<bool(const Event&)> end_after = nullptr,
               std::function<void(const Event&)> on_live = nullptr) {
      {
        MutexLock lock(mu_);
        end_after_ = std::move(end_after);
        on_live_ = std::move(on_live);
        skip_live_ = std::move(skip_live);
        pager_ = std::move(pager);
        backlog_pending_ = true;
        started_ = true;
      }
      PumpBacklog();
    }

    // Queues a live `event` for writing (held back while the backlog pages).
    // Returns the on_live hook to run for it (outside the lock) when it was
    // queued for sending and Start set one; null when it was not queued
    // (held, dropped after a finish, or the stream or the relay's stream
    // memory is full) or there is no hook.
    const std::function<void(const Event&)>* Enqueue(std::shared_ptr<const Event> event) {
      const Event* start_write = nullptr;
      std::optional<grpc::Status> finish;
      const std::function<void(const Event&)>* on_live = nullptr;
      {
        MutexLock lock(mu_);
        if (finish_requested_) return nullptr;
        const size_t event_bytes = event->ByteSizeLong();
        const bool empty = queue_.empty() && held_.empty();
        std::optional<grpc::Status> refused;
        if (queue_.size() + held_.size() >= kMaxStreamBacklogEvents ||
            (!empty && queued_bytes_ + event_bytes > charge_.cap_bytes)) {
          refused =
              grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                           "the stream fell too far behind; reconnect and catch up with a read");
        } else if (!ChargeLocked(event_bytes)) {
          refused = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, MemoryFullReason());
        }
        if (refused) {
          finish_requested_ = true;
          pending_finish_ = *std::move(refused);
          finish = MaybeFinishLocked();
        } else if (!started_ || backlog_pending_) {
          held_.push_back(Queued{std::move(event), event_bytes});
        } else {
          // Set by Start before started_ and never changed after (see on_live_).
          if (on_live_) on_live = &on_live_;
          start_write = PushLocked(std::move(event), event_bytes, &finish);
        }
      }
      if (start_write != nullptr) stream_->StartWrite(start_write);
      if (finish) stream_->Finish(*finish);
      return on_live;
    }

    void RequestFinish(grpc::Status status) {
      std::optional<grpc::Status> finish;
      {
        MutexLock lock(mu_);
        if (finish_requested_) return;
        finish_requested_ = true;
        pending_finish_ = std::move(status);
        finish = MaybeFinishLocked();
      }
      if (finish) stream_->Finish(*finish);
    }

    void OnWriteDone(bool ok) {
      const Event* next = nullptr;
      std::optional<grpc::Status> finish;
      {
        MutexLock lock(mu_);
        writing_ = false;
        if (!queue_.empty()) {
          UnchargeLocked(queue_.front().bytes);
          queue_.pop_front();
        }
        if (!ok && !finish_requested_) {
          finish_requested_ = true;
          pending_finish_ = grpc::Status(grpc::StatusCode::CANCELLED, "stream write failed");
        }
        // An OK finish drains what is queued first; an error finish drops it.
        const bool keep_writing = !finish_requested_ || (ok && pending_finish_.ok());
        if (!queue_.empty() && keep_writing) {
          writing_ = true;
          next = queue_.front().event.get();
        } else if (finish_requested_) {
          finish = MaybeFinishLocked();
        }
      }
      if (next != nullptr) stream_->StartWrite(next);
      if (finish) stream_->Finish(*finish);
      PumpBacklog();
    }

    // Returns every byte still charged (the stream is done: nothing more is
    // written). Idempotent.
    void ReleaseAll() {
      MutexLock lock(mu_);
      finish_requested_ = true;
      for (const Queued& q : queue_) UnchargeLocked(q.bytes);
      for (const Queued& q : held_) UnchargeLocked(q.bytes);
      queue_.clear();
      held_.clear();
    }

   private:
    struct Queued {
      std::shared_ptr<const Event> event;  // possibly shared with other streams
      size_t bytes;
    };

    std::string MemoryFullReason() const {
      return charge_.stream_class == StreamClass::kProfessional
                 ? "the relay's memory for professionals' streams is full; reconnect later and "
                   "catch up with a read"
                 : "the relay's memory for streams is full; reconnect later and catch up with a "
                   "read";
    }

    bool ChargeLocked(size_t bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      if (charge_.memory != nullptr && !charge_.memory->TryCharge(charge_.stream_class, bytes)) {
        return false;
      }
      queued_bytes_ += bytes;
      return true;
    }
    void UnchargeLocked(size_t bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      queued_bytes_ -= std::min(queued_bytes_, bytes);
      if (charge_.memory != nullptr) charge_.memory->Release(charge_.stream_class, bytes);
    }

    // Appends a charged event to the send queue; returns the event to
    // StartWrite when no write was outstanding. Sets *finish when `end_after_`
    // matches and the stream can finish at once.
    const Event* PushLocked(std::shared_ptr<const Event> event, size_t bytes,
                            std::optional<grpc::Status>* finish)
        ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      const bool last = end_after_ && end_after_(*event);
      queue_.push_back(Queued{std::move(event), bytes});
      const Event* start_write = nullptr;
      if (!writing_) {
        writing_ = true;
        start_write = queue_.front().event.get();
      }
      if (last) {
        // Delivered, then the stream ends with OK once the write is done.
        finish_requested_ = true;
        pending_finish_ = grpc::Status::OK;
        *finish = MaybeFinishLocked();
      }
      return start_write;
    }

    // What to do with the reactor once mu_ is released.
    struct Actions {
      const Event* start_write = nullptr;
      std::optional<grpc::Status> finish;
    };
    void Run(const Actions& actions) {
      if (actions.start_write != nullptr) stream_->StartWrite(actions.start_write);
      if (actions.finish) stream_->Finish(*actions.finish);
    }
    void EndLocked(grpc::Status status, Actions* actions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      if (!finish_requested_) {
        finish_requested_ = true;
        pending_finish_ = std::move(status);
      }
      actions->finish = MaybeFinishLocked();
    }
    void PushInto(std::shared_ptr<const Event> event, size_t bytes, Actions* actions)
        ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      const Event* w = PushLocked(std::move(event), bytes, &actions->finish);
      if (w != nullptr) actions->start_write = w;
    }

    // Reads and queues backlog pages while the stream has room (queued bytes
    // at most half its cap); when the last page is queued, releases the held
    // live events. One caller at a time reads (fetching_).
    void PumpBacklog() {
      const Pager* pager = nullptr;  // pager_, taken under mu_ (see pager_)
      for (;;) {
        size_t budget = 0;
        Actions actions;
        bool done = false;
        {
          MutexLock lock(mu_);
          if (finish_requested_ || !backlog_pending_ || fetching_) return;
          if (!pager_) {
            FinishBacklogLocked(&actions);
            done = true;
          } else {
            // OnWriteDone resumes. A page holds at most kMaxBacklogPageEvents,
            // so backlog and held events stay under kMaxStreamBacklogEvents.
            if (queued_bytes_ > charge_.cap_bytes / 2 ||
                queue_.size() > kMaxStreamBacklogEvents / 4) {
              return;
            }
            budget = charge_.cap_bytes / 2;
            // Reserved while the page is read, so the pool stays honest; a
            // short pool gets a smaller page rather than a refusal.
            bool reserved = charge_.memory == nullptr ||
                            charge_.memory->TryCharge(charge_.stream_class, budget);
            if (!reserved && charge_.min_page_bytes < budget) {
              budget = charge_.min_page_bytes;
              reserved = charge_.memory->TryCharge(charge_.stream_class, budget);
            }
            if (!reserved) {
              if (!queue_.empty()) return;  // resumes when the client reads
              EndLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, MemoryFullReason()),
                        &actions);
              done = true;
            } else {
              fetching_ = true;
              pager = &pager_;
            }
          }
        }
        if (done) {
          Run(actions);
          break;
        }
        absl::StatusOr<BacklogPage<Event>> page = (*pager)(budget);
        {
          MutexLock lock(mu_);
          fetching_ = false;
          if (charge_.memory != nullptr) charge_.memory->Release(charge_.stream_class, budget);
          if (!page.ok()) {
            EndLocked(ToGrpcStatus(page.status()), &actions);
          } else if (!finish_requested_) {
            for (Event& e : page->events) {
              const size_t bytes = e.ByteSizeLong();
              // Fits the reservation just returned (the page was read within
              // it), but for a race with other streams: then it is charged
              // anyway, bounded by one page per stream reading at this moment.
              if (charge_.memory != nullptr) {
                charge_.memory->ForceCharge(charge_.stream_class, bytes);
              }
              queued_bytes_ += bytes;
              PushInto(std::make_shared<const Event>(std::move(e)), bytes, &actions);
              if (finish_requested_) break;
            }
            if (!page->more && !finish_requested_) FinishBacklogLocked(&actions);
          }
          done = !page.ok() || !page->more || finish_requested_;
        }
        Run(actions);
        if (done) break;
      }
      // Held live events became queued: audit them like any live delivery.
      std::vector<std::shared_ptr<const Event>> released;
      const std::function<void(const Event&)>* on_live = nullptr;
      {
        MutexLock lock(mu_);
        released.swap(released_live_);
        if (on_live_) on_live = &on_live_;
      }
      if (on_live != nullptr) {
        for (const auto& e : released) (*on_live)(*e);
      }
    }

    // The backlog is complete: live events held meanwhile go to the send
    // queue, except those the backlog already had.
    void FinishBacklogLocked(Actions* actions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      backlog_pending_ = false;
      std::deque<Queued> held;
      held.swap(held_);
      for (Queued& q : held) {
        if (finish_requested_ || (skip_live_ && skip_live_(*q.event))) {
          UnchargeLocked(q.bytes);
          continue;
        }
        if (on_live_) released_live_.push_back(q.event);
        PushInto(std::move(q.event), q.bytes, actions);
      }
    }

    // Returns the status to Finish with when no write is outstanding and
    // Finish was not called yet.
    std::optional<grpc::Status> MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      if (writing_ || finish_called_) return std::nullopt;
      finish_called_ = true;
      return pending_finish_;
    }

    EventStream* const stream_;  // valid until finish_called_ and OnDone
    const StreamCharge charge_;
    Mutex mu_;
    std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
    // Bytes of queue_ and held_, all charged.
    size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
    // Live events waiting for the backlog to finish.
    std::deque<Queued> held_ ABSL_GUARDED_BY(mu_);
    // Held, just queued: on_live_ runs for them outside the lock.
    std::vector<std::shared_ptr<const Event>> released_live_ ABSL_GUARDED_BY(mu_);
    // The four callbacks are written once, by Start under mu_ before
    // started_ is set, and never again. skip_live_ and end_after_ are called
    // under mu_; pager_ and on_live_ outside it, through a pointer taken
    // under mu_ once started_ (or backlog_pending_) was seen: it stays valid
    // and its target unchanged (Enqueue, PumpBacklog).
    Pager pager_ ABSL_GUARDED_BY(mu_);
    std::function<bool(const Event&)> skip_live_ ABSL_GUARDED_BY(mu_);
    std::function<bool(const Event&)> end_after_ ABSL_GUARDED_BY(mu_);
    std::function<void(const Event&)> on_live_ ABSL_GUARDED_BY(mu_);
    bool started_ ABSL_GUARDED_BY(mu_) = false;
    bool backlog_pending_ ABSL_GUARDED_BY(mu_) = false;
    bool fetching_ ABSL_GUARDED_BY(mu_) = false;  // one PumpBacklog reads at a time
    bool writing_ ABSL_GUARDED_BY(mu_) = false;   // a StartWrite is outstanding
    bool finish_requested_ ABSL_GUARDED_BY(mu_) = false;
    bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
    grpc::Status pending_finish_ ABSL_GUARDED_BY(mu_);
  };

  EventStream(StreamCharge charge, std::function<void()> on_done)
      : state_(std::make_shared<State>(this, charge)), on_done_(std::move(on_done)) {}

  std::shared_ptr<State> state() const { return state_; }
  void set_on_done(std::function<void()> on_done) { on_done_ = std::move(on_done); }

  void OnWriteDone(bool ok) override { state_->OnWriteDone(ok); }
  void OnCancel() override {
    state_->RequestFinish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
  }
  void OnDone() override {
    if (on_done_) on_done_();
    state_->ReleaseAll();
    delete this;
  }

 private:
  std::shared_ptr<State> state_;
  std::function<void()> on_done_;
};

// A stream that fails before it starts.
template <typename Event>
grpc::ServerWriteReactor<Event>* FailedStream(const absl::Status& status) {
  class Failed final : public grpc::ServerWriteReactor<Event> {
   public:
    explicit Failed(grpc::Status status) { this->Finish(std::move(status)); }
    void OnDone() override { delete this; }
  };
  return new Failed(ToGrpcStatus(status));
}

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_EVENT_STREAM_H_
