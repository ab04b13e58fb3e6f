// init, whoami, check, keygen, keys list, keys prune.
#include <unistd.h>

#include <filesystem>
#include <iterator>
#include <ostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/certificate.h"
#include "client/command_helpers.h"
#include "client/commands.h"
#include "client/config.h"
#include "client/directory_admin.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/guard.h"
#include "client/relay_client.h"
#include "client/status_class.h"
#include "client/thread_crypto.h"
#include "client/values.h"
#include "common/ids.h"
#include "crypto/directory.h"

namespace samrad::client {
namespace {

std::string Absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char buf[4096];
  if (::getcwd(buf, sizeof buf) == nullptr) return path;
  return absl::StrCat(buf, "/", path);
}

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
// `init` warns when the certificate has fewer days left than this.
constexpr int64_t kCertificateWarningDays = 30;

// The certificate's own checks, before anything is written: it names a
// Samråd identity, is inside its validity period (a warning under 30 days
// left), and --adviser-id (if given) is the ID it names; an adviser's
// profile without --adviser-id gets the certificate's ID.
absl::Status CheckInitCertificate(Session& session, v1::ClientProfile& profile) {
  const Messages& m = session.msg();
  absl::StatusOr<CertificateInfo> cert = ReadCertificateFile(profile.client_cert_path());
  if (!cert.ok()) return WithExitCode(cert.status(), ExitCode::kConfig);
  if (cert->role.empty()) {
    return WithOwnAdvice(WithExitCode(
        absl::InvalidArgumentError(m.Format(Msg::kInitCertNoIdentity, profile.client_cert_path())),
        ExitCode::kConfig));
  }
  if (session.Now() > cert->not_after_unix_ms) {
    return WithOwnAdvice(
        WithExitCode(absl::FailedPreconditionError(
                         m.Format(Msg::kOwnCertExpired, FormatTimestamp(cert->not_after_unix_ms))),
                     ExitCode::kPermission));
  }
  if (session.Now() < cert->not_before_unix_ms) {
    return WithOwnAdvice(
        WithExitCode(absl::FailedPreconditionError(m.Format(
                         Msg::kOwnCertNotYetValid, FormatTimestamp(cert->not_before_unix_ms))),
                     ExitCode::kPermission));
  }
  if (!profile.adviser_id().empty()) {
    if (cert->role != "adviser") {
      return WithOwnAdvice(
          WithExitCode(absl::InvalidArgumentError(m.Format(Msg::kInitAdviserIdNotAdviser,
                                                           RoleLabel(m, cert->role), cert->uri)),
                       ExitCode::kUsage));
    }
    if (profile.adviser_id() != cert->id) {
      return WithOwnAdvice(WithExitCode(
          absl::InvalidArgumentError(m.Format(Msg::kInitAdviserIdMismatch, profile.adviser_id(),
                                              cert->id, cert->uri, cert->id)),
          ExitCode::kUsage));
    }
  } else if (cert->role == "adviser") {
    profile.set_adviser_id(cert->id);
  }
  if (DaysLeft(*cert, session.Now()) < kCertificateWarningDays) {
    session.err() << m.Format(Msg::kOwnCertExpiresSoon, DaysLeft(*cert, session.Now()),
                              FormatTimestamp(cert->not_after_unix_ms))
                  << "\n";
  }
  return absl::OkStatus();
}

// Connects to the relay as `profile` says (TLS: the relay's certificate
// against the CA file; mTLS: the relay's verdict on ours) and checks that the
// pinned directory key verifies the directory it serves. A relay without a
// directory yet is only noted (a new deployment publishes after the first
// profiles exist).
absl::Status CheckInitRelay(Session& session, const v1::ClientProfile& profile) {
  RelayClientOptions options;
  options.language = session.msg().language();
  options.now_unix_ms = session.Now();
  options.call_timeout = std::chrono::seconds(15);
  options.max_attempts = 2;
  absl::StatusOr<std::unique_ptr<RelayClient>> relay = RelayClient::Create(profile, options);
  if (!relay.ok()) return relay.status();
  v1::SignedDirectory signed_directory;
  absl::Status fetched = (*relay)->CallWithRetry(Msg::kActionFetchDirectory, [&](auto& context) {
    return (*relay)->stub().GetDirectory(&context, v1::GetDirectoryRequest(), &signed_directory);
  });
  if (fetched.code() == absl::StatusCode::kNotFound) {
    session.err() << session.msg().Format(Msg::kInitNoDirectoryYet) << "\n";
    return absl::OkStatus();
  }
  if (!fetched.ok()) return fetched;
  absl::StatusOr<crypto::Ed25519PublicKey> pinned = PinnedDirectoryKey(profile);
  if (!pinned.ok()) return WithExitCode(pinned.status(), ExitCode::kUsage);
  if (!crypto::VerifyDirectory(signed_directory, *pinned).ok()) {
    return WithOwnAdvice(
        WithExitCode(absl::PermissionDeniedError(session.msg().Format(Msg::kInitDirectoryKeyWrong)),
                     ExitCode::kDirectory));
  }
  return absl::OkStatus();
}

}  // namespace

