// Statuses whose text is a message id (client/messages.h) rather than a
// fixed English sentence, for code deep in the client that has no Messages
// object (keystore, sealed files, profile, ...).
//
// Localized() sets the English text as the status message (logs, tests,
// English users) and attaches the message id and its arguments as a
// payload; the CLI's error printer (cli.cc ReportFailure) renders that
// payload in the user's language. LocalizedWrap() composes: the outer
// message's last placeholder receives the inner status's text, rendered at
// print time in the same language (localized itself when the inner status
// is, else its English message). Same idea as the relay's reasons
// (common/reasons.h): a payload, never parsing English.
//
// Thread-safety: pure functions of their arguments; thread-safe. A status
// carries its payload by value (absl::Cord), so it may outlive the caller.
#ifndef SAMRAD_CLIENT_LOCALIZED_STATUS_H_
#define SAMRAD_CLIENT_LOCALIZED_STATUS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/messages.h"
#include "common/reasons.h"

namespace samrad::client {

// A status with `code` whose text is message `id` with `args` ($0, $1, ...).
// `code` must not be kOk.
[[nodiscard]] absl::Status Localized(absl::StatusCode code, Msg id,
                                     std::vector<std::string> args = {});

// A status with `code` whose text is message `id` with `args` followed by
// the text of `inner` as the last argument. Keeps inner's other payloads
// (exit code, advice marks). `inner` must not be OK.
[[nodiscard]] absl::Status LocalizedWrap(absl::StatusCode code, Msg id,
                                         std::vector<std::string> args, const absl::Status& inner);

// One argument of LocalizedOf: a literal text, another message (rendered in
// the same language), or the relay's words — in English its message
// verbatim; in Swedish the Swedish template of its reason (common/reasons.h)
// when this build knows it, else its English message inside a Swedish
// sentence saying it is not translated (Msg::kRelayUntranslated).
class LzArg {
 public:
  LzArg(std::string literal) : kind_('L'), english_(literal), encoded_(std::move(literal)) {}
  LzArg(const char* literal) : LzArg(std::string(literal)) {}
  static LzArg Message(Msg id, std::vector<std::string> args = {});
  static LzArg RelayWords(std::string english, const std::optional<reasons::WireReason>& reason);

 private:
  LzArg(char kind, std::string english, std::string encoded)
      : kind_(kind), english_(std::move(english)), encoded_(std::move(encoded)) {}
  friend absl::Status LocalizedOf(absl::StatusCode code, Msg id, std::vector<LzArg> args);
  char kind_;
  std::string english_;  // the argument's English text
  std::string encoded_;  // its payload encoding (localized_status.cc)
};

// Localized() whose arguments may be messages or the relay's words.
absl::Status LocalizedOf(absl::StatusCode code, Msg id, std::vector<LzArg> args);

// `status` from code that has no message ids (crypto/, protobuf, gRPC) as
// the last argument of message `id` (default Msg::kLzCryptoDetail, whose
// English text is the inner text unchanged and whose Swedish text marks it
// as a technical detail in English). Unchanged when OK or already
// localized. For the client's boundary with such code.
absl::Status ForeignText(const absl::Status& status, Msg id = Msg::kLzCryptoDetail);

// The text of a Localized/LocalizedWrap status in `messages`' language;
// nullopt when `status` carries no localized text (or it does not decode).
std::optional<std::string> LocalizedText(const absl::Status& status, const Messages& messages);

// `status` without its localized text (for a caller that has rendered it
// into a new message of its own).
[[nodiscard]] absl::Status ForgetLocalizedText(absl::Status status);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_LOCALIZED_STATUS_H_
