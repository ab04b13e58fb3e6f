// Key substitution (issue 9): a relay that serves a key directory with a
// swapped adviser key, or rolls back to an older one, is caught by the
// client, which refuses to seal.
//
// The real samrad-relay refuses such a directory on PublishDirectory, so the
// test plays a compromised relay operator: it stops the relay, writes the
// tampered directory into the relay's own RocksDB store (with the relay's
// KEK), and starts the relay again, which then serves it verbatim. The real
// `samrad` CLI must exit with code 7 (directory) and a clear reason, and the
// relay's store must hold no new thread and no new message afterwards.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <future>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli_profiles.h"
#include "client/file_util.h"
#include "crypto/directory.h"
#include "crypto/keys.h"
#include "gtest/gtest.h"
#include "process_util.h"
#include "storage/store.h"
#include "test_util.h"
#include "tests/testing/cli_profiles.h"
#include "tests/testing/dev_pki.h"
#include "tests/testing/relay_process.h"

namespace samrad::client {
namespace {

using testing::ProcessResult;
using testing::RunProcess;
using testing::TempDir;

const std::string kSamrad = std::string(SAMRAD_BINARY_DIR) + "/client/samrad";
const std::string kRelay = std::string(SAMRAD_BINARY_DIR) + "/server/samrad-relay";
constexpr char kUnit[] = "rc-kronoberg";
constexpr int kExitDirectory = 7;

const std::string kQuestion =
    "En elev berättar att familjen planerar ett giftermål under sommarlovet. Hur agerar vi?\n";

using harness::JsonString;

// A loopback port that is free now (the relay is restarted on the same port,
// so the profiles keep working).
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// What the relay's store holds for kUnit: threads, and messages over them.
struct StoreCounts {
  size_t threads = 0;
  size_t messages = 0;
};

class KeySubstitutionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PathExists(kSamrad)) << kSamrad;
    ASSERT_TRUE(PathExists(kRelay)) << kRelay;
    pki_ = dir_.File("pki");
    ASSERT_NO_FATAL_FAILURE(harness::PrepareCliDeployment(dir_, People()));
    port_ = FreePort();
    ASSERT_GT(port_, 0);
    ASSERT_TRUE(WriteFileAtomically(dir_.File("kek.hex"), std::string(64, 'b') + "\n").ok());
    StartRelay();
    ASSERT_NO_FATAL_FAILURE(harness::InitCliProfiles(dir_, std::to_string(port_), People()));

