// EventStream: the server-streaming reactor behind WatchQueue and
// WatchThread, fed by the EventHub.
//
// Events are queued in memory (at most kMaxStreamBacklogEvents and, for live
// events, kMaxStreamBacklogBytes of serialised events; a client that falls
// further behind is ended with RESOURCE_EXHAUSTED and catches up with a read). The reactor deletes
// itself in OnDone after running its on_done hook.
#ifndef SAMRAD_SERVER_EVENT_STREAM_H_
#define SAMRAD_SERVER_EVENT_STREAM_H_

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "server/event_hub.h"
#include "server/status.h"

namespace samrad::server {

inline constexpr size_t kMaxStreamBacklogEvents = 1024;
// A reader that does not read must not hold more than this per stream: a count
// alone allowed 1024 events of up to one envelope each (256 MiB at the default
// envelope limit). The backlog a stream starts with (bounded by
// max_messages_per_read) is always queued; a live event that would take the
// queue past this ends the stream instead. At least one event is always let in.
inline constexpr size_t kMaxStreamBacklogBytes = size_t{8} << 20;

// Server-streaming reactor shared by WatchQueue and WatchThread.
//
// The hub holds the State (an EventSink); the reactor holds it too. Reactor
// methods (StartWrite, Finish) are only ever called outside the mutex and
// guarded by writing_/finish_called_, so a reaction that runs inline cannot
// deadlock and the reactor is never touched after Finish.
template <typename Event>
class EventStream final : public grpc::ServerWriteReactor<Event> {
 public:
  class State final : public EventSink<Event> {
   public:
    explicit State(EventStream* stream) : stream_(stream) {}

    void Deliver(const Event& event) override {
      // on_live_ is set before started_ (under mu_) and never changes after.
      if (Enqueue(event, /*live=*/true) && on_live_) on_live_(event);
    }
    void Close(const absl::Status& reason) override { RequestFinish(ToGrpcStatus(reason)); }

    // Events published before Start are held back and, for thread streams,
    // deduplicated against the backlog by `skip_live`. `end_after`, if set,
    // ends the stream (OK) after delivering the first event it matches.
    // `on_live`, if set, runs (outside the lock, on the publishing thread)
    // for every published event queued for sending, not for the backlog —
    // the relay audits an adviser's live reads with it.
    void Start(std::vector<Event> backlog, std::function<bool(const Event&)> skip_live,
               std::function<bool(const Event&)> end_after = nullptr,
               std::function<void(const Event&)> on_live = nullptr) {
      std::vector<Event> held;
      {
        std::lock_guard<std::mutex> lock(mu_);
        end_after_ = std::move(end_after);
        on_live_ = std::move(on_live);
        started_ = true;
        held.swap(held_);
      }
      for (Event& e : backlog) Enqueue(std::move(e), /*live=*/false);
      for (Event& e : held) {
        if (skip_live && skip_live(e)) continue;
        if (Enqueue(e, /*live=*/false) && on_live_) on_live_(e);
      }
    }

    // Queues `event` for writing; false when it was not queued (held until
    // Start, dropped after a finish, or the stream fell behind).
    bool Enqueue(Event event, bool live) {
      const Event* start_write = nullptr;
      std::optional<grpc::Status> finish;
      bool queued = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (finish_requested_) return false;
        if (live && !started_) {
          held_.push_back(std::move(event));
          return false;
        }
        queued = true;
        const size_t event_bytes = event.ByteSizeLong();
        const bool over_bytes =
            live && !queue_.empty() && queued_bytes_ + event_bytes > kMaxStreamBacklogBytes;
        if (queue_.size() >= kMaxStreamBacklogEvents || over_bytes) {
          queued = false;
          finish_requested_ = true;
          pending_finish_ =
              grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                           "the stream fell too far behind; reconnect and catch up with a read");
          finish = MaybeFinishLocked();
        } else {
          const bool last = end_after_ && end_after_(event);
          queued_bytes_ += event_bytes;
          queued_sizes_.push_back(event_bytes);
          queue_.push_back(std::move(event));
          if (!writing_) {
            writing_ = true;
            start_write = &queue_.front();
          }
          if (last) {
            // Delivered, then the stream ends with OK once the write is done.
            finish_requested_ = true;
            pending_finish_ = grpc::Status::OK;
            finish = MaybeFinishLocked();
          }
        }
      }
      if (start_write != nullptr) stream_->StartWrite(start_write);
      if (finish) stream_->Finish(*finish);
      return queued;
    }

    void RequestFinish(grpc::Status status) {
      std::optional<grpc::Status> finish;
      {
        std::lock_guard<std::mutex> lock(mu_);
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
        std::lock_guard<std::mutex> lock(mu_);
        writing_ = false;
        if (!queue_.empty()) {
          queued_bytes_ -= queued_sizes_.front();
          queued_sizes_.pop_front();
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
          next = &queue_.front();
        } else if (finish_requested_) {
          finish = MaybeFinishLocked();
        }
      }
      if (next != nullptr) stream_->StartWrite(next);
      if (finish) stream_->Finish(*finish);
    }

   private:
    // Returns the status to Finish with when no write is outstanding and
    // Finish was not called yet.
    std::optional<grpc::Status> MaybeFinishLocked() {
      if (writing_ || finish_called_) return std::nullopt;
      finish_called_ = true;
      return pending_finish_;
    }

    EventStream* const stream_;
    std::mutex mu_;
    std::deque<Event> queue_;
    std::deque<size_t> queued_sizes_;  // ByteSizeLong() of each queue_ entry, same order
    size_t queued_bytes_ = 0;          // sum of queued_sizes_
    std::vector<Event> held_;
    std::function<bool(const Event&)> end_after_;
    std::function<void(const Event&)> on_live_;
    bool started_ = false;
    bool writing_ = false;
    bool finish_requested_ = false;
    bool finish_called_ = false;
    grpc::Status pending_finish_;
  };

  explicit EventStream(std::function<void()> on_done)
      : state_(std::make_shared<State>(this)), on_done_(std::move(on_done)) {}

  std::shared_ptr<State> state() const { return state_; }
  void set_on_done(std::function<void()> on_done) { on_done_ = std::move(on_done); }

  void OnWriteDone(bool ok) override { state_->OnWriteDone(ok); }
  void OnCancel() override {
    state_->RequestFinish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
  }
  void OnDone() override {
    if (on_done_) on_done_();
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
