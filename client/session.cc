#include "client/session.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/agent.h"
#include "client/config.h"
#include "client/draft.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/guard.h"
#include "client/localized_status.h"
#include "client/output.h"
#include "common/clock.h"
#include "crypto/directory.h"

namespace samrad::client {
namespace {

// Reads one line from /dev/tty with echo off. FAILED_PRECONDITION without a
// terminal.
absl::StatusOr<crypto::SecretBytes> PromptTty(absl::string_view prompt) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return absl::FailedPreconditionError("no terminal");
  (void)!::write(fd, prompt.data(), prompt.size());
  termios saved{};
  bool restore = ::tcgetattr(fd, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  crypto::SecretBytes line(1024);
  size_t len = 0;
  char c;
  while (len < line.size()) {
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    line.data()[len++] = static_cast<uint8_t>(c);
  }
  if (restore) ::tcsetattr(fd, TCSAFLUSH, &saved);
  ::close(fd);
  if (len > 0 && line.data()[len - 1] == '\r') --len;
  return crypto::SecretBytes(line.span().subspan(0, len));
}

absl::Status UsageStatus(std::string message) {
  return WithExitCode(absl::InvalidArgumentError(std::move(message)), ExitCode::kUsage);
}

}  // namespace

absl::Status ConfirmOnTerminal(const std::string& prompt, const std::string& no_terminal,
                               const std::string& declined) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return WithExitCode(absl::FailedPreconditionError(no_terminal), ExitCode::kUsage);
  }
  (void)!::write(fd, prompt.data(), prompt.size());
  char answer = 0;
  char c = 0;
  for (int i = 0; i < 256; ++i) {  // one line, bounded
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    if (answer == 0 && c != ' ') answer = c;
  }
  ::close(fd);
  if (answer == 'y' || answer == 'Y' || answer == 'j' || answer == 'J') return absl::OkStatus();
  return WithExitCode(absl::FailedPreconditionError(declined), ExitCode::kFailure);
}

namespace {

// Characters (UTF-8 code points) in `passphrase`.
size_t CharacterCount(const crypto::SecretBytes& passphrase) {
  return static_cast<size_t>(std::count_if(passphrase.span().begin(), passphrase.span().end(),
                                           [](uint8_t b) { return (b & 0xC0) != 0x80; }));
}

// Whether group or others may read `path`.
bool ReadableByOthers(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
}

}  // namespace

absl::StatusOr<v1::KeyDirectory> AcceptDirectory(const v1::SignedDirectory& signed_directory,
                                                 const crypto::Ed25519PublicKey& pinned,
                                                 int64_t now_unix_ms, const Messages& messages,
                                                 Keystore& keystore, bool* changed) {
  absl::StatusOr<v1::KeyDirectory> directory = crypto::VerifyDirectory(signed_directory, pinned);
  if (!directory.ok()) {
    return WithExitCode(LocalizedWrap(directory.status().code(), Msg::kLzDirectoryFailsVerification,
                                      {}, ForeignText(directory.status())),
                        ExitCode::kDirectory);
  }
  // A relay that keeps serving an old epoch hides every later one; expiry
  // bounds how long (checked before anything of it is remembered).
  if (!crypto::CheckDirectoryFresh(*directory, now_unix_ms).ok()) {
    return WithExitCode(absl::FailedPreconditionError(
                            messages.Format(Msg::kDirectoryExpired, directory->epoch(),
                                            FormatTimestamp(directory->not_after_unix_ms()))),
                        ExitCode::kDirectory);
  }
  const uint64_t before = keystore.contents().highest_directory_epoch();
  const int signers_before = keystore.contents().known_signers_size();
  if (absl::Status s = keystore.ObserveDirectoryEpoch(directory->epoch()); !s.ok()) return s;
  for (const auto& unit : directory->units()) {
    for (const auto& adviser : unit.advisers()) {
      keystore.RememberSigner(adviser.adviser_id(), unit.unit_id(), adviser.signing_public_key(),
                              directory->epoch());
    }
  }
  *changed = before != keystore.contents().highest_directory_epoch() ||
             signers_before != keystore.contents().known_signers_size();
  return directory;
}

