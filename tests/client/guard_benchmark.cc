// Throughput of the anonymisation guard on a typical case question (a few
// kilobytes, a handful of identifiers) and on a clean text of the same size.
// Run: ./build/tests/client/guard_benchmark
// (BM_SamradProcess compares with SAMRAD_BASELINE=/path/to/an/older/samrad.)
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "client/guard.h"

namespace samrad::client::guard {
namespace {

constexpr char kCaseQuestion[] =
    "Hej! Jag är kurator på en högstadieskola och behöver råd i ett ärende. En elev, 15 år, i "
    "åk 9 berättade i går att hon ska resa till Irak i sommar och att hon är rädd att bli "
    "bortgift. Hon har en äldre bror som kontrollerar hennes telefon och följer efter henne "
    "till skolan. Mamman ringde skolan 3 gånger förra veckan, senast fredag kl. 15:40. Vi har "
    "gjort en orosanmälan enligt 14 kap. 1 § SoL och haft ett SIP-möte vecka 19. Hennes "
    "närvaro är 62 % och betygen har sjunkit. Vad gör vi om hon inte kommer tillbaka efter "
    "sommarlovet? Kan 31 a § LVU (utreseförbud) bli aktuellt? Resan kostar ca 15 000 kr och "
    "är bokad till den 20 juni. Hon vill inte att vi pratar med hennes föräldrar.\n";
constexpr char kIdentifying[] =
    "Flickan, 090314-1232, nås på 070-123 45 67 och bor på Storgatan 12, 123 45 Stockholm. "
    "Brodern skriver från @bror_2005 och kör bilen ABC 123.\n";

std::string Text(bool with_identifiers) {
  std::string text;
  for (int i = 0; i < 4; ++i) {
    text += kCaseQuestion;
    if (with_identifiers) text += kIdentifying;
  }
  return text;
}

void BM_ScanCaseQuestion(benchmark::State& state) {
  const std::string text = Text(state.range(0) != 0);
  for (auto _ : state) {
    absl::StatusOr<std::vector<Finding>> findings = ScanText(text);
    benchmark::DoNotOptimize(findings);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ScanCaseQuestion)->Arg(0)->Arg(1);

// Issue 20: a 4 KiB question full of names, schools, places and workplaces,
// and the same with invisible characters and Arabic-Indic digits, which takes
// the normalisation path.
constexpr char kNamesQuestion[] =
    "Fatima Hassan, 15 år, går i 9B på Rinkebyskolan och bor i Gottsunda. Hennes bror Yusuf "
    "jobbar på Pizzeria Roma på Storgatan. Socialtjänsten och Migrationsverket i Malmö har "
    "kontakt med familjen sedan Ramadan; de kommer från Syrien och talar arabiska. ";
void BM_ScanNamesQuestion(benchmark::State& state) {
  std::string text;
  while (text.size() < 4096) {
    text += kNamesQuestion;
    if (state.range(0) != 0) text += "Pnr \u0660\u0669\u0660\u0663\u200b14-1232. ";
  }
  for (auto _ : state) {
    absl::StatusOr<std::vector<Finding>> findings = ScanText(text);
    benchmark::DoNotOptimize(findings);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ScanNamesQuestion)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_RunCheckRedact(benchmark::State& state) {
  const std::string text = Text(true);
  CheckOptions options;
  options.redact = true;
  for (auto _ : state) {
    CheckResult result = RunCheck(text, options);
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_RunCheckRedact);

// Units that, repeated, make a backtracking or restart-heavy scanner
// quadratic (the same list as GuardPathological in guard_corpus_test.cc,
// which checks that each scans to the end). Arguments: unit index, input
// bytes; the scan is linear when time per byte stays flat as the input grows
// four-fold (compare the /40000 and /160000 rows of one unit).
const char* const kAdversarialUnits[] = {
    "01 ",       "1",         "1234 ",      "+4 ",        "född ", "ABC ",        "SE12 ",
    "a",         "Storgatan", "1.2.3.",     "a:",         "@a",    "0701234567 ", "å",
    "8327-9 1 ", "x@",        "Rosengård ", "Okändsson ", "\u200b"};

void BM_ScanAdversarial(benchmark::State& state) {
  const std::string unit = kAdversarialUnits[state.range(0)];
  std::string text;
  while (text.size() < static_cast<size_t>(state.range(1))) text += unit;
  for (auto _ : state) {
    absl::StatusOr<std::vector<Finding>> findings = ScanText(text);
    benchmark::DoNotOptimize(findings);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
  state.SetLabel(unit);
}
BENCHMARK(BM_ScanAdversarial)
    ->ArgsProduct(
        {benchmark::CreateDenseRange(0, static_cast<int64_t>(std::size(kAdversarialUnits)) - 1, 1),
         {40000, 160000}})
    ->Unit(benchmark::kMillisecond);

// A whole `samrad` process, for the guard's start-up (compiling its RE2
// patterns is most of it): `--help` (arg 1 = 0; the floor: process start, no
// scan) and `check` of a one-line question (arg 1 = 1). Arg 0 picks the
// binary: 0 = this build's client/samrad, 1 = the one $SAMRAD_BASELINE names
// (e.g. a copy made before a change; skipped when unset), so before and after
// run side by side in one invocation. Wall time per process; the children's
// CPU time per process as the counter cpu_ms.
void BM_SamradProcess(benchmark::State& state) {
  std::string binary = std::string(SAMRAD_BINARY_DIR) + "/client/samrad";
  if (state.range(0) == 1) {
    const char* baseline = std::getenv("SAMRAD_BASELINE");
    if (baseline == nullptr || *baseline == '\0') {
      state.SkipWithError("set SAMRAD_BASELINE to a samrad binary to compare with");
      return;
    }
    binary = baseline;
  }
  const std::string input = "/tmp/samrad-guard-benchmark-" + std::to_string(::getpid()) + ".txt";
  std::ofstream(input) << "Fatima Hassan, 15 år, går i 9B på Rinkebyskolan.\n";
  std::vector<std::string> args = {binary};
  if (state.range(1) == 0) {
    args.push_back("--help");
  } else {
    args.insert(args.end(), {"check", input});
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  rusage before{};
  ::getrusage(RUSAGE_CHILDREN, &before);
  for (auto _ : state) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
      state.SkipWithError("samrad did not run");
      break;
    }
  }
  rusage after{};
  ::getrusage(RUSAGE_CHILDREN, &after);
  auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  const double cpu =
      ms(after.ru_utime) + ms(after.ru_stime) - ms(before.ru_utime) - ms(before.ru_stime);
  state.counters["cpu_ms"] = cpu / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
  state.SetLabel(state.range(1) == 0 ? "--help" : "check");
  std::remove(input.c_str());
}
BENCHMARK(BM_SamradProcess)
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(1.0);

}  // namespace
}  // namespace samrad::client::guard

BENCHMARK_MAIN();
