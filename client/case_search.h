// `samrad search TEXT` (issue 15 item 5): searches the decrypted text of the
// cases this keystore can open, on this computer. Nothing but the ordinary
// GetThread reads leaves the machine: the words searched for are never sent.
//
// Matching ignores case (ASCII) and diacritics of Latin letters (U+00C0 to
// U+017F: "Ärende" matches "arende", "Gö" matches "go"); other text is
// compared as it is. Pure functions below; RunSearch is in commands.h.
//
// Thread-safety: the pure functions are safe from any thread.
#ifndef SAMRAD_CLIENT_CASE_SEARCH_H_
#define SAMRAD_CLIENT_CASE_SEARCH_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace samrad::client {

// `text` folded for matching, with where each folded byte came from.
struct FoldedText {
  std::string text;
  std::vector<size_t> begin;  // per folded byte: its code point's first byte in the original
  std::vector<size_t> end;    // per folded byte: one past its code point's last byte
};
FoldedText FoldForSearch(absl::string_view text);

// When `text` contains `query` (as folded), about `context` bytes of the
// original on each side of the first match, on one line, with "…" where
// cut; nullopt otherwise (also for an empty query).
std::optional<std::string> FindSnippet(absl::string_view text, absl::string_view query,
                                       size_t context = 40);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_CASE_SEARCH_H_
