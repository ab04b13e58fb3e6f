// The agent end to end (issue 19, "Unlock once"): the real `samrad` and
// `samrad-relay` (cli_relay_fixture.h) with XDG_RUNTIME_DIR in the test's
// own directory. `samrad unlock` starts a detached agent; the commands that
// follow succeed with no passphrase available (SAMRAD_PASSPHRASE_FILE names
// a missing file, so any read of it fails with exit 10), `samrad lock` and
// the idle time end it, unsafe socket directories are refused, a terminal
// gets three tries, `samrad passphrase` changes the passphrase and ends the
// agent, and a passphrase file others can read is warned about. Every agent
// a test started is killed at its end.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli_relay_fixture.h"
#include "gtest/gtest.h"

namespace samrad::client {
namespace {

using testing::CliRelayTest;
using testing::ProcessResult;

const std::string kQuestion =
    "En elev berättar att hon inte får träffa sina vänner efter skolan. Hur går vi vidare?\n";

class AgentE2eTest : public CliRelayTest {
 protected:
  void SetUp() override {
    runtime_ = dir().File("run");
    ASSERT_EQ(::mkdir(runtime_.c_str(), 0700), 0);
  }

  void TearDown() override {
    for (pid_t pid : agents_) ::kill(pid, SIGKILL);
    CliRelayTest::TearDown();
  }

  std::string SocketDir() const { return runtime_ + "/samrad"; }

  // samrad as `who` with XDG_RUNTIME_DIR set; `with_passphrase` false makes
  // every read of the passphrase fail (exit 10) unless `extra` names a
  // passphrase file.
  ProcessResult Run(const std::string& who, std::vector<std::string> args, bool with_passphrase,
                    const std::string& stdin_text = "",
                    std::map<std::string, std::string> extra = {}) {
    extra["XDG_RUNTIME_DIR"] = runtime_;
    if (!with_passphrase) extra.emplace("SAMRAD_PASSPHRASE_FILE", dir().File("no-such.pass"));
    return SamradWithEnv(who, std::move(args), extra, stdin_text);
  }

  // `samrad unlock` as `who` (passphrase from its file); records the pid.
  pid_t Unlock(const std::string& who, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"unlock", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = Run(who, args, true);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::smatch match;
    if (!std::regex_search(r.out, match, std::regex("\"pid\":([0-9]+)"))) {
      ADD_FAILURE() << r.out;
      return -1;
    }
    const pid_t pid = std::stoi(match[1].str());
    agents_.insert(pid);
    return pid;
  }

  static bool Alive(pid_t pid) { return ::kill(pid, 0) == 0; }

  // Waits (bounded) until `pid` has exited.
  static bool GoneWithin(pid_t pid, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!Alive(pid)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return !Alive(pid);
  }

  // The only socket in the agents' directory.
  std::string OnlySocket() const {
    std::vector<std::string> sockets;
    for (const auto& entry : std::filesystem::directory_iterator(SocketDir())) {
      if (entry.is_socket()) sockets.push_back(entry.path().string());
    }
    EXPECT_EQ(sockets.size(), 1u);
    return sockets.empty() ? "" : sockets[0];
  }

  std::string runtime_;
  std::set<pid_t> agents_;
};

// Sends `bytes` to the Unix socket at `path` and returns what comes back
// before the peer closes (at most 2 s).
std::string Exchange(const std::string& path, const std::string& bytes, bool half_close) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::copy(path.begin(), path.end(), addr.sun_path);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (half_close) ::shutdown(fd, SHUT_WR);
    char buf[256];
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 4000) > 0) {
      const ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      reply.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return reply;
}

