// samrad: the Samråd client for professionals, advisers and admins.
#include <csignal>
#include <string>
#include <vector>

#include "client/cli.h"
#include "client/messages.h"
#include "client/session.h"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  return samrad::client::RunCli(args, samrad::client::ProcessIo(),
                                samrad::client::LanguageFromEnvironment());
}
