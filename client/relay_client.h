// The gRPC connection to the relay: mutual TLS with the profile's
// certificate, key and CA, per-call deadlines, and the mapping of a
// grpc::Status to an absl::Status with an exit code and an actionable
// message.
//
// A RelayClient is thread-safe (the generated stub is); it owns the channel.
#ifndef SAMRAD_CLIENT_RELAY_CLIENT_H_
#define SAMRAD_CLIENT_RELAY_CLIENT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/messages.h"
#include "grpcpp/grpcpp.h"
#include "proto/client.pb.h"
#include "proto/relay.grpc.pb.h"

namespace samrad::client {

// Full gRPC method names, as ownership proofs sign them.
inline constexpr char kMethodGetThread[] = "/samrad.v1.Relay/GetThread";
inline constexpr char kMethodPostMessage[] = "/samrad.v1.Relay/PostMessage";
inline constexpr char kMethodWatchThread[] = "/samrad.v1.Relay/WatchThread";
inline constexpr char kMethodCloseThread[] = "/samrad.v1.Relay/CloseThread";

struct RelayClientOptions {
  // Deadline of each unary call.
  std::chrono::milliseconds call_timeout{30000};
  // Attempts for calls that are safe to repeat (reads, idempotent submits)
  // when the relay is UNAVAILABLE; waits 200 ms, 400 ms, ... between them.
  int max_attempts = 4;
  // The language of the messages MapStatus writes.
  Language language = Language::kEnglish;
  // When not 0 (Unix ms), Create refuses a client certificate outside its
  // validity period at this time (FAILED_PRECONDITION tagged kPermission,
  // Msg::kOwnCertExpired / kOwnCertNotYetValid) before any connection.
  int64_t now_unix_ms = 0;
};

// Routes gRPC's own log lines (which name gRPC's source files) away from
// stderr: with `verbose` they are printed as "samrad: grpc: ..." lines on
// stderr, otherwise dropped. Call once before the first channel is made.
void RouteGrpcLogs(bool verbose);

// `status` (made from the relay's `answer`) with the relay's message and, if
// the answer's details carry one, its reason (common/reasons.h) attached;
// unchanged if OK or already in the user's words (HasOwnAdvice).
[[nodiscard]] absl::Status AttachRelayWords(absl::Status status, const grpc::Status& answer);

// What a status that MapStatus made from the relay's answer says in the
// language of `messages`: the reason's template (common/reasons.h) in that
// language, or, for a reason this build does not know or a relay message
// without one, the relay's English text inside a sentence saying it is not
// translated. nullopt in English (the status's own message is the English
// text) and for statuses that did not come from the relay's answer.
std::optional<std::string> RelayRefusalText(const absl::Status& status, const Messages& messages);

// What `status` says in the language of `messages`: its localized text
// (client/localized_status.h), else the relay's refusal (RelayRefusalText),
// else its message. For the error printer and for a caller that puts a
// status's text into a sentence of its own.
std::string UserText(const absl::Status& status, const Messages& messages);

// `status` without the relay's words (its reason stays): for a status whose
// message already says the relay's refusal in the user's language, e.g. one
// built from RelayRefusalText with advice of our own appended, so the error
// printer keeps that whole message.
[[nodiscard]] absl::Status ForgetRelayWords(absl::Status status);

class RelayClient {
 public:
  // Reads the PEM files named in `profile` and creates the channel (it
  // connects lazily). NOT_FOUND / PERMISSION_DENIED tagged kConfig when a
  // file cannot be read or the certificate does not parse.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RelayClient>> Create(
      const v1::ClientProfile& profile, const RelayClientOptions& options = {});

  v1::Relay::Stub& stub() { return *stub_; }
  const std::string& address() const { return address_; }

  // A context with the call deadline set.
  std::unique_ptr<grpc::ClientContext> NewContext() const;
  // A context without deadline (streams).
  std::unique_ptr<grpc::ClientContext> NewStreamContext() const;

  // Runs `call` (which must be idempotent) until it succeeds, fails with
  // anything but UNAVAILABLE, or attempts run out. `action` names what the
  // call does for the error message (one of the Msg::kAction... phrases,
  // e.g. kActionFetchDirectory).
  [[nodiscard]] absl::Status CallWithRetry(
      Msg action, const std::function<grpc::Status(grpc::ClientContext&)>& call) const;
  // One attempt, mapped.
  [[nodiscard]] absl::Status Call(
      Msg action, const std::function<grpc::Status(grpc::ClientContext&)>& call) const;

  // The relay's answer as an absl::Status: same code, message
  // "cannot <action>: <relay message>" in English, localized
  // (client/localized_status.h: the action's phrase and the relay's reason
  // rendered in the user's language when printed). A failure to connect (UNAVAILABLE,
  // DEADLINE_EXCEEDED) becomes one sentence a person can act on (relay not
  // running, its certificate not from the profile's CA or not for this
  // address, the relay closing the connection), marked HasOwnAdvice. A
  // RESOURCE_EXHAUSTED that the relay marks as a size limit is tagged with
  // MarkSizeLimit (client/status_class.h).
  // The relay's words ride along: its reason (common/reasons.h, found with
  // reasons::ReasonOf / reasons::Is) when it sent one, and its message, so
  // RelayRefusalText can say it in the user's language.
  [[nodiscard]] absl::Status MapStatus(Msg action, const grpc::Status& status) const;

  // The relay's limits.max_envelope_bytes as its last GetDirectory answer
  // said (common/relay_protocol.h); 0 when unknown. Thread-safe.
  uint64_t max_envelope_bytes() const { return max_envelope_bytes_.load(); }
  // Reads the limit from the initial metadata of a finished GetDirectory call.
  void NoteServerLimits(const grpc::ClientContext& context);

 private:
  RelayClient(std::string address, std::string ca_path, std::shared_ptr<grpc::Channel> channel,
              RelayClientOptions options)
      : address_(std::move(address)),
        ca_path_(std::move(ca_path)),
        channel_(std::move(channel)),
        stub_(v1::Relay::NewStub(channel_)),
        options_(options) {}
  // MapStatus without the relay's words attached.
  [[nodiscard]] absl::Status MapStatusText(Msg action, const grpc::Status& status) const;
  // The sentence for a call that never reached the relay's service, or
  // nullopt when `detail` is not a connection failure gRPC describes.
  std::optional<std::string> ConnectionFailure(absl::StatusCode code,
                                               const std::string& detail) const;
  std::string address_;
  std::string ca_path_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Relay::Stub> stub_;
  RelayClientOptions options_;
  std::atomic<uint64_t> max_envelope_bytes_{0};
};

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_RELAY_CLIENT_H_
