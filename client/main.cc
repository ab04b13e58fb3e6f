// samrad: the Samråd client for professionals, advisers and admins.
#include <csignal>
#include <string>
#include <vector>

#include "client/cli.h"
#include "client/messages.h"
#include "client/session.h"
#include "crypto/process_lifetime.h"

int main(int argc, char** argv) {
  samrad::crypto::KeepOpenSslForProcessLifetime();
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  return samrad::client::RunCli(args, samrad::client::ProcessIo(),
                                samrad::client::LanguageFromEnvironment());
}
