// The samrad agent (like ssh-agent): `samrad unlock` runs Argon2id once and
// leaves a per-user background process that holds the keystore's sealing key
// (the 64-byte Argon2id output, client/sealed_file.h SealingKey) and hands it
// to commands of the same user over a Unix socket, so they open the keystore
// without a passphrase and without Argon2id. The keystore file stays the
// source of truth: commands read, decrypt and save it themselves.
//
// Where: one socket per keystore, <dir>/agent-<16 hex of SHA-256(keystore
// path)>.sock, where <dir> is $XDG_RUNTIME_DIR/samrad or, without it,
// /tmp/samrad-<uid>. The directory must be a real directory (not a link)
// owned by this uid with mode 0700; otherwise it is refused (unlock fails,
// commands ignore it and ask for the passphrase).
//
// Protocol (one request and one reply per connection), big-endian:
//   request  u8 version (1), u8 op, u16 length, `length` bytes: the keystore
//            path (absolute, at most kMaxAgentPathLen bytes)
//   reply    u8 version (1), u8 status, u16 length, payload
// ops: kGetKey (payload: the 64 bytes of key material), kLock (ends the
// agent), kStatus (payload: "<pid> <seconds until idle exit>").
// The agent answers only a peer with its own uid (SO_PEERCRED) and only for
// its own keystore path; anything malformed is dropped without reply.
//
// Thread-compatible; the agent process is single-threaded.
#ifndef SAMRAD_CLIENT_AGENT_H_
#define SAMRAD_CLIENT_AGENT_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/messages.h"
#include "client/sealed_file.h"
#include "crypto/secret_bytes.h"

namespace samrad::client {

inline constexpr uint8_t kAgentProtocolVersion = 1;
inline constexpr size_t kMaxAgentPathLen = 4096;
inline constexpr size_t kAgentHeaderLen = 4;

enum class AgentOp : uint8_t { kGetKey = 1, kLock = 2, kStatus = 3 };
enum class AgentStatus : uint8_t { kOk = 0, kWrongKeystore = 1, kBadRequest = 2 };

struct AgentRequest {
  AgentOp op = AgentOp::kStatus;
  std::string keystore_path;
};

// The bytes of `request`.
std::string EncodeAgentRequest(const AgentRequest& request);
// Parses one complete request. INVALID_ARGUMENT for a wrong version, an
// unknown op, an empty or over-long path, or a length that does not match
// the bytes given.
[[nodiscard]] absl::StatusOr<AgentRequest> ParseAgentRequest(absl::string_view bytes);
// The payload length a request header announces; INVALID_ARGUMENT when the
// 4 header bytes are malformed (version, op, or length over the limit).
[[nodiscard]] absl::StatusOr<size_t> AgentRequestPayloadLength(absl::string_view header);

// The directory that holds the agents' sockets: $XDG_RUNTIME_DIR/samrad
// when `xdg_runtime_dir` is not empty, else /tmp/samrad-<uid>.
std::string AgentSocketDir(const std::string& xdg_runtime_dir);
// Checks `dir` is a directory (not a symlink) owned by this uid with no
// group or other permissions; creates it (mode 0700, parent must exist)
// when `create` and it is absent. PERMISSION_DENIED (Msg::kAgentDirUnsafe,
// tagged ExitCode::kConfig) naming what is wrong; NOT_FOUND when absent and
// not `create`; UNKNOWN (kConfig) when it cannot be inspected or created.
// Texts in the user's language (client/localized_status.h).
[[nodiscard]] absl::Status CheckSocketDir(const std::string& dir, bool create);
// The socket of the agent for `keystore_path` (made absolute and canonical
// when the file exists). INVALID_ARGUMENT when it would be too long for a
// Unix socket address.
[[nodiscard]] absl::StatusOr<std::string> AgentSocketPath(const std::string& dir,
                                                          const std::string& keystore_path);
// The canonical absolute path of `keystore_path` (as given when it cannot be
// resolved).
std::string CanonicalKeystorePath(const std::string& keystore_path);

// --- client side ---
// One request to the agent at `socket_path`, waiting at most `timeout`.
// NOT_FOUND when no agent listens there; PERMISSION_DENIED when the peer is
// not of this uid; FAILED_PRECONDITION when the agent refused the request;
// UNAVAILABLE for a broken exchange. On success the reply's payload.
[[nodiscard]] absl::StatusOr<crypto::SecretBytes> AskAgent(
    const std::string& socket_path, const AgentRequest& request,
    absl::Duration timeout = absl::Seconds(2));

// The key material for `keystore_path` from its agent under `dir`, if one
// runs (dir checked first); NOT_FOUND (or another error) when none can help.
[[nodiscard]] absl::StatusOr<crypto::SecretBytes> AgentKeyMaterial(
    const std::string& dir, const std::string& keystore_path);

// --- the agent ---
struct AgentConfig {
  std::string socket_path;
  std::string keystore_path;  // canonical
  absl::Duration idle = absl::Minutes(30);
};

// Binds and listens on `socket_path` (mode 0600; a stale socket with no
// agent behind it is replaced). ALREADY_EXISTS when an agent answers there.
[[nodiscard]] absl::StatusOr<int> ListenAgentSocket(const std::string& socket_path);

// Starts the agent as a detached process (fork, setsid, fork) serving
// `listen_fd` with `key`, and returns its pid once it is serving. The
// caller's copy of `key` is wiped here; `listen_fd` is closed in the caller.
[[nodiscard]] absl::StatusOr<pid_t> StartAgentProcess(const AgentConfig& config, int listen_fd,
                                                      SealingKey key);

// The agent's loop (in the agent process): serves until the idle time
// passes without a kGetKey, kLock arrives, a signal ends it, its socket is
// removed or replaced, or the keystore file no longer matches `key`
// (passphrase changed, file removed). Then unlinks its socket and returns;
// `key` is wiped with it. Logs nothing.
void ServeAgent(const AgentConfig& config, int listen_fd, SealingKey key);

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_AGENT_H_
