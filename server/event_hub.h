// The in-memory event hub: after a write is durable, the service publishes a
// QueueEvent to the thread's unit and a ThreadEvent to the thread; WatchQueue
// and WatchThread streams subscribe here. Events are not persisted: a client
// that reconnects reads what it missed with ListQueue / GetThread.
//
// Thread-safety: every method may be called from any thread. Publish,
// CloseOwner and Shutdown call sinks outside the hub's lock, so a sink may
// unsubscribe (or the hub be published to) from inside Deliver or Close.
// Sinks must not block.
// Ownership: the hub shares ownership of each subscribed sink (shared_ptr)
// until it is unsubscribed, closed by CloseOwner, or the hub shuts down; a
// sink may therefore outlive its stream's reactor and must stay safe to call
// until then. One publish copies
// the event once and hands every subscriber of the topic that same copy
// (DeliverShared): fan-out to N watchers costs N references, not N copies.
#ifndef SAMRAD_SERVER_EVENT_HUB_H_
#define SAMRAD_SERVER_EVENT_HUB_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/mutex.h"
#include "proto/relay.pb.h"

namespace samrad::server {

template <typename Event>
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Called for each published event; must return quickly.
  virtual void Deliver(const Event& event) = 0;
  // What the hub calls: every sink of a topic gets the same immutable event,
  // built once per publish, so a sink that keeps it (a stream's send queue)
  // holds a reference instead of its own copy. The default delivers a view.
  virtual void DeliverShared(const std::shared_ptr<const Event>& event) { Deliver(*event); }
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

  // Who holds a stream, so CloseOwner can end it by either key.
  struct Owner {
    std::string serial;     // the certificate serial (canonical)
    std::string principal;  // AdviserPrincipal(unit, id) for advisers, else empty
  };
  // The principal of adviser `id` of `unit`: every certificate of that
  // adviser shares it, so removing the adviser from the directory reaches all.
  static std::string AdviserPrincipal(absl::string_view unit, absl::string_view id);

  // Subscribes `sink` to the unit's queue events (or the thread's events)
  // from the next publish on. Returns a handle (never 0) for Unsubscribe;
  // UNAVAILABLE after Shutdown (the sink is not kept and never called).
  [[nodiscard]] absl::StatusOr<uint64_t> SubscribeQueue(const std::string& unit, const Owner& owner,
                                                        std::shared_ptr<QueueSink> sink);
  [[nodiscard]] absl::StatusOr<uint64_t> SubscribeThread(const std::string& thread_id,
                                                         const Owner& owner,
                                                         std::shared_ptr<ThreadSink> sink);
  // Idempotent; unknown handles are ignored.
  void Unsubscribe(uint64_t handle);

  // Ends every stream whose owner has `key` (a certificate serial, e.g. when
  // that certificate is revoked or expires, or a principal, e.g. when the
  // adviser is removed from the directory) with `reason`: its sinks are
  // removed, then closed outside the lock, and get no further events.
  // Returns how many ended.
  size_t CloseOwner(const std::string& key, const absl::Status& reason);

  // Delivers one shared copy of `event` to every sink subscribed to the
  // topic when the publish takes its snapshot; nothing after Shutdown.
  void PublishQueue(const std::string& unit, const v1::QueueEvent& event);
  void PublishThread(const std::string& thread_id, const v1::ThreadEvent& event);

  // Closes every sink with `reason` and refuses new subscriptions.
  // Idempotent (a second call closes nothing).
  void Shutdown(const absl::Status& reason);

  // Subscriptions held now (for tests and metrics).
  size_t subscriber_count() const;

 private:
  template <typename Sink>
  using Topics = absl::flat_hash_map<std::string, std::map<uint64_t, std::shared_ptr<Sink>>>;

  mutable Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_handle_ ABSL_GUARDED_BY(mu_) = 1;
  Topics<QueueSink> queue_topics_ ABSL_GUARDED_BY(mu_);
  Topics<ThreadSink> thread_topics_ ABSL_GUARDED_BY(mu_);
  struct Subscription {
    bool is_queue = false;
    std::string topic;
    Owner owner;
  };
  // Indexes `handle` under its owner's keys.
  void IndexOwnerLocked(uint64_t handle, const Owner& owner) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes `handle` from its topic and owner.
  void EraseLocked(uint64_t handle, const Subscription& subscription)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::flat_hash_map<uint64_t, Subscription> handles_ ABSL_GUARDED_BY(mu_);
  // owner key (certificate serial or principal) -> its handles
  absl::flat_hash_map<std::string, absl::flat_hash_set<uint64_t>> owners_ ABSL_GUARDED_BY(mu_);
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_EVENT_HUB_H_