    // Epoch 1, honestly signed and published; the professional asks once, so
    // the client has seen (and accepted) the genuine directory.
    ProcessResult keygen = Samrad("adviser", {"keygen", "--out", dir_.File("a-1.json")});
    ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
    ASSERT_EQ(Samrad("admin", {"admin", "directory", "add-adviser", kUnit, dir_.File("a-1.json")})
                  .exit_code,
              0);
    ASSERT_EQ(Samrad("admin", {"admin", "directory", "sign"}).exit_code, 0);
    ProcessResult publish = Samrad("admin", {"admin", "directory", "publish"});
    ASSERT_EQ(publish.exit_code, 0) << publish.err;
    ProcessResult ask = Ask();
    ASSERT_EQ(ask.exit_code, 0) << ask.err;
    reference_ = JsonString(ask.out, "reference");
    ASSERT_EQ(reference_.size(), 32u) << ask.out;
  }

  void TearDown() override { StopRelay(); }

  // The admin, adviser a-1 of kUnit and the professional.
  static std::vector<harness::CliPerson> People() {
    std::vector<harness::CliPerson> people = harness::CliPeopleWithout("adviser2");
    std::erase_if(people, [](const harness::CliPerson& p) { return p.who == "nkt"; });
    return people;
  }

  void StartRelay() {
    harness::RelaySetup setup = harness::CliRelaySetup(dir_, pki_, DataDir(), dir_.File("kek.hex"));
    setup.port = absl::StrCat(port_);
    ASSERT_TRUE(
        WriteFileAtomically(dir_.File("relay.textproto"), harness::RelayConfigText(setup)).ok());
    ASSERT_NO_FATAL_FAILURE(relay_.Start(dir_.File("relay.textproto"),
                                         dir_.File(absl::StrCat("relay-", ++starts_, ".log"))));
  }

  void StopRelay() {
    if (relay_.running()) relay_.Stop(SIGTERM, std::chrono::seconds(20));
  }

  std::string DataDir() { return dir_.File("relay-data"); }

  // Opens the stopped relay's store with its KEK.
  std::unique_ptr<storage::Store> OpenStore() {
    storage::StoreOptions options;
    options.data_dir = DataDir();
    options.create_if_missing = false;
    auto kek = storage::LoadKekFile(dir_.File("kek.hex"));
    EXPECT_TRUE(kek.ok()) << kek.status();
    if (!kek.ok()) return nullptr;
    options.kek = *std::move(kek);
    auto store = storage::Store::Open(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  StoreCounts Count(storage::Store& store) {
    StoreCounts counts;
    storage::QueueQuery query;
    query.unit = kUnit;
    query.page_size = 200;
    auto page = store.ListQueue(query);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return counts;
    counts.threads = page->threads.size();
    for (const auto& t : page->threads) {
      auto messages = store.ListMessages(t.thread_id(), 0, 10000);
      EXPECT_TRUE(messages.ok()) << messages.status();
      if (messages.ok()) counts.messages += messages->size();
    }
    return counts;
  }

  // Stops the relay, lets `tamper` turn the stored genuine directory into the
  // one the relay will serve, stores it as the newest epoch, and restarts.
  // Returns what the store held before.
  StoreCounts ServeTampered(const std::function<v1::SignedDirectory(const v1::SignedDirectory&,
                                                                    v1::KeyDirectory)>& tamper) {
    StopRelay();
    StoreCounts before;
    {
      auto store = OpenStore();
      if (store == nullptr) return before;
      before = Count(*store);
      uint64_t epoch = 0;
      auto genuine = store->GetDirectory(&epoch);
      EXPECT_TRUE(genuine.ok()) << genuine.status();
      if (!genuine.ok()) return before;
      v1::KeyDirectory directory;
      EXPECT_TRUE(directory.ParseFromString(genuine->directory()));
      directory.set_epoch(epoch + 1);
      // The attacker's keys replace adviser a-1's.
      for (auto& unit : *directory.mutable_units()) {
        for (auto& adviser : *unit.mutable_advisers()) {
          adviser.set_encryption_public_key(attacker_x25519_.public_key().bytes());
          adviser.set_signing_public_key(attacker_ed25519_.public_key().bytes());
        }
      }
      PutNewest(*store, tamper(*genuine, directory));
    }
    StartRelay();
    return before;
  }

  // Writes `served` into the stopped relay's store as the newest directory,
  // labelled with the store's next epoch.
  void PutNewest(storage::Store& store, const v1::SignedDirectory& served) {
    uint64_t epoch = 0;
    ASSERT_TRUE(store.GetDirectory(&epoch).ok());
    std::promise<absl::Status> written;
    store.PutDirectory(served, epoch + 1, std::nullopt,
                       [&written](absl::Status s) { written.set_value(s); });
    absl::Status s = written.get_future().get();
    EXPECT_TRUE(s.ok()) << s;
  }

  // After a refused command: the store holds exactly what it held before.
  void ExpectNothingSent(const StoreCounts& before) {
    StopRelay();
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    StoreCounts after = Count(*store);
    EXPECT_EQ(after.threads, before.threads) << "a thread reached the relay";
    EXPECT_EQ(after.messages, before.messages) << "a message reached the relay";
  }

  void ExpectRefusedToSeal(const ProcessResult& r, const std::string& what,
                           const std::string& reason = "failed verification under the pinned key") {
    EXPECT_EQ(r.exit_code, kExitDirectory) << what << ": " << r.err;
    std::printf("%s refused (exit %d): %s", what.c_str(), r.exit_code, r.err.c_str());
    EXPECT_TRUE(absl::StrContains(r.err, reason)) << what << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
  }

  ProcessResult Ask() {
    return Samrad("pro",
                  {"ask", "--county", "07", "--category", "child-marriage", "--urgency", "high",
                   "--org", "school", "--age", "child", "--json"},
                  kQuestion);
  }

  ProcessResult Samrad(const std::string& who, std::vector<std::string> args,
                       const std::string& stdin_text = "") {
    return harness::RunSamradAs(dir_, who, args, stdin_text);
  }

  TempDir dir_;
  std::string pki_;
  std::string reference_;
  int port_ = 0;
  int starts_ = 0;
  harness::RelayProcess relay_;
  crypto::X25519PrivateKey attacker_x25519_ = crypto::X25519PrivateKey::Generate();
  crypto::Ed25519PrivateKey attacker_ed25519_ = crypto::Ed25519PrivateKey::Generate();
};

// The relay swaps the adviser's keys but keeps the directory key's signature
// of the genuine bytes.
TEST_F(KeySubstitutionTest, SwappedAdviserKeyUnderTheGenuineSignatureIsRefused) {
  StoreCounts before =
      ServeTampered([](const v1::SignedDirectory& genuine, const v1::KeyDirectory& swapped) {
        v1::SignedDirectory served = genuine;
        served.set_directory(swapped.SerializeAsString());
        return served;
      });
  // The relay really serves it (it only logs that it does not verify).
  EXPECT_TRUE(absl::StrContains(relay_.Log(), "directory_unverified"));
  EXPECT_EQ(before.threads, 1u);  // the genuine ask of SetUp
  ExpectRefusedToSeal(Ask(), "ask");
  ExpectRefusedToSeal(Samrad("pro", {"followup", reference_}, "En följdfråga.\n"), "followup");
  ExpectNothingSent(before);
}

// The relay swaps the adviser's keys and signs the result with its own key.
TEST_F(KeySubstitutionTest, SwappedAdviserKeySignedByAnotherKeyIsRefused) {
  const auto relay_key = crypto::Ed25519PrivateKey::Generate();
  StoreCounts before =
      ServeTampered([&](const v1::SignedDirectory&, const v1::KeyDirectory& swapped) {
        auto served = crypto::SignDirectory(swapped, relay_key);
        EXPECT_TRUE(served.ok()) << served.status();
        return served.ok() ? *served : v1::SignedDirectory();
      });
  EXPECT_TRUE(absl::StrContains(relay_.Log(), "directory_unverified"));
  EXPECT_EQ(before.threads, 1u);  // the genuine ask of SetUp
  ExpectRefusedToSeal(Ask(), "ask");
  ExpectRefusedToSeal(Samrad("pro", {"followup", reference_}, "En följdfråga.\n"), "followup");
  ExpectNothingSent(before);
}

// The relay serves the genuine, validly signed epoch 1 again after the client
// has seen epoch 2 (a rollback to a directory an adviser has since left).
TEST_F(KeySubstitutionTest, RolledBackDirectoryIsRefused) {
  StopRelay();
  v1::SignedDirectory epoch1;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    auto genuine = store->GetDirectory(nullptr);
    ASSERT_TRUE(genuine.ok()) << genuine.status();
    epoch1 = *genuine;
  }
  StartRelay();
  ProcessResult sign = Samrad("admin", {"admin", "directory", "sign"});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  ASSERT_TRUE(absl::StrContains(sign.out, "epoch 2")) << sign.out;
  ProcessResult publish = Samrad("admin", {"admin", "directory", "publish"});
  ASSERT_EQ(publish.exit_code, 0) << publish.err;
  ProcessResult ask = Ask();  // the client now has seen epoch 2
  ASSERT_EQ(ask.exit_code, 0) << ask.err;

  StopRelay();
  StoreCounts before;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    before = Count(*store);
    EXPECT_EQ(before.threads, 2u);
    PutNewest(*store, epoch1);
  }
  StartRelay();
  const std::string rollback = "older than epoch 2 seen before (possible rollback)";
  ExpectRefusedToSeal(Ask(), "ask", rollback);
  ExpectRefusedToSeal(Samrad("pro", {"followup", reference_}, "En följdfråga.\n"), "followup",
                      rollback);
  ExpectNothingSent(before);
}

}  // namespace
}  // namespace samrad::client
