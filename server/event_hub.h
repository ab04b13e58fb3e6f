// The in-memory event hub: after a write is durable, the service publishes a
// QueueEvent to the thread's unit and a ThreadEvent to the thread; WatchQueue
// and WatchThread streams subscribe here. Events are not persisted: a client
// that reconnects reads what it missed with ListQueue / GetThread.
//
// Thread-safe. Publish delivers outside the hub's lock, so a sink may
// unsubscribe from inside Deliver. Sinks must not block.
#ifndef SAMRAD_SERVER_EVENT_HUB_H_
#define SAMRAD_SERVER_EVENT_HUB_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/relay.pb.h"

namespace samrad::server {

template <typename Event>
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Called for each published event; must return quickly.
  virtual void Deliver(const Event& event) = 0;
  // Called once when the hub shuts down; no Deliver follows.
  virtual void Close(const absl::Status& reason) = 0;
};

using QueueSink = EventSink<v1::QueueEvent>;
using ThreadSink = EventSink<v1::ThreadEvent>;

class EventHub {
 public:
  EventHub() = default;
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Returns a handle for Unsubscribe; UNAVAILABLE after Shutdown. `owner` is
  // the subscriber's certificate serial, so CloseOwner can end its streams.
  absl::StatusOr<uint64_t> SubscribeQueue(const std::string& unit, const std::string& owner,
                                          std::shared_ptr<QueueSink> sink);
  absl::StatusOr<uint64_t> SubscribeThread(const std::string& thread_id, const std::string& owner,
                                           std::shared_ptr<ThreadSink> sink);
  // Idempotent; unknown handles are ignored.
  void Unsubscribe(uint64_t handle);

  // Ends every stream of `owner` (a certificate serial) with `reason`, e.g.
  // when that certificate is revoked: its sinks are removed, then closed
  // outside the lock, and get no further events. Returns how many ended.
  size_t CloseOwner(const std::string& owner, const absl::Status& reason);

  void PublishQueue(const std::string& unit, const v1::QueueEvent& event);
  void PublishThread(const std::string& thread_id, const v1::ThreadEvent& event);

  // Closes every sink with `reason` and refuses new subscriptions.
  void Shutdown(const absl::Status& reason);

  size_t subscriber_count() const;

 private:
  template <typename Sink>
  using Topics = absl::flat_hash_map<std::string, std::map<uint64_t, std::shared_ptr<Sink>>>;

  mutable std::mutex mu_;
  bool shut_down_ = false;
  uint64_t next_handle_ = 1;
  Topics<QueueSink> queue_topics_;
  Topics<ThreadSink> thread_topics_;
  struct Subscription {
    bool is_queue = false;
    std::string topic;
    std::string owner;
  };
  // Removes `handle` from its topic and owner; the caller holds mu_.
  void EraseLocked(uint64_t handle, const Subscription& subscription);

  absl::flat_hash_map<uint64_t, Subscription> handles_;
  // owner (certificate serial) -> its handles
  absl::flat_hash_map<std::string, absl::flat_hash_set<uint64_t>> owners_;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_EVENT_HUB_H_
