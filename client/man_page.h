// samrad(1), generated from the command table that also drives --help and
// the bash completion (client/cli.cc CommandTree, GlobalFlags), so the man
// page cannot drift from the program. `samrad __man [--lang sv]` prints it;
// the build writes man/samrad.1 and man/sv/man1/samrad.1 with it
// (client/cli.cmake) and the Debian package installs them.
//
// Pure: the page is a function of the command table and the language;
// thread-safe.
#ifndef SAMRAD_CLIENT_MAN_PAGE_H_
#define SAMRAD_CLIENT_MAN_PAGE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "client/args.h"
#include "client/messages.h"

namespace samrad::client {

// The man page (roff, man macros) for `root` and `global_flags`, in the
// language of `messages`, naming `version`. Every command at every depth has
// a subsection headed ".SS samrad NAME..." with its summary, arguments,
// flags (with their allowed values) and examples.
std::string ManPage(const CommandSpec& root, const std::vector<FlagSpec>& global_flags,
                    const Messages& messages, absl::string_view version);

// `text` safe as roff body text: backslashes and hyphens escaped, and a
// line that would start with '.' or '\'' guarded.
std::string RoffEscape(absl::string_view text);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_MAN_PAGE_H_