CliIo ProcessIo() {
  CliIo io;
  io.out = &std::cout;
  io.err = &std::cerr;
  io.in = &std::cin;
  io.stdin_is_tty = ::isatty(STDIN_FILENO) == 1;
  io.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  io.now_unix_ms = SystemNowUnixMs;
  io.prompt_secret = PromptTty;
  return io;
}

std::string Session::Env(const std::string& name) const {
  if (!io_.getenv) return "";
  return io_.getenv(name).value_or("");
}

void Session::Print(const Json& json, absl::string_view text) {
  if (this->json()) {
    out() << json.Dump() << "\n";
  } else {
    out() << text;
  }
}

absl::StatusOr<std::string> Session::ProfilePath() const {
  return ResolveProfilePath(args_.Get("config").value_or(""), Env("SAMRAD_CONFIG"),
                            Env("XDG_CONFIG_HOME"), Env("HOME"));
}

absl::StatusOr<const v1::ClientProfile*> Session::Profile() {
  if (!profile_.has_value()) {
    absl::StatusOr<std::string> path = ProfilePath();
    if (!path.ok()) return path.status();
    absl::StatusOr<v1::ClientProfile> profile = LoadProfile(*path);
    if (profile.status().code() == absl::StatusCode::kNotFound) {
      return WithExitCode(absl::NotFoundError(msg().Format(Msg::kNoProfile, *path)),
                          ExitCode::kConfig);
    }
    if (!profile.ok()) return profile.status();
    profile_ = std::move(*profile);
  }
  return &*profile_;
}

absl::StatusOr<crypto::SecretBytes> Session::ReadPassphrase(absl::string_view flag,
                                                            const std::string& env, Msg prompt,
                                                            bool confirm) {
  std::string file = args_.Get(flag).value_or(Env(env));
  if (!file.empty()) {
    absl::StatusOr<std::string> contents = ReadFileToString(file, 64 * 1024);
    if (!contents.ok()) {
      return WithExitCode(LocalizedWrap(contents.status().code(), Msg::kLzCannotReadPassphraseFile,
                                        {}, contents.status()),
                          ExitCode::kConfig);
    }
    if (ReadableByOthers(file)) err() << msg().Format(Msg::kPassphraseFileReadable, file) << "\n";
    absl::string_view line = *contents;
    line = line.substr(0, line.find('\n'));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    crypto::SecretBytes passphrase =
        crypto::SecretBytes::FromString(std::string_view(line.data(), line.size()));
    WipeString(*contents);
    if (passphrase.empty()) {
      return UsageStatus(absl::StrCat("the passphrase file ", file, " is empty"));
    }
    if (confirm && CharacterCount(passphrase) < kMinPassphraseChars) {
      return UsageStatus(msg().Format(Msg::kPassphraseTooShort, kMinPassphraseChars));
    }
    return passphrase;
  }
  absl::StatusOr<crypto::SecretBytes> first = io_.prompt_secret(msg().Format(prompt));
  if (!first.ok()) return UsageStatus(msg().Format(Msg::kPassphraseNoTty));
  if (first->empty()) return UsageStatus("the passphrase is empty");
  if (confirm && CharacterCount(*first) < kMinPassphraseChars) {
    return UsageStatus(msg().Format(Msg::kPassphraseTooShort, kMinPassphraseChars));
  }
  if (confirm) {
    absl::StatusOr<crypto::SecretBytes> second =
        io_.prompt_secret(msg().Format(Msg::kPromptPassphraseAgain));
    if (!second.ok() || !first->ConstantTimeEquals(*second)) {
      return UsageStatus(msg().Format(Msg::kPassphraseMismatch));
    }
  }
  return first;
}

absl::StatusOr<crypto::SecretBytes> Session::KeystorePassphrase(bool confirm) {
  return ReadPassphrase("passphrase-file", "SAMRAD_PASSPHRASE_FILE", Msg::kPromptPassphrase,
                        confirm);
}

