// Writes the protobuf seed corpus for the fuzz targets with the same fixed test keys the
// fuzzers use: make_seeds <corpus dir>. Run by hand after a format change; the output is
// committed under tests/fuzz/corpus/ (the guard seeds are plain text written by hand).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "crypto/directory.h"
#include "crypto/envelope.h"
#include "crypto/keys.h"
#include "crypto/secret_bytes.h"
#include "proto/directory.pb.h"
#include "proto/envelope.pb.h"
#include "proto/relay.pb.h"
#include "storage/sealing.h"

namespace fs = std::filesystem;
using namespace samrad;  // NOLINT: a tiny tool

namespace {

bool Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out << bytes;
  return static_cast<bool>(out);
}

std::vector<uint8_t> Fill(uint8_t b) { return std::vector<uint8_t>(32, b); }

const char kThread[] = "0123456789abcdef0123456789abcdef";
const char kMessage[] = "fedcba9876543210fedcba9876543210";

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds <corpus dir>\n");
    return 2;
  }
  fs::path root = argv[1];
  bool ok = true;
  auto signer = crypto::Ed25519PrivateKey::FromSeed(Fill(0x01));
  auto recipient = crypto::X25519PrivateKey::FromRaw(Fill(0x02));
  auto directory_key = crypto::Ed25519PrivateKey::FromSeed(Fill(0x03));
  if (!signer.ok() || !recipient.ok() || !directory_key.ok()) return 1;

  // envelope: sealed first message and follow-up to the fixed recipient.
  std::string first_envelope;
  std::string previous_hash;  // each seed chained to the one before
  for (int i = 0; i < 3; ++i) {
    crypto::EnvelopeContext context;
    context.thread_id = kThread;
    context.message_id = kMessage;
    context.sequence = static_cast<uint64_t>(i + 1);
    context.sender_role = i == 1 ? v1::SENDER_ROLE_ADVISER : v1::SENDER_ROLE_PROFESSIONAL;
    context.unit = "rc-kronoberg";
    context.directory_epoch = 7;
    context.previous_envelope_hash = previous_hash;
    v1::EnvelopeBody body;
    body.set_text(i == 0 ? "Hej, en fråga om ett ärende." : "ok");
    if (i == 0) {
      body.set_thread_reply_public_key(recipient->public_key().bytes());
      body.set_thread_signing_public_key(signer->public_key().bytes());
    }
    if (i == 2) body.set_referred_to_unit("nkt");
    std::vector<crypto::X25519PublicKey> to = {recipient->public_key()};
    auto sealed = crypto::SealEnvelope(context, body, to, *signer);
    if (!sealed.ok()) return 1;
    // The seeds must reach the decryption path of fuzz_envelope.
    auto parsed = crypto::ParseEnvelope(*sealed);
    if (!parsed.ok() ||
        !crypto::OpenEnvelope(*parsed, parsed->context(), signer->public_key(), *recipient).ok()) {
      std::fprintf(stderr, "make_seeds: envelope seed %d does not open\n", i);
      return 1;
    }
    previous_hash = crypto::EnvelopeChainHash(*parsed);
    if (i == 0) first_envelope = *sealed;
    ok &= Write(root / "envelope", "seed" + std::to_string(i), *sealed);
  }

  // directory: signed directories, valid and with a fallback only.
  for (int i = 0; i < 2; ++i) {
    v1::KeyDirectory directory;
    directory.set_epoch(7 + i);
    directory.set_issued_at_unix_ms(1'780'000'000'000);
    directory.set_not_after_unix_ms(directory.issued_at_unix_ms() +
                                    crypto::kDefaultDirectoryValidityMs);
    auto* unit = directory.add_units();
    unit->set_unit_id("rc-kronoberg");
    unit->set_display_name("Resurscentrum Kronoberg");
    unit->add_counties("07");
    if (i == 0) unit->add_counties("08");
    auto* adviser = unit->add_advisers();
    adviser->set_adviser_id("adviser-1");
    adviser->set_encryption_public_key(recipient->public_key().bytes());
    adviser->set_signing_public_key(signer->public_key().bytes());
    auto* fallback = directory.add_units();
    fallback->set_unit_id("nkt");
    fallback->set_display_name("Nationellt kompetensteam");
    *fallback->add_advisers() = *adviser;
    directory.set_fallback_unit_id("nkt");
    auto signed_directory = crypto::SignDirectory(directory, *directory_key);
    if (!signed_directory.ok() ||
        !crypto::VerifyDirectory(*signed_directory, directory_key->public_key()).ok()) {
      std::fprintf(stderr, "make_seeds: directory seed %d does not verify\n", i);
      return 1;
    }
    ok &= Write(root / "directory", "signed" + std::to_string(i),
                signed_directory->SerializeAsString());
    ok &= Write(root / "directory", "plain" + std::to_string(i), directory.SerializeAsString());
  }

  // storage_value: byte 0 = column family index (see fuzz_storage_value.cc), then sealed.
  {
    storage::Keyring keyring;
    keyring.Add(1, crypto::SecretBytes(absl::MakeConstSpan(std::vector<uint8_t>(32, 0x11))));
    keyring.Add(2, crypto::SecretBytes(absl::MakeConstSpan(std::vector<uint8_t>(32, 0x22))));
    v1::SubmitConsultationRequest record_like;
    record_like.mutable_metadata()->set_county("07");
    const std::string plaintexts[] = {"", "x", record_like.SerializeAsString()};
    for (int i = 0; i < 3; ++i) {
      auto sealed = keyring.SealWith(i == 0 ? 1 : 2, "threads", "fuzz-key", plaintexts[i]);
      if (!sealed.ok()) return 1;
      ok &= Write(root / "storage_value", "sealed" + std::to_string(i),
                  std::string(1, '\0') + *sealed);
    }
  }

  // validation: byte 0 = request type (see fuzz_validation.cc), then the request.
  {
    v1::SubmitConsultationRequest submit;
    auto* m = submit.mutable_metadata();
    m->set_county("07");
    m->set_category(v1::CATEGORY_HONOUR_VIOLENCE);
    m->set_urgency(v1::URGENCY_ACUTE);
    m->set_org_type(v1::ORG_TYPE_SCHOOL);
    m->set_age_group(v1::AGE_GROUP_CHILD);
    submit.set_thread_signing_public_key(signer->public_key().bytes());
    submit.set_envelope(first_envelope);
    ok &= Write(root / "validation", "submit", std::string(1, '\0') + submit.SerializeAsString());

    v1::PostMessageRequest post;
    post.set_thread_id(kThread);
    post.set_envelope(first_envelope);
    post.mutable_proof()->set_timestamp_unix_ms(1'780'000'000'000);
    post.mutable_proof()->set_nonce(std::string(16, 'n'));
    post.mutable_proof()->set_signature(std::string(64, 's'));
    ok &= Write(root / "validation", "post", std::string(1, '\1') + post.SerializeAsString());

    v1::ListQueueRequest list;
    list.set_page_size(50);
    list.add_states(v1::THREAD_STATE_OPEN);
    list.add_urgencies(v1::URGENCY_ACUTE);
    list.add_categories(v1::CATEGORY_CHILD_MARRIAGE);
    ok &= Write(root / "validation", "list", std::string(1, '\2') + list.SerializeAsString());

    v1::ReferThreadRequest refer;
    refer.set_thread_id(kThread);
    refer.set_to_unit("nkt");
    auto* rewrap = refer.add_rewraps();
    rewrap->set_message_id(kMessage);
    auto* key = rewrap->add_recipients();
    key->set_key_id(std::string(16, 'k'));
    key->set_enc(std::string(32, 'e'));
    key->set_ciphertext(std::string(48, 'c'));
    ok &= Write(root / "validation", "refer", std::string(1, '\3') + refer.SerializeAsString());

    v1::GetThreadRequest get;
    get.set_thread_id(kThread);
    get.set_after_sequence(2);
    ok &= Write(root / "validation", "get", std::string(1, '\4') + get.SerializeAsString());

    auto parsed = crypto::ParseEnvelope(first_envelope);
    if (!parsed.ok()) return 1;
    ok &= Write(root / "validation", "header",
                std::string(1, '\5') + parsed->header.SerializeAsString());
  }
  return ok ? 0 : 1;
}