// Checks everything it is given before it writes anything: a refused init
// leaves no keystore and no profile behind.
absl::Status RunInit(Session& session) {
  const ParsedArgs& args = session.args();
  absl::StatusOr<std::string> profile_path = session.ProfilePath();
  if (!profile_path.ok()) return profile_path.status();
  if (PathExists(*profile_path) && !args.Has("force")) {
    return WithExitCode(
        absl::AlreadyExistsError(session.msg().Format(Msg::kProfileExists, *profile_path)),
        ExitCode::kUsage);
  }
  absl::StatusOr<std::string> directory_key =
      ReadDirectoryPublicKeyArgument(*args.Get("directory-key"));
  if (!directory_key.ok()) return WithExitCode(directory_key.status(), ExitCode::kUsage);

  v1::ClientProfile profile;
  profile.set_relay_address(*args.Get("relay"));
  profile.set_client_cert_path(Absolute(*args.Get("cert")));
  profile.set_client_key_path(Absolute(*args.Get("key")));
  profile.set_ca_cert_path(Absolute(*args.Get("ca")));
  profile.set_directory_public_key_hex(*directory_key);
  profile.set_keystore_path(
      Absolute(args.Get("keystore").value_or(absl::StrCat(DirName(*profile_path), "/keystore"))));
  profile.set_tls_server_name(args.Get("server-name").value_or(""));
  profile.set_adviser_id(args.Get("adviser-id").value_or(""));
  if (absl::Status s = ValidateProfile(profile); !s.ok()) {
    return WithExitCode(s, ExitCode::kUsage);
  }
  for (const std::string* pem :
       {&profile.client_cert_path(), &profile.client_key_path(), &profile.ca_cert_path()}) {
    if (!PathExists(*pem)) {
      return WithExitCode(absl::NotFoundError(session.msg().Format(Msg::kNoSuchFile, *pem)),
                          ExitCode::kConfig);
    }
  }
  if (absl::Status s = CheckInitCertificate(session, profile); !s.ok()) return s;
  // Keep an existing keystore (re-running init must never lose keys), but
  // prove the passphrase opens it.
  const bool reuse = PathExists(profile.keystore_path());
  if (reuse) {
    absl::StatusOr<crypto::SecretBytes> passphrase = session.KeystorePassphrase(false);
    if (!passphrase.ok()) return passphrase.status();
    absl::StatusOr<std::unique_ptr<Keystore>> existing =
        Keystore::Open(profile.keystore_path(), std::move(*passphrase));
    if (!existing.ok()) return existing.status();
  }
  // A new keystore's passphrase is checked (length rule) with the other
  // local input, before the relay is asked anything.
  std::optional<crypto::SecretBytes> new_passphrase;
  if (!reuse) {
    absl::StatusOr<crypto::SecretBytes> passphrase = session.KeystorePassphrase(true);
    if (!passphrase.ok()) return passphrase.status();
    new_passphrase = std::move(*passphrase);
  }
  if (absl::Status s = CheckInitRelay(session, profile); !s.ok()) return s;

  if (!reuse) {
    if (absl::Status s = MakeDirectories(DirName(profile.keystore_path())); !s.ok()) return s;
    absl::StatusOr<std::unique_ptr<Keystore>> created =
        Keystore::Create(profile.keystore_path(), std::move(*new_passphrase), session.io().argon2);
    if (!created.ok()) return created.status();
  }
  if (absl::Status s = SaveProfile(*profile_path, profile); !s.ok()) {
    // No keystore without a profile that names it (a new one is still empty).
    if (!reuse) std::filesystem::remove(profile.keystore_path());
    return s;
  }
  session.Print(Json::Object()
                    .Set("profile", *profile_path)
                    .Set("keystore", profile.keystore_path())
                    .Set("keystore_reused", reuse)
                    .Set("adviser_id", profile.adviser_id()),
                session.msg().Format(reuse ? Msg::kInitReused : Msg::kInitDone, *profile_path,
                                     profile.keystore_path()) +
                    "\n");
  return absl::OkStatus();
}

