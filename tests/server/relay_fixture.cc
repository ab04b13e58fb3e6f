#include "tests/server/relay_fixture.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/directory.h"
#include "crypto/ownership_proof.h"
#include "crypto/random.h"
#include "server/config.h"
#include "server/log.h"

namespace samrad::server::testing {
namespace {

constexpr char kPkiScript[] = SAMRAD_SOURCE_DIR "/certs/samrad-pki.sh";

}  // namespace

int RunPki(const std::string& args) {
  const std::string command = std::string(kPkiScript) + " " + args + " >/dev/null";
  const int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

const TestPki& SharedPki() {
  // Made once per process and removed at exit.
  static TempDir* root = new TempDir();
  static const TestPki* pki = [] {
    auto* p = new TestPki();
    p->dir = root->path() + "/pki";
    p->other_dir = root->path() + "/other-pki";
    const std::string d = "--dir " + p->dir + " ";
    bool ok = RunPki(d + "init") == 0 && RunPki(d + "server relay") == 0 &&
              RunPki(d + "server relay-next") == 0 &&
              RunPki(d + "client professional 07 p-1") == 0 &&
              RunPki(d + "client professional 07 p-2") == 0 &&
              RunPki(d + "client adviser rc-kronoberg a-1") == 0 &&
              RunPki(d + "client adviser rc-kronoberg a-2") == 0 &&
              RunPki(d + "client adviser nkt b-1") == 0 &&
              RunPki(d + "client admin national ops-1") == 0 &&
              RunPki(d +
                     "--name expired --not-before 20200101000000Z --not-after "
                     "20200201000000Z client professional 07 p-old") == 0;
    const std::string o = "--dir " + p->other_dir + " ";
    ok = ok && RunPki(o + "init") == 0 && RunPki(o + "client professional 07 p-1") == 0;
    EXPECT_TRUE(ok) << "certs/samrad-pki.sh failed";
    std::atexit([] { delete root; });
    return p;
  }();
  return *pki;
}

std::string IssueClientCertificate(const std::string& role, const std::string& scope,
                                   const std::string& id) {
  const TestPki& pki = SharedPki();
  const std::string name = role + "-" + scope + "-" + id;
  if (!std::filesystem::exists(pki.Cert(name))) {
    EXPECT_EQ(RunPki("--dir " + pki.dir + " client " + role + " " + scope + " " + id), 0)
        << "certs/samrad-pki.sh could not issue " << name;
  }
  return name;
}

std::string CertificateSerialHex(const std::string& name) {
  const std::string command =
      std::string(kPkiScript) + " --dir " + SharedPki().dir + " serial " + name;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  char buffer[256] = {};
  std::string serial;
  if (fgets(buffer, sizeof(buffer), pipe) != nullptr) serial = buffer;
  const int rc = pclose(pipe);
  while (!serial.empty() && (serial.back() == '\n' || serial.back() == '\r')) serial.pop_back();
  return rc == 0 ? serial : "";
}

int64_t RelayTest::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void RelayTest::SetUp() {
  SetInfoLogging(false);
  SharedPki();
  temp_ = std::make_unique<TempDir>();
  data_dir_ = temp_->path() + "/data";
  directory_key_ =
      std::make_unique<crypto::Ed25519PrivateKey>(crypto::Ed25519PrivateKey::Generate());
  WriteFile(temp_->path() + "/directory.pub", directory_key_->public_key().bytes());
  std::string kek = crypto::RandomString(32);
  WriteFile(temp_->path() + "/kek", kek);
  chmod((temp_->path() + "/kek").c_str(), 0600);
  auto add = [&](const std::string& name, const std::string& unit, const std::string& id) {
    advisers_.emplace(name, AdviserKeys{unit, id, crypto::X25519PrivateKey::Generate(),
                                        crypto::Ed25519PrivateKey::Generate()});
  };
  add(kAdviser, kUnit, "a-1");
  add(kAdviser2, kUnit, "a-2");
  add(kOtherAdviser, kOtherUnit, "b-1");
}

void RelayTest::TearDown() { StopRelay(); }

v1::RelayConfig RelayTest::BaseConfig() {
  const TestPki& pki = SharedPki();
  v1::RelayConfig config;
  config.set_listen_address("127.0.0.1:0");
  config.mutable_tls()->set_cert_file(pki.Cert("relay"));
  config.mutable_tls()->set_key_file(pki.Key("relay"));
  config.mutable_tls()->set_client_ca_file(pki.dir + "/ca.crt");
  config.mutable_tls()->set_refresh_interval_seconds(1);
  config.set_data_dir(data_dir_);
  config.set_kek_file(temp_->path() + "/kek");
  config.set_directory_public_key_file(temp_->path() + "/directory.pub");
  config.set_backup_dir(temp_->path() + "/backups");
  config.mutable_limits()->set_rate_per_second(1000);
  config.mutable_limits()->set_rate_burst(1000);
  config.mutable_retention()->set_sweeper_disabled(true);
  config.set_shutdown_grace_seconds(2);
  return config;
}

void RelayTest::StartRelay(v1::RelayConfig config, std::function<int64_t()> clock) {
  ASSERT_TRUE(FinalizeConfig(config).ok());
  auto relay = RelayServer::Start(std::move(config), std::move(clock));
  ASSERT_TRUE(relay.ok()) << relay.status();
  relay_ = *std::move(relay);
  port_ = relay_->port();
}

void RelayTest::StopRelay() {
  if (relay_) relay_->Shutdown();
  relay_.reset();
}

std::shared_ptr<grpc::Channel> RelayTest::Channel(const std::string& name) {
  const TestPki& pki = SharedPki();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFile(pki.dir + "/ca.crt");
  if (!name.empty()) {
    options.pem_private_key = ReadFile(pki.Key(name));
    options.pem_cert_chain = ReadFile(pki.Cert(name));
  }
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per stub
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port_),
                                   grpc::SslCredentials(options), args);
}

