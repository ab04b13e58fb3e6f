// What every command needs: the parsed arguments, the user's language,
// standard streams, environment, clock, and lazily the profile, keystore,
// relay connection and verified key directory.
//
// Libraries below this layer take options structs; this class is where the
// flags, environment variables and prompts are read. One Session per
// process run; not thread-safe.
#ifndef SAMRAD_CLIENT_SESSION_H_
#define SAMRAD_CLIENT_SESSION_H_

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/args.h"
#include "client/draft.h"
#include "client/keystore.h"
#include "client/messages.h"
#include "client/output.h"
#include "client/relay_client.h"
#include "crypto/secret_bytes.h"
#include "proto/client.pb.h"
#include "proto/directory.pb.h"

namespace samrad::client {

// Accepts a directory served by the relay: verifies it under `pinned`
// (PERMISSION_DENIED / INVALID_ARGUMENT tagged kDirectory), refuses one whose
// not_after is before `now_unix_ms` (FAILED_PRECONDITION tagged kDirectory,
// Msg::kDirectoryExpired) and an epoch lower than `keystore` has seen
// (FAILED_PRECONDITION tagged kDirectory), records the epoch and the adviser
// signing keys in `keystore` (not saved; `*changed` tells whether anything
// was recorded).
[[nodiscard]] absl::StatusOr<v1::KeyDirectory> AcceptDirectory(
    const v1::SignedDirectory& signed_directory, const crypto::Ed25519PublicKey& pinned,
    int64_t now_unix_ms, const Messages& messages, Keystore& keystore, bool* changed);

// Asks `prompt` on /dev/tty (an irreversible step); OK only for an answer
// starting with y/Y/j/J. Without a terminal: FAILED_PRECONDITION
// `no_terminal` tagged kUsage (scripts pass --yes instead); any other answer:
// FAILED_PRECONDITION `declined` tagged kFailure.
[[nodiscard]] absl::Status ConfirmOnTerminal(const std::string& prompt,
                                             const std::string& no_terminal,
                                             const std::string& declined);

// The process's surroundings, injected so tests can drive commands.
struct CliIo {
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  std::istream* in = nullptr;
  bool stdin_is_tty = false;
  // Environment lookup; nullopt when unset.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::function<int64_t()> now_unix_ms;
  // Reads a secret from the terminal without echo; FAILED_PRECONDITION when
  // there is no terminal.
  std::function<absl::StatusOr<crypto::SecretBytes>(absl::string_view prompt)> prompt_secret;
  // Argon2 cost for new keystores and key files (tests lower it).
  Argon2Params argon2;
};

// The real process: std streams, getenv, system clock, /dev/tty prompts.
CliIo ProcessIo();

class Session {
 public:
  Session(CliIo io, const ParsedArgs& args, const Messages& messages)
      : io_(std::move(io)), args_(args), messages_(messages) {}

  const ParsedArgs& args() const { return args_; }
  const Messages& msg() const { return messages_; }
  bool json() const { return args_.Has("json"); }
  std::ostream& out() { return *io_.out; }
  std::ostream& err() { return *io_.err; }
  const CliIo& io() const { return io_; }
  int64_t Now() const { return io_.now_unix_ms(); }
  std::string Env(const std::string& name) const;

  // Prints `json` (one line) when --json, else `text` as is.
  void Print(const Json& json, absl::string_view text);

  // --config, $SAMRAD_CONFIG, $XDG_CONFIG_HOME/samrad/config, ~/.config/...
  [[nodiscard]] absl::StatusOr<std::string> ProfilePath() const;
  [[nodiscard]] absl::StatusOr<const v1::ClientProfile*> Profile();

