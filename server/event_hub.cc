#include "server/event_hub.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace samrad::server {
namespace {

template <typename Sink, typename Topics>
std::vector<std::shared_ptr<Sink>> SnapshotTopic(const Topics& topics, const std::string& key) {
  std::vector<std::shared_ptr<Sink>> out;
  auto it = topics.find(key);
  if (it == topics.end()) return out;
  out.reserve(it->second.size());
  for (const auto& [handle, sink] : it->second) out.push_back(sink);
  return out;
}

}  // namespace

std::string EventHub::AdviserPrincipal(absl::string_view unit, absl::string_view id) {
  return absl::StrCat("adviser/", unit, "/", id);
}

void EventHub::IndexOwnerLocked(uint64_t handle, const Owner& owner) {
  owners_[owner.serial].insert(handle);
  if (!owner.principal.empty()) owners_[owner.principal].insert(handle);
}

absl::StatusOr<uint64_t> EventHub::SubscribeQueue(const std::string& unit, const Owner& owner,
                                                  std::shared_ptr<QueueSink> sink) {
  MutexLock lock(mu_);
  if (shut_down_) return absl::UnavailableError("the relay is shutting down");
  const uint64_t handle = next_handle_++;
  queue_topics_[unit].emplace(handle, std::move(sink));
  handles_.emplace(handle, Subscription{true, unit, owner});
  IndexOwnerLocked(handle, owner);
  return handle;
}

absl::StatusOr<uint64_t> EventHub::SubscribeThread(const std::string& thread_id, const Owner& owner,
                                                   std::shared_ptr<ThreadSink> sink) {
  MutexLock lock(mu_);
  if (shut_down_) return absl::UnavailableError("the relay is shutting down");
  const uint64_t handle = next_handle_++;
  thread_topics_[thread_id].emplace(handle, std::move(sink));
  handles_.emplace(handle, Subscription{false, thread_id, owner});
  IndexOwnerLocked(handle, owner);
  return handle;
}

void EventHub::EraseLocked(uint64_t handle, const Subscription& subscription) {
  auto erase_from = [&](auto& topics) {
    auto t = topics.find(subscription.topic);
    if (t == topics.end()) return;
    t->second.erase(handle);
    if (t->second.empty()) topics.erase(t);
  };
  if (subscription.is_queue) {
    erase_from(queue_topics_);
  } else {
    erase_from(thread_topics_);
  }
  for (const std::string* key : {&subscription.owner.serial, &subscription.owner.principal}) {
    auto o = owners_.find(*key);
    if (o == owners_.end()) continue;
    o->second.erase(handle);
    if (o->second.empty()) owners_.erase(o);
  }
}

void EventHub::Unsubscribe(uint64_t handle) {
  MutexLock lock(mu_);
  auto it = handles_.find(handle);
  if (it == handles_.end()) return;
  EraseLocked(handle, it->second);
  handles_.erase(it);
}

size_t EventHub::CloseOwner(const std::string& key, const absl::Status& reason) {
  std::vector<std::shared_ptr<QueueSink>> queues;
  std::vector<std::shared_ptr<ThreadSink>> threads;
  {
    MutexLock lock(mu_);
    if (key.empty()) return 0;
    auto o = owners_.find(key);
    if (o == owners_.end()) return 0;
    const std::vector<uint64_t> handles(o->second.begin(), o->second.end());
    for (uint64_t handle : handles) {
      auto it = handles_.find(handle);
      if (it == handles_.end()) continue;
      if (it->second.is_queue) {
        auto t = queue_topics_.find(it->second.topic);
        if (t != queue_topics_.end() && t->second.count(handle) != 0) {
          queues.push_back(t->second.at(handle));
        }
      } else {
        auto t = thread_topics_.find(it->second.topic);
        if (t != thread_topics_.end() && t->second.count(handle) != 0) {
          threads.push_back(t->second.at(handle));
        }
      }
      EraseLocked(handle, it->second);
      handles_.erase(it);
    }
  }
  for (const auto& sink : queues) sink->Close(reason);
  for (const auto& sink : threads) sink->Close(reason);
  return queues.size() + threads.size();
}

void EventHub::PublishQueue(const std::string& unit, const v1::QueueEvent& event) {
  std::vector<std::shared_ptr<QueueSink>> sinks;
  {
    MutexLock lock(mu_);
    if (shut_down_) return;
    sinks = SnapshotTopic<QueueSink>(queue_topics_, unit);
  }
  if (sinks.empty()) return;
  const auto shared = std::make_shared<const v1::QueueEvent>(event);
  for (const auto& sink : sinks) sink->DeliverShared(shared);
}

void EventHub::PublishThread(const std::string& thread_id, const v1::ThreadEvent& event) {
  std::vector<std::shared_ptr<ThreadSink>> sinks;
  {
    MutexLock lock(mu_);
    if (shut_down_) return;
    sinks = SnapshotTopic<ThreadSink>(thread_topics_, thread_id);
  }
  if (sinks.empty()) return;
  const auto shared = std::make_shared<const v1::ThreadEvent>(event);
  for (const auto& sink : sinks) sink->DeliverShared(shared);
}

void EventHub::Shutdown(const absl::Status& reason) {
  Topics<QueueSink> queues;
  Topics<ThreadSink> threads;
  {
    MutexLock lock(mu_);
    shut_down_ = true;
    queues.swap(queue_topics_);
    threads.swap(thread_topics_);
    handles_.clear();
    owners_.clear();
  }
  for (auto& [topic, sinks] : queues) {
    for (auto& [handle, sink] : sinks) sink->Close(reason);
  }
  for (auto& [topic, sinks] : threads) {
    for (auto& [handle, sink] : sinks) sink->Close(reason);
  }
}

size_t EventHub::subscriber_count() const {
  MutexLock lock(mu_);
  return handles_.size();
}

}  // namespace samrad::server