absl::Status RunWhoami(Session& session) {
  absl::StatusOr<CertificateInfo> cert = ProfileCertificate(session);
  if (!cert.ok()) return cert.status();
  const Messages& m = session.msg();
  const int64_t now = session.Now();
  Json json = Json::Object()
                  .Set("role", cert->role)
                  .Set("scope", cert->scope)
                  .Set("scope_name", std::string(ids::CountyName(cert->scope)))
                  .Set("id", cert->id)
                  .Set("uri", cert->uri)
                  .Set("serial", cert->serial_hex)
                  .Set("certificate_not_after_unix_ms", cert->not_after_unix_ms)
                  .Set("certificate_days_left", DaysLeft(*cert, now));
  std::string directory_text = m.Format(Msg::kWhoamiNoDirectory);
  absl::StatusOr<const v1::KeyDirectory*> directory = session.VerifiedDirectory();
  if (directory.ok()) {
    const int64_t issued = (*directory)->issued_at_unix_ms();
    directory_text = m.Format(Msg::kWhoamiDirectory, (*directory)->epoch(), FormatTimestamp(issued),
                              FormatAge(now - issued));
    json.Set("directory_epoch", (*directory)->epoch())
        .Set("directory_issued_at_unix_ms", issued)
        .Set("directory_age_ms", now - issued);
  } else if (directory.status().code() != absl::StatusCode::kNotFound) {
    return directory.status();
  }
  session.Print(json, m.Format(Msg::kWhoami, RoleLabel(m, cert->role), ScopeLabel(cert->scope),
                               cert->id, FormatTimestamp(cert->not_after_unix_ms),
                               DaysLeft(*cert, now), directory_text));
  return absl::OkStatus();
}

absl::Status RunCheck(Session& session) {
  std::string input;
  std::string file = session.args().Positional(0).value_or("-");
  if (file == "-") {
    input.assign(std::istreambuf_iterator<char>(*session.io().in),
                 std::istreambuf_iterator<char>());
  } else {
    absl::StatusOr<std::string> contents = ReadFileToString(file, 16 * 1024 * 1024);
    if (!contents.ok()) return contents.status();
    input = std::move(*contents);
  }
  guard::CheckOptions options;
  options.json = session.json();
  options.redact = session.args().Has("redact");
  options.language = session.msg().language() == Language::kSwedish
                         ? guard::MessageLanguage::kSwedish
                         : guard::MessageLanguage::kEnglish;
  guard::CheckResult result = guard::RunCheck(input, options);
  session.out() << result.out;
  if (!result.err.empty()) {
    session.err() << result.err;
    if (result.err.back() != '\n') session.err() << "\n";
  }
  if (result.exit_code == guard::kCheckExitClean) return absl::OkStatus();
  // Already reported by RunCheck: an empty message prints nothing more.
  return WithExitCode(absl::FailedPreconditionError(""), result.exit_code == guard::kCheckExitFound
                                                             ? ExitCode::kFailure
                                                             : ExitCode::kUsage);
}

