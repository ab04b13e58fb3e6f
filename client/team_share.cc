#include "client/team_share.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "client/command_helpers.h"
#include "client/exit_codes.h"
#include "client/localized_status.h"
#include "client/thread_crypto.h"
#include "common/reasons.h"
#include "crypto/envelope.h"

namespace samrad::client {
namespace {

// Attempts per relay call refused by the relay's per-certificate rate limit.
constexpr int kRateLimitAttempts = 50;

// The wait a rate-limit refusal names (reasons::Reason::kRateLimited, in
// ms; 1 s if unreadable), bounded to 10 ms .. 5 s; nullopt for any other
// status (not a rate limit).
std::optional<std::chrono::milliseconds> RateLimitWait(const absl::Status& status) {
  if (!reasons::Is(status, reasons::Reason::kRateLimited)) return std::nullopt;
  const std::optional<reasons::WireReason> reason = reasons::ReasonOf(status);
  int64_t ms = 1000;
  if (reason->args.empty() || !absl::SimpleAtoi(reason->args[0], &ms)) ms = 1000;
  return std::chrono::milliseconds(std::clamp<int64_t>(ms, 10, 5000));
}

const absl::Status& StatusOf(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}

// Runs `step` (which must be safe to repeat) until it is not refused by the
// rate limit, waiting as the relay says; bounded.
template <typename Step>
auto PacedByRateLimit(Step step) -> decltype(step()) {
  for (int attempt = 1;; ++attempt) {
    auto result = step();
    std::optional<std::chrono::milliseconds> wait = RateLimitWait(StatusOf(result));
    if (!wait || attempt == kRateLimitAttempts) return result;
    std::this_thread::sleep_for(*wait);
  }
}

// One current adviser of the unit.
struct Colleague {
  std::string adviser_id;
  crypto::X25519PublicKey key;
};

// Who shares, and with whom.
struct ShareContext {
  Keystore* keystore = nullptr;
  const v1::KeyDirectory* directory = nullptr;
  AdviserPrivateKeys keys;
  std::vector<const crypto::X25519PrivateKey*> my_keys;
  const v1::UnitEntry* unit = nullptr;
  std::map<std::string, Colleague> colleagues;  // by encryption key id
};

// The unit that lists my current signing key: only a listed adviser shares
// (the relay refuses anyone else), and only with that unit.
absl::StatusOr<const v1::UnitEntry*> MyUnit(Session& session, const v1::KeyDirectory& directory,
                                            const AdviserPrivateKeys& keys) {
  const std::string& mine = keys.signing.front().public_key().bytes();
  for (const auto& unit : directory.units()) {
    for (const auto& adviser : unit.advisers()) {
      if (adviser.signing_public_key() == mine) return &unit;
    }
  }
  return WithExitCode(
      absl::FailedPreconditionError(session.msg().Format(Msg::kTeamNotListed, directory.epoch())),
      ExitCode::kDirectory);
}

absl::StatusOr<ShareContext> LoadShareContext(Session& session) {
  ShareContext context;
  absl::StatusOr<Keystore*> keystore = session.OpenKeystore();
  if (!keystore.ok()) return keystore.status();
  context.keystore = *keystore;
  absl::StatusOr<AdviserPrivateKeys> keys = LoadAdviserKeys((*keystore)->contents());
  if (!keys.ok()) return keys.status();
  context.keys = *std::move(keys);
  for (const auto& key : context.keys.encryption) context.my_keys.push_back(&key);
  absl::StatusOr<const v1::KeyDirectory*> directory = session.VerifiedDirectory();
  if (!directory.ok()) return directory.status();
  context.directory = *directory;
  absl::StatusOr<const v1::UnitEntry*> unit = MyUnit(session, **directory, context.keys);
  if (!unit.ok()) return unit.status();
  context.unit = *unit;
  for (const auto& adviser : (*unit)->advisers()) {
    absl::StatusOr<crypto::X25519PublicKey> key =
        crypto::X25519PublicKey::FromBytes(adviser.encryption_public_key());
    if (!key.ok()) continue;  // nobody can seal to it either
    context.colleagues.emplace(key->KeyId(), Colleague{adviser.adviser_id(), *key});
  }
  return context;
}

// The key ids that can already open `envelope` (its own recipients and the
// wraps added since).
std::set<std::string> PresentKeyIds(const crypto::ParsedEnvelope& envelope,
                                    const v1::StoredMessage& stored) {
  std::set<std::string> present;
  for (const auto& wrap : envelope.header.recipients()) present.insert(wrap.key_id());
  for (const auto& wrap : stored.extra_recipients()) present.insert(wrap.key_id());
  return present;
}

// The wraps one verified message needs: its content key for every colleague
// not yet a recipient. Empty when none is missing; NOT_FOUND when this
// keystore cannot open the message.
absl::StatusOr<v1::MessageRewrap> RewrapForMissing(const ShareContext& context,
                                                   const v1::StoredMessage& stored,
                                                   std::set<std::string>& advisers) {
  v1::MessageRewrap rewrap;
  absl::StatusOr<crypto::ParsedEnvelope> envelope = crypto::ParseEnvelope(stored.envelope());
  if (!envelope.ok()) return ForeignText(envelope.status(), Msg::kLzMessageDoesNotOpen);
  const std::set<std::string> present = PresentKeyIds(*envelope, stored);
  std::vector<crypto::X25519PublicKey> missing;
  std::vector<std::string> missing_ids;
  for (const auto& [key_id, colleague] : context.colleagues) {
    if (present.contains(key_id)) continue;
    missing.push_back(colleague.key);
    missing_ids.push_back(colleague.adviser_id);
  }
  if (missing.empty()) return rewrap;
  const crypto::X25519PrivateKey* key =
      FindRecipientKey(*envelope, stored.extra_recipients(), context.my_keys);
  if (key == nullptr) return absl::NotFoundError("not addressed to this keystore");
  std::vector<v1::WrappedKey> extra(stored.extra_recipients().begin(),
                                    stored.extra_recipients().end());
  absl::StatusOr<std::vector<v1::WrappedKey>> wraps =
      crypto::RewrapContentKey(*envelope, *key, extra, missing);
  if (!wraps.ok()) return ForeignText(wraps.status(), Msg::kLzMessageDoesNotOpen);
  rewrap.set_message_id(stored.message_id());
  for (auto& wrap : *wraps) *rewrap.add_recipients() = std::move(wrap);
  advisers.insert(missing_ids.begin(), missing_ids.end());
  return rewrap;
}

// What one case contributes to the share.
struct CasePlan {
  v1::ShareThreadRequest request;
  std::set<std::string> advisers;
  uint64_t unreadable = 0;
  bool verified = false;
  uint64_t verified_sequence = 0;  // for the keystore's rollback memory
};

// Reads and verifies case `thread_id`, then prepares the wraps of every
// verified message. A case that fails verification gets verified = false and
// no wraps.
absl::StatusOr<CasePlan> PlanCase(Session& session, const ShareContext& context,
                                  const std::string& thread_id) {
  absl::StatusOr<v1::ThreadView> view = PacedByRateLimit(
      [&] { return FetchThread(session, thread_id, 0, [](v1::GetThreadRequest&) {}); });
  if (!view.ok()) return view.status();
  ReaderKeys reader;
  reader.adviser_keys = context.my_keys;
  ThreadChainState state;
  const OpenedThread opened =
      OpenThread(*view, *context.directory, context.keystore->contents(), reader, &state);
  const auto& seen = context.keystore->contents().highest_sequence_seen();
  const uint64_t before = seen.contains(thread_id) ? seen.at(thread_id) : 0;
  CasePlan plan;
  if (!CheckThreadIntegrity(session, view->summary(), opened, state, before).ok()) return plan;
  plan.verified = true;
  plan.verified_sequence = state.last_sequence;
  std::map<uint64_t, bool> readable;  // sequence -> verified and decrypted
  for (const OpenedMessage& message : opened.messages) {
    readable[message.sequence] = message.status.ok();
  }
  plan.request.set_thread_id(thread_id);
  for (const v1::StoredMessage& stored : view->messages()) {
    if (!readable[stored.sequence()]) {
      ++plan.unreadable;
      continue;
    }
    absl::StatusOr<v1::MessageRewrap> rewrap = RewrapForMissing(context, stored, plan.advisers);
    if (absl::IsNotFound(rewrap.status())) {
      ++plan.unreadable;
      continue;
    }
    if (!rewrap.ok()) return rewrap.status();
    if (rewrap->recipients_size() > 0) *plan.request.add_rewraps() = *std::move(rewrap);
  }
  return plan;
}

absl::Status SendShare(Session& session, const v1::ShareThreadRequest& request,
                       v1::ShareThreadReply& reply) {
  absl::StatusOr<RelayClient*> relay = session.Relay();
  if (!relay.ok()) return relay.status();
  return PacedByRateLimit([&] {
    return (*relay)->CallWithRetry(Msg::kActionShareCase, [&](auto& ctx) {
      return (*relay)->stub().ShareThread(&ctx, request, &reply);
    });
  });
}

}  // namespace

absl::StatusOr<ShareReport> ShareUnitBacklog(Session& session) {
  absl::StatusOr<ShareContext> context = LoadShareContext(session);
  if (!context.ok()) return context.status();
  absl::StatusOr<std::vector<v1::ThreadSummary>> threads = PacedByRateLimit([&] {
    return ListWholeQueue(
        session, {v1::THREAD_STATE_OPEN, v1::THREAD_STATE_CLAIMED, v1::THREAD_STATE_ANSWERED});
  });
  if (!threads.ok()) return threads.status();
  ShareReport report;
  report.unit = context->unit->unit_id();
  auto& seen = *context->keystore->mutable_contents().mutable_highest_sequence_seen();
  bool seen_changed = false;
  for (const v1::ThreadSummary& summary : *threads) {
    ++report.cases_examined;
    absl::StatusOr<CasePlan> plan = PlanCase(session, *context, summary.thread_id());
    if (!plan.ok()) return plan.status();
    if (!plan->verified) {
      report.refused.push_back(summary.thread_id());
      continue;
    }
    uint64_t& highest = seen[summary.thread_id()];
    if (plan->verified_sequence > highest) {
      highest = plan->verified_sequence;
      seen_changed = true;
    }
    report.messages_unreadable += plan->unreadable;
    if (plan->request.rewraps().empty()) continue;
    v1::ShareThreadReply reply;
    if (absl::Status s = SendShare(session, plan->request, reply); !s.ok()) return s;
    if (reply.wraps_added() == 0) continue;
    ++report.cases_shared;
    report.messages_shared += reply.messages_updated();
    report.wraps_added += reply.wraps_added();
    report.advisers.insert(plan->advisers.begin(), plan->advisers.end());
  }
  if (seen_changed) {
    if (absl::Status s = context->keystore->Save(); !s.ok()) return s;
  }
  return report;
}

void PrintShareReport(Session& session, const ShareReport& report) {
  const Messages& m = session.msg();
  Json advisers = Json::Array();
  for (const std::string& id : report.advisers) advisers.Push(id);
  Json refused = Json::Array();
  for (const std::string& id : report.refused) refused.Push(id);
  Json json = Json::Object()
                  .Set("unit", report.unit)
                  .Set("cases_examined", report.cases_examined)
                  .Set("cases_shared", report.cases_shared)
                  .Set("messages_shared", report.messages_shared)
                  .Set("wraps_added", report.wraps_added)
                  .Set("advisers", std::move(advisers))
                  .Set("refused", std::move(refused))
                  .Set("messages_unreadable", report.messages_unreadable);
  std::string text = report.cases_shared == 0
                         ? m.Format(Msg::kTeamNothingShared, report.cases_examined, report.unit)
                         : m.Format(Msg::kTeamShared, report.cases_shared, report.messages_shared,
                                    absl::StrJoin(report.advisers, ", "), report.cases_examined);
  text += "\n";
  if (report.messages_unreadable > 0) {
    text += m.Format(Msg::kTeamUnreadable, report.messages_unreadable) + "\n";
  }
  if (!report.refused.empty()) {
    text += m.Format(Msg::kTeamRefused, absl::StrJoin(report.refused, " ")) + "\n";
  }
  session.Print(json, text);
}

absl::Status RunTeamShare(Session& session) {
  absl::StatusOr<ShareReport> report = ShareUnitBacklog(session);
  if (!report.ok()) return report.status();
  PrintShareReport(session, *report);
  if (report->refused.empty()) return absl::OkStatus();
  return WithExitCode(
      absl::DataLossError(session.msg().Format(Msg::kTeamRefusedError, report->refused.size())),
      ExitCode::kDirectory);
}

}  // namespace samrad::client
