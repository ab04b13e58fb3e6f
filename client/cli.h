// The `samrad` command line: the command tree, dispatch, and the one place
// where a failure becomes a one-line message on stderr and an exit code
// (client/exit_codes.h).
//
// Thread-safety: RunCli runs one command on the calling thread; one call at
// a time per process (it writes stdout/stderr and reads the environment).
#ifndef SAMRAD_CLIENT_CLI_H_
#define SAMRAD_CLIENT_CLI_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/args.h"
#include "client/exit_codes.h"
#include "client/messages.h"
#include "client/session.h"

namespace samrad::client {

// The command tree and the flags every command accepts.
const CommandSpec& CommandTree();
const std::vector<FlagSpec>& GlobalFlags();

// Runs `samrad` with `args` (argv without argv[0]) and returns the exit code.
int RunCli(const std::vector<std::string>& args, CliIo io, Language language);

// What the one-line failure message tells the user to do about `status`,
// which exits with `code`: by exit code, except that RESOURCE_EXHAUSTED (a
// full relay, a rate limit) says to try again later, not to fix the input,
// and a FAILED_PRECONDITION tagged kKeystore (keys that cannot open a case,
// not a wrong passphrase) adds nothing to its own message.
Msg FailureHint(const absl::Status& status, ExitCode code);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_CLI_H_