absl::Status RunKeygen(Session& session) {
  absl::StatusOr<const v1::ClientProfile*> profile = session.Profile();
  if (!profile.ok()) return profile.status();
  const std::string& adviser_id = (*profile)->adviser_id();
  if (adviser_id.empty()) {
    return WithExitCode(
        absl::FailedPreconditionError(session.msg().Format(Msg::kProfileNoAdviserId)),
        ExitCode::kConfig);
  }
  absl::StatusOr<Keystore*> keystore = session.OpenKeystore();
  if (!keystore.ok()) return keystore.status();
  const bool rotate = session.args().Has("rotate");
  if ((*keystore)->CurrentAdviserKeys().ok() && !rotate) {
    return WithExitCode(absl::AlreadyExistsError(session.msg().Format(Msg::kHaveKeyPair)),
                        ExitCode::kUsage);
  }
  crypto::X25519PrivateKey encryption = crypto::X25519PrivateKey::Generate();
  crypto::Ed25519PrivateKey signing = crypto::Ed25519PrivateKey::Generate();
  v1::AdviserKeys bundle;
  bundle.set_adviser_id(adviser_id);
  bundle.set_encryption_public_key(encryption.public_key().bytes());
  bundle.set_signing_public_key(signing.public_key().bytes());
  const std::string out_path =
      session.args().Get("out").value_or(absl::StrCat("adviser-", adviser_id, ".bundle.json"));
  (*keystore)->AddAdviserKeyPair(encryption, signing, session.Now());
  // Keys first: a bundle without its private keys would be worse than none.
  if (absl::Status s = (*keystore)->Save(); !s.ok()) return s;
  if (absl::Status s = WriteFileAtomically(out_path, FormatAdviserBundle(bundle), 0644); !s.ok()) {
    return s;
  }
  session.Print(
      Json::Object()
          .Set("adviser_id", adviser_id)
          .Set("bundle", out_path)
          .Set("encryption_key_id", ToHex(encryption.public_key().KeyId()))
          .Set("signing_key_id", ToHex(signing.public_key().KeyId()))
          .Set("rotated", rotate),
      session.msg().Format(rotate ? Msg::kKeygenRotated : Msg::kKeygenDone, out_path) + "\n");
  return absl::OkStatus();
}

