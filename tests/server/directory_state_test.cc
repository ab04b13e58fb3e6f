// DirectoryState (server/directory_state.h) without TLS: real signed
// directories, a real store.
#include "server/directory_state.h"

#include "crypto/directory.h"
#include "gtest/gtest.h"
#include "tests/server/relay_logic_fixture.h"

namespace samrad::server::testing {
namespace {

using DirectoryStateTest = RelayLogicTest;

TEST_F(DirectoryStateTest, VerifyRefusesMissingForeignStaleAndNotHigherDirectories) {
  EXPECT_EQ(Token(directory_->Verify(nullptr, now_).status()), "directory-required");
  const crypto::Ed25519PrivateKey stranger = crypto::Ed25519PrivateKey::Generate();
  const v1::SignedDirectory foreign = SignDirectory(1, {&a1_}, &stranger);
  auto refused = directory_->Verify(&foreign, now_);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Token(refused.status()), "directory-unverified");
  const v1::SignedDirectory good = SignDirectory(2, {&a1_});
  auto stale = directory_->Verify(&good, now_ + crypto::kDefaultDirectoryValidityMs + 1);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  Publish(2, {&a1_});
  auto same = directory_->Verify(&good, now_);
  EXPECT_EQ(Token(same.status()), "epoch-not-higher");
  const v1::SignedDirectory next = SignDirectory(3, {&a1_});
  EXPECT_TRUE(directory_->Verify(&next, now_).ok());
  EXPECT_EQ(directory_->Current()->epoch, 2u) << "Verify installs nothing";
}

TEST_F(DirectoryStateTest, InstallNamesTheAdvisersANewEpochRemoved) {
  Publish(1, {&a1_, &a2_, &b1_});
  const v1::SignedDirectory next = SignDirectory(2, {&a1_});
  auto snapshot = directory_->Verify(&next, now_);
  ASSERT_TRUE(snapshot.ok());
  std::vector<RemovedAdviser> removed = directory_->Install(*snapshot);
  ASSERT_EQ(removed.size(), 2u);
  EXPECT_EQ(removed[0].unit, kUnit);
  EXPECT_EQ(removed[0].adviser_id, "a-2");
  EXPECT_EQ(removed[1].unit, kOtherUnit);
  EXPECT_EQ(removed[1].adviser_id, "b-1");
  EXPECT_EQ(directory_->Current()->epoch, 2u);
  // An older snapshot installed late does not replace the newer one.
  auto old_snapshot = std::make_shared<DirectorySnapshot>();
  old_snapshot->epoch = 1;
  directory_->Install(old_snapshot);
  EXPECT_EQ(directory_->Current()->epoch, 2u);
}

TEST_F(DirectoryStateTest, LoadServesTheStoredEpochAfterARestart) {
  DirectoryState fresh(directory_key_.public_key());
  ASSERT_TRUE(fresh.Load(*store_).ok());
  EXPECT_EQ(fresh.Current(), nullptr);
  Publish(4, {&a1_});
  DirectoryState restarted(directory_key_.public_key());
  ASSERT_TRUE(restarted.Load(*store_).ok());
  ASSERT_NE(restarted.Current(), nullptr);
  EXPECT_EQ(restarted.Current()->epoch, 4u);
  // Served verbatim: the bytes the admin published (Ed25519 is deterministic).
  EXPECT_EQ(restarted.Current()->signed_directory.SerializeAsString(),
            SignDirectory(4, {&a1_}).SerializeAsString());
}

TEST_F(DirectoryStateTest, AnAdviserMustBeListedAndHandsOverOnlyWithinTheirUnit) {
  const Identity a1 = Caller(Role::kAdviser, kUnit, "a-1");
  const Identity a3 = Caller(Role::kAdviser, kUnit, "a-3");
  EXPECT_TRUE(directory_->ListedIfAdviser(a3).ok()) << "nothing to check before a directory";
  EXPECT_EQ(Token(directory_->CheckHandoverTarget(a1, "a-2")), "no-directory-yet");
  Publish(1, {&a1_, &a2_, &b1_});
  EXPECT_TRUE(directory_->ListedIfAdviser(a1).ok());
  EXPECT_EQ(directory_->ListedIfAdviser(a3).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(directory_->ListedIfAdviser(Caller(Role::kProfessional, "07", "p-1")).ok());
  auto key = DirectoryState::AdviserSigningKey(*directory_->Current(), a1);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->bytes(), a1_.signing.public_key().bytes());
  EXPECT_TRUE(directory_->CheckHandoverTarget(a1, "a-2").ok());
  EXPECT_EQ(directory_->CheckHandoverTarget(a1, "a-1").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(directory_->CheckHandoverTarget(a1, "b-1").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(directory_->CheckHandoverTarget(a1, "zz-9").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(directory_->CheckHandoverTarget(a1, "bad id!").code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace samrad::server::testing
