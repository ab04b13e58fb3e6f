#include "client/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/keystore.h"
#include "client/localized_status.h"
#include "crypto/keys.h"

namespace samrad::client {
namespace {

// How long one exchange may take before the other side is dropped.
constexpr absl::Duration kExchangeTimeout = absl::Seconds(2);
// How often the agent looks at its socket and the keystore file when idle.
constexpr absl::Duration kWatchInterval = absl::Seconds(1);

volatile sig_atomic_t g_stop = 0;
void OnStopSignal(int) { g_stop = 1; }

size_t LengthOf(absl::string_view header) {
  return (size_t{static_cast<uint8_t>(header[2])} << 8) | static_cast<uint8_t>(header[3]);
}

int PollMs(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, INT_MAX));
}

// Reads exactly `out.size()` bytes before `deadline`.
bool ReadFull(int fd, absl::Span<uint8_t> out, absl::Time deadline) {
  size_t done = 0;
  while (done < out.size()) {
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, PollMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t n = ::recv(fd, out.data() + done, out.size() - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool WriteFull(int fd, absl::Span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// The uid of the process at the other end of `fd`, or -1.
int64_t PeerUid(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
  return cred.uid;
}

absl::StatusOr<sockaddr_un> UnixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzAgentSocketPathTooLong, {path});
  }
  std::copy(path.begin(), path.end(), addr.sun_path);
  return addr;
}

// Device and inode of `path` ("" when absent).
std::string Identity(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return "";
  return absl::StrCat(st.st_dev, ":", st.st_ino);
}

// Whether the keystore file is still the one `key` opens.
bool KeystoreStillMatches(const std::string& path, const SealingKey& key) {
  absl::StatusOr<std::string> bytes = ReadFileToString(path, 300u * 1024 * 1024);
  return bytes.ok() && CheckSealingKey(kKeystoreMagic, *bytes, key).ok();
}

void Reply(int fd, AgentStatus status, absl::Span<const uint8_t> payload) {
  crypto::SecretBytes out(kAgentHeaderLen + payload.size());
  out.data()[0] = kAgentProtocolVersion;
  out.data()[1] = static_cast<uint8_t>(status);
  out.data()[2] = static_cast<uint8_t>(payload.size() >> 8);
  out.data()[3] = static_cast<uint8_t>(payload.size() & 0xff);
  std::copy(payload.begin(), payload.end(), out.data() + kAgentHeaderLen);
  (void)WriteFull(fd, out.span());
}

enum class After { kContinue, kUsed, kStop };

// Serves one connection: at most one request, one reply.
After HandleConnection(int fd, const AgentConfig& config, const SealingKey& key,
                       absl::Time idle_deadline) {
  if (PeerUid(fd) != static_cast<int64_t>(::getuid())) return After::kContinue;
  const absl::Time deadline = absl::Now() + kExchangeTimeout;
  std::string bytes(kAgentHeaderLen, '\0');
  if (!ReadFull(fd, absl::MakeSpan(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size()),
                deadline)) {
    return After::kContinue;
  }
  absl::StatusOr<size_t> length = AgentRequestPayloadLength(bytes);
  if (!length.ok()) return After::kContinue;
  bytes.resize(kAgentHeaderLen + *length);
  if (!ReadFull(fd,
                absl::MakeSpan(reinterpret_cast<uint8_t*>(bytes.data()) + kAgentHeaderLen, *length),
                deadline)) {
    return After::kContinue;
  }
  absl::StatusOr<AgentRequest> request = ParseAgentRequest(bytes);
  if (!request.ok()) {
    Reply(fd, AgentStatus::kBadRequest, {});
    return After::kContinue;
  }
  if (request->keystore_path != config.keystore_path) {
    Reply(fd, AgentStatus::kWrongKeystore, {});
    return After::kContinue;
  }
  switch (request->op) {
    case AgentOp::kGetKey:
      // A passphrase change since unlock ends the agent rather than hand out
      // a key that no longer opens the file.
      if (!KeystoreStillMatches(config.keystore_path, key)) {
        Reply(fd, AgentStatus::kWrongKeystore, {});
        return After::kStop;
      }
      Reply(fd, AgentStatus::kOk, key.material.span());
      return After::kUsed;
    case AgentOp::kLock:
      Reply(fd, AgentStatus::kOk, {});
      return After::kStop;
    case AgentOp::kStatus: {
      const std::string text = absl::StrCat(
          ::getpid(), " ", std::max<int64_t>(0, absl::ToInt64Seconds(idle_deadline - absl::Now())));
      Reply(fd, AgentStatus::kOk, crypto::AsBytes(text));
      return After::kContinue;
    }
  }
  return After::kContinue;
}

}  // namespace