// Unlock once: the adviser's commands run with no passphrase at all while
// the agent runs, the professional's keystore (another agent key) is not
// opened by it, and after `samrad lock` the passphrase is needed again.
TEST_F(AgentE2eTest, UnlockedCommandsNeedNoPassphraseUntilLock) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ProcessResult ask = Ask(kQuestion);
  ASSERT_EQ(ask.exit_code, 0) << ask.err;
  const std::string ref = Reference(ask.out);
  ASSERT_FALSE(ref.empty()) << ask.out;

  ProcessResult before = Run("adviser", {"queue"}, false);
  ASSERT_EQ(before.exit_code, 0) << before.err;  // queue opens no keystore
  ProcessResult locked_show = Run("adviser", {"show", ref}, false);
  EXPECT_EQ(locked_show.exit_code, 10) << locked_show.err;  // the passphrase file is missing

  const pid_t agent = Unlock("adviser");
  ASSERT_GT(agent, 0);
  EXPECT_TRUE(Alive(agent));
  struct stat st;
  ASSERT_EQ(::stat(SocketDir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, ::getuid());
  const std::string socket = OnlySocket();
  ASSERT_EQ(::stat(socket.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u);

  // A second unlock finds the running agent and starts no other.
  ProcessResult again = Run("adviser", {"unlock"}, false);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(absl::StrContains(again.out, "Already unlocked")) << again.out;
  EXPECT_TRUE(absl::StrContains(again.out, std::to_string(agent))) << again.out;

  ProcessResult claim = Run("adviser", {"claim", ref}, false);
  ASSERT_EQ(claim.exit_code, 0) << claim.err;
  ProcessResult show = Run("adviser", {"show", ref}, false);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(absl::StrContains(show.out, "träffa sina vänner")) << show.out;
  ProcessResult answer = Run("adviser", {"answer", ref}, false, "Ring oss gärna.\n");
  ASSERT_EQ(answer.exit_code, 0) << answer.err;
  ProcessResult keys = Run("adviser", {"keys", "list"}, false);
  EXPECT_EQ(keys.exit_code, 0) << keys.err;

  // The agent holds only the adviser's keystore key.
  ProcessResult pro_cases = Run("pro", {"cases"}, false);
  EXPECT_EQ(pro_cases.exit_code, 10) << pro_cases.err;

  ProcessResult lock = Run("adviser", {"lock"}, false);
  ASSERT_EQ(lock.exit_code, 0) << lock.err;
  EXPECT_TRUE(absl::StrContains(lock.out, "Locked")) << lock.out;
  EXPECT_TRUE(GoneWithin(agent, std::chrono::seconds(10)));
  EXPECT_FALSE(PathExists(socket));
  ProcessResult after = Run("adviser", {"show", ref}, false);
  EXPECT_EQ(after.exit_code, 10) << after.err;
  ProcessResult with_pass = Run("adviser", {"show", ref}, true);
  EXPECT_EQ(with_pass.exit_code, 0) << with_pass.err;
  ProcessResult lock_again = Run("adviser", {"lock"}, false);
  EXPECT_EQ(lock_again.exit_code, 0) << lock_again.err;
  EXPECT_TRUE(absl::StrContains(lock_again.out, "No agent was running")) << lock_again.out;
}

// The agent ends by itself once unused for its idle time.
TEST_F(AgentE2eTest, IdleTimeEndsTheAgent) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ProcessResult bad = Run("adviser", {"unlock", "--idle", "forever"}, true);
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  const pid_t agent = Unlock("adviser", {"--idle", "2s"});
  ASSERT_GT(agent, 0);
  EXPECT_TRUE(GoneWithin(agent, std::chrono::seconds(30)));
  ProcessResult keys = Run("adviser", {"keys", "list"}, false);
  EXPECT_EQ(keys.exit_code, 10) << keys.err;
  EXPECT_TRUE(std::filesystem::is_empty(SocketDir()));
}

// A socket directory others can enter, one owned by someone else, or a
// symlink is refused by unlock (exit 10) and ignored by the commands.
TEST_F(AgentE2eTest, UnsafeSocketDirectoryIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  ASSERT_EQ(::mkdir(SocketDir().c_str(), 0700), 0);
  ASSERT_EQ(::chmod(SocketDir().c_str(), 0755), 0);
  ProcessResult open_mode = Run("adviser", {"unlock"}, true);
  EXPECT_EQ(open_mode.exit_code, 10) << open_mode.err;
  EXPECT_TRUE(absl::StrContains(open_mode.err, "mode 0700")) << open_mode.err;
  EXPECT_TRUE(absl::StrContains(open_mode.err, "40755")) << open_mode.err;

  ASSERT_EQ(::rmdir(SocketDir().c_str()), 0);
  const std::string elsewhere = dir().File("elsewhere");
  ASSERT_EQ(::mkdir(elsewhere.c_str(), 0700), 0);
  ASSERT_EQ(::symlink(elsewhere.c_str(), SocketDir().c_str()), 0);
  ProcessResult link = Run("adviser", {"unlock"}, true);
  EXPECT_EQ(link.exit_code, 10) << link.err;
  ASSERT_EQ(::unlink(SocketDir().c_str()), 0);

  if (::getuid() == 0) {  // only root can give a directory to someone else
    ASSERT_EQ(::mkdir(SocketDir().c_str(), 0700), 0);
    ASSERT_EQ(::chown(SocketDir().c_str(), 65534, 65534), 0);
    ProcessResult owner = Run("adviser", {"unlock"}, true);
    EXPECT_EQ(owner.exit_code, 10) << owner.err;
    EXPECT_TRUE(absl::StrContains(owner.err, "uid 65534")) << owner.err;
    ASSERT_EQ(::rmdir(SocketDir().c_str()), 0);
  }

  // Corrected, it works; Swedish users read the refusal in Swedish.
  const pid_t agent = Unlock("adviser");
  ASSERT_GT(agent, 0);
  ASSERT_EQ(::chmod(SocketDir().c_str(), 0750), 0);
  ProcessResult ignored = Run("adviser", {"keys", "list"}, false);
  EXPECT_EQ(ignored.exit_code, 10) << ignored.err;  // the agent is not trusted there
  ProcessResult swedish = Run("adviser", {"unlock"}, true, "", {{"LANG", "sv_SE.UTF-8"}});
  EXPECT_EQ(swedish.exit_code, 10) << swedish.err;
  EXPECT_TRUE(absl::StrContains(swedish.err, "vägrar använda agentkatalogen")) << swedish.err;
}

