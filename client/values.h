// The one value table of the case metadata enums and thread states: each
// value has an English token ("child-marriage"), a Swedish token
// ("barnäktenskap"), and those tokens are also its display text in that
// language. Everything that parses or prints one of these values goes
// through here.
//
// Parsing accepts either language's token, case-insensitively (ASCII and
// Å Ä Ö É), with " ", "_" and "-" interchangeable, and also without
// diacritics (å ä -> a, ö -> o, é -> e) when that matches exactly one value
// ("barnaktenskap", "hog"). JSON output for scripts keeps the English
// tokens (client/output.h *Name functions); tables for people use ValueText.
//
// Static data; pure functions; thread-safe.
#ifndef SAMRAD_CLIENT_VALUES_H_
#define SAMRAD_CLIENT_VALUES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "client/messages.h"
#include "proto/common.pb.h"

namespace samrad::client {

enum class ValueKind {
  kCategory,
  kUrgency,
  kOrgType,
  kAgeGroup,
  kThreadState,
  // States only the client knows: 0 = "unsent" (sealed, not acknowledged),
  // 1 = "purged" (the relay no longer has the case).
  kLocalState,
  // What a watch saw happen to a case (client/watch_loop.h WatchEvent.kind;
  // values by table order: 0 = "new", 1 = "follow-up", ...).
  kWatchEvent,
};

// The token of `value` in `language`; "unspecified"/"ospecificerat" for a
// value not in the table.
absl::string_view ValueToken(ValueKind kind, int value, Language language);
// The value `typed` names (either language; see the file comment), or
// nullopt when it names none or, without diacritics, more than one.
std::optional<int> ParseValue(ValueKind kind, absl::string_view typed);
// Every token of `kind` in `language`, in table order.
std::vector<std::string> ValueTokens(ValueKind kind, Language language);

// Display texts for people, in the messages' language.
absl::string_view ValueText(v1::Category value, const Messages& messages);
absl::string_view ValueText(v1::Urgency value, const Messages& messages);
absl::string_view ValueText(v1::OrgType value, const Messages& messages);
absl::string_view ValueText(v1::AgeGroup value, const Messages& messages);
absl::string_view ValueText(v1::ThreadState value, const Messages& messages);
// The display text of a state token: an English thread state token
// ("open") or local state ("unsent", "purged"); other text as is.
std::string StateText(absl::string_view english_token, const Messages& messages);
// The display text of `kind`'s English token `english_token` (e.g. a watch
// event "claimed"); other text as is.
std::string TokenText(ValueKind kind, absl::string_view english_token, const Messages& messages);

// Flag choices (args.h): when `choices` are exactly the English tokens of
// one kind, `typed` may be any spelling ParseValue accepts, and the English
// token is returned; other choices must match exactly. nullopt when
// `typed` is not allowed.
std::optional<std::string> CanonicalChoice(const std::vector<std::string>& choices,
                                           absl::string_view typed);
// `choices` as a person should read them: for one kind's English tokens,
// the tokens in `language`; other choices unchanged.
std::vector<std::string> LocalizedChoices(const std::vector<std::string>& choices,
                                          Language language);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_VALUES_H_
