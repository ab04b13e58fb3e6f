#include "server/thread_watch.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/consultations.h"
#include "server/log.h"

namespace samrad::server {

ThreadWatch::ThreadWatch(storage::Store* store, const v1::LimitsConfig& limits,
                         std::function<void(const absl::Status&)> on_store_write)
    : store_(store),
      max_messages_per_read_(limits.max_messages_per_read()),
      max_read_bytes_(limits.max_read_bytes()),
      on_store_write_(std::move(on_store_write)) {}

absl::Status ThreadWatch::Start(const Identity& caller, const v1::WatchThreadRequest& request,
                                const v1::ThreadRecord& thread,
                                EventStream<v1::ThreadEvent>::State& state) {
  SAMRAD_RETURN_IF_ERROR(store_->GetThread(request.thread_id()).status());
  // The read is audited only once the stream is admitted: a stream refused
  // by the budget reads nothing (and must not cost a synced audit write per
  // refused attempt).
  const bool adviser = caller.role == Role::kAdviser;
  if (adviser) AuditReadAsync(caller, request.thread_id(), "watch");
  auto last_sequence = std::make_shared<std::atomic<uint64_t>>(request.after_sequence());
  // An adviser's view ends when the thread leaves their unit (referral).
  std::function<bool(const v1::ThreadEvent&)> end_after;
  // Every message an adviser's watch delivers live is on the record too,
  // as a read of that message.
  std::function<void(const v1::ThreadEvent&)> on_live;
  if (adviser) {
    end_after = [unit = caller.scope](const v1::ThreadEvent& e) {
      return e.summary().unit() != unit;
    };
    // Runs inside a publish, while the stream (and so this) is alive.
    on_live = [this, who = caller](const v1::ThreadEvent& e) {
      if (!e.has_message()) return;
      AuditReadAsync(who, e.message().thread_id(),
                     absl::StrCat("watch seq=", e.message().sequence()));
    };
  }
  state.Start(
      BacklogPager(request.thread_id(), Summarize(thread), last_sequence),
      [last_sequence](const v1::ThreadEvent& e) {
        return e.has_message() && e.message().sequence() <= last_sequence->load();
      },
      std::move(end_after), std::move(on_live));
  return absl::OkStatus();
}

EventStream<v1::ThreadEvent>::Pager ThreadWatch::BacklogPager(
    std::string thread_id, v1::ThreadSummary summary,
    std::shared_ptr<std::atomic<uint64_t>> last_sequence) {
  return [this, thread_id = std::move(thread_id), summary = std::move(summary),
          last_sequence](size_t max_bytes) -> absl::StatusOr<BacklogPage<v1::ThreadEvent>> {
    SAMRAD_ASSIGN_OR_RETURN(
        storage::MessagePage page,
        store_->ReadMessagePage(thread_id, last_sequence->load(),
                                std::min(max_messages_per_read_, kMaxBacklogPageEvents),
                                std::min<size_t>(max_bytes, max_read_bytes_)));
    BacklogPage<v1::ThreadEvent> out;
    out.more = page.more;
    for (auto& m : page.messages) {
      last_sequence->store(std::max(last_sequence->load(), m.sequence()));
      v1::ThreadEvent event;
      *event.mutable_summary() = summary;
      *event.mutable_message() = std::move(m);
      out.events.push_back(std::move(event));
    }
    return out;
  };
}

void ThreadWatch::AuditReadAsync(const Identity& who, const std::string& thread_id,
                                 std::string detail) {
  store_->AppendAudit(
      Audit(who, "read", thread_id, std::move(detail)),
      [report = on_store_write_](absl::StatusOr<v1::AuditEntry> entry) {
        if (report) report(entry.status());
        if (!entry.ok()) {
          LogError("audit_failed", {{"action", "read"}, {"reason", entry.status().message()}});
        }
      });
}

}  // namespace samrad::server
