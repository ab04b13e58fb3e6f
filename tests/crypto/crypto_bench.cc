// samrad-crypto-bench: the cost of the crypto the relay and the clients run
// per message, next to OpenSSL's raw X25519 derive, which bounds HPKE.
//
//   samrad-crypto-bench [--benchmark_* flags]
//
// After the benchmarks it prints the ratios the targets are stated in
// (docs/benchmarks/crypto.md), from the benchmarks and again from an
// interleaved run of the three operations:
//   HPKE seal: seals/s  vs  raw derives/s / 2   (a seal is a key generation
//              plus a derive; the target is >= 80 %)
//   HPKE open: opens/s  vs  raw derives/s       (target >= 80 %)
#include <openssl/evp.h>
#include <time.h>

#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "common/check.h"
#include "crypto/envelope.h"
#include "crypto/hpke.h"
#include "crypto/keys.h"
#include "crypto/random.h"

namespace samrad::crypto {
namespace {

constexpr size_t kPayloadLen = 1024;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// OpenSSL's X25519 derive alone: both keys parsed once, one EVP_PKEY_CTX per
// derive (as any caller holding a key needs).
void BM_RawX25519Derive(benchmark::State& state) {
  const std::string priv = RandomString(32);
  const X25519PrivateKey peer = X25519PrivateKey::Generate();
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr,
                                        reinterpret_cast<const uint8_t*>(priv.data()), 32));
  Pkey peer_key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_X25519, nullptr, reinterpret_cast<const uint8_t*>(peer.public_key().bytes().data()),
      32));
  SAMRAD_CHECK(key && peer_key, "key import failed");
  uint8_t out[32];
  for (auto _ : state) {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key.get(), nullptr);
    size_t len = sizeof(out);
    const bool ok = ctx != nullptr && EVP_PKEY_derive_init(ctx) == 1 &&
                    EVP_PKEY_derive_set_peer_ex(ctx, peer_key.get(), 0) == 1 &&
                    EVP_PKEY_derive(ctx, out, &len) == 1;
    EVP_PKEY_CTX_free(ctx);
    SAMRAD_CHECK(ok, "X25519 derive failed");
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawX25519Derive);

hpke::SenderOptions BaseSender() {
  hpke::SenderOptions options;
  options.aead = hpke::AeadId::kAes256Gcm;
  options.info = "samrad-bench";
  return options;
}

hpke::ReceiverOptions BaseReceiver() {
  hpke::ReceiverOptions options;
  options.aead = hpke::AeadId::kAes256Gcm;
  options.info = "samrad-bench";
  return options;
}

