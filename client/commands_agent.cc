// `samrad unlock`, `samrad lock` and `samrad passphrase`: the agent that
// keeps the keystore's key (client/agent.h) and the passphrase change.
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/agent.h"
#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/output.h"

namespace samrad::client {
namespace {

constexpr absl::Duration kDefaultIdle = absl::Minutes(30);
constexpr absl::Duration kMinIdle = absl::Seconds(1);
constexpr absl::Duration kMaxIdle = absl::Hours(24);

// --idle, else the profile's agent_idle_seconds, else 30 minutes.
absl::StatusOr<absl::Duration> IdleTime(Session& session, const v1::ClientProfile& profile) {
  std::optional<std::string> flag = session.args().Get("idle");
  absl::Duration idle = kDefaultIdle;
  if (flag.has_value()) {
    if (!absl::ParseDuration(*flag, &idle) || idle < kMinIdle || idle > kMaxIdle) {
      return WithExitCode(absl::InvalidArgumentError(session.msg().Format(Msg::kBadIdle, *flag)),
                          ExitCode::kUsage);
    }
  } else if (profile.agent_idle_seconds() > 0) {
    idle = std::min(kMaxIdle, absl::Seconds(profile.agent_idle_seconds()));
  }
  return idle;
}

// The agent's "<pid> <seconds left>" status reply, parsed.
struct AgentState {
  int64_t pid = 0;
  int64_t seconds_left = 0;
};

std::optional<AgentState> ParseStatus(const crypto::SecretBytes& payload) {
  std::vector<std::string> parts = absl::StrSplit(std::string(payload.view()), ' ');
  AgentState state;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &state.pid) ||
      !absl::SimpleAtoi(parts[1], &state.seconds_left)) {
    return std::nullopt;
  }
  return state;
}

struct AgentPlace {
  std::string dir;
  std::string socket;
  std::string keystore;  // canonical
};

absl::StatusOr<AgentPlace> PlaceFor(Session& session, bool create_dir) {
  absl::StatusOr<const v1::ClientProfile*> profile = session.Profile();
  if (!profile.ok()) return profile.status();
  AgentPlace place;
  place.dir = session.AgentDir();
  place.keystore = CanonicalKeystorePath((*profile)->keystore_path());
  if (absl::Status s = CheckSocketDir(place.dir, create_dir); !s.ok()) return s;
  absl::StatusOr<std::string> socket = AgentSocketPath(place.dir, place.keystore);
  if (!socket.ok()) return WithExitCode(socket.status(), ExitCode::kConfig);
  place.socket = *socket;
  return place;
}

// Ends the agent of `place`; whether one was running.
bool EndAgent(const AgentPlace& place) {
  return AskAgent(place.socket, {AgentOp::kLock, place.keystore}).ok();
}

}  // namespace

absl::Status RunUnlock(Session& session) {
  absl::StatusOr<const v1::ClientProfile*> profile = session.Profile();
  if (!profile.ok()) return profile.status();
  absl::StatusOr<absl::Duration> idle = IdleTime(session, **profile);
  if (!idle.ok()) return idle.status();
  absl::StatusOr<AgentPlace> place = PlaceFor(session, /*create_dir=*/true);
  if (!place.ok()) return place.status();

  absl::StatusOr<crypto::SecretBytes> status =
      AskAgent(place->socket, {AgentOp::kStatus, place->keystore});
  if (status.ok()) {
    const AgentState state = ParseStatus(*status).value_or(AgentState{});
    session.Print(Json::Object()
                      .Set("pid", state.pid)
                      .Set("keystore", place->keystore)
                      .Set("idle_seconds_left", state.seconds_left)
                      .Set("already_unlocked", true),
                  session.msg().Format(Msg::kAgentAlreadyUnlocked, state.pid, place->keystore,
                                       absl::FormatDuration(absl::Seconds(state.seconds_left))) +
                      "\n");
    return absl::OkStatus();
  }

  SealingKey key;
  {
    absl::StatusOr<std::unique_ptr<Keystore>> keystore =
        session.OpenKeystoreWithPassphrase(place->keystore);
    if (!keystore.ok()) return keystore.status();
    key = (*keystore)->sealing_key().Clone();
  }  // the opened contents are wiped before the agent forks
  absl::StatusOr<int> listen_fd = ListenAgentSocket(place->socket);
  if (!listen_fd.ok()) return listen_fd.status();
  absl::StatusOr<pid_t> pid = StartAgentProcess(
      AgentConfig{.socket_path = place->socket, .keystore_path = place->keystore, .idle = *idle},
      *listen_fd, std::move(key));
  if (!pid.ok()) return pid.status();
  session.Print(Json::Object()
                    .Set("pid", static_cast<int64_t>(*pid))
                    .Set("keystore", place->keystore)
                    .Set("socket", place->socket)
                    .Set("idle_seconds", absl::ToInt64Seconds(*idle)),
                session.msg().Format(Msg::kAgentUnlocked, *pid, place->keystore,
                                     absl::FormatDuration(*idle)) +
                    "\n");
  return absl::OkStatus();
}

absl::Status RunLock(Session& session) {
  absl::StatusOr<AgentPlace> place = PlaceFor(session, /*create_dir=*/false);
  bool ended = false;
  std::string keystore;
  if (place.ok()) {
    ended = EndAgent(*place);
    keystore = place->keystore;
  } else if (place.status().code() == absl::StatusCode::kNotFound) {
    absl::StatusOr<const v1::ClientProfile*> profile = session.Profile();
    if (!profile.ok()) return profile.status();
    keystore = CanonicalKeystorePath((*profile)->keystore_path());
  } else {
    return place.status();
  }
  session.Print(
      Json::Object().Set("keystore", keystore).Set("locked", ended),
      session.msg().Format(ended ? Msg::kAgentLocked : Msg::kAgentNotRunning, keystore) + "\n");
  return absl::OkStatus();
}

absl::Status RunPassphrase(Session& session) {
  absl::StatusOr<const v1::ClientProfile*> profile = session.Profile();
  if (!profile.ok()) return profile.status();
  // The old passphrase, never the agent: whoever changes it must know it.
  absl::StatusOr<std::unique_ptr<Keystore>> keystore =
      session.OpenKeystoreWithPassphrase((*profile)->keystore_path());
  if (!keystore.ok()) return keystore.status();
  absl::StatusOr<crypto::SecretBytes> fresh = session.NewKeystorePassphrase();
  if (!fresh.ok()) return fresh.status();
  absl::StatusOr<AgentPlace> place = PlaceFor(session, /*create_dir=*/false);
  const bool had_agent =
      place.ok() && AskAgent(place->socket, {AgentOp::kStatus, place->keystore}).ok();
  if (absl::Status s = (*keystore)->ChangePassphrase(*fresh, session.io().argon2); !s.ok()) {
    return s;
  }
  // The agent notices the new header itself within a second and ends;
  // ending it here makes that certain.
  if (had_agent) EndAgent(*place);
  const bool agent_ended = had_agent;
  std::string text = session.msg().Format(Msg::kPassphraseChanged, (*keystore)->path()) + "\n";
  if (agent_ended) text += session.msg().Format(Msg::kPassphraseChangedAgentLocked) + "\n";
  session.Print(Json::Object().Set("keystore", (*keystore)->path()).Set("agent_ended", agent_ended),
                text);
  return absl::OkStatus();
}

}  // namespace samrad::client
