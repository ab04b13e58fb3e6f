#include "tests/bench/mix_load.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "crypto/directory.h"
#include "crypto/envelope.h"
#include "crypto/ownership_proof.h"
#include "crypto/random.h"
#include "tests/bench/closed_loop.h"
#include "tests/bench/key_files.h"
#include "tests/bench/latency_histogram.h"
#include "tests/bench/process_sampler.h"
#include "tests/bench/relay_session.h"
#include "tests/bench/tls_files.h"

namespace samrad::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kGetThreadMethod[] = "/samrad.v1.Relay/GetThread";
constexpr char kWatchThreadMethod[] = "/samrad.v1.Relay/WatchThread";
// The unit of the directory --mix publishes on a relay that has none yet.
constexpr char kFreshUnitId[] = "bench-unit";

enum Op { kSubmit, kGetThread, kListQueue, kClaim, kAnswer, kWatchEvent, kThreadEvent, kOpCount };
constexpr const char* kOpNames[kOpCount] = {"submit", "get_thread",  "list_queue",  "claim",
                                            "answer", "watch_event", "thread_event"};
// One scheduling cycle of 20 operations, interleaved.
constexpr Op kCycle[20] = {kSubmit, kGetThread, kListQueue, kClaim,     kGetThread,
                           kSubmit, kListQueue, kAnswer,    kGetThread, kListQueue,
                           kSubmit, kClaim,     kGetThread, kListQueue, kAnswer,
                           kSubmit, kGetThread, kClaim,     kListQueue, kGetThread};

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct OpStats {
  LatencyHistogram latency;
  std::atomic<uint64_t> ok{0};
  std::mutex mu;
  std::map<grpc::StatusCode, uint64_t> errors;
  uint64_t total_errors = 0;
};

// The adviser identity the mix publishes and answers with.
struct MixAdviser {
  std::unique_ptr<crypto::X25519PrivateKey> encryption;
  std::unique_ptr<crypto::Ed25519PrivateKey> signing;
};

// Publishes epoch+1 with fresh keys for `adviser_id` in the unit that
// `county` routes to; returns the re-fetched, verified directory.
absl::StatusOr<VerifiedDirectory> PublishMixDirectory(const BenchOptions& o,
                                                      v1::Relay::Stub& reader,
                                                      v1::Relay::Stub& admin,
                                                      const crypto::Ed25519PublicKey& pinned,
                                                      const MixAdviser& adviser) {
  absl::StatusOr<std::string> seed_file = ReadFile(o.directory_signing_key_file);
  if (!seed_file.ok()) return seed_file.status();
  absl::StatusOr<std::string> seed =
      DecodeEd25519KeyFile(*seed_file, Ed25519KeyFileKind::kPrivateSeed, "--directory-signing-key");
  if (!seed.ok()) return seed.status();
  absl::StatusOr<crypto::Ed25519PrivateKey> signer = crypto::Ed25519PrivateKey::FromSeed(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(seed->data()), seed->size()));
  if (!signer.ok()) return signer.status();
  if (!(signer->public_key() == pinned)) {
    return absl::InvalidArgumentError(
        "--directory-signing-key is not the private half of --directory-key");
  }
  absl::StatusOr<VerifiedDirectory> current = FetchDirectory(reader, pinned, o.deadline_ms);
  v1::KeyDirectory next;
  if (current.ok()) {
    next = current->directory;
  } else if (current.status().code() == absl::StatusCode::kNotFound) {
    // A fresh test relay: epoch 1 with one unit that takes every county.
    v1::UnitEntry* unit = next.add_units();
    unit->set_unit_id(kFreshUnitId);
    unit->set_display_name("samrad-bench test unit");
    next.set_fallback_unit_id(kFreshUnitId);
  } else {
    return current.status();
  }
  next.set_epoch(next.epoch() + 1);
  next.set_issued_at_unix_ms(NowUnixMs());
  next.set_not_after_unix_ms(next.issued_at_unix_ms() + crypto::kDefaultDirectoryValidityMs);
  absl::StatusOr<const v1::UnitEntry*> routed = crypto::RouteCounty(next, o.county);
  if (!routed.ok()) return routed.status();
  v1::UnitEntry* unit = nullptr;
  for (v1::UnitEntry& u : *next.mutable_units()) {
    if (u.unit_id() == (*routed)->unit_id()) unit = &u;
  }
  if (unit == nullptr) return absl::InternalError("routed unit vanished from the directory copy");
  v1::AdviserKeys* keys = nullptr;
  for (v1::AdviserKeys& a : *unit->mutable_advisers()) {
    if (a.adviser_id() == o.adviser_id) keys = &a;
  }
  if (keys == nullptr) {
    keys = unit->add_advisers();
    keys->set_adviser_id(o.adviser_id);
  }
  keys->set_encryption_public_key(adviser.encryption->public_key().bytes());
  keys->set_signing_public_key(adviser.signing->public_key().bytes());
  absl::StatusOr<v1::SignedDirectory> signed_directory = crypto::SignDirectory(next, *signer);
  if (!signed_directory.ok()) return signed_directory.status();

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(o.deadline_ms));
  v1::PublishDirectoryRequest request;
  *request.mutable_directory() = *signed_directory;
  v1::PublishDirectoryReply reply;
  if (grpc::Status s = admin.PublishDirectory(&context, request, &reply); !s.ok()) {
    return FromGrpc(s, "PublishDirectory (with --admin-cert)");
  }
  absl::StatusOr<VerifiedDirectory> published = FetchDirectory(reader, pinned, o.deadline_ms);
  if (!published.ok()) return published.status();
  if (published->directory.epoch() != next.epoch()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "published epoch ", next.epoch(), " but the relay serves ", published->directory.epoch()));
  }
  return published;
}

