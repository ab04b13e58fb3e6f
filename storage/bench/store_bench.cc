// samrad-storage-bench: Google Benchmarks of the Store (docs/benchmarks/storage.md).
//
//   BM_SyncedAppend/threads:N   1 KiB synced appends, N concurrent writers,
//                               each waiting for its own acknowledgement.
//   BM_RawRocksDbSyncedPut      raw rocksdb::DB::Put(sync=true) of 1 KiB from
//                               one thread: the serial fsync baseline.
//   BM_QueuePage/N              a 50-thread queue page from a random position
//                               in a store of N threads (p50/p99 counters).
//   BM_Reopen/N                 Store::Open of a store of N messages.
//
// Data lives under $SAMRAD_BENCH_DIR (default /tmp/samrad-storage-bench).
// The 10k and 1M thread stores are built once through the ordinary
// CreateThread path, pipelined (up to 8192 writes in flight, so each synced
// group carries thousands of threads), and reused by later runs; delete the
// directory to rebuild. Append benchmarks use a fresh store each run.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "crypto/random.h"
#include "rocksdb/db.h"
#include "storage/schema.h"
#include "storage/store.h"

namespace samrad::storage {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kUnits = 10;

std::string BenchDir() {
  const char* dir = std::getenv("SAMRAD_BENCH_DIR");
  return dir != nullptr ? dir : "/tmp/samrad-storage-bench";
}

// A fixed KEK: the benchmark stores are scratch data, reused across runs.
crypto::SecretBytes BenchKek() { return crypto::SecretBytes::FromString(std::string(32, 'K')); }

StoreOptions Options(const std::string& data_dir) {
  StoreOptions options;
  options.data_dir = data_dir;
  options.kek = BenchKek();
  return options;
}

std::unique_ptr<Store> OpenOrDie(const std::string& data_dir) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Options(data_dir));
  if (!store.ok()) {
    std::fprintf(stderr, "open %s: %s\n", data_dir.c_str(), store.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(store);
}

v1::ThreadRecord BenchThread(const std::string& id, int unit, int64_t created) {
  static constexpr v1::Urgency kUrgencies[] = {v1::URGENCY_ACUTE, v1::URGENCY_HIGH,
                                               v1::URGENCY_NORMAL, v1::URGENCY_NORMAL};
  v1::ThreadRecord thread;
  thread.set_thread_id(id);
  thread.set_unit(absl::StrCat("unit-", unit));
  thread.mutable_metadata()->set_county("01");
  thread.mutable_metadata()->set_urgency(kUrgencies[created % 4]);
  thread.mutable_metadata()->set_category(v1::CATEGORY_OTHER);
  thread.set_created_at_unix_ms(created);
  thread.set_thread_signing_public_key(std::string(32, 'k'));
  return thread;
}

v1::StoredMessage BenchMessage(const std::string& thread_id, const std::string& id,
                               uint64_t sequence, size_t envelope_bytes) {
  v1::StoredMessage message;
  message.set_thread_id(thread_id);
  message.set_message_id(id);
  message.set_sequence(sequence);
  message.set_sender_role(v1::SENDER_ROLE_PROFESSIONAL);
  message.set_envelope(crypto::RandomString(envelope_bytes));
  return message;
}

// CPU time of the calling thread, in milliseconds.
double ThreadCpuMs() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

// Peak resident set size of this process so far, in MiB.
double MaxRssMib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

std::string ThreadId(int64_t i) { return absl::StrFormat("bench-%08d", i); }

// Builds (once) a store of `threads` threads with one message each, spread
// over kUnits units.
std::string EnsureDataset(int64_t threads) {
  const std::string dir = absl::StrCat(BenchDir(), "/dataset-", threads);
  const std::string marker = dir + ".complete";
  if (fs::exists(marker)) return dir;
  fs::remove_all(dir);
  fs::create_directories(BenchDir());
  std::fprintf(stderr, "building a store of %lld threads in %s ...\n",
               static_cast<long long>(threads), dir.c_str());
  const auto start = Clock::now();
  std::unique_ptr<Store> store = OpenOrDie(dir);
  std::mutex mu;
  std::condition_variable cv;
  int64_t in_flight = 0;
  std::atomic<int64_t> failures{0};
  constexpr int64_t kMaxInFlight = 8192;
  for (int64_t i = 0; i < threads; ++i) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return in_flight < kMaxInFlight; });
      ++in_flight;
    }
    const std::string id = ThreadId(i);
    store->CreateThread(BenchThread(id, static_cast<int>(i % kUnits), 1'600'000'000'000 + i),
                        BenchMessage(id, id + "-1", 1, 256), [&](absl::StatusOr<Appended> result) {
                          if (!result.ok()) ++failures;
                          std::lock_guard<std::mutex> lock(mu);
                          --in_flight;
                          cv.notify_one();
                        });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  store.reset();
  if (failures > 0) {
    std::fprintf(stderr, "dataset build had %lld failures\n",
                 static_cast<long long>(failures.load()));
    std::exit(1);
  }
  std::ofstream(marker) << "ok\n";
  std::fprintf(stderr, "built in %.1f s\n",
               std::chrono::duration<double>(Clock::now() - start).count());
  return dir;
}

// ---- Synced appends ----

std::unique_ptr<Store> append_store;
std::string append_dir;
std::atomic<int64_t> writer_counter{0};