absl::Status RunKeysList(Session& session) {
  absl::StatusOr<Keystore*> keystore = session.OpenKeystore();
  if (!keystore.ok()) return keystore.status();
  const v1::KeystoreContents& contents = (*keystore)->contents();
  const Messages& m = session.msg();
  Table table({m.Format(Msg::kColKind), m.Format(Msg::kColReference), m.Format(Msg::kColCreated),
               m.Format(Msg::kColState)});
  Json json = Json::Object();
  Json adviser_keys = Json::Array();
  for (const auto& pair : contents.adviser_keys()) {
    absl::StatusOr<crypto::X25519PrivateKey> enc =
        crypto::X25519PrivateKey::Deserialize(crypto::AsBytes(pair.encryption_private_key()));
    const std::string key_id = enc.ok() ? ToHex(enc->public_key().KeyId()) : "damaged";
    std::string state =
        pair.superseded_at_unix_ms() == 0
            ? m.Format(Msg::kKeyCurrent)
            : m.Format(Msg::kKeySuperseded, FormatTimestamp(pair.superseded_at_unix_ms()));
    table.AddRow({m.Format(Msg::kKindAdviserKey), enc.ok() ? key_id : m.Format(Msg::kKeyDamaged),
                  FormatTimestamp(pair.created_at_unix_ms()), state});
    adviser_keys.Push(Json::Object()
                          .Set("key_id", key_id)
                          .Set("created_at_unix_ms", pair.created_at_unix_ms())
                          .Set("superseded_at_unix_ms", pair.superseded_at_unix_ms()));
  }
  Json cases = Json::Array();
  for (const auto& thread : contents.threads()) {
    table.AddRow({m.Format(Msg::kKindCase), thread.thread_id(),
                  FormatTimestamp(thread.created_at_unix_ms()),
                  std::string(ValueText(thread.last_known_state(), m))});
    cases.Push(Json::Object()
                   .Set("reference", thread.thread_id())
                   .Set("created_at_unix_ms", thread.created_at_unix_ms())
                   .Set("state", ThreadStateName(thread.last_known_state())));
  }
  json.Set("adviser_keys", std::move(adviser_keys))
      .Set("cases", std::move(cases))
      .Set("highest_directory_epoch", contents.highest_directory_epoch());
  session.Print(json, table.Render());
  return absl::OkStatus();
}

absl::Status RunKeysPrune(Session& session) {
  int64_t days = 0;
  if (!absl::SimpleAtoi(*session.args().Get("older-than"), &days) || days < 0 || days > 36500) {
    return WithExitCode(absl::InvalidArgumentError(session.msg().Format(Msg::kOlderThanRange)),
                        ExitCode::kUsage);
  }
  absl::StatusOr<Keystore*> keystore = session.OpenKeystore();
  if (!keystore.ok()) return keystore.status();
  Keystore& ks = **keystore;
  const int64_t cutoff = session.Now() - days * kDayMs;
  const int adviser_pairs = ks.PruneAdviserKeys(cutoff);

  // Closed cases: delete when closed before the cutoff, or when the relay
  // says the case is gone (purged by retention).
  std::vector<std::string> forget;
  std::vector<const v1::ThreadKeys*> ask_relay;
  for (const auto& thread : ks.contents().threads()) {
    if (thread.closed_at_unix_ms() == 0) continue;
    if (thread.closed_at_unix_ms() < cutoff) {
      forget.push_back(thread.thread_id());
    } else {
      ask_relay.push_back(&thread);
    }
  }
  if (!ask_relay.empty()) {
    absl::StatusOr<RelayClient*> relay = session.Relay();
    if (!relay.ok()) return relay.status();
    for (const v1::ThreadKeys* thread : ask_relay) {
      absl::StatusOr<ThreadPrivateKeys> keys = LoadThreadKeys(*thread);
      if (!keys.ok()) return keys.status();
      v1::GetThreadRequest request;
      request.set_thread_id(thread->thread_id());
      request.set_after_sequence(~uint64_t{0} >> 1);  // summary only
      AttachOwnershipProof(request, kMethodGetThread, keys->signing, session.Now());
      v1::ThreadView view;
      absl::Status status = (*relay)->CallWithRetry(
          Msg::kActionLookUpClosedCase,
          [&](auto& context) { return (*relay)->stub().GetThread(&context, request, &view); });
      if (status.code() == absl::StatusCode::kNotFound) {
        forget.push_back(thread->thread_id());
      } else if (!status.ok()) {
        return status;
      }
    }
  }
  for (const std::string& id : forget) ks.RemoveThread(id);
  if (absl::Status s = ks.Save(); !s.ok()) return s;
  session.Print(Json::Object()
                    .Set("adviser_key_pairs_deleted", adviser_pairs)
                    .Set("cases_deleted", static_cast<int>(forget.size())),
                session.msg().Format(Msg::kPruneDone, adviser_pairs, forget.size()) + "\n");
  return absl::OkStatus();
}

}  // namespace samrad::client
