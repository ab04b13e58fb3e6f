// samrad-tamper-proxy: a compromised relay for end-to-end tests (issue 14).
// Test-only; never installed.
//
// It listens on 127.0.0.1 with the relay's own certificate and key, requires
// a client certificate and checks it exactly as the relay does (PeerVerifier
// of server/identity.h: chain at the handshake, then dates, purpose and URI
// per call), and forwards every RPC of samrad.v1.Relay to the real relay over
// mutual TLS under the caller's own identity: the channel whose
// --client-identity certificate equals the caller's (auth property
// x509_pem_cert). A caller with no matching identity gets UNAVAILABLE.
//
// Replies pass through unchanged unless the rules file (--rules, re-read on
// every call; missing = no rules) says otherwise. One rule a line, `#`
// starts a comment:
//   summary_unit UNIT       every ThreadSummary in a reply says unit UNIT
//   serve_directory FILE    GetDirectory answers the SignedDirectory in FILE
//   record_directory FILE   GetDirectory's reply bytes are also written to FILE
//   drop_sequence N         message N leaves GetThread replies and WatchThread
//   truncate_after N        messages after N leave GetThread replies (and
//                           WatchThread); summary.message_count says N
//   inject_message FILE     the StoredMessage in FILE joins GetThread replies
//   swallow_post FILE       PostMessage is not forwarded: the message is kept
//                           in FILE as the StoredMessage the relay would have
//                           stored, and the caller gets an Ack as if it had
//   audit_truncate N        GetAuditLog replies lose every entry from index N
//   audit_rewrite N DETAIL  entry N's detail becomes DETAIL and the chain from
//                           N on is recomputed so that it verifies internally
// A rule that does not parse fails the call with INTERNAL naming the line.
//
// Usage: samrad-tamper-proxy --upstream HOST:PORT --cert PEM --key PEM
//          --ca PEM --client-identity CERT,KEY [--client-identity ...]
//          --rules FILE --port-file FILE [--listen 127.0.0.1:0]
// Prints "tamper-proxy listening port=N" on stderr once it serves and writes
// N to --port-file. Stops on SIGTERM or SIGINT.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "client/admin_audit.h"
#include "client/file_util.h"
#include "crypto/process_lifetime.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "proto/relay.grpc.pb.h"
#include "server/handshake_verifier.h"
#include "server/identity.h"

namespace samrad::tamper {
namespace {

using client::ReadFileToString;
using client::WriteFileAtomically;
namespace v1 = samrad::v1;

void Log(const std::string& line) { std::fprintf(stderr, "tamper-proxy: %s\n", line.c_str()); }

// The first PEM certificate in `text` with all whitespace removed, so a
// certificate read from a file compares equal to the one gRPC reports.
std::string CanonicalCertificate(absl::string_view text) {
  constexpr absl::string_view kEnd = "-----END CERTIFICATE-----";
  size_t begin = text.find("-----BEGIN CERTIFICATE-----");
  if (begin == absl::string_view::npos) return "";
  size_t end = text.find(kEnd, begin);
  if (end == absl::string_view::npos) return "";
  std::string out;
  for (char c : text.substr(begin, end + kEnd.size() - begin)) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) out.push_back(c);
  }
  return out;
}

// What the rules file asks for, as of one call.
struct Rules {
  std::optional<std::string> summary_unit;
  std::optional<std::string> serve_directory;
  std::optional<std::string> record_directory;
  std::set<uint64_t> drop_sequences;
  std::optional<uint64_t> truncate_after;
  std::vector<std::string> inject_messages;
  std::optional<std::string> swallow_post;
  std::optional<uint64_t> audit_truncate;
  std::optional<std::pair<uint64_t, std::string>> audit_rewrite;
};