// A malformed or foreign request never crashes the agent: it still hands
// out the key afterwards. A request for another keystore gets no key.
TEST_F(AgentE2eTest, MalformedRequestsDoNotStopTheAgent) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  const pid_t agent = Unlock("adviser");
  ASSERT_GT(agent, 0);
  const std::string socket = OnlySocket();
  const std::string other = dir().File("pro.keystore");
  const std::vector<std::string> garbage = {
      "",
      "x",
      std::string("\x01\x01\x00", 3),                // header cut short
      std::string("\x02\x01\x00\x01/", 5),           // unknown version
      std::string("\x01\x09\x00\x01/", 5),           // unknown op
      std::string("\x01\x01\xff\xff", 4) + "/tmp",   // length over the limit
      std::string("\x01\x01\x00\x00", 4),            // empty path
      std::string("\x01\x01\x00\x05", 4) + "rel/x",  // relative path
      std::string("\x01\x01\x00\x03", 4) + "/a",     // shorter than announced
      std::string(5000, '\x01'),                     // noise
      std::string("\x01\x01", 2) + std::string(1, static_cast<char>(other.size() >> 8)) +
          std::string(1, static_cast<char>(other.size() & 0xff)) + other,  // another keystore
  };
  for (const std::string& bytes : garbage) {
    const std::string reply = Exchange(socket, bytes, true);
    // Never the 64-byte key; at most a 4-byte refusal.
    EXPECT_LE(reply.size(), 4u) << absl::CEscape(bytes);
    EXPECT_TRUE(Alive(agent)) << absl::CEscape(bytes);
  }
  ProcessResult keys = Run("adviser", {"keys", "list"}, false);
  EXPECT_EQ(keys.exit_code, 0) << keys.err;
  // A client that connects and never sends is dropped after the exchange
  // timeout; the agent serves the next one.
  const int idle_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::copy(socket.begin(), socket.end(), addr.sun_path);
  ASSERT_EQ(::connect(idle_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ProcessResult later = Run("adviser", {"keys", "list"}, false);
  EXPECT_EQ(later.exit_code, 0) << later.err;
  ::close(idle_fd);
}

// On a terminal a wrong passphrase is asked again, three times in all, then
// exit 6; a right one on the second try opens the keystore.
TEST_F(AgentE2eTest, TerminalGetsThreeTries) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  std::map<std::string, std::string> env = testing::CliEnvFor(dir(), "adviser");
  env["SAMRAD_PASSPHRASE_FILE"] = "";  // removed: the prompt is used
  env["XDG_RUNTIME_DIR"] = runtime_;
  const std::vector<std::string> argv = {kSamrad, "keys", "list"};
  ProcessResult wrong = harness::RunOnTerminal(
      argv, testing::MakeEnv(env), dir().path(), "passphrase: ",
      {"wrong one number 1", "wrong one number 2", "wrong one number 3", "never asked"});
  EXPECT_EQ(wrong.exit_code, 6) << wrong.out;
  EXPECT_TRUE(absl::StrContains(wrong.out, "was wrong 3 times")) << wrong.out;
  size_t tries = 0;
  for (size_t at = wrong.out.find("Wrong passphrase, try again"); at != std::string::npos;
       at = wrong.out.find("Wrong passphrase, try again", at + 1)) {
    ++tries;
  }
  EXPECT_EQ(tries, 2u) << wrong.out;

  ProcessResult second =
      harness::RunOnTerminal(argv, testing::MakeEnv(env), dir().path(),
                             "passphrase: ", {"wrong one", "passphrase of adviser"});
  EXPECT_EQ(second.exit_code, 0) << second.out;

  // From a file there is no second try.
  ASSERT_TRUE(WriteFileAtomically(dir().File("bad.pass"), "not the passphrase\n").ok());
  ProcessResult file = Run("adviser", {"keys", "list"}, false, "",
                           {{"SAMRAD_PASSPHRASE_FILE", dir().File("bad.pass")}});
  EXPECT_EQ(file.exit_code, 6) << file.err;
  EXPECT_FALSE(absl::StrContains(file.err, "try again")) << file.err;
}

