// The samrad-relay subcommands, as functions that main() dispatches to. Each
// returns the process exit status (0 success, 1 failure, 2 usage) and writes
// a one-line reason to stderr on failure.
#ifndef SAMRAD_SERVER_COMMANDS_H_
#define SAMRAD_SERVER_COMMANDS_H_

#include <string>
#include <vector>

namespace samrad::server {

// `args` excludes the program name and the subcommand.
int ServeCommand(const std::vector<std::string>& args);
int FsckCommand(const std::vector<std::string>& args);
int RotateKekCommand(const std::vector<std::string>& args);
int RotateDekCommand(const std::vector<std::string>& args);
int RestoreCommand(const std::vector<std::string>& args);
int GenKekCommand(const std::vector<std::string>& args);

// Top-level usage text.
std::string RelayUsage();

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_COMMANDS_H_