// Parses `path` (missing file: no rules). INTERNAL naming the line otherwise.
grpc::Status LoadRules(const std::string& path, Rules* rules) {
  if (path.empty() || !client::PathExists(path)) return grpc::Status::OK;
  absl::StatusOr<std::string> text = ReadFileToString(path, 1024 * 1024);
  if (!text.ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat("tamper rules ", path, ": ", text.status().message()));
  }
  int number = 0;
  for (absl::string_view raw : absl::StrSplit(*text, '\n')) {
    ++number;
    absl::string_view line = absl::StripAsciiWhitespace(raw.substr(0, raw.find('#')));
    if (line.empty()) continue;
    std::vector<std::string> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const std::string& name = words[0];
    auto bad = [&](absl::string_view why) {
      return grpc::Status(grpc::StatusCode::INTERNAL, absl::StrCat("tamper rules ", path, " line ",
                                                                   number, " (", line, "): ", why));
    };
    uint64_t n = 0;
    const bool has_number = words.size() >= 2 && absl::SimpleAtoi(words[1], &n);
    if (name == "audit_rewrite") {
      if (!has_number || words.size() < 3) return bad("expected: audit_rewrite INDEX DETAIL");
      size_t detail = line.find(words[2], line.find(words[1]) + words[1].size());
      rules->audit_rewrite = std::make_pair(n, std::string(line.substr(detail)));
      continue;
    }
    if (words.size() != 2) return bad("expected one argument");
    if (name == "summary_unit") {
      rules->summary_unit = words[1];
    } else if (name == "serve_directory") {
      rules->serve_directory = words[1];
    } else if (name == "record_directory") {
      rules->record_directory = words[1];
    } else if (name == "swallow_post") {
      rules->swallow_post = words[1];
    } else if (name == "inject_message") {
      rules->inject_messages.push_back(words[1]);
    } else if (!has_number) {
      return bad("unknown rule or its argument is not a number");
    } else if (name == "drop_sequence") {
      rules->drop_sequences.insert(n);
    } else if (name == "truncate_after") {
      rules->truncate_after = n;
    } else if (name == "audit_truncate") {
      rules->audit_truncate = n;
    } else {
      return bad("unknown rule");
    }
  }
  return grpc::Status::OK;
}

// Whether `rules` remove message `sequence` from what a reader sees.
bool Hidden(const Rules& rules, uint64_t sequence) {
  return rules.drop_sequences.count(sequence) > 0 ||
         (rules.truncate_after.has_value() && sequence > *rules.truncate_after);
}

class TamperingRelay final : public v1::Relay::Service {
 public:
  struct Identity {
    std::string certificate;  // CanonicalCertificate
    std::unique_ptr<v1::Relay::Stub> stub;
  };

  TamperingRelay(std::string rules_path, std::vector<Identity> identities,
                 server::PeerVerifier* verifier)
      : rules_path_(std::move(rules_path)),
        identities_(std::move(identities)),
        verifier_(verifier) {}

  grpc::Status GetDirectory(grpc::ServerContext* ctx, const v1::GetDirectoryRequest* request,
                            v1::SignedDirectory* reply) override {
    return Forward(
        ctx, "GetDirectory", &v1::Relay::Stub::GetDirectory, *request, reply,
        [&](const Rules& rules) -> grpc::Status {
          if (rules.record_directory.has_value()) {
            auto written = WriteFileAtomically(*rules.record_directory, reply->SerializeAsString());
            if (!written.ok()) return Internal(written.message());
            Log(absl::StrCat("recorded the directory to ", *rules.record_directory));
          }
          if (rules.serve_directory.has_value()) {
            auto bytes = ReadFileToString(*rules.serve_directory, 16 * 1024 * 1024);
            if (!bytes.ok() || !reply->ParseFromString(*bytes)) {
              return Internal(absl::StrCat("cannot serve directory ", *rules.serve_directory));
            }
            Log(absl::StrCat("served the directory in ", *rules.serve_directory));
          }
          return grpc::Status::OK;
        });
  }

  grpc::Status GetThread(grpc::ServerContext* ctx, const v1::GetThreadRequest* request,
                         v1::ThreadView* reply) override {
    return Forward(ctx, "GetThread", &v1::Relay::Stub::GetThread, *request, reply,
                   [&](const Rules& rules) { return TamperView(rules, *reply); });
  }