absl::StatusOr<crypto::SecretBytes> Session::DirectoryKeyPassphrase(bool confirm) {
  return ReadPassphrase("key-passphrase-file", "SAMRAD_DIRECTORY_PASSPHRASE_FILE",
                        Msg::kPromptDirectoryPassphrase, confirm);
}

absl::StatusOr<crypto::SecretBytes> Session::NewKeystorePassphrase() {
  return ReadPassphrase("new-passphrase-file", "", Msg::kPromptNewPassphrase, true);
}

bool Session::KeystorePassphraseFromPrompt() const {
  return args_.Get("passphrase-file").value_or(Env("SAMRAD_PASSPHRASE_FILE")).empty();
}

std::string Session::AgentDir() const { return AgentSocketDir(Env("XDG_RUNTIME_DIR")); }

absl::StatusOr<std::unique_ptr<Keystore>> Session::OpenKeystoreWithPassphrase(
    const std::string& path) {
  const int tries = KeystorePassphraseFromPrompt() ? kPassphraseTries : 1;
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<crypto::SecretBytes> passphrase = KeystorePassphrase(false);
    if (!passphrase.ok()) return passphrase.status();
    const bool short_one = CharacterCount(*passphrase) < kMinPassphraseChars;
    absl::StatusOr<std::unique_ptr<Keystore>> keystore =
        Keystore::Open(path, std::move(*passphrase));
    if (keystore.ok()) {
      if (short_one) err() << msg().Format(Msg::kPassphraseShortHint, kMinPassphraseChars) << "\n";
      return keystore;
    }
    if (keystore.status().code() == absl::StatusCode::kNotFound) {
      return WithExitCode(keystore.status(), ExitCode::kConfig);
    }
    if (keystore.status().code() != absl::StatusCode::kUnauthenticated || tries == 1) {
      return keystore.status();
    }
    if (attempt == tries) {
      return WithExitCode(
          absl::UnauthenticatedError(msg().Format(Msg::kPassphraseTooManyTries, path, tries)),
          ExitCode::kKeystore);
    }
    err() << msg().Format(Msg::kPassphraseTryAgain) << "\n";
  }
}

absl::StatusOr<Keystore*> Session::OpenKeystore() {
  if (keystore_ == nullptr) {
    absl::StatusOr<const v1::ClientProfile*> profile = Profile();
    if (!profile.ok()) return profile.status();
    const std::string& path = (*profile)->keystore_path();
    // The agent's key when one runs for this keystore; a key that no longer
    // opens the file (passphrase changed) falls back to the passphrase.
    absl::StatusOr<crypto::SecretBytes> material = AgentKeyMaterial(AgentDir(), path);
    if (material.ok()) {
      absl::StatusOr<std::unique_ptr<Keystore>> keystore =
          Keystore::OpenWithKeyMaterial(path, std::move(*material));
      if (keystore.ok()) keystore_ = std::move(*keystore);
    }
    if (keystore_ == nullptr) {
      absl::StatusOr<std::unique_ptr<Keystore>> keystore = OpenKeystoreWithPassphrase(path);
      if (!keystore.ok()) return keystore.status();
      keystore_ = std::move(*keystore);
    }
  }
  return keystore_.get();
}

absl::StatusOr<RelayClient*> Session::Relay() {
  if (relay_ == nullptr) {
    absl::StatusOr<const v1::ClientProfile*> profile = Profile();
    if (!profile.ok()) return profile.status();
    RelayClientOptions options;
    options.language = msg().language();
    options.now_unix_ms = Now();
    absl::StatusOr<std::unique_ptr<RelayClient>> relay = RelayClient::Create(**profile, options);
    if (!relay.ok()) return relay.status();
    relay_ = std::move(*relay);
  }
  return relay_.get();
}

