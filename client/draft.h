// The private draft behind a text written in $EDITOR (issue 20): where it
// lives, how it is written, read and wiped, and the "#!" comment lines that
// carry the guard's findings back into the editor.
//
// A draft is one file `draft-XXXXXX.txt` (mode 0600) in a directory only its
// owner can enter: $XDG_RUNTIME_DIR/samrad (created 0700; an existing one is
// used only when it is a real directory owned by this user, and is set to
// 0700), else a fresh mkdtemp directory `samrad-XXXXXX` under $TMPDIR or
// /tmp, removed with the draft. Wipe overwrites the file with zeros, syncs it
// and unlinks it.
//
// Value type; not thread-safe.
#ifndef SAMRAD_CLIENT_DRAFT_H_
#define SAMRAD_CLIENT_DRAFT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace samrad::client {

// Lines that start with this are comments: never checked, never sent.
inline constexpr absl::string_view kDraftCommentPrefix = "#!";

// Where drafts go: the values of $XDG_RUNTIME_DIR and $TMPDIR ("" = unset).
struct DraftPlace {
  std::string xdg_runtime_dir;
  std::string tmpdir;
};

class Draft {
 public:
  // Creates an empty draft in the draft directory. UNKNOWN / PERMISSION_DENIED
  // naming the directory when no private place can be made.
  [[nodiscard]] static absl::StatusOr<Draft> Create(const DraftPlace& place);

  // `path` (as given to --file) when it is a draft this user's samrad made
  // and kept: named draft-XXXXXX.txt, a regular file owned by this user, in
  // $XDG_RUNTIME_DIR/samrad or a `samrad-*` directory with mode 0700 owned by
  // this user. nullopt for any other file (which is never wiped).
  static std::optional<Draft> Adopt(const std::string& path, const DraftPlace& place);

  const std::string& path() const { return path_; }
  // The directory the draft is in.
  std::string directory() const;
  bool wiped() const { return wiped_; }

  // The contents; errors as ReadFileToString (client/file_util.h).
  [[nodiscard]] absl::StatusOr<std::string> Read() const;
  // Replaces the contents in place (old bytes overwritten with zeros first).
  [[nodiscard]] absl::Status Write(absl::string_view contents);
  // Overwrites the file with zeros, syncs, unlinks it, and removes the
  // private temporary directory it was created in (when empty). Idempotent.
  void Wipe();

 private:
  Draft(std::string path, std::string private_dir)
      : path_(std::move(path)), private_dir_(std::move(private_dir)) {}
  std::string path_;
  std::string private_dir_;  // a mkdtemp directory to remove with the file
  bool wiped_ = false;
};

// `text` without its comment lines (lines starting with kDraftCommentPrefix).
std::string StripDraftComments(absl::string_view text);

// `comments` as "#! " lines (no newline inside any), then `body`.
std::string WithDraftComments(const std::vector<std::string>& comments, absl::string_view body);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_DRAFT_H_