  grpc::Status WatchThread(grpc::ServerContext* ctx, const v1::WatchThreadRequest* request,
                           grpc::ServerWriter<v1::ThreadEvent>* writer) override {
    return ForwardStream(
        ctx, "WatchThread", &v1::Relay::Stub::WatchThread, *request, writer,
        [&](const Rules& rules, v1::ThreadEvent& event) {
          TamperSummary(rules, *event.mutable_summary());
          if (event.has_message() && Hidden(rules, event.message().sequence())) {
            Log(absl::StrCat("WatchThread: hid message ", event.message().sequence()));
            return false;
          }
          return true;
        });
  }

  grpc::Status WatchQueue(grpc::ServerContext* ctx, const v1::WatchQueueRequest* request,
                          grpc::ServerWriter<v1::QueueEvent>* writer) override {
    return ForwardStream(ctx, "WatchQueue", &v1::Relay::Stub::WatchQueue, *request, writer,
                         [&](const Rules& rules, v1::QueueEvent& event) {
                           TamperSummary(rules, *event.mutable_thread());
                           return true;
                         });
  }

  grpc::Status ListQueue(grpc::ServerContext* ctx, const v1::ListQueueRequest* request,
                         v1::QueuePage* reply) override {
    return Forward(ctx, "ListQueue", &v1::Relay::Stub::ListQueue, *request, reply,
                   [&](const Rules& rules) {
                     for (auto& thread : *reply->mutable_threads()) TamperSummary(rules, thread);
                     return grpc::Status::OK;
                   });
  }

  grpc::Status GetAuditLog(grpc::ServerContext* ctx, const v1::AuditLogRequest* request,
                           v1::AuditLogReply* reply) override {
    return Forward(ctx, "GetAuditLog", &v1::Relay::Stub::GetAuditLog, *request, reply,
                   [&](const Rules& rules) { return TamperAudit(rules, *reply); });
  }

  // The rest pass through; a summary in the reply follows summary_unit.
  grpc::Status SubmitConsultation(grpc::ServerContext* ctx,
                                  const v1::SubmitConsultationRequest* request,
                                  v1::Ack* reply) override {
    return Forward(ctx, "SubmitConsultation", &v1::Relay::Stub::SubmitConsultation, *request, reply,
                   NoTamper);
  }
  grpc::Status PostMessage(grpc::ServerContext* ctx, const v1::PostMessageRequest* request,
                           v1::Ack* reply) override {
    Rules rules;
    if (grpc::Status loaded = LoadRules(rules_path_, &rules); !loaded.ok()) {
      return Internal(loaded.error_message());
    }
    if (rules.swallow_post.has_value())
      return SwallowPost(ctx, *rules.swallow_post, *request, reply);
    return Forward(ctx, "PostMessage", &v1::Relay::Stub::PostMessage, *request, reply, NoTamper);
  }
  grpc::Status CloseThread(grpc::ServerContext* ctx, const v1::CloseThreadRequest* request,
                           v1::ThreadSummary* reply) override {
    return Forward(ctx, "CloseThread", &v1::Relay::Stub::CloseThread, *request, reply,
                   SummaryOnly(reply));
  }
  grpc::Status ClaimThread(grpc::ServerContext* ctx, const v1::ClaimThreadRequest* request,
                           v1::ThreadSummary* reply) override {
    return Forward(ctx, "ClaimThread", &v1::Relay::Stub::ClaimThread, *request, reply,
                   SummaryOnly(reply));
  }
  grpc::Status ReleaseThread(grpc::ServerContext* ctx, const v1::ReleaseThreadRequest* request,
                             v1::ThreadSummary* reply) override {
    return Forward(ctx, "ReleaseThread", &v1::Relay::Stub::ReleaseThread, *request, reply,
                   SummaryOnly(reply));
  }
  grpc::Status ReferThread(grpc::ServerContext* ctx, const v1::ReferThreadRequest* request,
                           v1::ThreadSummary* reply) override {
    return Forward(ctx, "ReferThread", &v1::Relay::Stub::ReferThread, *request, reply,
                   SummaryOnly(reply));
  }
  grpc::Status PublishDirectory(grpc::ServerContext* ctx,
                                const v1::PublishDirectoryRequest* request,
                                v1::PublishDirectoryReply* reply) override {
    return Forward(ctx, "PublishDirectory", &v1::Relay::Stub::PublishDirectory, *request, reply,
                   NoTamper);
  }
  grpc::Status RevokeCertificate(grpc::ServerContext* ctx,
                                 const v1::RevokeCertificateRequest* request,
                                 v1::RevocationRecord* reply) override {
    return Forward(ctx, "RevokeCertificate", &v1::Relay::Stub::RevokeCertificate, *request, reply,
                   NoTamper);
  }
  grpc::Status UnrevokeCertificate(grpc::ServerContext* ctx,
                                   const v1::UnrevokeCertificateRequest* request,
                                   v1::RevocationRecord* reply) override {
    return Forward(ctx, "UnrevokeCertificate", &v1::Relay::Stub::UnrevokeCertificate, *request,
                   reply, NoTamper);
  }
  grpc::Status ListRevoked(grpc::ServerContext* ctx, const v1::ListRevokedRequest* request,
                           v1::ListRevokedReply* reply) override {
    return Forward(ctx, "ListRevoked", &v1::Relay::Stub::ListRevoked, *request, reply, NoTamper);
  }
  grpc::Status GetStats(grpc::ServerContext* ctx, const v1::StatsRequest* request,
                        v1::StatsReply* reply) override {
    return Forward(ctx, "GetStats", &v1::Relay::Stub::GetStats, *request, reply, NoTamper);
  }
  grpc::Status Backup(grpc::ServerContext* ctx, const v1::BackupRequest* request,
                      v1::BackupReply* reply) override {
    return Forward(ctx, "Backup", &v1::Relay::Stub::Backup, *request, reply, NoTamper);
  }
  grpc::Status RunRetention(grpc::ServerContext* ctx, const v1::RetentionRequest* request,
                            v1::RetentionReply* reply) override {
    return Forward(ctx, "RunRetention", &v1::Relay::Stub::RunRetention, *request, reply, NoTamper);
  }
  grpc::Status ShareThread(grpc::ServerContext* ctx, const v1::ShareThreadRequest* request,
                           v1::ShareThreadReply* reply) override {
    return Forward(ctx, "ShareThread", &v1::Relay::Stub::ShareThread, *request, reply, NoTamper);
  }

