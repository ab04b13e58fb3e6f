// samrad admin revoke | revoked | audit | stats | purge | backup [--list]: the admin
// RPCs of proto/relay.proto, called with the admin's certificate.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "client/admin_audit.h"
#include "client/certificate.h"
#include "client/commands.h"
#include "client/config.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/output.h"
#include "client/stats_report.h"
#include "common/ids.h"
#include "common/reasons.h"
#include "crypto/directory.h"
#include "proto/common.pb.h"
#include "proto/relay.grpc.pb.h"

namespace samrad::client {
namespace {

absl::Status Usage(absl::string_view message) {
  return WithExitCode(absl::InvalidArgumentError(message), ExitCode::kUsage);
}

// "2026-11-28" (midnight UTC) or RFC 3339 ("2026-11-28T14:03:00Z").
// `*date_only` tells which it was.
absl::StatusOr<int64_t> ParseDate(absl::string_view flag, const std::string& value,
                                  bool* date_only) {
  absl::Time time;
  std::string error;
  if (absl::ParseTime("%Y-%m-%d", value, absl::UTCTimeZone(), &time, &error)) {
    *date_only = true;
  } else if (absl::ParseTime(absl::RFC3339_full, value, &time, &error)) {
    *date_only = false;
  } else {
    return Usage(absl::StrCat("--", flag, " \"", value,
                              "\" is not a date; use YYYY-MM-DD or RFC 3339 "
                              "(2026-11-28T14:03:00Z)"));
  }
  const int64_t ms = absl::ToUnixMillis(time);
  if (ms < 0) return Usage(absl::StrCat("--", flag, " must not be before 1970"));
  return ms;
}

absl::StatusOr<uint64_t> ParseCount(absl::string_view flag, const std::string& value, uint64_t min,
                                    uint64_t max) {
  uint64_t n = 0;
  if (!absl::SimpleAtoi(value, &n) || n < min || n > max) {
    return Usage(absl::StrCat("--", flag, " must be a whole number from ", min, " to ", max));
  }
  return n;
}

// The serial of the first certificate in the PEM file `path`, formatted as
// the relay's identity code formats it (client/certificate.h).
absl::StatusOr<std::string> SerialOfCertificateFile(const std::string& path) {
  absl::StatusOr<CertificateInfo> cert = ReadCertificateFile(path);
  if (!cert.ok()) {
    return WithExitCode(cert.status(), cert.status().code() == absl::StatusCode::kInvalidArgument
                                           ? ExitCode::kUsage
                                           : ExitCode::kNotFound);
  }
  return cert->serial_hex;
}

// The certificate `admin revoke` / `admin unrevoke` name: --serial HEX, or
// --cert FILE (then the PEM goes to the relay, which verifies it and takes
// serial and identity from it; a unit admin must use --cert).
struct NamedCertificate {
  std::string serial;
  std::string pem;  // empty for --serial
};
absl::StatusOr<NamedCertificate> NamedByFlags(Session& session) {
  const std::optional<std::string> serial_flag = session.args().Get("serial");
  const std::optional<std::string> cert_flag = session.args().Get("cert");
  if (serial_flag.has_value() == cert_flag.has_value()) {
    return Usage("give exactly one of --serial HEX or --cert FILE");
  }
  NamedCertificate out;
  if (serial_flag.has_value()) {
    absl::StatusOr<std::string> serial = ids::CanonicalSerial(*serial_flag);
    if (!serial.ok()) return WithExitCode(serial.status(), ExitCode::kUsage);
    out.serial = *std::move(serial);
    return out;
  }
  absl::StatusOr<std::string> serial = SerialOfCertificateFile(*cert_flag);
  if (!serial.ok()) return serial.status();
  absl::StatusOr<std::string> pem = ReadFileToString(*cert_flag);
  if (!pem.ok()) return WithExitCode(pem.status(), ExitCode::kNotFound);
  out.serial = *std::move(serial);
  out.pem = *std::move(pem);
  return out;
}

std::string ActorLabel(const v1::AuditEntry& entry) {
  return entry.actor_id().empty() ? entry.actor_role()
                                  : absl::StrCat(entry.actor_role(), " ", entry.actor_id());
}

Json AuditJson(const v1::AuditEntry& entry) {
  return Json::Object()
      .Set("index", entry.index())
      .Set("at_unix_ms", entry.at_unix_ms())
      .Set("actor_role", entry.actor_role())
      .Set("actor_id", entry.actor_id())
      .Set("action", entry.action())
      .Set("thread_id", entry.thread_id())
      .Set("detail", entry.detail())
      .Set("prev_hash", ToHex(entry.prev_hash()))
      .Set("hash", ToHex(entry.hash()));
}

absl::StatusOr<v1::AuditLogReply> FetchAudit(RelayClient& relay,
                                             const v1::AuditLogRequest& request) {
  v1::AuditLogReply reply;
  absl::Status status = relay.CallWithRetry(Msg::kActionReadAuditLog, [&](auto& context) {
    return relay.stub().GetAuditLog(&context, request, &reply);
  });
  if (!status.ok()) return status;
  return reply;
}

// Walks the whole log from index 1 and checks that it extends `anchor` (the
// last entry verified before, if any). Returns the last entry, or DATA_LOSS
// naming the first broken entry (tagged kFailure), or DATA_LOSS tagged
// kDirectory (7) when the chain no longer reaches the anchor with its hash.
absl::StatusOr<AuditAnchor> VerifyWholeAudit(Session& session, RelayClient& relay,
                                             const std::optional<AuditAnchor>& anchor) {
  AuditAnchor last{0, std::string(kAuditHashLen, '\0')};
  const auto not_extending = [&] {
    return WithExitCode(
        absl::DataLossError(session.msg().Format(Msg::kAuditNotExtending, anchor->index)),
        ExitCode::kDirectory);
  };
  for (;;) {
    v1::AuditLogRequest request;
    request.set_after_index(last.index);
    request.set_limit(1000);
    absl::StatusOr<v1::AuditLogReply> page = FetchAudit(relay, request);
    if (!page.ok()) return page.status();
    if (page->scoped()) {
      return WithExitCode(
          absl::PermissionDeniedError(session.msg().Format(Msg::kAuditScopedNoVerify)),
          ExitCode::kPermission);
    }
    if (page->entries().empty()) break;
    for (const v1::AuditEntry& entry : page->entries()) {
      if (absl::Status s = CheckAuditEntry(entry, last.index + 1, last.hash); !s.ok()) {
        return WithExitCode(absl::DataLossError(session.msg().Format(
                                Msg::kAuditBroken, last.index + 1, UserText(s, session.msg()))),
                            ExitCode::kFailure);
      }
      last = {entry.index(), entry.hash()};
      if (anchor.has_value() && last.index == anchor->index && last.hash != anchor->hash) {
        return not_extending();
      }
    }
  }
  if (anchor.has_value() && last.index < anchor->index) return not_extending();
  return last;
}

// The relay names enum values as in the proto ("CATEGORY_FGM"); show the
// command-line names ("fgm") that `samrad ask` takes. Others as given.
std::string GroupValue(absl::string_view dimension, const std::string& value) {
  if (dimension == "category") {
    v1::Category parsed;
    if (v1::Category_Parse(value, &parsed)) return std::string(CategoryName(parsed));
  } else if (dimension == "urgency") {
    v1::Urgency parsed;
    if (v1::Urgency_Parse(value, &parsed)) return std::string(UrgencyName(parsed));
  } else if (dimension == "org") {
    v1::OrgType parsed;
    if (v1::OrgType_Parse(value, &parsed)) return std::string(OrgTypeName(parsed));
  }
  return value;
}

}  // namespace

absl::Status RunAdminRevoke(Session& session) {
  absl::StatusOr<NamedCertificate> named = NamedByFlags(session);
  if (!named.ok()) return named.status();
  // A revocation cannot be undone by the one who makes it: ask before the
  // relay is called.
  if (!session.args().Has("yes")) {
    const Messages& m = session.msg();
    if (absl::Status s =
            ConfirmOnTerminal(m.Format(Msg::kRevokeConfirmPrompt, named->serial),
                              m.Format(Msg::kRevokeNeedsYes), m.Format(Msg::kNothingChanged));
        !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::RevokeCertificateRequest request;
  request.set_serial_hex(named->serial);
  request.set_certificate_pem(named->pem);
  request.set_reason(session.args().Get("reason").value_or(""));
  v1::RevocationRecord record;
  absl::Status status = (*relay)->CallWithRetry(Msg::kActionRevokeCertificate, [&](auto& context) {
    return (*relay)->stub().RevokeCertificate(&context, request, &record);
  });
  if (!status.ok()) return status;
  session.Print(Json::Object()
                    .Set("serial_hex", record.serial_hex())
                    .Set("revoked_at_unix_ms", record.revoked_at_unix_ms())
                    .Set("reason", record.reason())
                    .Set("revoked_by", record.revoked_by())
                    .Set("seen_since_start", record.seen_since_start()),
                session.msg().Format(Msg::kRevokedDone, record.serial_hex()) + "\n");
  if (!record.seen_since_start()) {
    session.err() << session.msg().Format(Msg::kRevokedUnseen, record.serial_hex()) << "\n";
  }
  if (record.claims_released() > 0) {
    session.err() << session.msg().Format(Msg::kRevokedClaimsReleased, record.claims_released())
                  << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunAdminUnrevoke(Session& session) {
  absl::StatusOr<NamedCertificate> named = NamedByFlags(session);
  if (!named.ok()) return named.status();
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::UnrevokeCertificateRequest request;
  request.set_serial_hex(named->serial);
  request.set_certificate_pem(named->pem);
  request.set_reason(session.args().Get("reason").value_or(""));
  v1::RevocationRecord record;
  absl::Status status = (*relay)->CallWithRetry(Msg::kActionUndoRevocation, [&](auto& context) {
    return (*relay)->stub().UnrevokeCertificate(&context, request, &record);
  });
  if (!status.ok()) return status;
  session.Print(Json::Object().Set("serial_hex", record.serial_hex()).Set("unrevoked", true),
                session.msg().Format(Msg::kUnrevokedDone, record.serial_hex()) + "\n");
  return absl::OkStatus();
}

absl::Status RunAdminRevoked(Session& session) {
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::ListRevokedReply reply;
  absl::Status status = (*relay)->CallWithRetry(Msg::kActionListRevoked, [&](auto& context) {
    return (*relay)->stub().ListRevoked(&context, v1::ListRevokedRequest(), &reply);
  });
  if (!status.ok()) return status;
  const Messages& m = session.msg();
  Table table({m.Format(Msg::kColSerial), m.Format(Msg::kColRevokedAt),
               m.Format(Msg::kColRevokedBy), m.Format(Msg::kColReason)});
  Json list = Json::Array();
  for (const v1::RevocationRecord& record : reply.revoked()) {
    table.AddRow({record.serial_hex(), FormatTimestamp(record.revoked_at_unix_ms()),
                  record.revoked_by(), record.reason()});
    list.Push(Json::Object()
                  .Set("serial_hex", record.serial_hex())
                  .Set("revoked_at_unix_ms", record.revoked_at_unix_ms())
                  .Set("reason", record.reason())
                  .Set("revoked_by", record.revoked_by()));
  }
  session.Print(Json::Object().Set("revoked", std::move(list)),
                table.size() == 0 ? m.Format(Msg::kNoneRevoked) + "\n" : table.Render());
  return absl::OkStatus();
}

absl::Status RunAdminRelease(Session& session) {
  // An admin has no queue to resolve a short reference in.
  const std::string id = absl::AsciiStrToLower(*session.args().Positional(0));
  if (!ids::IsHexId(id)) {
    return Usage(session.msg().Format(Msg::kFullReferenceNeeded, *session.args().Positional(0)));
  }
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::ForceReleaseThreadRequest request;
  request.set_thread_id(id);
  v1::ThreadSummary summary;
  absl::Status status = (*relay)->Call(Msg::kActionFreeCase, [&](auto& context) {
    return (*relay)->stub().ForceReleaseThread(&context, request, &summary);
  });
  if (reasons::Is(status, reasons::Reason::kNotClaimedByAnyone)) {
    return WithExitCode(
        absl::FailedPreconditionError(session.msg().Format(Msg::kNotClaimedNothingToRelease, id)),
        ExitCode::kConflict);
  }
  if (!status.ok()) return status;
  session.Print(Json::Object()
                    .Set("reference", id)
                    .Set("state", std::string(ThreadStateName(summary.state()))),
                session.msg().Format(Msg::kForceReleased, id) + "\n");
  return absl::OkStatus();
}

absl::Status RunAdminAudit(Session& session) {
  v1::AuditLogRequest request;
  if (std::optional<std::string> since = session.args().Get("since"); since.has_value()) {
    bool date_only = false;
    absl::StatusOr<int64_t> ms = ParseDate("since", *since, &date_only);
    if (!ms.ok()) return ms.status();
    request.set_since_unix_ms(*ms);
  }
  if (std::optional<std::string> after = session.args().Get("after"); after.has_value()) {
    absl::StatusOr<uint64_t> index = ParseCount("after", *after, 0, UINT64_MAX / 2);
    if (!index.ok()) return index.status();
    request.set_after_index(*index);
  }
  request.set_limit(200);
  if (std::optional<std::string> limit = session.args().Get("limit"); limit.has_value()) {
    absl::StatusOr<uint64_t> n = ParseCount("limit", *limit, 1, 1000);
    if (!n.ok()) return n.status();
    request.set_limit(static_cast<uint32_t>(*n));
  }
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  absl::StatusOr<v1::AuditLogReply> reply = FetchAudit(**relay, request);
  if (!reply.ok()) return reply.status();

  const Messages& m = session.msg();
  Table table({m.Format(Msg::kColIndex), m.Format(Msg::kColTime), m.Format(Msg::kColActor),
               m.Format(Msg::kColAction), m.Format(Msg::kColThread), m.Format(Msg::kColDetail)});
  Json entries = Json::Array();
  for (const v1::AuditEntry& entry : reply->entries()) {
    table.AddRow({absl::StrCat(entry.index()), FormatTimestamp(entry.at_unix_ms()),
                  ActorLabel(entry), entry.action(), entry.thread_id(), entry.detail()});
    entries.Push(AuditJson(entry));
  }
  Json json = Json::Object().Set("entries", std::move(entries));
  std::string text = table.size() == 0 ? m.Format(Msg::kAuditEmpty) + "\n" : table.Render();
  absl::Status verdict = absl::OkStatus();
  if (session.args().Has("verify")) {
    absl::StatusOr<const v1::ClientProfile*> profile = session.Profile();
    if (!profile.ok()) return profile.status();
    const std::string anchor_path = AuditAnchorPath((*profile)->keystore_path());
    std::optional<AuditAnchor> anchor;
    if (absl::StatusOr<AuditAnchor> loaded = LoadAuditAnchor(anchor_path); loaded.ok()) {
      anchor = *std::move(loaded);
    } else if (loaded.status().code() != absl::StatusCode::kNotFound) {
      return WithExitCode(loaded.status(), ExitCode::kConfig);
    }
    absl::StatusOr<AuditAnchor> verified = VerifyWholeAudit(session, **relay, anchor);
    if (verified.ok()) {
      if (absl::Status s = SaveAuditAnchor(anchor_path, *verified); !s.ok()) return s;
      json.Set("chain_intact", true).Set("chain_length", verified->index);
      absl::StrAppend(&text, m.Format(Msg::kAuditIntact, verified->index), "\n");
    } else if (verified.status().code() == absl::StatusCode::kDataLoss) {
      json.Set("chain_intact", false).Set("chain_error", verified.status().message());
      verdict = verified.status();
    } else {
      return verified.status();
    }
  }
  session.Print(json, text);
  return verdict;
}

namespace {

// --NAME as a whole number in [low, high]; nullopt when not given.
absl::StatusOr<std::optional<int>> IntFlag(Session& session, absl::string_view name, int low,
                                           int high) {
  std::optional<std::string> text = session.args().Get(name);
  if (!text.has_value()) return std::optional<int>();
  int value = 0;
  if (!absl::SimpleAtoi(*text, &value) || value < low || value > high) {
    return Usage(session.msg().Format(Msg::kBadNumber, name, *text, low, high));
  }
  return std::optional<int>(value);
}

// The calendar period of --year/--quarter/--month; without --year the
// current UTC year for a quarter or month, else the last whole year.
absl::StatusOr<v1::StatsRequest> StatsPeriodRequest(Session& session) {
  const Messages& m = session.msg();
  if (session.args().Has("from") || session.args().Has("to")) {
    return Usage(m.Format(Msg::kStatsRangeGone));
  }
  absl::StatusOr<std::optional<int>> year = IntFlag(session, "year", 2000, 2999);
  if (!year.ok()) return year.status();
  absl::StatusOr<std::optional<int>> quarter = IntFlag(session, "quarter", 1, 4);
  if (!quarter.ok()) return quarter.status();
  absl::StatusOr<std::optional<int>> month = IntFlag(session, "month", 1, 12);
  if (!month.ok()) return month.status();
  if (quarter->has_value() && month->has_value()) return Usage(m.Format(Msg::kStatsOnePeriod));
  const int this_year = static_cast<int>(
      absl::ToCivilYear(absl::FromUnixMillis(session.Now()), absl::UTCTimeZone()).year());
  v1::StatsRequest request;
  const bool part = quarter->has_value() || month->has_value();
  request.set_year(year->value_or(part ? this_year : this_year - 1));
  if (quarter->has_value()) {
    request.set_period(v1::STATS_PERIOD_QUARTER);
    request.set_index(**quarter);
  } else if (month->has_value()) {
    request.set_period(v1::STATS_PERIOD_MONTH);
    request.set_index(**month);
  } else {
    request.set_period(v1::STATS_PERIOD_YEAR);
  }
  // The relay refuses a period that has not ended; say so here, in the
  // user's language.
  const std::vector<std::string> months = PeriodMonths(request);
  absl::CivilMonth last;
  if (absl::ParseCivilTime(months.back(), &last)) {
    const absl::Time end = absl::FromCivil(last + 1, absl::UTCTimeZone());
    if (absl::ToUnixMillis(end) > session.Now()) {
      return Usage(m.Format(Msg::kStatsNotEnded, PeriodLabel(request, m),
                            absl::FormatTime("%Y-%m-%d", end, absl::UTCTimeZone())));
    }
  }
  return request;
}

absl::Status AddStatsDimensions(Session& session, v1::StatsRequest& request) {
  const Messages& m = session.msg();
  const std::vector<std::string>& known = StatsDimensions();
  for (absl::string_view name :
       absl::StrSplit(session.args().Get("by").value_or("unit"), ',', absl::SkipWhitespace())) {
    std::string d(absl::StripAsciiWhitespace(name));
    if (std::find(known.begin(), known.end(), d) == known.end()) {
      return Usage(m.Format(Msg::kStatsBadDimension, d, absl::StrJoin(known, ",")));
    }
    if (std::find(request.group_by().begin(), request.group_by().end(), d) !=
        request.group_by().end()) {
      return Usage(m.Format(Msg::kStatsDimensionTwice, d));
    }
    request.add_group_by(d);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::StatsReply> FetchStats(RelayClient& relay, const v1::StatsRequest& request) {
  v1::StatsReply reply;
  absl::Status status = relay.CallWithRetry(Msg::kActionReadStatistics, [&](auto& context) {
    return relay.stub().GetStats(&context, request, &reply);
  });
  if (!status.ok()) return status;
  return reply;
}

// The served directory verified under the pinned key, for unit names and
// counties only (no keystore is opened; nothing is recorded). An empty
// directory when it cannot be had: the report then shows unit ids.
v1::KeyDirectory DirectoryForNames(Session& session, RelayClient& relay) {
  absl::StatusOr<const v1::ClientProfile*> profile = session.Profile();
  if (!profile.ok()) return {};
  absl::StatusOr<crypto::Ed25519PublicKey> pinned = PinnedDirectoryKey(**profile);
  if (!pinned.ok()) return {};
  v1::SignedDirectory signed_directory;
  absl::Status fetched = relay.CallWithRetry(Msg::kActionFetchDirectory, [&](auto& context) {
    return relay.stub().GetDirectory(&context, v1::GetDirectoryRequest(), &signed_directory);
  });
  if (!fetched.ok()) return {};
  absl::StatusOr<v1::KeyDirectory> directory = crypto::VerifyDirectory(signed_directory, *pinned);
  return directory.ok() ? *std::move(directory) : v1::KeyDirectory();
}

Json StatsJson(const v1::StatsRequest& request, const v1::StatsReply& reply) {
  Json rows = Json::Array();
  for (const v1::StatsRow& row : reply.rows()) {
    Json group = Json::Object();
    for (const std::string& d : request.group_by()) {
      auto it = row.group().find(d);
      group.Set(d, it == row.group().end() ? "" : GroupValue(d, it->second));
    }
    rows.Push(Json::Object()
                  .Set("group", std::move(group))
                  .Set("count", row.count())
                  .Set("published_count", row.published_count())
                  .Set("suppressed_cells", row.suppressed_cells())
                  .Set("median_ms_to_first_answer", row.median_ms_to_first_answer()));
  }
  return Json::Object()
      .Set("period", absl::AsciiStrToLower(
                         v1::StatsPeriod_Name(request.period()).substr(strlen("STATS_PERIOD_"))))
      .Set("year", request.year())
      .Set("index", request.index())
      .Set("rows", std::move(rows));
}

// --svg FILE: the follow-up charts of the same period (two more queries).
absl::Status WriteStatsSvg(Session& session, RelayClient& relay, const v1::StatsRequest& period,
                           const v1::KeyDirectory& directory, const std::string& path) {
  const Messages& m = session.msg();
  v1::StatsRequest by_month = period;
  by_month.clear_group_by();
  by_month.add_group_by("month");
  by_month.add_group_by("category");
  v1::StatsRequest by_unit = period;
  by_unit.clear_group_by();
  by_unit.add_group_by("unit");
  absl::StatusOr<v1::StatsReply> months = FetchStats(relay, by_month);
  if (!months.ok()) return months.status();
  absl::StatusOr<v1::StatsReply> units = FetchStats(relay, by_unit);
  if (!units.ok()) return units.status();
  const std::string svg =
      FollowUpSvg(BuildReport(by_month, *months, directory, m),
                  BuildReport(by_unit, *units, directory, m), PeriodLabel(period, m), m);
  if (absl::Status s = WriteFileAtomically(path, svg); !s.ok()) {
    return WithExitCode(s, ExitCode::kFailure);
  }
  session.err() << m.Format(Msg::kStatsSvgWritten, path) << "\n";
  return absl::OkStatus();
}

}  // namespace

absl::Status RunAdminStats(Session& session) {
  const Messages& m = session.msg();
  absl::StatusOr<v1::StatsRequest> request = StatsPeriodRequest(session);
  if (!request.ok()) return request.status();
  if (absl::Status s = AddStatsDimensions(session, *request); !s.ok()) return s;
  const bool csv = session.args().Has("csv");
  if (csv && session.json()) return Usage(m.Format(Msg::kStatsCsvOrJson));
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  absl::StatusOr<v1::StatsReply> reply = FetchStats(**relay, *request);
  if (!reply.ok()) return reply.status();
  if (session.json()) {
    session.out() << StatsJson(*request, *reply).Dump() << "\n";
  } else {
    const v1::KeyDirectory directory = DirectoryForNames(session, **relay);
    const StatsReport report = BuildReport(*request, *reply, directory, m);
    if (csv) {
      session.out() << ReportCsv(report, m);
    } else {
      session.out() << m.Format(Msg::kStatsTitle, PeriodLabel(*request, m)) << "\n\n"
                    << ReportTable(report, m);
    }
    if (std::optional<std::string> svg = session.args().Get("svg"); svg.has_value()) {
      return WriteStatsSvg(session, **relay, *request, directory, *svg);
    }
  }
  return absl::OkStatus();
}

absl::Status RunAdminPurge(Session& session) {
  const bool dry_run = session.args().Has("dry-run");
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::RetentionRequest request;
  request.set_dry_run(dry_run);
  v1::RetentionReply reply;
  // A real purge is not repeated on UNAVAILABLE: the first may have run.
  auto call = [&](auto& context) {
    return (*relay)->stub().RunRetention(&context, request, &reply);
  };
  absl::Status status = dry_run ? (*relay)->CallWithRetry(Msg::kActionRunRetention, call)
                                : (*relay)->Call(Msg::kActionRunRetention, call);
  if (!status.ok()) return status;
  Json ids = Json::Array();
  std::string text =
      session.msg().Format(dry_run ? Msg::kPurgeWould : Msg::kPurgeDone, reply.threads_closed(),
                           reply.threads_purged(), reply.messages_purged()) +
      "\n";
  for (const std::string& id : reply.purged_thread_ids()) {
    ids.Push(id);
    absl::StrAppend(&text, "  ", id, "\n");
  }
  session.Print(Json::Object()
                    .Set("dry_run", dry_run)
                    .Set("threads_closed", reply.threads_closed())
                    .Set("threads_purged", reply.threads_purged())
                    .Set("messages_purged", reply.messages_purged())
                    .Set("thread_ids", std::move(ids)),
                text);
  return absl::OkStatus();
}

namespace {

// `samrad admin backup --list`: the relay's ListBackups, oldest first.
absl::Status ListBackups(Session& session, RelayClient& relay) {
  v1::ListBackupsReply reply;
  absl::Status status = relay.CallWithRetry(Msg::kActionListBackups, [&](auto& context) {
    return relay.stub().ListBackups(&context, v1::ListBackupsRequest(), &reply);
  });
  if (!status.ok()) return status;
  const Messages& m = session.msg();
  Table table({m.Format(Msg::kColBackupId), m.Format(Msg::kColCreated), m.Format(Msg::kColSize),
               m.Format(Msg::kColFiles)});
  Json list = Json::Array();
  for (const v1::BackupSummary& b : reply.backups()) {
    table.AddRow({absl::StrCat(b.backup_id()), FormatTimestamp(b.created_unix_ms()),
                  absl::StrCat(b.size_bytes()), absl::StrCat(b.num_files())});
    list.Push(Json::Object()
                  .Set("backup_id", b.backup_id())
                  .Set("created_unix_ms", b.created_unix_ms())
                  .Set("size_bytes", b.size_bytes())
                  .Set("num_files", b.num_files()));
  }
  const std::string text =
      table.size() == 0
          ? m.Format(Msg::kNoBackups, reply.backup_dir()) + "\n"
          : absl::StrCat(m.Format(Msg::kBackupListTitle, reply.backup_dir(), reply.backup_keep()),
                         "\n\n", table.Render(), "\n",
                         m.Format(Msg::kBackupRestoreHint, reply.backup_dir()), "\n");
  session.Print(Json::Object()
                    .Set("backup_dir", reply.backup_dir())
                    .Set("backup_keep", reply.backup_keep())
                    .Set("backups", std::move(list)),
                text);
  return absl::OkStatus();
}

}  // namespace

absl::Status RunAdminBackup(Session& session) {
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  if (session.args().Has("list")) return ListBackups(session, **relay);
  v1::BackupReply reply;
  // Not retried: a second attempt would make a second backup.
  absl::Status status = (*relay)->Call(Msg::kActionMakeBackup, [&](auto& context) {
    return (*relay)->stub().Backup(&context, v1::BackupRequest(), &reply);
  });
  if (!status.ok()) return status;
  Json purged = Json::Array();
  for (uint32_t id : reply.purged_backup_ids()) purged.Push(id);
  std::string text = session.msg().Format(Msg::kBackupDone, reply.backup_id(), reply.backup_dir(),
                                          reply.size_bytes()) +
                     "\n";
  if (!reply.purged_backup_ids().empty()) {
    absl::StrAppend(&text,
                    session.msg().Format(Msg::kBackupPurged, reply.backup_keep(),
                                         absl::StrJoin(reply.purged_backup_ids(), ", ")),
                    "\n");
  }
  session.Print(Json::Object()
                    .Set("backup_id", reply.backup_id())
                    .Set("backup_dir", reply.backup_dir())
                    .Set("size_bytes", reply.size_bytes())
                    .Set("backup_keep", reply.backup_keep())
                    .Set("purged_backup_ids", std::move(purged)),
                text);
  return absl::OkStatus();
}

}  // namespace samrad::client
