// Unread markers (issue 15 item 4): "new since I last looked", kept on the
// client. The relay only says how many messages a case has and who wrote the
// newest (ThreadSummary.last_sender_role); what this person has read stays
// on their computer:
//   - a professional's marker is in the keystore, with the case's keys
//     (ThreadKeys.read_message_count): which cases are theirs is the
//     keystore's secret;
//   - an adviser's markers are in "<keystore>.read" (mode 0600, plain text,
//     one "THREAD-ID COUNT" line per case). Those ids are the unit's queue,
//     known to the relay and every colleague, so the file is not sealed and
//     `queue` needs no passphrase. It holds only cases the queue still
//     lists (pruned by `queue`), at most kMaxReadMarkers.
// `show` marks a case read when it printed all of it without an integrity
// problem; `answer` marks the adviser's own answer read.
//
// Thread-safety: Unread is pure; the markers file is read and replaced
// atomically by one process at a time (the last writer wins).
#ifndef SAMRAD_CLIENT_UNREAD_H_
#define SAMRAD_CLIENT_UNREAD_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "client/messages.h"
#include "proto/relay.pb.h"

namespace samrad::client {

enum class UnreadKind {
  kNone,
  kNewCase,      // adviser: a case they never opened
  kNewFollowUp,  // adviser: the professional wrote since they last read it
  kNewAnswer,    // professional: an adviser wrote since they last read it
};

// The marker for a case the relay summarises as `summary`, for a reader who
// has read its first `read_count` messages (0: never opened).
UnreadKind Unread(const v1::ThreadSummary& summary, uint64_t read_count, bool professional);

// "new follow-up" / "ny följdfråga", ...; "" for kNone.
std::string UnreadLabel(const Messages& messages, UnreadKind kind);
// For --json: "new-case", "new-follow-up", "new-answer", "" for kNone.
std::string UnreadJsonName(UnreadKind kind);

inline constexpr size_t kMaxReadMarkers = 20000;

// An adviser's read markers file.
class ReadMarkers {
 public:
  // "<keystore path>.read".
  static std::string PathFor(const std::string& keystore_path);
  // Loads `path`; a missing file holds no markers, a malformed line is
  // skipped (the file is only a convenience).
  static ReadMarkers Load(const std::string& path);

  // Messages read of `thread_id` (0: never).
  uint64_t Get(const std::string& thread_id) const;
  // Records that the first `count` messages were read (never lowers it).
  void MarkRead(const std::string& thread_id, uint64_t count);
  // Forgets every case not in `listed`.
  void KeepOnly(const std::set<std::string>& listed);
  // Writes the file (0600, atomically) when anything changed; at most
  // kMaxReadMarkers entries (the first by id are kept).
  [[nodiscard]] absl::Status Save();

 private:
  std::string path_;
  std::map<std::string, uint64_t> read_;
  bool changed_ = false;
};

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_UNREAD_H_