 private:
  static grpc::Status NoTamper(const Rules&) { return grpc::Status::OK; }
  static grpc::Status Internal(absl::string_view what) {
    Log(std::string(what));
    return grpc::Status(grpc::StatusCode::INTERNAL, std::string(what));
  }
  std::function<grpc::Status(const Rules&)> SummaryOnly(v1::ThreadSummary* reply) {
    return [this, reply](const Rules& rules) {
      TamperSummary(rules, *reply);
      return grpc::Status::OK;
    };
  }

  void TamperSummary(const Rules& rules, v1::ThreadSummary& summary) {
    if (rules.summary_unit.has_value() && !summary.thread_id().empty()) {
      Log(absl::StrCat("summary of ", summary.thread_id(), ": unit ", summary.unit(), " -> ",
                       *rules.summary_unit));
      summary.set_unit(*rules.summary_unit);
    }
  }

  grpc::Status TamperView(const Rules& rules, v1::ThreadView& view) {
    TamperSummary(rules, *view.mutable_summary());
    auto* messages = view.mutable_messages();
    const int before = messages->size();
    messages->erase(
        std::remove_if(messages->begin(), messages->end(),
                       [&](const v1::StoredMessage& m) { return Hidden(rules, m.sequence()); }),
        messages->end());
    const int hidden = before - messages->size();
    if (hidden > 0) {
      Log(absl::StrCat("GetThread: hid ", hidden, " message(s)"));
      uint64_t count = view.summary().message_count();
      count = count > static_cast<uint64_t>(hidden) ? count - hidden : 0;
      if (rules.truncate_after.has_value()) count = std::min(count, *rules.truncate_after);
      view.mutable_summary()->set_message_count(count);
    }
    for (const std::string& file : rules.inject_messages) {
      auto bytes = ReadFileToString(file, 16 * 1024 * 1024);
      v1::StoredMessage injected;
      if (!bytes.ok() || !injected.ParseFromString(*bytes)) {
        return Internal(absl::StrCat("cannot inject the StoredMessage in ", file));
      }
      Log(absl::StrCat("GetThread: injected message ", injected.sequence(), " from ", file));
      *messages->Add() = std::move(injected);
      view.mutable_summary()->set_message_count(view.summary().message_count() + 1);
    }
    std::stable_sort(messages->begin(), messages->end(),
                     [](const v1::StoredMessage& a, const v1::StoredMessage& b) {
                       return a.sequence() < b.sequence();
                     });
    return grpc::Status::OK;
  }

