#include "server/event_hub.h"

#include <utility>
#include <vector>

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

absl::StatusOr<uint64_t> EventHub::SubscribeQueue(const std::string& unit,
                                                  std::shared_ptr<QueueSink> sink) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_down_) return absl::UnavailableError("the relay is shutting down");
  const uint64_t handle = next_handle_++;
  queue_topics_[unit].emplace(handle, std::move(sink));
  handles_.emplace(handle, std::make_pair(true, unit));
  return handle;
}

absl::StatusOr<uint64_t> EventHub::SubscribeThread(const std::string& thread_id,
                                                   std::shared_ptr<ThreadSink> sink) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_down_) return absl::UnavailableError("the relay is shutting down");
  const uint64_t handle = next_handle_++;
  thread_topics_[thread_id].emplace(handle, std::move(sink));
  handles_.emplace(handle, std::make_pair(false, thread_id));
  return handle;
}

void EventHub::Unsubscribe(uint64_t handle) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = handles_.find(handle);
  if (it == handles_.end()) return;
  const auto& [is_queue, topic] = it->second;
  auto erase_from = [&](auto& topics) {
    auto t = topics.find(topic);
    if (t == topics.end()) return;
    t->second.erase(handle);
    if (t->second.empty()) topics.erase(t);
  };
  if (is_queue) {
    erase_from(queue_topics_);
  } else {
    erase_from(thread_topics_);
  }
  handles_.erase(it);
}

void EventHub::PublishQueue(const std::string& unit, const v1::QueueEvent& event) {
  std::vector<std::shared_ptr<QueueSink>> sinks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return;
    sinks = SnapshotTopic<QueueSink>(queue_topics_, unit);
  }
  for (const auto& sink : sinks) sink->Deliver(event);
}

void EventHub::PublishThread(const std::string& thread_id, const v1::ThreadEvent& event) {
  std::vector<std::shared_ptr<ThreadSink>> sinks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return;
    sinks = SnapshotTopic<ThreadSink>(thread_topics_, thread_id);
  }
  for (const auto& sink : sinks) sink->Deliver(event);
}

void EventHub::Shutdown(const absl::Status& reason) {
  Topics<QueueSink> queues;
  Topics<ThreadSink> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shut_down_ = true;
    queues.swap(queue_topics_);
    threads.swap(thread_topics_);
    handles_.clear();
  }
  for (auto& [topic, sinks] : queues) {
    for (auto& [handle, sink] : sinks) sink->Close(reason);
  }
  for (auto& [topic, sinks] : threads) {
    for (auto& [handle, sink] : sinks) sink->Close(reason);
  }
}

size_t EventHub::subscriber_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return handles_.size();
}

}  // namespace samrad::server