void SetUpAppendStore(const benchmark::State&) {
  append_dir = absl::StrCat(BenchDir(), "/append-", getpid());
  fs::remove_all(append_dir);
  append_store = OpenOrDie(append_dir);
}

void TearDownAppendStore(const benchmark::State&) {
  append_store.reset();
  fs::remove_all(append_dir);
}

absl::StatusOr<Appended> AppendAndWait(Store& store, v1::StoredMessage message, bool create) {
  std::promise<absl::StatusOr<Appended>> promise;
  auto done = [&promise](absl::StatusOr<Appended> result) { promise.set_value(std::move(result)); };
  if (create) {
    std::string id = message.thread_id();
    store.CreateThread(BenchThread(id, 0, 1'600'000'000'000), std::move(message), done);
  } else {
    store.AppendMessage(std::move(message), std::nullopt, done);
  }
  return promise.get_future().get();
}

void BM_SyncedAppend(benchmark::State& state) {
  const std::string thread_id = absl::StrCat("writer-", writer_counter++);
  uint64_t sequence = 1;
  const std::string envelope = crypto::RandomString(1024);
  if (!AppendAndWait(*append_store, BenchMessage(thread_id, thread_id + "-1", 1, 1024), true)
           .ok()) {
    state.SkipWithError("create failed");
    return;
  }
  for (auto _ : state) {
    ++sequence;
    v1::StoredMessage message;
    message.set_thread_id(thread_id);
    message.set_message_id(absl::StrCat(thread_id, "-", sequence));
    message.set_sequence(sequence);
    message.set_sender_role(v1::SENDER_ROLE_PROFESSIONAL);
    message.set_envelope(envelope);
    if (!AppendAndWait(*append_store, std::move(message), false).ok()) {
      state.SkipWithError("append failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SyncedAppend)
    ->Setup(SetUpAppendStore)
    ->Teardown(TearDownAppendStore)
    ->Threads(1)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime()
    ->MinTime(3.0);

void BM_RawRocksDbSyncedPut(benchmark::State& state) {
  const std::string dir = absl::StrCat(BenchDir(), "/raw-", getpid());
  fs::remove_all(dir);
  fs::create_directories(BenchDir());
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, dir, &raw).ok()) {
    state.SkipWithError("open failed");
    return;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions write;
  write.sync = true;
  const std::string value = crypto::RandomString(1024);
  uint64_t key = 0;
  for (auto _ : state) {
    std::string k;
    schema::AppendU64(&k, ++key);
    if (!db->Put(write, k, value).ok()) {
      state.SkipWithError("put failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  db->Close().PermitUncheckedError();
  db.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_RawRocksDbSyncedPut)->UseRealTime()->MinTime(3.0);

// ---- Queue page ----

void BM_QueuePage(benchmark::State& state) {
  const int64_t threads = state.range(0);
  std::unique_ptr<Store> store = OpenOrDie(EnsureDataset(threads));
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> pick(0, threads - 1);
  // Start pages at random positions of unit-3's queue: the cursor is the
  // queue position of a random thread of that unit.
  std::vector<std::string> cursors;
  for (int i = 0; i < 256; ++i) {
    int64_t n = pick(rng) / kUnits * kUnits + 3;
    if (n >= threads) n -= kUnits;
    absl::StatusOr<v1::ThreadRecord> thread = store->GetThread(ThreadId(n));
    if (!thread.ok()) {
      state.SkipWithError("dataset is missing a thread");
      return;
    }
    cursors.push_back(absl::WebSafeBase64Escape(schema::QueueOrderSuffix(*thread)));
  }
  cursors.push_back("");  // the first page too
  std::vector<double> latencies_ms;
  std::vector<double> cpu_ms;  // this thread's CPU time: immune to preemption
  size_t next = 0;
  QueueQuery query;
  query.unit = "unit-3";
  query.page_size = 50;
  for (auto _ : state) {
    query.cursor = cursors[next++ % cursors.size()];
    const double cpu_start = ThreadCpuMs();
    const auto start = Clock::now();
    absl::StatusOr<QueuePageResult> page = store->ListQueue(query);
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    cpu_ms.push_back(ThreadCpuMs() - cpu_start);
    if (!page.ok() || page->threads.empty()) {
      state.SkipWithError("queue page failed");
      return;
    }
    benchmark::DoNotOptimize(page);
  }
  auto percentile = [](std::vector<double>& v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
  };
  state.counters["p50_ms"] = percentile(latencies_ms, 0.50);
  state.counters["p99_ms"] = percentile(latencies_ms, 0.99);
  state.counters["p99_cpu_ms"] = percentile(cpu_ms, 0.99);
  state.counters["threads_stored"] = static_cast<double>(threads);
  state.counters["max_rss_MiB"] = MaxRssMib();
}
BENCHMARK(BM_QueuePage)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// ---- Reopen ----

void BM_Reopen(benchmark::State& state) {
  const std::string dir = EnsureDataset(state.range(0));
  for (auto _ : state) {
    const auto start = Clock::now();
    std::unique_ptr<Store> store = OpenOrDie(dir);
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    benchmark::DoNotOptimize(store);
    store.reset();  // closing is not timed
  }
  state.counters["messages_stored"] = static_cast<double>(state.range(0));
  state.counters["max_rss_MiB"] = MaxRssMib();
}
BENCHMARK(BM_Reopen)->Arg(1'000'000)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
}  // namespace samrad::storage

BENCHMARK_MAIN();