  // Keeps the posted message in `file` as the relay would have stored it and
  // acknowledges it without forwarding.
  grpc::Status SwallowPost(grpc::ServerContext* ctx, const std::string& file,
                           const v1::PostMessageRequest& request, v1::Ack* reply) {
    v1::Relay::Stub* stub = nullptr;
    server::Identity who;
    if (grpc::Status status = Caller(ctx, "PostMessage (swallowed)", &stub, &who); !status.ok()) {
      return status;
    }
    v1::SealedEnvelope envelope;
    v1::EnvelopeHeader header;
    if (!envelope.ParseFromString(request.envelope()) ||
        !header.ParseFromString(envelope.header())) {
      return Internal("swallow_post: the posted envelope does not parse");
    }
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    v1::StoredMessage stored;
    stored.set_thread_id(request.thread_id());
    stored.set_message_id(header.message_id());
    stored.set_sequence(header.sequence());
    stored.set_sender_role(header.sender_role());
    stored.set_envelope(request.envelope());
    stored.set_accepted_at_unix_ms(now);
    if (who.role == server::Role::kAdviser) stored.set_adviser_id(who.id);
    if (auto s = WriteFileAtomically(file, stored.SerializeAsString()); !s.ok()) {
      return Internal(absl::StrCat("swallow_post: ", s.message()));
    }
    Log(absl::StrCat("swallowed message ", header.sequence(), " of ", request.thread_id(), " into ",
                     file));
    reply->set_thread_id(request.thread_id());
    reply->set_message_id(header.message_id());
    reply->set_sequence(header.sequence());
    reply->set_accepted_at_unix_ms(now);
    reply->set_unit(header.unit());
    return grpc::Status::OK;
  }

  grpc::Status TamperAudit(const Rules& rules, v1::AuditLogReply& reply) {
    auto* entries = reply.mutable_entries();
    if (rules.audit_truncate.has_value()) {
      const int before = entries->size();
      entries->erase(std::remove_if(entries->begin(), entries->end(),
                                    [&](const v1::AuditEntry& e) {
                                      return e.index() >= *rules.audit_truncate;
                                    }),
                     entries->end());
      Log(absl::StrCat("GetAuditLog: cut ", before - entries->size(), " entries from index ",
                       *rules.audit_truncate));
    }
    if (rules.audit_rewrite.has_value()) {
      // Pages arrive in index order, so the rewritten hashes of earlier pages
      // are known (rewritten_) when a later page links to them.
      std::lock_guard<std::mutex> lock(mu_);
      for (v1::AuditEntry& entry : *entries) {
        auto relinked = rewritten_.find(entry.prev_hash());
        if (entry.index() < rules.audit_rewrite->first && relinked == rewritten_.end()) continue;
        if (relinked != rewritten_.end()) entry.set_prev_hash(relinked->second);
        if (entry.index() == rules.audit_rewrite->first) {
          Log(absl::StrCat("GetAuditLog: entry ", entry.index(), " detail \"", entry.detail(),
                           "\" -> \"", rules.audit_rewrite->second, "\""));
          entry.set_detail(rules.audit_rewrite->second);
        }
        const std::string original = entry.hash();
        entry.set_hash(client::ExpectedAuditHash(entry));
        if (rewritten_.size() < 1000000) rewritten_[original] = entry.hash();
      }
    }
    return grpc::Status::OK;
  }