std::string EncodeAgentRequest(const AgentRequest& request) {
  std::string out;
  out.push_back(static_cast<char>(kAgentProtocolVersion));
  out.push_back(static_cast<char>(request.op));
  out.push_back(static_cast<char>(request.keystore_path.size() >> 8));
  out.push_back(static_cast<char>(request.keystore_path.size() & 0xff));
  out += request.keystore_path;
  return out;
}

// The "agent request: ..." texts below stay English: only a foreign or buggy
// program on the user's own socket can provoke them, and the agent does not
// show them to a person.
absl::StatusOr<size_t> AgentRequestPayloadLength(absl::string_view header) {
  if (header.size() != kAgentHeaderLen) {
    return absl::InvalidArgumentError("agent request: short header");
  }
  if (static_cast<uint8_t>(header[0]) != kAgentProtocolVersion) {
    return absl::InvalidArgumentError("agent request: unknown protocol version");
  }
  const uint8_t op = static_cast<uint8_t>(header[1]);
  if (op < static_cast<uint8_t>(AgentOp::kGetKey) || op > static_cast<uint8_t>(AgentOp::kStatus)) {
    return absl::InvalidArgumentError("agent request: unknown operation");
  }
  const size_t length = LengthOf(header);
  if (length == 0 || length > kMaxAgentPathLen) {
    return absl::InvalidArgumentError("agent request: path length out of range");
  }
  return length;
}

absl::StatusOr<AgentRequest> ParseAgentRequest(absl::string_view bytes) {
  if (bytes.size() < kAgentHeaderLen) {
    return absl::InvalidArgumentError("agent request: short header");
  }
  absl::StatusOr<size_t> length = AgentRequestPayloadLength(bytes.substr(0, kAgentHeaderLen));
  if (!length.ok()) return length.status();
  if (bytes.size() != kAgentHeaderLen + *length) {
    return absl::InvalidArgumentError("agent request: length does not match");
  }
  AgentRequest request;
  request.op = static_cast<AgentOp>(bytes[1]);
  request.keystore_path = std::string(bytes.substr(kAgentHeaderLen));
  if (request.keystore_path.front() != '/' ||
      request.keystore_path.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("agent request: the path is not absolute");
  }
  return request;
}

std::string AgentSocketDir(const std::string& xdg_runtime_dir) {
  if (!xdg_runtime_dir.empty()) return xdg_runtime_dir + "/samrad";
  return absl::StrCat("/tmp/samrad-", ::getuid());
}

absl::Status CheckSocketDir(const std::string& dir, bool create) {
  const auto failed = [&](Msg what) {
    return WithExitCode(ErrnoStatus(errno, what, dir, absl::StatusCode::kUnknown),
                        ExitCode::kConfig);
  };
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return failed(Msg::kLzCannotInspect);
    if (!create) return Localized(absl::StatusCode::kNotFound, Msg::kLzNoAgentDir, {dir});
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return failed(Msg::kLzCannotCreateDir);
    if (::lstat(dir.c_str(), &st) != 0) return failed(Msg::kLzCannotInspect);
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::getuid() || (st.st_mode & 077) != 0) {
    // Mode in octal with the file type, e.g. 40755 for a directory.
    char mode[16];
    std::snprintf(mode, sizeof mode, "%o", static_cast<unsigned>(st.st_mode));
    return WithExitCode(Localized(absl::StatusCode::kPermissionDenied, Msg::kAgentDirUnsafe,
                                  {dir, absl::StrCat(::getuid()), absl::StrCat(st.st_uid), mode}),
                        ExitCode::kConfig);
  }
  return absl::OkStatus();
}