std::unique_ptr<v1::Relay::Stub> RelayTest::Stub(const std::string& name) {
  return v1::Relay::NewStub(Channel(name));
}

std::unique_ptr<v1::Relay::Stub> RelayTest::StubWithFiles(const std::string& cert_file,
                                                          const std::string& key_file,
                                                          const std::string& ca_file) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFile(ca_file);
  options.pem_private_key = ReadFile(key_file);
  options.pem_cert_chain = ReadFile(cert_file);
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return v1::Relay::NewStub(grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port_),
                                                      grpc::SslCredentials(options), args));
}

v1::SignedDirectory RelayTest::SignDirectory(uint64_t epoch) {
  std::vector<const AdviserKeys*> advisers;
  for (const auto& [name, keys] : advisers_) advisers.push_back(&keys);
  return SignTestDirectory(epoch, NowMs(), advisers, *directory_key_);
}

void RelayTest::PublishDirectory(uint64_t epoch) {
  v1::PublishDirectoryRequest request;
  *request.mutable_directory() = SignDirectory(epoch);
  v1::PublishDirectoryReply reply;
  grpc::ClientContext ctx;
  grpc::Status status = Stub(kAdmin)->PublishDirectory(&ctx, request, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(reply.epoch(), epoch);
  epoch_ = epoch;
}

ThreadKeys RelayTest::NewThreadKeys() {
  return ThreadKeys{crypto::RandomId(), crypto::X25519PrivateKey::Generate(),
                    crypto::Ed25519PrivateKey::Generate()};
}

std::vector<crypto::X25519PublicKey> RelayTest::UnitRecipients(const std::string& unit) {
  std::vector<crypto::X25519PublicKey> out;
  for (const auto& [name, keys] : advisers_) {
    if (keys.unit == unit) out.push_back(keys.encryption.public_key());
  }
  return out;
}

// The relay does not check the hash chain (readers do), so relay tests link
// messages after the first with a fixed placeholder hash.
static std::string ChainLinkPlaceholder(uint64_t sequence) {
  return sequence > 1 ? std::string(crypto::kEnvelopeHashLen, '\x5a') : std::string();
}

std::string RelayTest::SealFromProfessional(const ThreadKeys& thread, const std::string& message_id,
                                            uint64_t sequence, const std::string& text, bool first,
                                            const std::string& unit, uint64_t epoch) {
  crypto::EnvelopeContext context{thread.thread_id,
                                  message_id,
                                  sequence,
                                  v1::SENDER_ROLE_PROFESSIONAL,
                                  unit,
                                  epoch == 0 ? epoch_ : epoch,
                                  ChainLinkPlaceholder(sequence)};
  v1::EnvelopeBody body;
  body.set_text(text);
  if (first) {
    body.set_thread_reply_public_key(thread.reply.public_key().bytes());
    body.set_thread_signing_public_key(thread.signing.public_key().bytes());
  }
  auto sealed = crypto::SealEnvelope(context, body, UnitRecipients(unit), thread.signing);
  EXPECT_TRUE(sealed.ok()) << sealed.status();
  return sealed.ok() ? *sealed : std::string();
}

std::string RelayTest::SealFromAdviser(const AdviserKeys& adviser, const ThreadKeys& thread,
                                       const std::string& message_id, uint64_t sequence,
                                       const std::string& text, uint64_t epoch) {
  crypto::EnvelopeContext context{thread.thread_id,
                                  message_id,
                                  sequence,
                                  v1::SENDER_ROLE_ADVISER,
                                  adviser.unit,
                                  epoch == 0 ? epoch_ : epoch,
                                  ChainLinkPlaceholder(sequence)};
  v1::EnvelopeBody body;
  body.set_text(text);
  std::vector<crypto::X25519PublicKey> recipients = UnitRecipients(adviser.unit);
  recipients.push_back(thread.reply.public_key());
  auto sealed = crypto::SealEnvelope(context, body, recipients, adviser.signing);
  EXPECT_TRUE(sealed.ok()) << sealed.status();
  return sealed.ok() ? *sealed : std::string();
}

std::string RelayTest::SealReferralNote(const AdviserKeys& adviser, const ThreadKeys& thread,
                                        uint64_t sequence, const std::string& to_unit) {
  crypto::EnvelopeContext context{thread.thread_id,
                                  crypto::RandomId(),
                                  sequence,
                                  v1::SENDER_ROLE_ADVISER,
                                  to_unit,
                                  epoch_,
                                  ChainLinkPlaceholder(sequence)};
  v1::EnvelopeBody body;
  body.set_text("referred");
  body.set_referred_to_unit(to_unit);
  std::vector<crypto::X25519PublicKey> recipients = UnitRecipients(to_unit);
  recipients.push_back(thread.reply.public_key());
  auto sealed = crypto::SealEnvelope(context, body, recipients, adviser.signing);
  EXPECT_TRUE(sealed.ok()) << sealed.status();
  return sealed.ok() ? *sealed : std::string();
}

v1::SubmitConsultationRequest RelayTest::SubmitRequest(const ThreadKeys& thread,
                                                       const std::string& text,
                                                       std::string* message_id) {
  const std::string id = crypto::RandomId();
  if (message_id != nullptr) *message_id = id;
  v1::SubmitConsultationRequest request;
  auto* metadata = request.mutable_metadata();
  metadata->set_county("07");
  metadata->set_category(v1::CATEGORY_CHILD_MARRIAGE);
  metadata->set_urgency(v1::URGENCY_HIGH);
  metadata->set_org_type(v1::ORG_TYPE_SCHOOL);
  metadata->set_age_group(v1::AGE_GROUP_CHILD);
  request.set_thread_signing_public_key(thread.signing.public_key().bytes());
  request.set_envelope(SealFromProfessional(thread, id, 1, text, true));
  return request;
}

v1::Ack RelayTest::Submit(const ThreadKeys& thread, const std::string& text) {
  v1::Ack ack;
  grpc::ClientContext ctx;
  grpc::Status status =
      Stub(kProfessional)->SubmitConsultation(&ctx, SubmitRequest(thread, text), &ack);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return ack;
}

}  // namespace samrad::server::testing