absl::StatusOr<const v1::KeyDirectory*> Session::VerifiedDirectory() {
  if (directory_.has_value()) return &*directory_;
  absl::StatusOr<const v1::ClientProfile*> profile = Profile();
  if (!profile.ok()) return profile.status();
  absl::StatusOr<crypto::Ed25519PublicKey> pinned = PinnedDirectoryKey(**profile);
  if (!pinned.ok()) return pinned.status();
  absl::StatusOr<Keystore*> keystore = OpenKeystore();
  if (!keystore.ok()) return keystore.status();
  absl::StatusOr<RelayClient*> relay = Relay();
  if (!relay.ok()) return relay.status();

  v1::SignedDirectory signed_directory;
  absl::Status fetched = (*relay)->CallWithRetry(Msg::kActionFetchDirectory, [&](auto& context) {
    grpc::Status status =
        (*relay)->stub().GetDirectory(&context, v1::GetDirectoryRequest(), &signed_directory);
    if (status.ok()) (*relay)->NoteServerLimits(context);
    return status;
  });
  if (!fetched.ok()) {
    if (fetched.code() == absl::StatusCode::kNotFound) {
      return WithExitCode(absl::NotFoundError(msg().Format(Msg::kNoDirectoryPublished)),
                          ExitCode::kDirectory);
    }
    return fetched;
  }
  bool changed = false;
  absl::StatusOr<v1::KeyDirectory> directory =
      AcceptDirectory(signed_directory, *pinned, Now(), msg(), **keystore, &changed);
  if (!directory.ok()) return directory.status();
  if (changed) {
    if (absl::Status s = (*keystore)->Save(); !s.ok()) return s;
  }
  directory_ = std::move(*directory);
  return &*directory_;
}

std::string Session::EditorCommand() const {
  std::string editor = Env("VISUAL");
  if (editor.empty()) editor = Env("EDITOR");
  if (editor.empty()) editor = "vi";
  return editor;
}

int Session::RunEditor(const std::string& editor) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", absl::StrCat(editor, " \"$1\"").c_str(), "sh",
            draft_->path().c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int wstatus = 0;
  if (pid > 0 && ::waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus)) {
    return WEXITSTATUS(wstatus);
  }
  return -1;
}

absl::StatusOr<std::string> Session::ComposeText() {
  std::string text;
  std::optional<std::string> file = args_.Get("file");
  const DraftPlace place{Env("XDG_RUNTIME_DIR"), Env("TMPDIR")};
  if (file.has_value() && *file != "-") {
    absl::StatusOr<std::string> contents = ReadFileToString(*file, 1024 * 1024);
    if (!contents.ok()) return contents.status();
    text = std::move(*contents);
    // A draft kept by an earlier run: wiped once sent, comments removed.
    draft_ = Draft::Adopt(*file, place);
    if (draft_.has_value()) text = StripDraftComments(text);
  } else if (file.has_value() || !io_.stdin_is_tty) {
    text.assign(std::istreambuf_iterator<char>(*io_.in), std::istreambuf_iterator<char>());
  } else {
    const std::string editor = EditorCommand();
    absl::StatusOr<Draft> draft = Draft::Create(place);
    if (!draft.ok()) return draft.status();
    draft_ = std::move(*draft);
    draft_from_editor_ = true;
    const int rc = RunEditor(editor);
    absl::StatusOr<std::string> contents = draft_->Read();
    if (contents.ok()) text = StripDraftComments(*contents);
    if (contents.ok()) WipeString(*contents);
    if (rc != 0) {
      // FinishDraft keeps a draft with text in it and says where it is.
      return absl::FailedPreconditionError(msg().Format(Msg::kEditorFailed, editor, rc));
    }
    if (!contents.ok()) return contents.status();
  }
  if (absl::StripAsciiWhitespace(text).empty()) {
    if (draft_.has_value()) draft_->Wipe();
    return WithExitCode(absl::FailedPreconditionError(msg().Format(Msg::kEmptyText)),
                        ExitCode::kUsage);
  }
  return text;
}

