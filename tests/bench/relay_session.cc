#include "tests/bench/relay_session.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "crypto/directory.h"
#include "crypto/envelope.h"
#include "crypto/random.h"
#include "tests/bench/key_files.h"
#include "tests/bench/tls_files.h"

namespace samrad::bench {

absl::Status FromGrpc(const grpc::Status& status, const std::string& what) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

absl::StatusOr<crypto::Ed25519PublicKey> LoadDirectoryPublicKey(const std::string& path) {
  absl::StatusOr<std::string> data = ReadFile(path);
  if (!data.ok()) return data.status();
  absl::StatusOr<std::string> raw = DecodeEd25519KeyFile(*data, Ed25519KeyFileKind::kPublic,
                                                         absl::StrCat("--directory-key ", path));
  if (!raw.ok()) return raw.status();
  return crypto::Ed25519PublicKey::FromBytes(*raw);
}

absl::StatusOr<VerifiedDirectory> FetchDirectory(v1::Relay::Stub& stub,
                                                 const crypto::Ed25519PublicKey& pinned,
                                                 int64_t deadline_ms) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  VerifiedDirectory out;
  const grpc::Status status =
      stub.GetDirectory(&context, v1::GetDirectoryRequest(), &out.signed_directory);
  if (!status.ok()) return FromGrpc(status, "GetDirectory");
  absl::StatusOr<v1::KeyDirectory> directory =
      crypto::VerifyDirectory(out.signed_directory, pinned);
  if (!directory.ok()) {
    return absl::Status(
        directory.status().code(),
        absl::StrCat("the relay's directory does not verify under --directory-key: ",
                     directory.status().message()));
  }
  out.directory = *std::move(directory);
  return out;
}

absl::StatusOr<Route> RouteFor(const v1::KeyDirectory& directory, const std::string& county) {
  absl::StatusOr<const v1::UnitEntry*> unit = crypto::RouteCounty(directory, county);
  if (!unit.ok()) return unit.status();
  Route route;
  route.unit_id = (*unit)->unit_id();
  route.epoch = directory.epoch();
  for (const v1::AdviserKeys& adviser : (*unit)->advisers()) {
    absl::StatusOr<crypto::X25519PublicKey> key =
        crypto::X25519PublicKey::FromBytes(adviser.encryption_public_key());
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("directory epoch ", directory.epoch(),
                                                     ": adviser ", adviser.adviser_id(),
                                                     " has a malformed encryption key"));
    }
    route.recipients.push_back(*std::move(key));
  }
  if (route.recipients.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("county ", county, " routes to unit ", route.unit_id,
                     " which has no adviser at epoch ", directory.epoch()));
  }
  return route;
}

namespace {

// Deterministic filler text (the relay never sees it; only its length matters).
std::string FillerText(int bytes, uint64_t seed) {
  std::string text(bytes, ' ');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (char& c : text) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>('a' + x % 26);
  }
  return text;
}

absl::StatusOr<PreparedThread> SealOne(const Route& route, const SealPlan& plan, int64_t index) {
  PreparedThread t;
  t.thread_key = std::make_unique<crypto::Ed25519PrivateKey>(crypto::Ed25519PrivateKey::Generate());
  t.reply_key = std::make_unique<crypto::X25519PrivateKey>(crypto::X25519PrivateKey::Generate());
  t.thread_id = crypto::RandomId();
  t.message_id = crypto::RandomId();

  crypto::EnvelopeContext context;
  context.thread_id = t.thread_id;
  context.message_id = t.message_id;
  context.sequence = 1;
  context.sender_role = v1::SENDER_ROLE_PROFESSIONAL;
  context.unit = route.unit_id;
  context.directory_epoch = route.epoch;

  v1::EnvelopeBody body;
  body.set_text(FillerText(plan.payload_bytes, static_cast<uint64_t>(index)));
  body.set_thread_reply_public_key(t.reply_key->public_key().bytes());
  body.set_thread_signing_public_key(t.thread_key->public_key().bytes());

  absl::StatusOr<std::string> envelope =
      crypto::SealEnvelope(context, body, route.recipients, *t.thread_key);
  if (!envelope.ok()) return envelope.status();

  v1::CaseMetadata& metadata = *t.request.mutable_metadata();
  metadata.set_county(plan.county);
  metadata.set_category(static_cast<v1::Category>(1 + index % 5));
  metadata.set_urgency(static_cast<v1::Urgency>(1 + (index / 5) % 3));
  metadata.set_org_type(static_cast<v1::OrgType>(1 + (index / 15) % 6));
  metadata.set_age_group(static_cast<v1::AgeGroup>(1 + (index / 90) % 3));
  t.request.set_thread_signing_public_key(t.thread_key->public_key().bytes());
  t.request.set_envelope(*std::move(envelope));
  return t;
}

}  // namespace

absl::StatusOr<std::vector<PreparedThread>> SealConsultations(const Route& route,
                                                              const SealPlan& plan) {
  std::vector<PreparedThread> out(plan.count);
  std::atomic<int64_t> next{0};
  std::mutex mu;
  absl::Status first_error;
  auto worker = [&] {
    for (int64_t i = next++; i < plan.count; i = next++) {
      absl::StatusOr<PreparedThread> t = SealOne(route, plan, i);
      if (!t.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.ok()) first_error = t.status();
        next = plan.count;
        return;
      }
      out[i] = *std::move(t);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, plan.threads); ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (!first_error.ok()) return first_error;
  return out;
}

}  // namespace samrad::bench
