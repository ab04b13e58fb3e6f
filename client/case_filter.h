// Finding cases (issue 15 item 5): the filters `samrad queue` and
// `samrad cases` share, one rule for both.
//
// Flags (each optional; a list flag takes comma-separated values, any of
// which may match): --state, --urgency, --category, --county, --age,
// --mine (adviser: claimed by me), --since / --until YYYY-MM-DD (the case's
// creation, local dates, both days included). Values are parsed with the
// parsers of `ask`'s flags (client/output.h), so every name `ask` accepts is
// accepted here; a bad value is INVALID_ARGUMENT tagged kUsage listing the
// allowed ones. Pure apart from the local time zone; thread-safe.
#ifndef SAMRAD_CLIENT_CASE_FILTER_H_
#define SAMRAD_CLIENT_CASE_FILTER_H_

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/args.h"
#include "client/messages.h"
#include "proto/common.pb.h"

namespace samrad::client {

// What a filter looks at, from the relay's summary (adviser) or the
// keystore and the relay's state (professional).
struct CaseFacts {
  v1::ThreadState state = v1::THREAD_STATE_UNSPECIFIED;
  v1::CaseMetadata metadata;
  std::string claimed_by;
  int64_t created_at_unix_ms = 0;
};

struct CaseFilter {
  std::set<v1::ThreadState> states;  // empty: any
  std::set<v1::Urgency> urgencies;
  std::set<v1::Category> categories;
  std::set<std::string> counties;
  std::set<v1::AgeGroup> age_groups;
  std::string claimed_by;  // non-empty: only cases claimed by this adviser
  int64_t created_from_unix_ms = std::numeric_limits<int64_t>::min();    // inclusive
  int64_t created_before_unix_ms = std::numeric_limits<int64_t>::max();  // exclusive
};

// The flags a command that filters takes (for the command tree).
std::vector<FlagSpec> CaseFilterFlags(bool with_mine);

// Reads the filter flags of `args`; `me` is the adviser id --mine means.
[[nodiscard]] absl::StatusOr<CaseFilter> ParseCaseFilter(const ParsedArgs& args,
                                                         const Messages& messages,
                                                         const std::string& me);

// Whether `facts` passes every filter given.
bool Matches(const CaseFilter& filter, const CaseFacts& facts);

// The start of local day YYYY-MM-DD in Unix ms; INVALID_ARGUMENT otherwise.
[[nodiscard]] absl::StatusOr<int64_t> LocalDayStartUnixMs(absl::string_view date, int day_offset);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_CASE_FILTER_H_