template <typename Fn>
absl::Status ParallelFor(int64_t count, int threads, Fn fn) {
  std::atomic<int64_t> next{0};
  std::mutex mu;
  absl::Status first;
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, threads); ++t) {
    pool.emplace_back([&] {
      for (int64_t i = next++; i < count; i = next++) {
        if (absl::Status s = fn(i); !s.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (first.ok()) first = s;
          next = count;
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  return first;
}

// An answer to thread i, sealed before the clock starts (sequence 2).
absl::StatusOr<std::vector<v1::PostMessageRequest>> SealAnswers(
    const Route& route, const std::vector<PreparedThread>& threads, const MixAdviser& adviser,
    int payload_bytes, int seal_threads) {
  std::vector<v1::PostMessageRequest> answers(threads.size());
  absl::Status s = ParallelFor(
      static_cast<int64_t>(threads.size()), seal_threads, [&](int64_t i) -> absl::Status {
        const PreparedThread& t = threads[i];
        crypto::EnvelopeContext context;
        context.thread_id = t.thread_id;
        context.message_id = crypto::RandomId();
        context.sequence = 2;
        context.sender_role = v1::SENDER_ROLE_ADVISER;
        context.unit = route.unit_id;
        context.directory_epoch = route.epoch;
        absl::StatusOr<crypto::ParsedEnvelope> question =
            crypto::ParseEnvelope(t.request.envelope());
        if (!question.ok()) return question.status();
        context.previous_envelope_hash = crypto::EnvelopeChainHash(*question);
        v1::EnvelopeBody body;
        body.set_text(std::string(payload_bytes, 'a'));
        std::vector<crypto::X25519PublicKey> recipients = route.recipients;
        recipients.push_back(t.reply_key->public_key());
        absl::StatusOr<std::string> envelope =
            crypto::SealEnvelope(context, body, recipients, *adviser.signing);
        if (!envelope.ok()) return envelope.status();
        answers[i].set_thread_id(t.thread_id);
        answers[i].set_envelope(*std::move(envelope));
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  return answers;
}

class MixRunner {
 public:
  MixRunner(const BenchOptions& o, std::vector<std::shared_ptr<grpc::Channel>> pro_channels,
            std::vector<std::shared_ptr<grpc::Channel>> adviser_channels,
            const std::vector<PreparedThread>& threads,
            const std::vector<v1::PostMessageRequest>& answers,
            std::vector<std::shared_ptr<grpc::Channel>> watch_channels = {})
      : o_(o),
        threads_(threads),
        answers_(answers),
        submitted_at_ns_(threads.size()),
        answered_at_ns_(threads.size()) {
    for (const auto& c : watch_channels) watch_.push_back(v1::Relay::NewStub(c));
    for (const auto& c : pro_channels) pro_.push_back(v1::Relay::NewStub(c));
    for (const auto& c : adviser_channels) adviser_.push_back(v1::Relay::NewStub(c));
    for (size_t i = 0; i < threads.size(); ++i) index_by_thread_[threads[i].thread_id] = i;
  }

  // Submits the first o_.thread_watchers consultations (closed loop, before
  // the clock) and opens a WatchThread on each; they become the open pool,
  // so claims and answers reach them first. Prints what it opened.
  absl::Status OpenThreadWatchers() {
    const int n = std::min<int>(o_.thread_watchers, static_cast<int>(threads_.size()));
    if (n == 0) return absl::OkStatus();
    const auto t0 = Clock::now();
    absl::Status s = ParallelFor(n, 16, [&](int64_t t) -> absl::Status {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      v1::Ack ack;
      grpc::Status status =
          pro_[t % pro_.size()]->SubmitConsultation(&context, threads_[t].request, &ack);
      if (!status.ok()) return absl::UnavailableError(status.error_message());
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    next_submit_.store(n);
    const auto t1 = Clock::now();
    for (int t = 0; t < n; ++t) {
      thread_watchers_.push_back(std::make_unique<ThreadWatcher>(this, t));
      thread_watchers_.back()->Start(*watch_[t % watch_.size()], threads_[t]);
    }
    int open = 0, failed = 0;
    for (auto& w : thread_watchers_) {
      if (w->WaitOpen()) {
        ++open;
      } else {
        ++failed;
      }
    }
    for (int t = 0; t < n; ++t) {
      acked_.push_back(t);
      open_.push_back(t);
    }
    std::cerr << absl::StrFormat(
        "mix: %d consultations submitted in %.1f s; %d WatchThread streams open (%d refused) "
        "in %.1f s\n",
        n, std::chrono::duration<double>(t1 - t0).count(), open, failed,
        std::chrono::duration<double>(Clock::now() - t1).count());
    return absl::OkStatus();
  }

  void StopThreadWatchers() {
    for (auto& w : thread_watchers_) w->Cancel();
    for (auto& w : thread_watchers_) w->WaitDone();
  }

  void Run() {
    start_ = Clock::now();
    window_start_ = start_ + ToDuration(o_.warmup_seconds);
    window_end_ = window_start_ + ToDuration(o_.seconds);
    std::vector<std::unique_ptr<Watcher>> watchers;
    for (int w = 0; w < o_.watchers; ++w) {
      watchers.push_back(std::make_unique<Watcher>(this));
      watchers.back()->Start(*adviser_[w % adviser_.size()]);
    }
    const auto interval = ToDuration(1.0 / o_.rate);
    for (uint64_t i = 0;; ++i) {
      const auto scheduled = start_ + interval * i;
      if (scheduled >= window_end_) break;
      std::this_thread::sleep_until(scheduled);
      if (Clock::now() - scheduled > std::chrono::milliseconds(1)) late_.fetch_add(1);
      issued_.fetch_add(1);
      Issue(kCycle[i % 20], scheduled, i);
    }
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return outstanding_ == 0; });
    }
    for (auto& w : watchers) w->Stop();
  }

  // Operations issued (scheduled), warm-up included.
  uint64_t operations() const { return issued_.load(); }

  // Prints the per-op lines and the overall line; returns total errors.
  uint64_t Report() {
    LatencyHistogram all;
    uint64_t ok = 0, errors = 0;
    std::map<grpc::StatusCode, uint64_t> by_code;
    for (int op = 0; op < kOpCount; ++op) {
      OpStats& s = stats_[op];
      std::cout << absl::StrFormat("op=%s n=%d p50_us=%d p99_us=%d errors=%d", kOpNames[op],
                                   s.latency.Count(), s.latency.Percentile(0.5) / 1000,
                                   s.latency.Percentile(0.99) / 1000, s.total_errors)
                << "\n";
      if (op != kWatchEvent && op != kThreadEvent) {
        all.Merge(s.latency);
        ok += s.latency.Count();
      }
      errors += s.total_errors;
      for (const auto& [code, n] : s.errors) by_code[code] += n;
      if (!s.errors.empty()) {
        std::cerr << "op=" << kOpNames[op] << " " << FormatErrorsByCode(s.errors) << "\n";
      }
    }
    if (late_.load() > 0) {
      std::cerr << "samrad-bench: " << late_.load()
                << " operations started more than 1 ms after their scheduled time (client "
                   "saturated; latency still counts from the schedule)\n";
    }
    std::cout << absl::StrFormat("qps=%.1f p50_us=%d p99_us=%d errors=%d", ok / o_.seconds,
                                 all.Percentile(0.5) / 1000, all.Percentile(0.99) / 1000, errors)
              << std::endl;
    return errors;
  }

 private:
  // A WatchQueue stream that records watch_event latency for KIND_NEW events.
  class Watcher : public grpc::ClientReadReactor<v1::QueueEvent> {
   public:
    explicit Watcher(MixRunner* runner) : runner_(runner) {}
    void Start(v1::Relay::Stub& stub) {
      stub.async()->WatchQueue(&context_, &request_, this);
      StartRead(&event_);
      StartCall();
    }
    void OnReadDone(bool ok) override {
      if (!ok) return;
      if (event_.kind() == v1::QueueEvent::KIND_NEW)
        runner_->OnQueueEvent(event_.thread().thread_id());
      StartRead(&event_);
    }
    void OnDone(const grpc::Status& status) override {
      if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
        runner_->RecordError(kWatchEvent, status);
      }
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
      cv_.notify_all();
    }
    void Stop() {
      context_.TryCancel();
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return done_; });
    }

   private:
    MixRunner* runner_;
    grpc::ClientContext context_;
    v1::WatchQueueRequest request_;
    v1::QueueEvent event_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool done_ = false;
  };

  // A professional's WatchThread on thread t: open once its backlog (the
  // question) arrives; records thread_event for the answer.
  class ThreadWatcher : public grpc::ClientReadReactor<v1::ThreadEvent> {
   public:
    ThreadWatcher(MixRunner* runner, int64_t t) : runner_(runner), t_(t) {}
    void Start(v1::Relay::Stub& stub, const PreparedThread& thread) {
      request_.set_thread_id(thread.thread_id);
      *request_.mutable_proof() = crypto::MakeOwnershipProof(kWatchThreadMethod, thread.thread_id,
                                                             crypto::RequestDigest(request_),
                                                             NowUnixMs(), *thread.thread_key);
      stub.async()->WatchThread(&context_, &request_, this);
      StartRead(&event_);
      StartCall();
    }
    void OnReadDone(bool ok) override {
      if (!ok) return;
      if (event_.has_message() && event_.message().sequence() == 1) {
        std::lock_guard<std::mutex> lock(mu_);
        open_ = true;
        cv_.notify_all();
      } else if (event_.has_message() && event_.message().sequence() >= 2) {
        runner_->OnThreadEvent(t_);
      }
      StartRead(&event_);
    }
    void OnDone(const grpc::Status& status) override {
      if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
        runner_->RecordError(kThreadEvent, status);
      }
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
      cv_.notify_all();
    }
    // True once the backlog arrived; false when the stream ended first.
    bool WaitOpen() {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(120), [this] { return open_ || done_; });
      return open_;
    }
    void Cancel() { context_.TryCancel(); }
    void WaitDone() {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return done_; });
    }

   private:
    MixRunner* runner_;
    const int64_t t_;
    grpc::ClientContext context_;
    v1::WatchThreadRequest request_;
    v1::ThreadEvent event_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool open_ = false;
    bool done_ = false;
  };

  void OnThreadEvent(int64_t t) {
    const int64_t sent = answered_at_ns_[t].load();
    const int64_t now = Clock::now().time_since_epoch().count();
    if (sent == 0 || Clock::time_point(Clock::duration(sent)) < window_start_) return;
    stats_[kThreadEvent].latency.Record(
        std::chrono::nanoseconds(Clock::duration(now - sent)).count());
  }

  static Clock::duration ToDuration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  void OnQueueEvent(const std::string& thread_id) {
    const auto it = index_by_thread_.find(thread_id);
    if (it == index_by_thread_.end()) return;  // not ours
    const int64_t sent = submitted_at_ns_[it->second].load();
    const int64_t now = Clock::now().time_since_epoch().count();
    if (sent == 0 || Clock::time_point(Clock::duration(sent)) < window_start_) return;
    stats_[kWatchEvent].latency.Record(
        std::chrono::nanoseconds(Clock::duration(now - sent)).count());
  }

  void RecordError(Op op, const grpc::Status& status) {
    std::lock_guard<std::mutex> lock(stats_[op].mu);
    ++stats_[op].errors[status.error_code()];
    ++stats_[op].total_errors;
  }

  void Record(Op op, Clock::time_point scheduled, const grpc::Status& status) {
    if (scheduled < window_start_) return;
    if (!status.ok()) return RecordError(op, status);
    stats_[op].latency.Record(std::chrono::nanoseconds(Clock::now() - scheduled).count());
  }

  // Picks a thread index from `pool` (front) under mu_, or -1.
  int64_t Take(std::deque<int64_t>& pool) {
    std::lock_guard<std::mutex> lock(mu_);
    if (pool.empty()) return -1;
    const int64_t i = pool.front();
    pool.pop_front();
    return i;
  }
  void Put(std::deque<int64_t>& pool, int64_t i) {
    std::lock_guard<std::mutex> lock(mu_);
    pool.push_back(i);
  }

  template <typename Request, typename Reply, typename Start, typename OnOk>
  void Call(Op op, Clock::time_point scheduled, Request request, Start start, OnOk on_ok) {
    struct State {
      grpc::ClientContext context;
      Request request;
      Reply reply;
    };
    auto* state = new State();
    state->request = std::move(request);
    state->context.set_deadline(std::chrono::system_clock::now() +
                                std::chrono::milliseconds(o_.deadline_ms));
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++outstanding_;
    }
    start(&state->context, &state->request, &state->reply,
          [this, op, scheduled, state, on_ok = std::move(on_ok)](grpc::Status status) {
            Record(op, scheduled, status);
            if (status.ok()) on_ok(state->reply);
            delete state;
            std::lock_guard<std::mutex> lock(mu_);
            if (--outstanding_ == 0) cv_.notify_all();
          });
  }

  void Issue(Op op, Clock::time_point scheduled, uint64_t i) {
    v1::Relay::Stub& pro = *pro_[i % pro_.size()];
    v1::Relay::Stub& adviser = *adviser_[i % adviser_.size()];
    if (op == kClaim) {
      const int64_t t = Take(open_);
      if (t < 0) return Issue(kListQueue, scheduled, i);
      v1::ClaimThreadRequest request;
      request.set_thread_id(threads_[t].thread_id);
      Call<v1::ClaimThreadRequest, v1::ThreadSummary>(
          kClaim, scheduled, std::move(request),
          [&adviser](auto* c, auto* q, auto* r, auto cb) {
            adviser.async()->ClaimThread(c, q, r, cb);
          },
          [this, t](const v1::ThreadSummary&) { Put(claimed_, t); });
      return;
    }
    if (op == kAnswer) {
      const int64_t t = Take(claimed_);
      if (t < 0) return Issue(kGetThread, scheduled, i);
      answered_at_ns_[t].store(scheduled.time_since_epoch().count());
      Call<v1::PostMessageRequest, v1::Ack>(
          kAnswer, scheduled, answers_[t],
          [&adviser](auto* c, auto* q, auto* r, auto cb) {
            adviser.async()->PostMessage(c, q, r, cb);
          },
          [](const v1::Ack&) {});
      return;
    }
    if (op == kGetThread) {
      int64_t t = -1;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!acked_.empty()) t = acked_[rng_() % acked_.size()];
      }
      if (t < 0) return Issue(kSubmit, scheduled, i);
      v1::GetThreadRequest request;
      request.set_thread_id(threads_[t].thread_id);
      *request.mutable_proof() = crypto::MakeOwnershipProof(kGetThreadMethod, threads_[t].thread_id,
                                                            crypto::RequestDigest(request),
                                                            NowUnixMs(), *threads_[t].thread_key);
      Call<v1::GetThreadRequest, v1::ThreadView>(
          kGetThread, scheduled, std::move(request),
          [&pro](auto* c, auto* q, auto* r, auto cb) { pro.async()->GetThread(c, q, r, cb); },
          [](const v1::ThreadView&) {});
      return;
    }
    if (op == kListQueue) {
      v1::ListQueueRequest request;
      request.set_page_size(50);
      Call<v1::ListQueueRequest, v1::QueuePage>(
          kListQueue, scheduled, std::move(request),
          [&adviser](auto* c, auto* q, auto* r, auto cb) {
            adviser.async()->ListQueue(c, q, r, cb);
          },
          [](const v1::QueuePage&) {});
      return;
    }
    // kSubmit
    const int64_t t = next_submit_.fetch_add(1);
    if (t >= static_cast<int64_t>(threads_.size())) {
      RecordError(kSubmit, grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                        "bench ran out of pre-sealed consultations"));
      return;
    }
    submitted_at_ns_[t].store(scheduled.time_since_epoch().count());
    Call<v1::SubmitConsultationRequest, v1::Ack>(
        kSubmit, scheduled, threads_[t].request,
        [&pro](auto* c, auto* q, auto* r, auto cb) {
          pro.async()->SubmitConsultation(c, q, r, cb);
        },
        [this, t](const v1::Ack&) {
          std::lock_guard<std::mutex> lock(mu_);
          acked_.push_back(t);
          open_.push_back(t);
        });
  }

  const BenchOptions& o_;
  const std::vector<PreparedThread>& threads_;
  const std::vector<v1::PostMessageRequest>& answers_;
  std::vector<std::unique_ptr<v1::Relay::Stub>> pro_;
  std::vector<std::unique_ptr<v1::Relay::Stub>> adviser_;
  std::unordered_map<std::string, size_t> index_by_thread_;  // read-only during the run
  std::vector<std::atomic<int64_t>> submitted_at_ns_;        // steady-clock ns, 0 = not sent
  std::vector<std::atomic<int64_t>> answered_at_ns_;         // steady-clock ns, 0 = not answered
  std::vector<std::unique_ptr<v1::Relay::Stub>> watch_;      // --thread-watchers' connections
  std::vector<std::unique_ptr<ThreadWatcher>> thread_watchers_;
  std::atomic<int64_t> next_submit_{0};
  std::atomic<uint64_t> late_{0};
  std::atomic<uint64_t> issued_{0};
  OpStats stats_[kOpCount];
  Clock::time_point start_, window_start_, window_end_;

  std::mutex mu_;
  std::condition_variable cv_;
  int64_t outstanding_ = 0;
  std::vector<int64_t> acked_;
  std::deque<int64_t> open_;
  std::deque<int64_t> claimed_;
  std::mt19937_64 rng_{20260101};
};

