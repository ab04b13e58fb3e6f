// Maintenance (server/maintenance.h) without TLS: a real store, real
// retention, backups and audit entries.
#include "server/maintenance.h"

#include "crypto/random.h"
#include "gtest/gtest.h"
#include "server/consultations.h"
#include "tests/server/relay_logic_fixture.h"
#include "tests/storage/test_util.h"

namespace samrad::server::testing {
namespace {

class RelayMaintenanceTest : public RelayLogicTest {
 protected:
  std::unique_ptr<Maintenance> New(const std::string& backup_dir) {
    v1::RelayConfig config;
    config.set_backup_dir(backup_dir);
    config.set_backup_keep(2);
    config.mutable_retention()->set_closed_days(90);
    config.mutable_retention()->set_inactive_days(30);
    return std::make_unique<Maintenance>(
        store_.get(), config, [this] { return now_.load(); },
        [this](const absl::Status& s) { writes_.push_back(s); });
  }
  void Audit(const Identity& who, const std::string& action, const std::string& thread_id) {
    ASSERT_TRUE(New("")->AppendAuditAndWait(server::Audit(who, action, thread_id)).ok());
  }
  std::vector<absl::Status> writes_;
  const Identity national_ = Caller(Role::kAdmin, "national", "ops-1");
  const Identity unit_admin_ = Caller(Role::kAdmin, kUnit, "boss-1");
};

TEST_F(RelayMaintenanceTest, BackupsAreOffWithoutADirectoryAndAuditedWithOne) {
  EXPECT_EQ(Token(New("")->BackupsOn()), "backups-off");
  auto maintenance = New(dir_.path() + "/backups");
  ASSERT_TRUE(maintenance->BackupsOn().ok());
  v1::BackupReply reply;
  ASSERT_TRUE(maintenance->RunBackup(national_, &reply).ok());
  EXPECT_EQ(reply.backup_keep(), 2u);
  v1::ListBackupsReply list;
  ASSERT_TRUE(maintenance->ListBackupsInto(&list).ok());
  ASSERT_EQ(list.backups_size(), 1);
  EXPECT_EQ(list.backups(0).backup_id(), reply.backup_id());
  auto audit = store_->ReadAudit(0, 0, 10);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].action(), "backup");
  EXPECT_EQ((*audit)[0].actor_id(), "ops-1");
  ASSERT_EQ(writes_.size(), 1u) << "the audit write is reported";
}

TEST_F(RelayMaintenanceTest, StatisticsRefuseUnknownOrRepeatedGroupsAndScopeAUnitAdmin) {
  auto maintenance = New("");
  v1::StatsRequest request;
  request.set_period(v1::STATS_PERIOD_YEAR);
  request.set_year(2025);
  request.add_group_by("colour");
  EXPECT_EQ(Token(maintenance->StatsQueryOf(national_, request).status()), "group-by-unknown");
  request.clear_group_by();
  request.add_group_by("county");
  request.add_group_by("county");
  EXPECT_EQ(Token(maintenance->StatsQueryOf(national_, request).status()), "group-by-twice");
  request.clear_group_by();
  request.add_group_by("category");
  auto national = maintenance->StatsQueryOf(national_, request);
  ASSERT_TRUE(national.ok()) << national.status();
  EXPECT_FALSE(national->only_unit.has_value());
  EXPECT_EQ(national->query.group_by.size(), 1u);
  auto scoped = maintenance->StatsQueryOf(unit_admin_, request);
  ASSERT_TRUE(scoped.ok());
  EXPECT_EQ(scoped->only_unit, kUnit);
  EXPECT_EQ(scoped->query.group_by.size(), 2u) << "grouped by unit as well";
}

TEST_F(RelayMaintenanceTest, AUnitAdminSeesTheirUnitsThreadsAndTheirOwnEntriesOnly) {
  const std::string ours = crypto::RandomId();
  const std::string theirs = crypto::RandomId();
  ASSERT_TRUE(storage::testing::CreateThreadSync(
                  *store_, storage::testing::MakeThread(ours, kUnit),
                  storage::testing::ProfessionalMessage(ours, crypto::RandomId(), 1))
                  .ok());
  ASSERT_TRUE(storage::testing::CreateThreadSync(
                  *store_, storage::testing::MakeThread(theirs, kOtherUnit),
                  storage::testing::ProfessionalMessage(theirs, crypto::RandomId(), 1))
                  .ok());
  Audit(Caller(Role::kAdviser, kUnit, "a-1"), "read", ours);
  Audit(Caller(Role::kAdviser, kOtherUnit, "b-1"), "read", theirs);
  Audit(unit_admin_, "publish", "");
  Audit(national_, "publish", "");
  v1::AuditLogReply scoped;
  ASSERT_TRUE(New("")->ReadScopedAudit(unit_admin_, 0, 0, 100, &scoped).ok());
  EXPECT_TRUE(scoped.scoped());
  ASSERT_EQ(scoped.entries_size(), 2);
  EXPECT_EQ(scoped.entries(0).thread_id(), ours);
  EXPECT_EQ(scoped.entries(1).actor_id(), "boss-1");
  v1::AuditLogReply all;
  ASSERT_TRUE(New("")->ReadAudit(0, 0, 100, &all).ok());
  EXPECT_EQ(all.entries_size(), 4);
  EXPECT_EQ(all.scanned_to_index(), all.entries(3).index());
}

TEST_F(RelayMaintenanceTest, ARetentionDryRunWritesNothing) {
  auto maintenance = New("");
  v1::RetentionReply reply;
  ASSERT_TRUE(maintenance->RetainInto(/*dry_run=*/true, national_, &reply).ok());
  EXPECT_TRUE(writes_.empty());
  ASSERT_TRUE(maintenance->RetainInto(/*dry_run=*/false, national_, &reply).ok());
  EXPECT_EQ(writes_.size(), 1u) << "a real run reports its write";
}

}  // namespace
}  // namespace samrad::server::testing
