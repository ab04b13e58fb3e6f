// The agent's parts without a process (client/agent.h, the SealingKey of
// client/sealed_file.h and client/keystore.h): request parsing accepts only
// well-formed requests and never reads past the bytes given, the socket
// directory check, one Argon2id run per keystore (Save reuses the key,
// ChangePassphrase replaces it), and the agent loop itself in a thread.
#include "client/agent.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/keystore.h"
#include "client/localized_status.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace samrad::client {
namespace {

using crypto::SecretBytes;
using testing::TempDir;

constexpr Argon2Params kFast{.time_cost = 1, .memory_kib = 256, .parallelism = 1};

SecretBytes Pass(const std::string& s) { return SecretBytes::FromString(s); }

// a followed by b (appending avoids GCC 12's false -Wrestrict on operator+).
std::string Cat(std::string a, const std::string& b) {
  a.append(b);
  return a;
}

TEST(AgentProtocolTest, RequestsRoundTrip) {
  for (AgentOp op : {AgentOp::kGetKey, AgentOp::kLock, AgentOp::kStatus}) {
    const std::string bytes = EncodeAgentRequest({op, "/home/a/.local/share/samrad/keystore"});
    absl::StatusOr<AgentRequest> parsed = ParseAgentRequest(bytes);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->op, op);
    EXPECT_EQ(parsed->keystore_path, "/home/a/.local/share/samrad/keystore");
    absl::StatusOr<size_t> length = AgentRequestPayloadLength(bytes.substr(0, 4));
    ASSERT_TRUE(length.ok());
    EXPECT_EQ(*length, bytes.size() - 4);
  }
}

TEST(AgentProtocolTest, MalformedRequestsAreInvalidNeverCrash) {
  const std::string good = EncodeAgentRequest({AgentOp::kGetKey, "/k"});
  std::vector<std::string> bad = {
      "",
      std::string("\x01", 1),
      std::string("\x01\x01\x00", 3),
      std::string("\x00\x01\x00\x02/k", 6),                             // version 0
      std::string("\x02\x01\x00\x02/k", 6),                             // version 2
      std::string("\x01\x00\x00\x02/k", 6),                             // op 0
      std::string("\x01\x04\x00\x02/k", 6),                             // op 4
      std::string("\x01\x01\x00\x00", 4),                               // empty path
      Cat(std::string("\x01\x01\x10\x01", 4), std::string(4097, '/')),  // over the limit
      std::string("\x01\x01\x00\x03/k", 6),                             // shorter than announced
      Cat(good, "x"),                                                   // longer than announced
      std::string("\x01\x01\x00\x02kk", 6),                             // not absolute
      std::string("\x01\x01\x00\x03/\0k", 7),                           // NUL inside
  };
  for (const std::string& bytes : bad) {
    EXPECT_EQ(ParseAgentRequest(bytes).status().code(), absl::StatusCode::kInvalidArgument)
        << ::testing::PrintToString(bytes);
  }
  // Every prefix and every single-byte change of a good request either
  // parses to the same shape or is refused.
  for (size_t len = 0; len < good.size(); ++len) {
    EXPECT_FALSE(ParseAgentRequest(good.substr(0, len)).ok()) << len;
  }
  for (size_t i = 0; i < good.size(); ++i) {
    for (int v = 0; v < 256; ++v) {
      std::string changed = good;
      changed[i] = static_cast<char>(v);
      (void)ParseAgentRequest(changed);  // must not crash or read out of bounds
    }
  }
  EXPECT_FALSE(AgentRequestPayloadLength("abc").ok());
  EXPECT_FALSE(AgentRequestPayloadLength(std::string("\x01\x01\x10\x01", 4)).ok());
}