void BM_HpkeBaseSeal(benchmark::State& state) {
  const X25519PrivateKey recipient = X25519PrivateKey::Generate();
  const std::string plaintext(kPayloadLen, 'p');
  const hpke::SenderOptions options = BaseSender();
  for (auto _ : state) {
    auto sealed = hpke::Seal(options, recipient.public_key(), "aad", plaintext);
    SAMRAD_CHECK(sealed.ok(), "seal failed");
    benchmark::DoNotOptimize(sealed->ciphertext.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * kPayloadLen);
}
BENCHMARK(BM_HpkeBaseSeal)->Name("BM_HpkeBaseSeal/aes256gcm/1KiB");

void BM_HpkeBaseOpen(benchmark::State& state) {
  const X25519PrivateKey recipient = X25519PrivateKey::Generate();
  const std::string plaintext(kPayloadLen, 'p');
  auto sealed = hpke::Seal(BaseSender(), recipient.public_key(), "aad", plaintext);
  SAMRAD_CHECK(sealed.ok(), "seal failed");
  const hpke::ReceiverOptions options = BaseReceiver();
  for (auto _ : state) {
    auto opened = hpke::Open(options, recipient, sealed->enc, "aad", sealed->ciphertext);
    SAMRAD_CHECK(opened.ok(), "open failed");
    benchmark::DoNotOptimize(opened->data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * kPayloadLen);
}
BENCHMARK(BM_HpkeBaseOpen)->Name("BM_HpkeBaseOpen/aes256gcm/1KiB");

EnvelopeContext BenchContext() {
  EnvelopeContext context;
  context.thread_id = "0123456789abcdef0123456789abcdef";
  context.message_id = "fedcba9876543210fedcba9876543210";
  context.sequence = 1;
  context.sender_role = v1::SENDER_ROLE_ADVISER;
  context.unit = "rc-kronoberg";
  context.directory_epoch = 1;
  return context;
}

struct EnvelopeFixture {
  explicit EnvelopeFixture(size_t recipients) {
    for (size_t i = 0; i < recipients; ++i) {
      keys.push_back(X25519PrivateKey::Generate());
      public_keys.push_back(keys.back().public_key());
    }
    body.set_text(std::string(kPayloadLen, 't'));
  }
  Ed25519PrivateKey signer = Ed25519PrivateKey::Generate();
  std::vector<X25519PrivateKey> keys;
  std::vector<X25519PublicKey> public_keys;
  v1::EnvelopeBody body;
};

void BM_EnvelopeSeal(benchmark::State& state) {
  EnvelopeFixture f(static_cast<size_t>(state.range(0)));
  const EnvelopeContext context = BenchContext();
  for (auto _ : state) {
    auto sealed = SealEnvelope(context, f.body, f.public_keys, f.signer);
    SAMRAD_CHECK(sealed.ok(), "envelope seal failed");
    benchmark::DoNotOptimize(sealed->data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EnvelopeSeal)->ArgName("recipients")->Arg(1)->Arg(5)->Arg(20);

// Parse, verify the signature, check the context, unwrap and decrypt, as the
// last-listed recipient (the worst case for the key id scan).
void BM_EnvelopeOpen(benchmark::State& state) {
  EnvelopeFixture f(static_cast<size_t>(state.range(0)));
  const EnvelopeContext context = BenchContext();
  auto sealed = SealEnvelope(context, f.body, f.public_keys, f.signer);
  SAMRAD_CHECK(sealed.ok(), "envelope seal failed");
  for (auto _ : state) {
    auto parsed = ParseEnvelope(*sealed);
    SAMRAD_CHECK(parsed.ok(), "envelope parse failed");
    auto body = OpenEnvelope(*parsed, context, f.signer.public_key(), f.keys.back());
    SAMRAD_CHECK(body.ok(), "envelope open failed");
    benchmark::DoNotOptimize(body->text().data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EnvelopeOpen)->ArgName("recipients")->Arg(1)->Arg(5)->Arg(20);

void BM_Ed25519Sign(benchmark::State& state) {
  const Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  const std::string message(kPayloadLen, 'm');
  for (auto _ : state) {
    std::string signature = key.Sign(message);
    benchmark::DoNotOptimize(signature.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Sign)->Name("BM_Ed25519Sign/1KiB");

void BM_Ed25519Verify(benchmark::State& state) {
  const Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  const std::string message(kPayloadLen, 'm');
  const std::string signature = key.Sign(message);
  for (auto _ : state) {
    absl::Status status = key.public_key().Verify(message, signature);
    SAMRAD_CHECK(status.ok(), "verify failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Verify)->Name("BM_Ed25519Verify/1KiB");

// Passes everything to the console and remembers operations per CPU second
// (CPU time, because the machines this runs on are often shared), from the
// median aggregate when --benchmark_repetitions is given.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      const bool single = run.run_type == Run::RT_Iteration && run.repetitions <= 1;
      if (!median && !single) continue;
      const double seconds_per_op = run.GetAdjustedCPUTime() / 1e9;  // time unit: ns
      if (seconds_per_op > 0) per_second_[run.run_name.str()] = 1.0 / seconds_per_op;
    }
  }
  double PerSecond(const std::string& name) const {
    auto it = per_second_.find(name);
    return it == per_second_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, double> per_second_;
};

// The same three operations measured again in alternating batches, so that
// load from other processes falls on all of them alike: on a shared machine
// the separate benchmarks above can run under different load. Returns
// operations per thread-CPU second for {raw derive, HPKE seal, HPKE open}.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::array<double, 3> InterleavedRates(int rounds, int batch) {
  const X25519PrivateKey recipient = X25519PrivateKey::Generate();
  const X25519PrivateKey peer = X25519PrivateKey::Generate();
  const std::string priv = RandomString(32);
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr,
                                        reinterpret_cast<const uint8_t*>(priv.data()), 32));
  Pkey peer_key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_X25519, nullptr, reinterpret_cast<const uint8_t*>(peer.public_key().bytes().data()),
      32));
  SAMRAD_CHECK(key && peer_key, "key import failed");
  const std::string plaintext(kPayloadLen, 'p');
  auto sealed = hpke::Seal(BaseSender(), recipient.public_key(), "aad", plaintext);
  SAMRAD_CHECK(sealed.ok(), "seal failed");
  std::array<double, 3> seconds = {0, 0, 0};
  for (int round = 0; round < rounds; ++round) {
    double start = ThreadCpuSeconds();
    for (int i = 0; i < batch; ++i) {
      EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key.get(), nullptr);
      uint8_t out[32];
      size_t len = sizeof(out);
      const bool ok = ctx != nullptr && EVP_PKEY_derive_init(ctx) == 1 &&
                      EVP_PKEY_derive_set_peer_ex(ctx, peer_key.get(), 0) == 1 &&
                      EVP_PKEY_derive(ctx, out, &len) == 1;
      EVP_PKEY_CTX_free(ctx);
      SAMRAD_CHECK(ok, "X25519 derive failed");
    }
    double end = ThreadCpuSeconds();
    seconds[0] += end - start;
    start = end;
    for (int i = 0; i < batch; ++i) {
      auto s = hpke::Seal(BaseSender(), recipient.public_key(), "aad", plaintext);
      SAMRAD_CHECK(s.ok(), "seal failed");
    }
    end = ThreadCpuSeconds();
    seconds[1] += end - start;
    start = end;
    for (int i = 0; i < batch; ++i) {
      auto o = hpke::Open(BaseReceiver(), recipient, sealed->enc, "aad", sealed->ciphertext);
      SAMRAD_CHECK(o.ok(), "open failed");
    }
    seconds[2] += ThreadCpuSeconds() - start;
  }
  std::array<double, 3> rates;
  for (size_t i = 0; i < 3; ++i) rates[i] = rounds * batch / seconds[i];
  return rates;
}

void PrintRatios(const char* how, double derive, double seal, double open) {
  std::printf("\n%s\nraw X25519 derive: %.0f/s\n", how, derive);
  std::printf("HPKE base seal (AES-256-GCM, 1 KiB): %.0f/s = %.1f%% of derive/2 (target >= 80%%)\n",
              seal, 100.0 * seal / (derive / 2));
  std::printf("HPKE base open (AES-256-GCM, 1 KiB): %.0f/s = %.1f%% of derive (target >= 80%%)\n",
              open, 100.0 * open / derive);
}

}  // namespace
}  // namespace samrad::crypto

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  samrad::crypto::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  const double derive = reporter.PerSecond("BM_RawX25519Derive");
  const double seal = reporter.PerSecond("BM_HpkeBaseSeal/aes256gcm/1KiB");
  const double open = reporter.PerSecond("BM_HpkeBaseOpen/aes256gcm/1KiB");
  if (derive > 0 && seal > 0 && open > 0) {
    samrad::crypto::PrintRatios("From the benchmarks above (per CPU second):", derive, seal, open);
    const std::array<double, 3> rates = samrad::crypto::InterleavedRates(/*rounds=*/40,
                                                                         /*batch=*/50);
    samrad::crypto::PrintRatios(
        "Interleaved, 40 rounds of 50 of each (per thread-CPU second, same load for all three):",
        rates[0], rates[1], rates[2]);
  }
  return 0;
}
