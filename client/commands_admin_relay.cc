// samrad admin revoke | revoked | audit | stats | purge | backup: the admin
// RPCs of proto/relay.proto, called with the admin's certificate.
#include <algorithm>
#include <cstdint>
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
#include "absl/time/time.h"
#include "client/admin_audit.h"
#include "client/certificate.h"
#include "client/commands.h"
#include "client/config.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/output.h"
#include "common/ids.h"
#include "proto/common.pb.h"
#include "proto/relay.grpc.pb.h"

namespace samrad::client {
namespace {

constexpr int64_t kDayMs = 24 * 60 * 60 * 1000;

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
  absl::Status status = relay.CallWithRetry("read the audit log", [&](auto& context) {
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
    if (page->entries().empty()) break;
    for (const v1::AuditEntry& entry : page->entries()) {
      if (absl::Status s = CheckAuditEntry(entry, last.index + 1, last.hash); !s.ok()) {
        return WithExitCode(absl::DataLossError(session.msg().Format(Msg::kAuditBroken,
                                                                     last.index + 1, s.message())),
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

std::string CsvField(absl::string_view value) {
  if (value.find_first_of(",\"\n") == absl::string_view::npos) return std::string(value);
  return absl::StrCat("\"", absl::StrReplaceAll(value, {{"\"", "\"\""}}), "\"");
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
  const std::optional<std::string> serial_flag = session.args().Get("serial");
  const std::optional<std::string> cert_flag = session.args().Get("cert");
  if (serial_flag.has_value() == cert_flag.has_value()) {
    return Usage("give exactly one of --serial HEX or --cert FILE");
  }
  absl::StatusOr<std::string> serial = serial_flag.has_value()
                                           ? ids::CanonicalSerial(*serial_flag)
                                           : SerialOfCertificateFile(*cert_flag);
  if (!serial.ok() && serial_flag.has_value()) {
    return WithExitCode(serial.status(), ExitCode::kUsage);
  }
  if (!serial.ok()) return serial.status();
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::RevokeCertificateRequest request;
  request.set_serial_hex(*serial);
  request.set_reason(session.args().Get("reason").value_or(""));
  v1::RevocationRecord record;
  absl::Status status = (*relay)->CallWithRetry("revoke the certificate", [&](auto& context) {
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
  return absl::OkStatus();
}

absl::Status RunAdminRevoked(Session& session) {
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::ListRevokedReply reply;
  absl::Status status = (*relay)->CallWithRetry("list revoked certificates", [&](auto& context) {
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

absl::Status RunAdminStats(Session& session) {
  v1::StatsRequest request;
  bool date_only = false;
  if (std::optional<std::string> from = session.args().Get("from"); from.has_value()) {
    absl::StatusOr<int64_t> ms = ParseDate("from", *from, &date_only);
    if (!ms.ok()) return ms.status();
    request.set_from_unix_ms(*ms);
  }
  if (std::optional<std::string> to = session.args().Get("to"); to.has_value()) {
    absl::StatusOr<int64_t> ms = ParseDate("to", *to, &date_only);
    if (!ms.ok()) return ms.status();
    // A date means the whole day; the relay's bound is exclusive.
    request.set_to_unix_ms(date_only ? *ms + kDayMs : *ms);
    if (request.to_unix_ms() <= request.from_unix_ms()) {
      return Usage("--to must be after --from");
    }
  }
  std::vector<std::string> dimensions;
  if (std::optional<std::string> by = session.args().Get("by"); by.has_value()) {
    static const std::vector<std::string> kKnown = {"unit",    "county", "category",
                                                    "urgency", "org",    "month"};
    for (absl::string_view name : absl::StrSplit(*by, ',', absl::SkipWhitespace())) {
      std::string d(absl::StripAsciiWhitespace(name));
      if (std::find(kKnown.begin(), kKnown.end(), d) == kKnown.end()) {
        return Usage(absl::StrCat("--by \"", d, "\" is not one of ", absl::StrJoin(kKnown, ",")));
      }
      if (std::find(dimensions.begin(), dimensions.end(), d) != dimensions.end()) {
        return Usage(absl::StrCat("--by names ", d, " twice"));
      }
      dimensions.push_back(d);
      request.add_group_by(d);
    }
  }
  const bool csv = session.args().Has("csv");
  if (csv && session.json()) return Usage("give --csv or --json, not both");
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::StatsReply reply;
  absl::Status status = (*relay)->CallWithRetry("read the statistics", [&](auto& context) {
    return (*relay)->stub().GetStats(&context, request, &reply);
  });
  if (!status.ok()) return status;

  const Messages& m = session.msg();
  std::vector<std::string> headings;
  for (const std::string& d : dimensions) headings.push_back(absl::AsciiStrToUpper(d));
  headings.push_back(m.Format(Msg::kColCount));
  headings.push_back(m.Format(Msg::kColMedianAnswer));
  Table table(headings);
  std::string csv_text = absl::StrCat(absl::StrJoin(dimensions, ","), dimensions.empty() ? "" : ",",
                                      "count,median_ms_to_first_answer\n");
  Json rows = Json::Array();
  for (const v1::StatsRow& row : reply.rows()) {
    std::vector<std::string> cells;
    Json group = Json::Object();
    for (const std::string& d : dimensions) {
      auto it = row.group().find(d);
      const std::string value = it == row.group().end() ? "" : GroupValue(d, it->second);
      cells.push_back(value);
      group.Set(d, value);
    }
    const int64_t median = row.median_ms_to_first_answer();
    std::vector<std::string> csv_cells;
    for (const std::string& cell : cells) csv_cells.push_back(CsvField(cell));
    csv_cells.push_back(CsvField(row.count()));
    csv_cells.push_back(median < 0 ? "" : absl::StrCat(median));
    absl::StrAppend(&csv_text, absl::StrJoin(csv_cells, ","), "\n");
    cells.push_back(row.count());
    cells.push_back(median < 0 ? "-" : FormatAge(median));
    table.AddRow(std::move(cells));
    rows.Push(Json::Object()
                  .Set("group", std::move(group))
                  .Set("count", row.count())
                  .Set("median_ms_to_first_answer", median));
  }
  if (csv) {
    session.out() << csv_text;
    return absl::OkStatus();
  }
  session.Print(Json::Object()
                    .Set("from_unix_ms", request.from_unix_ms())
                    .Set("to_unix_ms", request.to_unix_ms())
                    .Set("rows", std::move(rows)),
                table.size() == 0 ? m.Format(Msg::kStatsEmpty) + "\n" : table.Render());
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
  absl::Status status = dry_run ? (*relay)->CallWithRetry("run the retention policy", call)
                                : (*relay)->Call("run the retention policy", call);
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

absl::Status RunAdminBackup(Session& session) {
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  v1::BackupReply reply;
  // Not retried: a second attempt would make a second backup.
  absl::Status status = (*relay)->Call("make a backup", [&](auto& context) {
    return (*relay)->stub().Backup(&context, v1::BackupRequest(), &reply);
  });
  if (!status.ok()) return status;
  session.Print(Json::Object()
                    .Set("backup_id", reply.backup_id())
                    .Set("backup_dir", reply.backup_dir())
                    .Set("size_bytes", reply.size_bytes()),
                session.msg().Format(Msg::kBackupDone, reply.backup_id(), reply.backup_dir(),
                                     reply.size_bytes()) +
                    "\n");
  return absl::OkStatus();
}

}  // namespace samrad::client