TEST(AgentSocketDirTest, CreatesPrivateAndRefusesUnsafe) {
  TempDir dir;
  const std::string made = dir.File("agents");
  EXPECT_EQ(CheckSocketDir(made, false).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(CheckSocketDir(made, true).ok());
  struct stat st;
  ASSERT_EQ(::stat(made.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(::chmod(made.c_str(), 0701), 0);
  EXPECT_EQ(CheckSocketDir(made, false).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckSocketDir(made, true).code(), absl::StatusCode::kPermissionDenied);
  // In the user's language, with the exit code of a configuration error.
  const absl::Status unsafe = CheckSocketDir(made, false);
  EXPECT_EQ(ExitCodeOf(unsafe), ExitCode::kConfig);
  EXPECT_TRUE(absl::StrContains(unsafe.message(), "refusing the agent directory")) << unsafe;
  EXPECT_TRUE(absl::StrContains(LocalizedText(unsafe, Messages(Language::kSwedish)).value_or(""),
                                "vägrar använda agentkatalogen " + made))
      << unsafe;
  const absl::Status no_parent = CheckSocketDir(dir.File("none/agents"), true);
  EXPECT_EQ(no_parent.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(ExitCodeOf(no_parent), ExitCode::kConfig);
  EXPECT_EQ(
      LocalizedText(no_parent, Messages(Language::kSwedish)),
      "kan inte skapa katalogen " + dir.File("none/agents") + ": filen eller katalogen finns inte");
  ASSERT_TRUE(WriteFileAtomically(dir.File("file"), "x").ok());
  EXPECT_EQ(CheckSocketDir(dir.File("file"), false).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(AgentSocketDir("/run/user/7"), "/run/user/7/samrad");
  EXPECT_EQ(AgentSocketDir(""), "/tmp/samrad-" + std::to_string(::getuid()));
  // One socket per keystore.
  auto a = AgentSocketPath(made, "/x/a.keystore");
  auto b = AgentSocketPath(made, "/x/b.keystore");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_FALSE(AgentSocketPath(Cat("/", std::string(120, 'd')), "/x/a").ok());
}

TEST(KeystoreKeyTest, SaveKeepsTheKeyAndChangePassphraseReplacesIt) {
  TempDir dir;
  const std::string path = dir.File("keystore");
  auto created = Keystore::Create(path, Pass("first passphrase"), kFast);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string first = ReadFileToString(path).value();
  ASSERT_TRUE((*created)->Save().ok());
  const std::string second = ReadFileToString(path).value();
  // Salt and check (bytes 24..72) unchanged: no new Argon2id run; nonce new.
  EXPECT_EQ(first.substr(24, 48), second.substr(24, 48));
  EXPECT_NE(first.substr(88, 12), second.substr(88, 12));

  SecretBytes material = (*created)->sealing_key().material.Clone();
  auto with_key = Keystore::OpenWithKeyMaterial(path, material.Clone());
  ASSERT_TRUE(with_key.ok()) << with_key.status();
  auto wrong_size = Keystore::OpenWithKeyMaterial(path, SecretBytes(32));
  EXPECT_FALSE(wrong_size.ok());
  SecretBytes other(64);
  EXPECT_EQ(Keystore::OpenWithKeyMaterial(path, std::move(other)).status().code(),
            absl::StatusCode::kUnauthenticated);

  ASSERT_TRUE((*with_key)->ChangePassphrase(Pass("second passphrase"), kFast).ok());
  const std::string third = ReadFileToString(path).value();
  EXPECT_NE(second.substr(24, 16), third.substr(24, 16));  // fresh salt
  EXPECT_EQ(Keystore::Open(path, Pass("first passphrase")).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(Keystore::Open(path, Pass("second passphrase")).ok());
  // The old key (what a stale agent holds) no longer opens it.
  EXPECT_EQ(Keystore::OpenWithKeyMaterial(path, std::move(material)).status().code(),
            absl::StatusCode::kUnauthenticated);
  // The object that was opened before the change cannot overwrite the file.
  EXPECT_EQ((*created)->Save().code(), absl::StatusCode::kAborted);
}

// The agent loop in a thread: hands the key for its keystore only, answers
// status, ignores garbage, ends on lock and unlinks its socket.
TEST(AgentServeTest, ServesItsKeystoreAndEndsOnLock) {
  TempDir dir;
  const std::string path = dir.File("keystore");
  auto ks = Keystore::Create(path, Pass("agent passphrase"), kFast);
  ASSERT_TRUE(ks.ok());
  const std::string agents = dir.File("agents");
  ASSERT_TRUE(CheckSocketDir(agents, true).ok());
  const std::string keystore = CanonicalKeystorePath(path);
  auto socket = AgentSocketPath(agents, keystore);
  ASSERT_TRUE(socket.ok());
  auto fd = ListenAgentSocket(*socket);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(ListenAgentSocket(*socket).status().code(), absl::StatusCode::kAlreadyExists);
  std::thread agent(
      ServeAgent,
      AgentConfig{.socket_path = *socket, .keystore_path = keystore, .idle = absl::Seconds(60)},
      *fd, (*ks)->sealing_key().Clone());

  auto material = AgentKeyMaterial(agents, path);
  ASSERT_TRUE(material.ok()) << material.status();
  EXPECT_TRUE(material->ConstantTimeEquals((*ks)->sealing_key().material));
  EXPECT_EQ(AskAgent(*socket, {AgentOp::kGetKey, "/some/other/keystore"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto status = AskAgent(*socket, {AgentOp::kStatus, keystore});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->view().substr(0, status->view().find(' ')), std::to_string(::getpid()));
  ASSERT_TRUE(AskAgent(*socket, {AgentOp::kLock, keystore}).ok());
  agent.join();
  EXPECT_FALSE(PathExists(*socket));
  EXPECT_EQ(AgentKeyMaterial(agents, path).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace samrad::client