  // The keystore passphrase: --passphrase-file, $SAMRAD_PASSPHRASE_FILE, or
  // a prompt (twice when `confirm`). Only the first line of a file counts.
  // `confirm` means a new passphrase: it must have kMinPassphraseChars
  // characters (kUsage otherwise). A file that group or others may read
  // gets a warning on stderr.
  [[nodiscard]] absl::StatusOr<crypto::SecretBytes> KeystorePassphrase(bool confirm);
  // A new keystore passphrase for `samrad passphrase`: --new-passphrase-file
  // or a prompt twice; the same length rule.
  [[nodiscard]] absl::StatusOr<crypto::SecretBytes> NewKeystorePassphrase();
  // Opens the keystore at `path` with the passphrase (one Argon2id run per
  // try). On a terminal a wrong passphrase is asked again, kPassphraseTries
  // times in all, then kKeystore (Msg::kPassphraseTooManyTries); from a
  // file a wrong one fails at once. Hints on stderr when the passphrase is
  // shorter than the rule for new ones.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Keystore>> OpenKeystoreWithPassphrase(
      const std::string& path);
  // The directory of the agents' sockets ($XDG_RUNTIME_DIR, client/agent.h).
  std::string AgentDir() const;

  static constexpr int kPassphraseTries = 3;
  static constexpr size_t kMinPassphraseChars = 12;
  // The directory key passphrase: --key-passphrase-file,
  // $SAMRAD_DIRECTORY_PASSPHRASE_FILE, or a prompt.
  [[nodiscard]] absl::StatusOr<crypto::SecretBytes> DirectoryKeyPassphrase(bool confirm);

  // Opens the profile's keystore: with the key from the agent when one runs
  // for it (client/agent.h), else with the passphrase.
  [[nodiscard]] absl::StatusOr<Keystore*> OpenKeystore();
  [[nodiscard]] absl::StatusOr<RelayClient*> Relay();

  // Fetches the directory, verifies it under the pinned key, refuses an
  // epoch lower than the keystore has seen (kDirectory), records the epoch
  // and the adviser signing keys in the keystore and saves it when changed.
  [[nodiscard]] absl::StatusOr<const v1::KeyDirectory*> VerifiedDirectory();
  // Drops the directory VerifiedDirectory cached, so its next call fetches
  // and verifies the relay's current one (a long-running watch).
  void ForgetVerifiedDirectory() { directory_.reset(); }

  // The text to send: --file FILE (or - for stdin), else stdin when it is
  // not a terminal, else $VISUAL (or $EDITOR, else vi) on a private draft
  // (client/draft.h). FAILED_PRECONDITION when empty. A --file that is a
  // draft samrad kept (Draft::Adopt) becomes this session's draft, and its
  // "#!" comment lines are removed, as they are from an editor's text.
  [[nodiscard]] absl::StatusOr<std::string> ComposeText();

  // Runs the anonymisation guard on `text`: returns it unchanged when clean;
  // with --redact prints the redacted text on stderr and returns it; else
  // prints the findings on stderr and fails (ExitCode::kFailure). A text from
  // the editor on a terminal is not refused at once: the editor reopens on
  // the draft with the findings as "#!" comment lines, up to
  // kMaxDraftRounds times, until the text passes; an emptied or unchanged
  // draft is wiped and refused (Msg::kDraftDiscarded). Nothing may be sealed
  // before this returned OK.
  [[nodiscard]] absl::StatusOr<std::string> GuardText(std::string text);

  // Called once when the command has finished: wipes the draft when `sent`;
  // else keeps a draft with text in it and prints where it is (kDraftKept).
  void FinishDraft(bool sent);

  static constexpr int kMaxDraftRounds = 20;

 private:
  [[nodiscard]] absl::StatusOr<crypto::SecretBytes> ReadPassphrase(absl::string_view flag,
                                                                   const std::string& env,
                                                                   Msg prompt, bool confirm);
  // Whether the keystore passphrase comes from a prompt (no flag, no env).
  bool KeystorePassphraseFromPrompt() const;
  // Runs the editor on the draft; its exit code (-1 when it could not run).
  int RunEditor(const std::string& editor);
  std::string EditorCommand() const;
  CliIo io_;
  const ParsedArgs& args_;
  const Messages& messages_;
  std::optional<v1::ClientProfile> profile_;
  std::unique_ptr<Keystore> keystore_;
  std::unique_ptr<RelayClient> relay_;
  std::optional<v1::KeyDirectory> directory_;
  std::optional<Draft> draft_;
  bool draft_from_editor_ = false;
};

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_SESSION_H_
