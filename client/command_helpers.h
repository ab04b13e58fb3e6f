// Helpers shared by the professional and adviser commands: reading a whole
// thread and checking it against the relay's claims, printing a thread,
// summaries as JSON, resolving a short case reference.
#ifndef SAMRAD_CLIENT_COMMAND_HELPERS_H_
#define SAMRAD_CLIENT_COMMAND_HELPERS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/certificate.h"
#include "client/output.h"
#include "client/relay_client.h"
#include "client/session.h"
#include "client/thread_crypto.h"
#include "proto/relay.pb.h"

namespace samrad::client {

// Who is reading, for author labels.
struct Reader {
  bool professional = false;
  std::string adviser_id = {};  // adviser readers: their own id ("me")
};

// "me", "adviser a-12 of rc-kronoberg", "professional".
std::string AuthorLabel(const Messages& messages, const OpenedMessage& message,
                        const Reader& reader);

Json SummaryJson(const v1::ThreadSummary& summary);
Json MessageJson(const Messages& messages, const OpenedMessage& message, const Reader& reader);

// Plain-text rendering of one message:
//   #2  2026-11-28 14:03 UTC  adviser a-12 of rc-kronoberg
//   <text, indented by two spaces>
std::string FormatMessage(const Messages& messages, const OpenedMessage& message,
                          const Reader& reader);

// Prints a whole thread (header line + messages), or JSON with --json.
void PrintThread(Session& session, const v1::ThreadSummary& summary,
                 const std::vector<OpenedMessage>& messages, const Reader& reader);

// Every message of `thread_id` after `after_sequence`, page after page (the
// relay trims each reply to a byte budget and a message count) until the
// relay's message count is reached or a page comes back empty. `prepare`
// completes each request (a professional's fresh ownership proof). The
// summary is the last page's.
[[nodiscard]] absl::StatusOr<v1::ThreadView> FetchThread(
    Session& session, const std::string& thread_id, uint64_t after_sequence,
    const std::function<void(v1::GetThreadRequest&)>& prepare);

// Prints, on stderr in the user's language, every sign in `opened` that the
// relay withheld, cut, replaced or redirected messages: gaps and a cut-off
// end, a message that fails verification for integrity reasons (see
// IsIntegrityFailure), fewer messages than `highest_seen_before`, and a
// relay summary whose unit is not the signed one. Returns OK when there is
// none, else the first as a status tagged ExitCode::kDirectory (7).
[[nodiscard]] absl::Status CheckThreadIntegrity(Session& session, const v1::ThreadSummary& summary,
                                                const OpenedThread& opened,
                                                const ThreadChainState& state,
                                                uint64_t highest_seen_before);

// Follows the WatchThread `request` (with its proof attached when a
// professional watches) and prints, as they arrive, every change of the
// thread's summary (its state in the user's language; JSON keeps the
// English token) and every new message as `reader` sees it, opened with
// `reader_keys` and `keystore` against `directory` and checked on top of
// `state`, the chain verified so far. Says "watching" on stderr first unless
// --json. Returns the relay's status when it ends the stream (mapped for
// Msg::kActionWatchCase), or, after cancelling the stream, the first sign
// of tampering as CheckThreadIntegrity returns it.
[[nodiscard]] absl::Status WatchThreadAndPrint(Session& session, RelayClient& relay,
                                               const v1::WatchThreadRequest& request,
                                               const v1::KeyDirectory& directory,
                                               const v1::KeystoreContents& keystore,
                                               const ReaderKeys& reader_keys, const Reader& reader,
                                               ThreadChainState state);

// True for a full thread id (32 lowercase hex).
bool IsFullThreadId(absl::string_view reference);

// An adviser's reference: a full id as is, or a unique prefix (>= 6
// characters) of a thread in the unit's queue (any state). INVALID_ARGUMENT
// (localized) for a reference too short, unknown or ambiguous; the relay's
// code when the queue cannot be listed.
[[nodiscard]] absl::StatusOr<std::string> ResolveAdviserReference(Session& session,
                                                                  absl::string_view reference);

// Every thread of the caller's unit in `states` (all pages); the relay's
// code (with its reason) when a page is refused.
[[nodiscard]] absl::StatusOr<std::vector<v1::ThreadSummary>> ListWholeQueue(
    Session& session, const std::vector<v1::ThreadState>& states);

// The profile's client certificate (client/certificate.h); its failures
// tagged kConfig with a message naming the file.
[[nodiscard]] absl::StatusOr<CertificateInfo> ProfileCertificate(Session& session);

// The role of a certificate in the user's language ("yrkesperson").
std::string RoleLabel(const Messages& messages, const std::string& role);

// "07 (Kronobergs län)" for a county code, else `scope` as is.
std::string ScopeLabel(const std::string& scope);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_COMMAND_HELPERS_H_