std::string CanonicalKeystorePath(const std::string& keystore_path) {
  char* resolved = ::realpath(keystore_path.c_str(), nullptr);
  if (resolved == nullptr) return keystore_path;
  std::string out(resolved);
  std::free(resolved);
  return out;
}

absl::StatusOr<std::string> AgentSocketPath(const std::string& dir,
                                            const std::string& keystore_path) {
  const std::string digest = crypto::Sha256(CanonicalKeystorePath(keystore_path));
  const std::string path =
      absl::StrCat(dir, "/agent-", absl::BytesToHexString(digest.substr(0, 8)), ".sock");
  absl::StatusOr<sockaddr_un> addr = UnixAddress(path);
  if (!addr.ok()) return addr.status();
  return path;
}

absl::StatusOr<crypto::SecretBytes> AskAgent(const std::string& socket_path,
                                             const AgentRequest& request, absl::Duration timeout) {
  absl::StatusOr<sockaddr_un> addr = UnixAddress(socket_path);
  if (!addr.ok()) return addr.status();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Localized(absl::StatusCode::kUnavailable, Msg::kLzCannotCreateSocket);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
    return Localized(absl::StatusCode::kNotFound, Msg::kLzNoAgentListens, {socket_path});
  }
  if (PeerUid(fd) != static_cast<int64_t>(::getuid())) {
    return Localized(absl::StatusCode::kPermissionDenied, Msg::kLzAgentOtherUser);
  }
  const std::string bytes = EncodeAgentRequest(request);
  if (!WriteFull(fd, crypto::AsBytes(bytes))) {
    return Localized(absl::StatusCode::kUnavailable, Msg::kLzAgentClosed);
  }
  const absl::Time deadline = absl::Now() + timeout;
  uint8_t header[kAgentHeaderLen];
  if (!ReadFull(fd, absl::MakeSpan(header), deadline) || header[0] != kAgentProtocolVersion) {
    return Localized(absl::StatusCode::kUnavailable, Msg::kLzAgentNoAnswer);
  }
  crypto::SecretBytes payload((size_t{header[2]} << 8) | header[3]);
  if (!ReadFull(fd, payload.mutable_span(), deadline)) {
    return Localized(absl::StatusCode::kUnavailable, Msg::kLzAgentCutShort);
  }
  if (header[1] != static_cast<uint8_t>(AgentStatus::kOk)) {
    return Localized(absl::StatusCode::kFailedPrecondition, Msg::kLzAgentRefused);
  }
  return payload;
}

absl::StatusOr<crypto::SecretBytes> AgentKeyMaterial(const std::string& dir,
                                                     const std::string& keystore_path) {
  if (absl::Status s = CheckSocketDir(dir, false); !s.ok()) return s;
  absl::StatusOr<std::string> socket = AgentSocketPath(dir, keystore_path);
  if (!socket.ok()) return socket.status();
  if (!PathExists(*socket)) return Localized(absl::StatusCode::kNotFound, Msg::kLzNoAgent);
  absl::StatusOr<crypto::SecretBytes> material =
      AskAgent(*socket, {AgentOp::kGetKey, CanonicalKeystorePath(keystore_path)});
  if (material.ok() && material->size() != kSealingKeyMaterialLen) {  // a bug: English
    return absl::UnavailableError("the agent's key has the wrong size");
  }
  return material;
}