int Fail(const absl::Status& status) {
  std::cerr << "samrad-bench --mix: " << status << "\n";
  return 2;
}

}  // namespace

int RunMixBench(const BenchOptions& o) {
  absl::StatusOr<ClientTls> pro_tls = LoadClientTls(o.ca_file, o.cert_file, o.key_file);
  if (!pro_tls.ok()) return Fail(pro_tls.status());
  absl::StatusOr<ClientTls> adviser_tls =
      LoadClientTls(o.ca_file, o.adviser_cert_file, o.adviser_key_file);
  if (!adviser_tls.ok()) return Fail(adviser_tls.status());
  absl::StatusOr<ClientTls> admin_tls =
      LoadClientTls(o.ca_file, o.admin_cert_file, o.admin_key_file);
  if (!admin_tls.ok()) return Fail(admin_tls.status());
  absl::StatusOr<crypto::Ed25519PublicKey> pinned = LoadDirectoryPublicKey(o.directory_key_file);
  if (!pinned.ok()) return Fail(pinned.status());

  auto pro_channels = MakeChannels(o.target, *pro_tls, o.server_name, o.channels, "mix-pro");
  auto adviser_channels =
      MakeChannels(o.target, *adviser_tls, o.server_name, o.channels, "mix-adviser");
  auto admin_channels = MakeChannels(o.target, *admin_tls, o.server_name, 1, "mix-admin");
  for (const auto* set : {&pro_channels, &adviser_channels, &admin_channels}) {
    if (absl::Status s = WaitConnected(*set, o.target, o.connect_timeout_ms); !s.ok())
      return Fail(s);
  }
  auto reader = v1::Relay::NewStub(pro_channels[0]);
  auto admin = v1::Relay::NewStub(admin_channels[0]);

  MixAdviser adviser{
      std::make_unique<crypto::X25519PrivateKey>(crypto::X25519PrivateKey::Generate()),
      std::make_unique<crypto::Ed25519PrivateKey>(crypto::Ed25519PrivateKey::Generate())};
  absl::StatusOr<VerifiedDirectory> directory =
      PublishMixDirectory(o, *reader, *admin, *pinned, adviser);
  if (!directory.ok()) return Fail(directory.status());
  absl::StatusOr<Route> route = RouteFor(directory->directory, o.county);
  if (!route.ok()) return Fail(route.status());
  if (o.publish_only) {
    std::cout << absl::StrFormat("published epoch=%d unit=%s adviser=%s", route->epoch,
                                 route->unit_id, o.adviser_id)
              << std::endl;
    return 0;
  }

  SealPlan plan;
  // 4 of every 20 operations submit (plus fallbacks early on): a third spare.
  plan.count =
      o.envelopes > 0
          ? o.envelopes
          : static_cast<int64_t>(o.rate * (o.seconds + o.warmup_seconds) * 0.2 * 1.33) + 100;
  plan.count += o.thread_watchers;
  plan.payload_bytes = o.payload_bytes;
  plan.county = o.county;
  plan.threads = o.seal_threads;
  absl::StatusOr<std::vector<PreparedThread>> threads = SealConsultations(*route, plan);
  if (!threads.ok()) return Fail(threads.status());
  absl::StatusOr<std::vector<v1::PostMessageRequest>> answers =
      SealAnswers(*route, *threads, adviser, o.payload_bytes, o.seal_threads);
  if (!answers.ok()) return Fail(answers.status());
  std::cerr << absl::StrFormat(
      "mix: published epoch %d (adviser %s of %s has fresh keys); sealed %d consultations and "
      "answers; %.0f ops/s for %.1f s after %.1f s warm-up\n",
      route->epoch, o.adviser_id, route->unit_id, plan.count, o.rate, o.seconds, o.warmup_seconds);

  // At most 256 streams per connection reach the relay: 200 watches each.
  std::vector<std::shared_ptr<grpc::Channel>> watch_channels;
  if (o.thread_watchers > 0) {
    watch_channels = MakeChannels(o.target, *pro_tls, o.server_name,
                                  (o.thread_watchers + 199) / 200, "mix-watch");
    if (absl::Status s = WaitConnected(watch_channels, o.target, o.connect_timeout_ms); !s.ok())
      return Fail(s);
  }
  MixRunner runner(o, pro_channels, adviser_channels, *threads, *answers, watch_channels);
  if (absl::Status s = runner.OpenThreadWatchers(); !s.ok()) return Fail(s);
  std::unique_ptr<ProcessSampler> sampler;
  if (o.relay_pid > 0) {
    sampler = std::make_unique<ProcessSampler>(o.relay_pid, std::chrono::milliseconds(100));
    sampler->Start();
  }
  runner.Run();
  runner.StopThreadWatchers();
  const uint64_t errors = runner.Report();
  if (sampler != nullptr) {
    std::cout << "relay_process " << FormatProcessSummary(sampler->Stop(), runner.operations())
              << std::endl;
  }
  return errors == 0 ? 0 : 1;
}

}  // namespace samrad::bench
