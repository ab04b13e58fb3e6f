// samrad admin directory ... (the signed key directory). Further admin
// commands (revoke, audit, stats, backup, purge) belong in this file too.
#include <ostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/commands.h"
#include "client/config.h"
#include "client/directory_admin.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/localized_status.h"
#include "crypto/directory.h"

namespace samrad::client {
namespace {

absl::StatusOr<std::string> WorkspaceDir(Session& session) {
  std::string dir = session.args().Get("dir").value_or(session.Env("SAMRAD_ADMIN_DIR"));
  if (dir.empty()) {
    return WithExitCode(absl::InvalidArgumentError(session.msg().Format(Msg::kNeedAdminDir)),
                        ExitCode::kUsage);
  }
  return dir;
}

// Loads, edits with `edit`, saves the working directory.
absl::Status EditWorking(Session& session,
                         const std::function<absl::Status(v1::KeyDirectory&)>& edit) {
  absl::StatusOr<std::string> dir = WorkspaceDir(session);
  if (!dir.ok()) return dir.status();
  absl::StatusOr<v1::KeyDirectory> directory = LoadWorkingDirectory(*dir);
  if (!directory.ok()) return directory.status();
  if (absl::Status s = edit(*directory); !s.ok()) return s;
  if (absl::Status s = SaveWorkingDirectory(*dir, *directory); !s.ok()) return s;
  const std::string path = absl::StrCat(*dir, "/", kWorkingDirectoryFile);
  session.Print(Json::Object().Set("working_directory", path),
                session.msg().Format(Msg::kDirSaved, path) + "\n");
  return absl::OkStatus();
}

Json UnitJson(const v1::UnitEntry& unit) {
  Json counties = Json::Array();
  for (const auto& county : unit.counties()) counties.Push(county);
  Json advisers = Json::Array();
  for (const auto& adviser : unit.advisers()) {
    advisers.Push(Json::Object()
                      .Set("adviser_id", adviser.adviser_id())
                      .Set("encryption_public_key", ToHex(adviser.encryption_public_key()))
                      .Set("signing_public_key", ToHex(adviser.signing_public_key())));
  }
  return Json::Object()
      .Set("unit_id", unit.unit_id())
      .Set("display_name", unit.display_name())
      .Set("counties", std::move(counties))
      .Set("advisers", std::move(advisers));
}

}  // namespace

absl::Status RunDirectoryInit(Session& session) {
  DirectoryInitOptions options;
  options.out_dir = *session.args().Get("out");
  options.routing_path = session.args().Get("routing").value_or("deploy/routing.textproto");
  options.argon2 = session.io().argon2;
  options.now_unix_ms = session.Now();
  if (!PathExists(options.routing_path)) {
    return WithExitCode(
        absl::NotFoundError(session.msg().Format(Msg::kNoRoutingTable, options.routing_path)),
        ExitCode::kNotFound);
  }
  absl::StatusOr<crypto::SecretBytes> passphrase = session.DirectoryKeyPassphrase(true);
  if (!passphrase.ok()) return passphrase.status();
  absl::StatusOr<std::string> pub_hex = InitDirectoryWorkspace(options, *passphrase);
  if (!pub_hex.ok()) {
    if (pub_hex.status().code() == absl::StatusCode::kAlreadyExists) {
      return WithExitCode(pub_hex.status(), ExitCode::kUsage);
    }
    return pub_hex.status();
  }
  const std::string key_path = absl::StrCat(options.out_dir, "/", kDirectoryKeyFile);
  session.Print(Json::Object()
                    .Set("directory_key", key_path)
                    .Set("directory_public_key", *pub_hex)
                    .Set("public_key_file", absl::StrCat(options.out_dir, "/", kDirectoryPubFile)),
                session.msg().Format(Msg::kDirInitDone, key_path, *pub_hex) + "\n");
  return absl::OkStatus();
}

absl::Status RunDirectoryAddUnit(Session& session) {
  const std::string unit_id = *session.args().Positional(0);
  return EditWorking(session, [&](v1::KeyDirectory& directory) {
    std::vector<std::string> counties;
    if (std::optional<std::string> list = session.args().Get("counties"); list.has_value()) {
      counties = absl::StrSplit(*list, ',', absl::SkipWhitespace());
    } else if (absl::StatusOr<const v1::UnitEntry*> existing = crypto::FindUnit(directory, unit_id);
               existing.ok()) {
      counties.assign((*existing)->counties().begin(), (*existing)->counties().end());
    }
    absl::Status s = AddUnit(directory, unit_id, session.args().Get("name").value_or(""), counties,
                             session.args().Has("fallback"));
    return s.code() == absl::StatusCode::kInvalidArgument ? WithExitCode(s, ExitCode::kUsage) : s;
  });
}

absl::Status RunDirectoryRemoveUnit(Session& session) {
  const std::string unit_id = *session.args().Positional(0);
  return EditWorking(session,
                     [&](v1::KeyDirectory& directory) { return RemoveUnit(directory, unit_id); });
}

absl::Status RunDirectoryAddAdviser(Session& session) {
  const std::string unit_id = *session.args().Positional(0);
  const std::string bundle_path = *session.args().Positional(1);
  absl::StatusOr<std::string> bundle_text = ReadFileToString(bundle_path, 64 * 1024);
  if (!bundle_text.ok()) return bundle_text.status();
  absl::StatusOr<v1::AdviserKeys> bundle = ParseAdviserBundle(*bundle_text);
  if (!bundle.ok()) {
    return WithExitCode(LocalizedWrap(absl::StatusCode::kInvalidArgument, Msg::kLzInFile,
                                      {bundle_path}, bundle.status()),
                        ExitCode::kUsage);
  }
  return EditWorking(session, [&](v1::KeyDirectory& directory) {
    return AddAdviser(directory, unit_id, *bundle);
  });
}

absl::Status RunDirectoryRemoveAdviser(Session& session) {
  const std::string unit_id = *session.args().Positional(0);
  const std::string adviser_id = *session.args().Positional(1);
  return EditWorking(session, [&](v1::KeyDirectory& directory) {
    return RemoveAdviser(directory, unit_id, adviser_id, session.args().Has("revoke-keys"));
  });
}

namespace {

// Before signing: one line on stderr per unit without advisers (its
// counties fall back to the fallback unit), and one when the fallback unit
// itself has none.
void WarnUnitsWithoutAdvisers(Session& session, const std::string& dir) {
  absl::StatusOr<v1::KeyDirectory> working = LoadWorkingDirectory(dir);
  if (!working.ok()) return;  // SignWorkspace reports it
  for (const v1::UnitEntry* unit : UnitsWithoutAdvisers(*working)) {
    if (unit->unit_id() == working->fallback_unit_id()) {
      session.err() << session.msg().Format(Msg::kDirSignFallbackNoAdvisers, unit->unit_id())
                    << "\n";
      continue;
    }
    session.err() << session.msg().Format(
                         Msg::kDirSignNoAdvisers, unit->unit_id(),
                         unit->counties().empty() ? "-" : absl::StrJoin(unit->counties(), ", "),
                         working->fallback_unit_id())
                  << "\n";
  }
}

// `sign` and `refresh`: --valid-days (1-90, default 14), then SignWorkspace.
absl::Status SignDirectoryCommand(Session& session, bool refresh) {
  absl::StatusOr<std::string> dir = WorkspaceDir(session);
  if (!dir.ok()) return dir.status();
  SignOptions options;
  options.now_unix_ms = session.Now();
  options.refresh = refresh;
  if (std::optional<std::string> days = session.args().Get("valid-days"); days.has_value()) {
    int parsed = 0;
    if (!absl::SimpleAtoi(*days, &parsed) || parsed < 1 || parsed > 90) {
      return WithExitCode(
          absl::InvalidArgumentError(session.msg().Format(Msg::kValidDaysValue, *days)),
          ExitCode::kUsage);
    }
    options.valid_for_ms = int64_t{parsed} * 24 * 3600 * 1000;
  }
  if (!refresh) WarnUnitsWithoutAdvisers(session, *dir);
  absl::StatusOr<crypto::SecretBytes> passphrase = session.DirectoryKeyPassphrase(false);
  if (!passphrase.ok()) return passphrase.status();
  absl::StatusOr<v1::SignedDirectory> signed_directory = SignWorkspace(*dir, *passphrase, options);
  if (!signed_directory.ok()) return signed_directory.status();
  v1::KeyDirectory directory;
  directory.ParseFromString(signed_directory->directory());
  const std::string path = absl::StrCat(*dir, "/", kSignedDirectoryFile);
  session.Print(Json::Object()
                    .Set("epoch", directory.epoch())
                    .Set("signed_directory", path)
                    .Set("not_after_unix_ms", directory.not_after_unix_ms()),
                session.msg().Format(Msg::kDirSigned, directory.epoch(), path,
                                     FormatTimestamp(directory.not_after_unix_ms())) +
                    "\n");
  return absl::OkStatus();
}

}  // namespace

absl::Status RunDirectorySign(Session& session) { return SignDirectoryCommand(session, false); }

absl::Status RunDirectoryRefresh(Session& session) { return SignDirectoryCommand(session, true); }

absl::Status RunDirectoryPublish(Session& session) {
  absl::StatusOr<std::string> dir = WorkspaceDir(session);
  if (!dir.ok()) return dir.status();
  absl::StatusOr<v1::SignedDirectory> signed_directory = LoadSignedDirectory(*dir);
  if (!signed_directory.ok()) return signed_directory.status();
  // Never publish what our own pinned key would refuse.
  absl::StatusOr<std::string> pub_hex = LoadDirectoryPublicKeyHex(*dir);
  if (!pub_hex.ok()) return pub_hex.status();
  absl::StatusOr<crypto::Ed25519PublicKey> pub =
      crypto::Ed25519PublicKey::FromBytes(*FromHex(*pub_hex));
  if (!pub.ok()) return pub.status();
  if (absl::StatusOr<v1::KeyDirectory> verified = crypto::VerifyDirectory(*signed_directory, *pub);
      !verified.ok()) {
    return WithExitCode(ForeignText(verified.status()), ExitCode::kDirectory);
  } else if (!crypto::CheckDirectoryFresh(*verified, session.Now()).ok()) {
    return WithExitCode(absl::FailedPreconditionError(
                            session.msg().Format(Msg::kDirectoryExpired, verified->epoch(),
                                                 FormatTimestamp(verified->not_after_unix_ms()))),
                        ExitCode::kDirectory);
  }
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::PublishDirectoryRequest request;
  *request.mutable_directory() = *signed_directory;
  v1::PublishDirectoryReply reply;
  absl::Status status = (*relay)->Call(Msg::kActionPublishDirectory, [&](auto& context) {
    return (*relay)->stub().PublishDirectory(&context, request, &reply);
  });
  if (!status.ok()) return status;
  session.Print(Json::Object().Set("epoch", reply.epoch()),
                session.msg().Format(Msg::kDirPublished, reply.epoch()) + "\n");
  return absl::OkStatus();
}

absl::Status RunDirectoryShow(Session& session) {
  absl::StatusOr<std::string> dir = WorkspaceDir(session);
  if (!dir.ok()) return dir.status();
  absl::StatusOr<v1::KeyDirectory> working = LoadWorkingDirectory(*dir);
  if (!working.ok()) return working.status();
  absl::StatusOr<std::string> pub_hex = LoadDirectoryPublicKeyHex(*dir);
  if (!pub_hex.ok()) return pub_hex.status();

  // The signed one, verified under the workspace key.
  Json signed_json = nullptr;
  std::string signed_line = "signed: none (run `samrad admin directory sign`)\n";
  if (absl::StatusOr<v1::SignedDirectory> signed_directory = LoadSignedDirectory(*dir);
      signed_directory.ok()) {
    absl::StatusOr<crypto::Ed25519PublicKey> pub =
        crypto::Ed25519PublicKey::FromBytes(*FromHex(*pub_hex));
    absl::StatusOr<v1::KeyDirectory> verified =
        pub.ok() ? crypto::VerifyDirectory(*signed_directory, *pub)
                 : absl::StatusOr<v1::KeyDirectory>(pub.status());
    if (verified.ok()) {
      signed_json = Json::Object()
                        .Set("epoch", verified->epoch())
                        .Set("issued_at_unix_ms", verified->issued_at_unix_ms())
                        .Set("not_after_unix_ms", verified->not_after_unix_ms())
                        .Set("signature_valid", true);
      signed_line = absl::StrCat(
          "signed: epoch ", verified->epoch(), ", issued ",
          FormatTimestamp(verified->issued_at_unix_ms()), ", valid until ",
          FormatTimestamp(verified->not_after_unix_ms()),
          crypto::CheckDirectoryFresh(*verified, session.Now()).ok() ? "" : " (EXPIRED)",
          ", signature valid\n");
    } else {
      signed_json = Json::Object().Set("signature_valid", false);
      signed_line = absl::StrCat("signed: INVALID (", verified.status().message(), ")\n");
    }
  }
  const Messages& m = session.msg();
  Table table({m.Format(Msg::kColUnit), m.Format(Msg::kColName), m.Format(Msg::kColCounties),
               m.Format(Msg::kColAdvisers)});
  Json units = Json::Array();
  for (const auto& unit : working->units()) {
    std::vector<std::string> advisers;
    for (const auto& adviser : unit.advisers()) advisers.push_back(adviser.adviser_id());
    std::string name = unit.display_name();
    if (unit.unit_id() == working->fallback_unit_id()) absl::StrAppend(&name, " [fallback]");
    table.AddRow(
        {unit.unit_id(), name, absl::StrJoin(unit.counties(), ","), absl::StrJoin(advisers, ",")});
    units.Push(UnitJson(unit));
  }
  Json json = Json::Object()
                  .Set("directory_public_key", *pub_hex)
                  .Set("working_epoch", working->epoch())
                  .Set("fallback_unit_id", working->fallback_unit_id())
                  .Set("units", std::move(units))
                  .Set("signed", std::move(signed_json));
  std::string text = absl::StrCat("directory public key: ", *pub_hex, "\nworking: epoch ",
                                  working->epoch(), " (the next sign makes epoch ",
                                  working->epoch() + 1, ")\n", signed_line, "\n", table.Render());
  session.Print(json, text);
  return absl::OkStatus();
}

}  // namespace samrad::client
