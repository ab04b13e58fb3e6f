#include "server/thread_events.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/reasons.h"
#include "server/consultations.h"
#include "server/log.h"

namespace samrad::server {

ThreadEvents::ThreadEvents(const v1::LimitsConfig& limits)
    : max_stream_queue_bytes_(static_cast<size_t>(limits.max_stream_queue_bytes())),
      min_page_bytes_(size_t{limits.max_envelope_bytes()} + 4096),
      budget_(limits.max_concurrent_streams(), limits.max_streams_per_identity(),
              limits.adviser_stream_reserve_percent()),
      memory_(limits.stream_memory_bytes(), limits.adviser_stream_reserve_percent()) {}

StreamClass ThreadEvents::ClassOf(const Identity& caller) {
  return caller.role == Role::kProfessional ? StreamClass::kProfessional : StreamClass::kReserved;
}

EventHub::Owner ThreadEvents::OwnerOf(const Identity& caller) {
  return {caller.serial_hex, caller.role == Role::kAdviser
                                 ? EventHub::AdviserPrincipal(caller.scope, caller.id)
                                 : std::string()};
}

StreamCharge ThreadEvents::ChargeOf(StreamClass stream_class) {
  return StreamCharge{&memory_, stream_class, max_stream_queue_bytes_, min_page_bytes_};
}

void ThreadEvents::PublishChange(const v1::ThreadRecord& thread, const v1::StoredMessage* message,
                                 v1::QueueEvent::Kind kind) {
  v1::QueueEvent queue_event;
  queue_event.set_kind(kind);
  *queue_event.mutable_thread() = Summarize(thread);
  v1::ThreadEvent thread_event;
  *thread_event.mutable_summary() = queue_event.thread();
  if (message != nullptr) *thread_event.mutable_message() = *message;
  hub_.PublishQueue(thread.unit(), queue_event);
  hub_.PublishThread(thread.thread_id(), thread_event);
}

void ThreadEvents::PublishReferral(const v1::ThreadRecord& thread, const std::string& from_unit) {
  v1::QueueEvent out;
  out.set_kind(v1::QueueEvent::KIND_REFERRED_OUT);
  *out.mutable_thread() = Summarize(thread);
  hub_.PublishQueue(from_unit, out);
  PublishChange(thread, nullptr, v1::QueueEvent::KIND_REFERRED_IN);
}

size_t ThreadEvents::EndStreamsOfRevoked(const std::string& serial) {
  return hub_.CloseOwner(serial, reasons::Error(absl::StatusCode::kUnauthenticated,
                                                reasons::Reason::kCertificateRevoked, {serial}));
}

size_t ThreadEvents::EndStreamsOfExpired(const std::string& serial, int64_t not_after_unix_ms) {
  const size_t ended = hub_.CloseOwner(
      serial,
      reasons::Error(absl::StatusCode::kUnauthenticated, reasons::Reason::kCertificateExpired,
                     {serial, absl::FormatTime(absl::FromUnixMillis(not_after_unix_ms),
                                               absl::UTCTimeZone())}));
  if (ended > 0) {
    LogInfo("certificate_expired", {{"serial", serial}, {"streams_ended", absl::StrCat(ended)}});
  }
  return ended;
}

size_t ThreadEvents::EndStreamsOfRemovedAdvisers(const std::vector<RemovedAdviser>& removed,
                                                 uint64_t epoch) {
  size_t total = 0;
  for (const RemovedAdviser& adviser : removed) {
    const size_t ended =
        hub_.CloseOwner(EventHub::AdviserPrincipal(adviser.unit, adviser.adviser_id),
                        absl::PermissionDeniedError(absl::StrCat(
                            "adviser ", adviser.adviser_id, " was removed from unit ", adviser.unit,
                            " in directory epoch ", epoch, "; ask the administrator")));
    if (ended > 0) {
      LogInfo("adviser_removed",
              {{"epoch", absl::StrCat(epoch)}, {"streams_ended", absl::StrCat(ended)}});
    }
    total += ended;
  }
  return total;
}

void ThreadEvents::Shutdown() {
  hub_.Shutdown(
      reasons::Error(absl::StatusCode::kUnavailable, reasons::Reason::kStreamShutdown, {}));
}

}  // namespace samrad::server
