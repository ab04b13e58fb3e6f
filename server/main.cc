// samrad-relay: the Samråd relay. See `samrad-relay --help`.
#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "common/version.h"
#include "crypto/process_lifetime.h"
#include "server/commands.h"

int main(int argc, char** argv) {
  samrad::crypto::KeepOpenSslForProcessLifetime();
  // Files the relay writes (store, backups, restored stores) are private.
  ::umask(077);
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command = "serve";
  if (!args.empty() && !args[0].empty() && args[0][0] != '-') {
    command = args[0];
    args.erase(args.begin());
  } else if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(samrad::server::RelayUsage().c_str(), stdout);
    return 0;
  } else if (!args.empty() && args[0] == "--version") {
    std::printf("samrad-relay %s\n", SAMRAD_VERSION_STRING);
    return 0;
  }
  using samrad::server::RelayUsage;
  if (command == "serve") return samrad::server::ServeCommand(args);
  if (command == "fsck") return samrad::server::FsckCommand(args);
  if (command == "rotate-kek") return samrad::server::RotateKekCommand(args);
  if (command == "rotate-dek") return samrad::server::RotateDekCommand(args);
  if (command == "restore") return samrad::server::RestoreCommand(args);
  if (command == "gen-kek") return samrad::server::GenKekCommand(args);
  if (command == "help") {
    std::fputs(RelayUsage().c_str(), stdout);
    return 0;
  }
  std::fprintf(stderr, "samrad-relay: unknown command '%s'\n%s", command.c_str(),
               RelayUsage().c_str());
  return 2;
}