absl::StatusOr<int> ListenAgentSocket(const std::string& socket_path) {
  absl::StatusOr<sockaddr_un> addr = UnixAddress(socket_path);
  if (!addr.ok()) return addr.status();
  struct stat st;
  if (::lstat(socket_path.c_str(), &st) == 0) {
    if (AskAgent(socket_path, {AgentOp::kStatus, "/"}).status().code() !=
        absl::StatusCode::kNotFound) {
      return Localized(absl::StatusCode::kAlreadyExists, Msg::kLzAgentAlreadyListens,
                       {socket_path});
    }
    if (!S_ISSOCK(st.st_mode)) {
      return Localized(absl::StatusCode::kFailedPrecondition, Msg::kLzNotASocket, {socket_path});
    }
    ::unlink(socket_path.c_str());  // stale: its agent is gone
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Localized(absl::StatusCode::kUnknown, Msg::kLzCannotCreateSocket);
  const mode_t old_mask = ::umask(0177);
  const int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr));
  ::umask(old_mask);
  if (bound != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return Localized(absl::StatusCode::kUnknown, Msg::kLzCannotListen, {socket_path});
  }
  return fd;
}

absl::StatusOr<pid_t> StartAgentProcess(const AgentConfig& config, int listen_fd, SealingKey key) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    ::close(listen_fd);
    return Localized(absl::StatusCode::kUnknown, Msg::kLzAgentCannotPipe);
  }
  std::cout.flush();
  std::cerr.flush();
  const pid_t first = ::fork();
  if (first < 0) {
    ::close(listen_fd);
    ::close(ready[0]);
    ::close(ready[1]);
    return Localized(absl::StatusCode::kUnknown, Msg::kLzAgentCannotFork);
  }
  if (first == 0) {
    ::setsid();
    const pid_t second = ::fork();
    if (second != 0) ::_exit(second > 0 ? 0 : 1);
    // The agent: no terminal, no inherited descriptors, no core dumps, not
    // traceable by the user's other processes, its key kept out of swap.
    for (int fd = 3; fd < 1024; ++fd) {
      if (fd != listen_fd && fd != ready[1]) ::close(fd);
    }
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      if (null > STDERR_FILENO) ::close(null);
    }
    if (::chdir("/") != 0) ::_exit(1);
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::mlock(key.material.data(), key.material.size());  // best effort
    const pid_t self = ::getpid();
    (void)!::write(ready[1], &self, sizeof(self));
    ::close(ready[1]);
    ServeAgent(config, listen_fd, std::move(key));
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(listen_fd);
  int status = 0;
  ::waitpid(first, &status, 0);
  pid_t agent = -1;
  ssize_t n;
  do {
    n = ::read(ready[0], &agent, sizeof(agent));
  } while (n < 0 && errno == EINTR);
  ::close(ready[0]);
  if (n != static_cast<ssize_t>(sizeof(agent)) || agent <= 0) {
    return Localized(absl::StatusCode::kUnknown, Msg::kLzAgentDidNotStart);
  }
  return agent;
}

void ServeAgent(const AgentConfig& config, int listen_fd, SealingKey key) {
  struct sigaction stop {};
  stop.sa_handler = OnStopSignal;
  ::sigemptyset(&stop.sa_mask);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) ::sigaction(sig, &stop, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  const std::string own_socket = Identity(config.socket_path);
  absl::Time idle_deadline = absl::Now() + config.idle;
  while (g_stop == 0) {
    const absl::Time now = absl::Now();
    if (now >= idle_deadline) break;
    pollfd p{listen_fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, PollMs(std::min(idle_deadline, now + kWatchInterval)));
    if (ready < 0 && errno != EINTR) break;
    // Removed or replaced socket, or a keystore under another passphrase:
    // this agent is no longer the one to ask.
    if (Identity(config.socket_path) != own_socket ||
        !KeystoreStillMatches(config.keystore_path, key)) {
      break;
    }
    if (ready <= 0 || (p.revents & POLLIN) == 0) continue;
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const After after = HandleConnection(fd, config, key, idle_deadline);
    ::close(fd);
    if (after == After::kStop) break;
    if (after == After::kUsed) idle_deadline = absl::Now() + config.idle;
  }
  if (Identity(config.socket_path) == own_socket) ::unlink(config.socket_path.c_str());
  ::close(listen_fd);
}

}  // namespace samrad::client