// `samrad passphrase`: the old passphrase is required, a new one under 12
// characters is refused, the change ends the agent, and afterwards only the
// new passphrase opens the keystore.
TEST_F(AgentE2eTest, PassphraseChangeReplacesTheOldOneAndEndsTheAgent) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  const std::string new_pass = dir().File("new.pass");
  const std::string short_pass = dir().File("short.pass");
  ASSERT_TRUE(WriteFileAtomically(new_pass, "a much longer new passphrase\n").ok());
  ASSERT_TRUE(WriteFileAtomically(short_pass, "elva tecken\n").ok());  // 11 characters
  ASSERT_TRUE(WriteFileAtomically(dir().File("bad.pass"), "not the passphrase\n").ok());

  ProcessResult too_short =
      Run("adviser", {"passphrase", "--new-passphrase-file", short_pass}, true);
  EXPECT_EQ(too_short.exit_code, 2) << too_short.err;
  EXPECT_TRUE(absl::StrContains(too_short.err, "at least 12 characters")) << too_short.err;
  ProcessResult wrong_old = Run("adviser", {"passphrase", "--new-passphrase-file", new_pass}, false,
                                "", {{"SAMRAD_PASSPHRASE_FILE", dir().File("bad.pass")}});
  EXPECT_EQ(wrong_old.exit_code, 6) << wrong_old.err;
  ProcessResult still_old = Run("adviser", {"keys", "list"}, true);
  ASSERT_EQ(still_old.exit_code, 0) << still_old.err;

  const pid_t agent = Unlock("adviser");
  ASSERT_GT(agent, 0);
  ProcessResult change = Run("adviser", {"passphrase", "--new-passphrase-file", new_pass}, true);
  ASSERT_EQ(change.exit_code, 0) << change.err;
  EXPECT_TRUE(absl::StrContains(change.out, "is changed")) << change.out;
  EXPECT_TRUE(absl::StrContains(change.out, "samrad unlock")) << change.out;
  EXPECT_TRUE(GoneWithin(agent, std::chrono::seconds(10)));

  ProcessResult old_fails = Run("adviser", {"keys", "list"}, true);
  EXPECT_EQ(old_fails.exit_code, 6) << old_fails.err;
  ProcessResult new_works =
      Run("adviser", {"keys", "list"}, false, "", {{"SAMRAD_PASSPHRASE_FILE", new_pass}});
  EXPECT_EQ(new_works.exit_code, 0) << new_works.err;
  // The relay-facing commands work with it too (the keystore is intact).
  ProcessResult queue = Run("adviser", {"show", "0123456789abcdef0123456789abcdef"}, false, "",
                            {{"SAMRAD_PASSPHRASE_FILE", new_pass}});
  EXPECT_NE(queue.exit_code, 6) << queue.err;
}

// A passphrase file that group or others can read still works but is
// warned about, in the user's language; a private one is not.
TEST_F(AgentE2eTest, ReadablePassphraseFileIsWarnedAbout) {
  ASSERT_NO_FATAL_FAILURE(StartDeployment({}));
  const std::string pass = dir().File("adviser.pass");
  ProcessResult quiet = Run("adviser", {"keys", "list"}, true);
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_FALSE(absl::StrContains(quiet.err, "warning")) << quiet.err;
  ASSERT_EQ(::chmod(pass.c_str(), 0644), 0);
  ProcessResult warned = Run("adviser", {"keys", "list"}, true);
  EXPECT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_TRUE(absl::StrContains(warned.err, "can be read by other users")) << warned.err;
  EXPECT_TRUE(absl::StrContains(warned.err, pass)) << warned.err;
  ASSERT_EQ(::chmod(pass.c_str(), 0640), 0);
  ProcessResult swedish = Run("adviser", {"keys", "list"}, true, "", {{"LANG", "sv_SE.UTF-8"}});
  EXPECT_EQ(swedish.exit_code, 0) << swedish.err;
  EXPECT_TRUE(absl::StrContains(swedish.err, "kan läsas av andra användare")) << swedish.err;
}

}  // namespace
}  // namespace samrad::client