  // The upstream stub for the caller, checked as the relay checks it.
  // Logs "call NAME by URI" (tests count the calls that reached the relay).
  grpc::Status Caller(grpc::ServerContext* ctx, const char* name, v1::Relay::Stub** stub,
                      server::Identity* who = nullptr) {
    std::string leaf, chain;
    if (auto auth = ctx->auth_context(); auth != nullptr) {
      auto leaf_values = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
      if (!leaf_values.empty()) leaf.assign(leaf_values[0].data(), leaf_values[0].size());
      auto chain_values = auth->FindPropertyValues(GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME);
      if (!chain_values.empty()) chain.assign(chain_values[0].data(), chain_values[0].size());
    }
    absl::StatusOr<server::Identity> identity = verifier_->Verify(leaf, chain);
    if (!identity.ok()) {
      Log(absl::StrCat("refused a caller: ", identity.status().message()));
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          std::string(identity.status().message()));
    }
    const std::string mine = CanonicalCertificate(leaf);
    for (Identity& known : identities_) {
      if (known.certificate == mine) {
        *stub = known.stub.get();
        if (who != nullptr) *who = *identity;
        Log(absl::StrCat("call ", name, " by ", identity->uri));
        return grpc::Status::OK;
      }
    }
    Log(absl::StrCat("no --client-identity for caller ", identity->uri));
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("the tamper proxy holds no identity for ", identity->uri));
  }

  static std::unique_ptr<grpc::ClientContext> UpstreamContext(grpc::ServerContext* ctx) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (ctx->deadline() != std::chrono::system_clock::time_point::max()) {
      context->set_deadline(ctx->deadline());
    }
    return context;
  }

  template <typename Request, typename Reply, typename Tamper>
  grpc::Status Forward(grpc::ServerContext* ctx, const char* name,
                       grpc::Status (v1::Relay::Stub::*method)(grpc::ClientContext*, const Request&,
                                                               Reply*),
                       const Request& request, Reply* reply, Tamper tamper) {
    v1::Relay::Stub* stub = nullptr;
    if (grpc::Status who = Caller(ctx, name, &stub); !who.ok()) return who;
    Rules rules;
    if (grpc::Status loaded = LoadRules(rules_path_, &rules); !loaded.ok()) {
      return Internal(loaded.error_message());
    }
    std::unique_ptr<grpc::ClientContext> upstream = UpstreamContext(ctx);
    grpc::Status status = (stub->*method)(upstream.get(), request, reply);
    if (!status.ok()) return status;
    return tamper(rules);
  }

  template <typename Request, typename Event, typename Tamper>
  grpc::Status ForwardStream(grpc::ServerContext* ctx, const char* name,
                             std::unique_ptr<grpc::ClientReader<Event>> (v1::Relay::Stub::*method)(
                                 grpc::ClientContext*, const Request&),
                             const Request& request, grpc::ServerWriter<Event>* writer,
                             Tamper tamper) {
    v1::Relay::Stub* stub = nullptr;
    if (grpc::Status who = Caller(ctx, name, &stub); !who.ok()) return who;
    std::unique_ptr<grpc::ClientContext> upstream = UpstreamContext(ctx);
    std::unique_ptr<grpc::ClientReader<Event>> reader = (stub->*method)(upstream.get(), request);
    // The caller going away ends the upstream stream too.
    std::atomic<bool> done{false};
    std::thread canceller([&] {
      while (!done.load()) {
        if (ctx->IsCancelled()) {
          upstream->TryCancel();
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
    Event event;
    grpc::Status tampered = grpc::Status::OK;
    bool stopped_early = false;
    while (reader->Read(&event)) {
      Rules rules;
      tampered = LoadRules(rules_path_, &rules);
      if (!tampered.ok() || (tamper(rules, event) && !writer->Write(event))) {
        stopped_early = true;
        break;
      }
    }
    if (stopped_early) upstream->TryCancel();
    grpc::Status status = reader->Finish();
    if (!tampered.ok()) status = tampered;
    done.store(true);
    canceller.join();
    return status;
  }

  const std::string rules_path_;
  std::vector<Identity> identities_;
  server::PeerVerifier* const verifier_;
  std::mutex mu_;
  std::map<std::string, std::string> rewritten_;  // original audit hash -> rewritten
};

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "samrad-tamper-proxy: %s\nusage: samrad-tamper-proxy --upstream HOST:PORT --cert "
               "PEM --key PEM --ca PEM --client-identity CERT,KEY [...] --rules FILE --port-file "
               "FILE [--listen 127.0.0.1:0]\n",
               why.c_str());
  return 2;
}

int Main(const std::vector<std::string>& args) {
  std::map<std::string, std::string> flags = {{"listen", "127.0.0.1:0"}};
  std::vector<std::string> identity_flags;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("--", 0) != 0 || i + 1 == args.size()) {
      return Usage(absl::StrCat("unexpected argument \"", args[i], "\""));
    }
    const std::string name = args[i].substr(2);
    if (name == "client-identity") {
      identity_flags.push_back(args[++i]);
    } else if (name == "upstream" || name == "cert" || name == "key" || name == "ca" ||
               name == "rules" || name == "port-file" || name == "listen") {
      flags[name] = args[++i];
    } else {
      return Usage(absl::StrCat("unknown flag --", name));
    }
  }
  for (const char* required : {"upstream", "cert", "key", "ca", "rules", "port-file"}) {
    if (flags.count(required) == 0) return Usage(absl::StrCat("--", required, " is required"));
  }
  if (identity_flags.empty()) return Usage("give at least one --client-identity CERT,KEY");
  absl::StatusOr<std::string> ca = ReadFileToString(flags["ca"]);
  if (!ca.ok()) return Usage(absl::StrCat("--ca: ", ca.status().message()));

  std::vector<TamperingRelay::Identity> identities;
  for (const std::string& flag : identity_flags) {
    std::vector<std::string> files = absl::StrSplit(flag, ',');
    if (files.size() != 2) return Usage("--client-identity takes CERT,KEY");
    absl::StatusOr<std::string> cert = ReadFileToString(files[0]);
    absl::StatusOr<std::string> key = ReadFileToString(files[1]);
    if (!cert.ok() || !key.ok() || CanonicalCertificate(*cert).empty()) {
      return Usage(absl::StrCat("--client-identity ", flag, ": cannot read a certificate and key"));
    }
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *ca;
    ssl.pem_cert_chain = *cert;
    ssl.pem_private_key = *key;
    grpc::ChannelArguments channel_args;
    channel_args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    // One connection per identity: gRPC would otherwise share a subchannel
    // (and so one client certificate) between channels to the same address.
    channel_args.SetInt("samrad.tamper.identity", static_cast<int>(identities.size()));
    identities.push_back({CanonicalCertificate(*cert),
                          v1::Relay::NewStub(grpc::CreateCustomChannel(
                              flags["upstream"], grpc::SslCredentials(ssl), channel_args))});
  }

  auto verifier = server::PeerVerifier::New(flags["ca"], 1000, [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  });
  if (!verifier.ok()) return Usage(absl::StrCat("--ca: ", verifier.status().message()));
  TamperingRelay service(flags["rules"], std::move(identities), verifier->get());

  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      flags["key"], flags["cert"], 3600);
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_identity_key_cert_pairs();
  tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  tls.set_certificate_verifier(
      grpc::experimental::ExternalCertificateVerifier::Create<server::HandshakeVerifier>(
          verifier->get()));
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(flags["listen"], grpc::experimental::TlsServerCredentials(tls), &port);
  builder.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    Log(absl::StrCat("cannot listen on ", flags["listen"]));
    return 1;
  }
  if (auto s = WriteFileAtomically(flags["port-file"], absl::StrCat(port, "\n")); !s.ok()) {
    Log(absl::StrCat("--port-file: ", s.message()));
    return 1;
  }
  Log(absl::StrCat("listening port=", port, " upstream=", flags["upstream"]));
  ::signal(SIGTERM, OnSignal);
  ::signal(SIGINT, OnSignal);
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}

}  // namespace
}  // namespace samrad::tamper

int main(int argc, char** argv) {
  samrad::crypto::KeepOpenSslForProcessLifetime();
  return samrad::tamper::Main(std::vector<std::string>(argv + 1, argv + argc));
}