absl::StatusOr<std::string> Session::GuardText(std::string text) {
  absl::StatusOr<std::vector<guard::Finding>> findings = guard::ScanText(text);
  if (!findings.ok()) return WithExitCode(findings.status(), ExitCode::kUsage);
  if (findings->empty()) return text;
  const guard::MessageLanguage language = msg().language() == Language::kSwedish
                                              ? guard::MessageLanguage::kSwedish
                                              : guard::MessageLanguage::kEnglish;
  if (args_.Has("redact")) {
    std::string redacted = guard::Redact(text, *findings, language);
    err() << msg().Format(Msg::kGuardRedacted) << "\n" << redacted;
    if (!redacted.empty() && redacted.back() != '\n') err() << "\n";
    // A person reviews what is sent (issue 20): --yes for scripts, else a
    // question on the terminal.
    if (!args_.Has("yes")) {
      absl::Status confirmed = ConfirmOnTerminal(msg().Format(Msg::kGuardConfirmPrompt),
                                                 msg().Format(Msg::kGuardNeedsYes),
                                                 msg().Format(Msg::kGuardNotConfirmed));
      if (!confirmed.ok()) return confirmed;
    }
    return redacted;
  }
  // A text from the editor on a terminal goes back into the editor with the
  // findings on top, until it passes, is discarded, or the rounds run out.
  const bool reopen = draft_.has_value() && draft_from_editor_ && io_.stdin_is_tty;
  for (int round = 1; reopen && round <= kMaxDraftRounds; ++round) {
    for (const guard::Finding& finding : *findings)
      err() << guard::FormatFinding(finding, language) << "\n";
    err() << msg().Format(Msg::kDraftReopening) << "\n";
    std::vector<std::string> comments = {msg().Format(Msg::kDraftCommentInstruction)};
    for (guard::Finding finding : *findings) {
      finding.line += static_cast<int>(findings->size()) + 1;  // as numbered in the file
      comments.push_back(guard::FormatFinding(finding, language));
    }
    const std::string shown = WithDraftComments(comments, text);
    if (absl::Status s = draft_->Write(shown); !s.ok()) return s;
    const std::string editor = EditorCommand();
    const int rc = RunEditor(editor);
    if (rc != 0) {
      return absl::FailedPreconditionError(msg().Format(Msg::kEditorFailed, editor, rc));
    }
    absl::StatusOr<std::string> contents = draft_->Read();
    if (!contents.ok()) return contents.status();
    const bool unchanged = *contents == shown;
    WipeString(text);
    text = StripDraftComments(*contents);
    WipeString(*contents);
    if (unchanged || absl::StripAsciiWhitespace(text).empty()) {
      draft_->Wipe();
      return WithExitCode(absl::FailedPreconditionError(msg().Format(Msg::kDraftDiscarded)),
                          ExitCode::kFailure);
    }
    findings = guard::ScanText(text);
    if (!findings.ok()) return WithExitCode(findings.status(), ExitCode::kUsage);
    if (findings->empty()) {
      // Kept without the comments should the command fail later.
      if (absl::Status s = draft_->Write(text); !s.ok()) return s;
      return text;
    }
  }
  for (const guard::Finding& finding : *findings)
    err() << guard::FormatFinding(finding, language) << "\n";
  if (reopen) {
    return WithExitCode(
        absl::FailedPreconditionError(msg().Format(Msg::kDraftStillRefused, kMaxDraftRounds)),
        ExitCode::kFailure);
  }
  return WithExitCode(absl::FailedPreconditionError(msg().Format(Msg::kGuardRefused)),
                      ExitCode::kFailure);
}

void Session::FinishDraft(bool sent) {
  if (!draft_.has_value() || draft_->wiped()) return;
  absl::StatusOr<std::string> contents = draft_->Read();
  const bool has_text =
      contents.ok() && !absl::StripAsciiWhitespace(StripDraftComments(*contents)).empty();
  if (contents.ok()) WipeString(*contents);
  if (sent || !has_text) {
    draft_->Wipe();
    return;
  }
  err() << msg().Format(Msg::kDraftKept, draft_->path()) << "\n";
}

}  // namespace samrad::client
