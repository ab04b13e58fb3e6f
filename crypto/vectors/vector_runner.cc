#include "crypto/vectors/vector_runner.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "crypto/aead.h"
#include "crypto/aead_opener.h"
#include "crypto/hkdf.h"
#include "crypto/hpke.h"
#include "crypto/keys.h"
#include "google/protobuf/util/json_util.h"
#include "proto/vectors.pb.h"

namespace samrad::crypto::vectors {
namespace {

namespace tv = ::samrad::testvectors;

constexpr size_t kMaxFileBytes = 256u << 20;

// Strict lowercase/uppercase hex; nullopt for odd length or a non-hex digit.
std::optional<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

// Thrown nowhere: a case collects its first problem as a string.
class CaseCheck {
 public:
  // Decodes field `name`; records a problem and returns "" when malformed.
  std::string Hex(std::string_view name, std::string_view hex) {
    std::optional<std::string> bytes = FromHex(hex);
    if (!bytes) {
      Fail(absl::StrCat("field ", std::string(name), " is not hex"));
      return "";
    }
    return *std::move(bytes);
  }
  void Fail(std::string why) {
    if (!problem_) problem_ = std::move(why);
  }
  void ExpectEq(std::string_view what, std::string_view got, std::string_view want) {
    if (got != want) {
      Fail(absl::StrCat(std::string(what), " differs: got ", ToHex(got), ", want ", ToHex(want)));
    }
  }
  void ExpectOk(std::string_view what, const absl::Status& status) {
    if (!status.ok()) Fail(absl::StrCat(std::string(what), " failed: ", status.ToString()));
  }
  bool ok() const { return !problem_.has_value(); }
  const std::string& problem() const { return *problem_; }

 private:
  std::optional<std::string> problem_;
};

void Record(VectorReport& report, const std::string& where, const CaseCheck& check) {
  if (check.ok()) {
    ++report.passed;
  } else {
    ++report.failed;
    report.failures.push_back(absl::StrCat(where, ": ", check.problem()));
  }
}

void Skip(VectorReport& report, const std::string& reason, size_t count = 1) {
  report.skipped += count;
  report.skip_reasons[reason] += count;
}

template <typename Message>
absl::Status ParseJson(const std::string& json, Message* message, std::string_view what) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(json, message, options);
  if (!status.ok()) {
    std::string detail(status.message());
    while (!detail.empty() && (detail.front() == ':' || detail.front() == ' ')) {
      detail.erase(0, 1);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("not a ", std::string(what), " vector file (", detail, ")"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- HPKE ----

struct HpkeKeys {
  std::optional<X25519PrivateKey> ephemeral, recipient, sender;
  std::optional<X25519PublicKey> recipient_public, sender_public;
};

// DeriveKeyPair for one role, compared with the vector's sk/pk.
std::optional<X25519PrivateKey> CheckDerivedKey(CaseCheck& check, std::string_view role,
                                                std::string_view ikm_hex, std::string_view sk_hex,
                                                std::string_view pk_hex) {
  const std::string r(role);
  const std::string ikm = check.Hex("ikm" + r, ikm_hex);
  const std::string sk = check.Hex("sk" + r + "m", sk_hex);
  const std::string pk = check.Hex("pk" + r + "m", pk_hex);
  auto derived = hpke::DeriveKeyPair(ikm);
  if (!derived.ok()) {
    check.ExpectOk("DeriveKeyPair(ikm" + r + ")", derived.status());
  } else {
    check.ExpectEq("DeriveKeyPair(ikm" + r + ") secret key", derived->raw().view(), sk);
    check.ExpectEq("DeriveKeyPair(ikm" + r + ") public key", derived->public_key().bytes(), pk);
  }
  auto from_raw = X25519PrivateKey::FromRaw(AsBytes(sk));
  if (!from_raw.ok()) {
    check.ExpectOk("sk" + r + "m import", from_raw.status());
    return std::nullopt;
  }
  check.ExpectEq("public key of sk" + r + "m", from_raw->public_key().bytes(), pk);
  return *std::move(from_raw);
}

std::string NonceFor(std::string_view base_nonce, uint64_t sequence) {
  std::string nonce(base_nonce);
  for (size_t i = 0; i < 8 && i < nonce.size(); ++i) {
    nonce[nonce.size() - 1 - i] ^= static_cast<char>(sequence >> (8 * i));
  }
  return nonce;
}

void RunHpkeEntry(const tv::HpkeEntry& entry, const std::string& where, VectorReport& report) {
  const size_t cases = 1 + entry.encryptions_size() + entry.exports_size();
  if (entry.kem_id() == 0 || entry.kdf_id() == 0 || entry.aead_id() == 0) {
    CaseCheck check;
    check.Fail("entry lacks kem_id, kdf_id or aead_id");
    Record(report, where, check);
    return;
  }
  auto mode = hpke::ModeFromId(entry.mode());
  auto aead = hpke::AeadIdFromId(entry.aead_id());
  if (entry.kem_id() != hpke::kKemX25519HkdfSha256 || entry.kdf_id() != hpke::kKdfHkdfSha256 ||
      !mode.ok() || !aead.ok()) {
    Skip(report,
         absl::StrCat("HPKE suite not implemented (kem ", entry.kem_id(), ", kdf ", entry.kdf_id(),
                      ", aead ", entry.aead_id(), ", mode ", entry.mode(), ")"),
         cases);
    return;
  }
  const bool auth = *mode == hpke::Mode::kAuth || *mode == hpke::Mode::kAuthPsk;

  // Case 1: DeriveKeyPair, Encap/Decap and the key schedule values.
  CaseCheck setup;
  HpkeKeys keys;
  keys.ephemeral = CheckDerivedKey(setup, "E", entry.ikme(), entry.skem(), entry.pkem());
  keys.recipient = CheckDerivedKey(setup, "R", entry.ikmr(), entry.skrm(), entry.pkrm());
  if (auth) keys.sender = CheckDerivedKey(setup, "S", entry.ikms(), entry.sksm(), entry.pksm());
  if (keys.recipient) keys.recipient_public = keys.recipient->public_key();
  if (keys.sender) keys.sender_public = keys.sender->public_key();
  const std::string info = setup.Hex("info", entry.info());
  const std::string psk = setup.Hex("psk", entry.psk());
  const std::string psk_id = setup.Hex("psk_id", entry.psk_id());
  const std::string enc = setup.Hex("enc", entry.enc());
  const std::string shared_secret = setup.Hex("shared_secret", entry.shared_secret());
  const std::string base_nonce = setup.Hex("base_nonce", entry.base_nonce());
  const bool have_keys = keys.ephemeral && keys.recipient && (!auth || keys.sender);
  if (!have_keys) setup.Fail("keys could not be imported");

  hpke::SenderOptions sender_options{*aead, *mode,  info,
                                     psk,   psk_id, auth && keys.sender ? &*keys.sender : nullptr};
  hpke::ReceiverOptions receiver_options{
      *aead, *mode, info, psk, psk_id, auth && keys.sender ? &*keys.sender_public : nullptr};
  std::optional<hpke::SenderSetup> sender;
  std::optional<hpke::ReceiverContext> receiver;
  if (have_keys) {
    auto encap = hpke::EncapWithEphemeral(*keys.recipient_public, *keys.ephemeral,
                                          auth ? &*keys.sender : nullptr);
    if (!encap.ok()) {
      setup.ExpectOk("Encap", encap.status());
    } else {
      setup.ExpectEq("Encap enc", encap->enc, enc);
      setup.ExpectEq("Encap shared_secret", encap->shared_secret.view(), shared_secret);
    }
    auto decap = hpke::Decap(enc, *keys.recipient, auth ? &*keys.sender_public : nullptr);
    if (!decap.ok()) {
      setup.ExpectOk("Decap", decap.status());
    } else {
      setup.ExpectEq("Decap shared_secret", decap->view(), shared_secret);
      auto schedule = hpke::DeriveKeySchedule(*aead, *mode, *decap, info, psk, psk_id);
      if (!schedule.ok()) {
        setup.ExpectOk("KeySchedule", schedule.status());
      } else {
        setup.ExpectEq("key_schedule_context", schedule->key_schedule_context,
                       setup.Hex("key_schedule_context", entry.key_schedule_context()));
        setup.ExpectEq("secret", schedule->secret.view(), setup.Hex("secret", entry.secret()));
        setup.ExpectEq("key", schedule->key.view(), setup.Hex("key", entry.key()));
        setup.ExpectEq("base_nonce", schedule->base_nonce.view(), base_nonce);
        setup.ExpectEq("exporter_secret", schedule->exporter_secret.view(),
                       setup.Hex("exporter_secret", entry.exporter_secret()));
      }
    }
    auto s =
        hpke::SetupSenderWithEphemeral(sender_options, *keys.recipient_public, *keys.ephemeral);
    if (!s.ok()) {
      setup.ExpectOk("SetupSender", s.status());
    } else {
      setup.ExpectEq("SetupSender enc", s->enc, enc);
      sender.emplace(*std::move(s));
    }
    auto r = hpke::SetupReceiver(receiver_options, enc, *keys.recipient);
    if (!r.ok()) {
      setup.ExpectOk("SetupReceiver", r.status());
    } else {
      receiver.emplace(*std::move(r));
    }
  }
  Record(report, absl::StrCat(where, " key derivation, encapsulation and key schedule"), setup);

  // One case per encryption: context Seal and Open at sequence i (plus the
  // single-shot API for i = 0), and the nonce.
  for (int i = 0; i < entry.encryptions_size(); ++i) {
    const tv::HpkeEncryption& e = entry.encryptions(i);
    CaseCheck check;
    const std::string aad = check.Hex("aad", e.aad());
    const std::string pt = check.Hex("pt", e.pt());
    const std::string ct = check.Hex("ct", e.ct());
    check.ExpectEq("nonce", NonceFor(base_nonce, i), check.Hex("nonce", e.nonce()));
    if (!sender || !receiver) {
      check.Fail("no context (setup failed)");
    } else {
      sender->context.SetSequenceForTesting(i);
      auto sealed = sender->context.Seal(aad, pt);
      if (!sealed.ok()) {
        check.ExpectOk("Seal", sealed.status());
      } else {
        check.ExpectEq("Seal ciphertext", *sealed, ct);
      }
      receiver->SetSequenceForTesting(i);
      auto opened = receiver->Open(aad, ct);
      if (!opened.ok()) {
        check.ExpectOk("Open", opened.status());
      } else {
        check.ExpectEq("Open plaintext", *opened, pt);
      }
      if (i == 0) {
        auto single = hpke::SealWithEphemeral(sender_options, *keys.recipient_public, aad, pt,
                                              *keys.ephemeral);
        if (!single.ok()) {
          check.ExpectOk("single-shot Seal", single.status());
        } else {
          check.ExpectEq("single-shot Seal ciphertext", single->ciphertext, ct);
        }
        auto single_open = hpke::Open(receiver_options, *keys.recipient, enc, aad, ct);
        if (!single_open.ok()) {
          check.ExpectOk("single-shot Open", single_open.status());
        } else {
          check.ExpectEq("single-shot Open plaintext", *single_open, pt);
        }
      }
    }
    Record(report, absl::StrCat(where, " encryptions[", i, "]"), check);
  }

  for (int i = 0; i < entry.exports_size(); ++i) {
    const tv::HpkeExport& x = entry.exports(i);
    CaseCheck check;
    const std::string context = check.Hex("exporter_context", x.exporter_context());
    const std::string want = check.Hex("exported_value", x.exported_value());
    if (!sender || !receiver) {
      check.Fail("no context (setup failed)");
    } else {
      for (const hpke::Context* ctx : {static_cast<const hpke::Context*>(&sender->context),
                                       static_cast<const hpke::Context*>(&*receiver)}) {
        const char* side = ctx == &sender->context ? "sender" : "receiver";
        auto exported = ctx->Export(context, x.l());
        if (!exported.ok()) {
          check.ExpectOk(absl::StrCat(side, " Export"), exported.status());
        } else {
          check.ExpectEq(absl::StrCat(side, " Export"), exported->view(), want);
        }
      }
    }
    Record(report, absl::StrCat(where, " exports[", i, "]"), check);
  }
}

// ---------------------------------------------------------- Wycheproof ----

enum class Expectation { kValid, kInvalid, kAcceptable };

std::optional<Expectation> ParseResult(std::string_view result) {
  if (result == "valid") return Expectation::kValid;
  if (result == "invalid") return Expectation::kInvalid;
  if (result == "acceptable") return Expectation::kAcceptable;
  return std::nullopt;
}

bool HasFlag(const tv::WycheproofTest& test, std::string_view flag) {
  for (const std::string& f : test.flags()) {
    if (f == flag) return true;
  }
  return false;
}

// Applies result semantics to an operation that either failed (`output`
// nullopt, with `error`) or produced `output`, to be compared with `want`.
void Judge(CaseCheck& check, Expectation expectation, const absl::Status& error,
           const std::optional<std::string>& output, std::string_view want) {
  switch (expectation) {
    case Expectation::kValid:
      if (!output) {
        check.Fail(absl::StrCat("valid case rejected: ", error.ToString()));
      } else {
        check.ExpectEq("output", *output, want);
      }
      break;
    case Expectation::kInvalid:
      if (output) check.Fail("invalid case accepted");
      break;
    case Expectation::kAcceptable:
      if (output) check.ExpectEq("output of an acceptable case", *output, want);
      break;
  }
}

void RunXdhTest(const tv::WycheproofGroup& group, const tv::WycheproofTest& test,
                Expectation expectation, CaseCheck& check) {
  (void)group;
  const std::string priv = check.Hex("private", test.private_value());
  const std::string pub = check.Hex("public", test.public_value());
  const std::string shared = check.Hex("shared", test.shared());
  if (!check.ok()) return;
  absl::Status error;
  std::optional<std::string> output;
  auto key = X25519PrivateKey::FromRaw(AsBytes(priv));
  auto peer = X25519PublicKey::FromBytes(pub);
  if (!key.ok()) {
    error = key.status();
  } else if (!peer.ok()) {
    error = peer.status();
  } else if (auto agreed = key->Agree(*peer); !agreed.ok()) {
    error = agreed.status();
  } else {
    output = std::string(agreed->view());
  }
  Judge(check, expectation, error, output, shared);
  // RFC 9180 §7.1.4 / RFC 7748 §6.1: an all-zero result must be refused by
  // Agree and by HPKE's Decap (the low-order key as enc).
  if (HasFlag(test, "ZeroSharedSecret") && key.ok() && peer.ok()) {
    if (output) check.Fail("all-zero X25519 output was not rejected by Agree");
    auto decap = hpke::Decap(pub, *key, nullptr);
    if (decap.ok() || decap.status().code() != absl::StatusCode::kInvalidArgument) {
      check.Fail("HPKE Decap did not reject a low-order enc with INVALID_ARGUMENT");
    }
  }
}

const std::string& EddsaCurve(const tv::WycheproofGroup& group) {
  return group.has_publickey() ? group.publickey().curve() : group.key().curve();
}

void RunEddsaTest(const tv::WycheproofGroup& group, const tv::WycheproofTest& test,
                  Expectation expectation, CaseCheck& check) {
  const tv::WycheproofPublicKey& public_key =
      group.has_publickey() ? group.publickey() : group.key();
  const std::string pk = check.Hex("publicKey.pk", public_key.pk());
  const std::string msg = check.Hex("msg", test.msg());
  const std::string sig = check.Hex("sig", test.sig());
  if (!check.ok()) return;
  absl::Status error;
  std::optional<std::string> output;
  auto key = Ed25519PublicKey::FromBytes(pk);
  if (!key.ok()) {
    error = key.status();
  } else if (absl::Status verified = key->Verify(msg, sig); !verified.ok()) {
    error = verified;
  } else {
    output = "";  // verified; nothing to compare
  }
  Judge(check, expectation, error, output, "");
}

void RunHkdfTest(const tv::WycheproofTest& test, Expectation expectation, CaseCheck& check) {
  const std::string ikm = check.Hex("ikm", test.ikm());
  const std::string salt = check.Hex("salt", test.salt());
  const std::string info = check.Hex("info", test.info());
  const std::string okm = check.Hex("okm", test.okm());
  if (!check.ok()) return;
  auto derived = HkdfSha256(AsBytes(salt), AsBytes(ikm), AsBytes(info), test.size());
  std::optional<std::string> output;
  if (derived.ok()) output = std::string(derived->view());
  Judge(check, expectation, derived.status(), output, okm);
}

// Seals and opens; the output compared is ct||tag from Seal, and Open must
// return msg for it. Rejection anywhere counts as rejection.
void RunAeadTest(AeadAlgorithm alg, const tv::WycheproofTest& test, Expectation expectation,
                 CaseCheck& check) {
  const std::string key = check.Hex("key", test.key());
  const std::string iv = check.Hex("iv", test.iv());
  const std::string aad = check.Hex("aad", test.aad());
  const std::string msg = check.Hex("msg", test.msg());
  const std::string ct_and_tag = check.Hex("ct", test.ct()) + check.Hex("tag", test.tag());
  if (!check.ok()) return;
  auto opened = AeadOpen(alg, AsBytes(key), AsBytes(iv), AsBytes(ct_and_tag), AsBytes(aad));
  // The keyed opener (fsck's scans) must agree with AeadOpen, accepting or
  // rejecting, on its first use and when reused.
  auto opener = AeadOpener::Create(alg, AsBytes(key));
  if (!opener.ok() && opened.ok()) {
    check.Fail(absl::StrCat("AeadOpener::Create refused a key AeadOpen accepts: ",
                            opener.status().ToString()));
    return;
  }
  for (int use = 0; opener.ok() && use < 2; ++use) {
    std::string plain;
    absl::Status again = (*opener)->Open(AsBytes(iv), AsBytes(ct_and_tag), AsBytes(aad), plain);
    if (again.ok() != opened.ok() || (again.ok() && plain != *opened)) {
      check.Fail(absl::StrCat("AeadOpener use ", use + 1, " differs from AeadOpen: ",
                              again.ok() ? ToHex(plain) : again.ToString()));
      return;
    }
  }
  std::optional<std::string> output;
  absl::Status error = opened.status();
  if (opened.ok()) {
    if (*opened != msg) {
      check.Fail(absl::StrCat("Open returned ", ToHex(*opened), ", want ", ToHex(msg)));
      return;
    }
    auto sealed = AeadSeal(alg, AsBytes(key), AsBytes(iv), AsBytes(msg), AsBytes(aad));
    if (sealed.ok()) {
      output = *sealed;
      // The keyed context (storage's at-rest sealing) must give the same
      // bytes on its first use and when reused with a fresh nonce.
      auto sealer = AeadSealer::Create(alg, AsBytes(key));
      for (int use = 0; use < 2; ++use) {
        absl::StatusOr<std::string> again =
            sealer.ok() ? (*sealer)->Seal(AsBytes(iv), AsBytes(msg), AsBytes(aad))
                        : absl::StatusOr<std::string>(sealer.status());
        if (!again.ok() || *again != *sealed) {
          check.Fail(absl::StrCat("AeadSealer use ", use + 1, " differs from AeadSeal: ",
                                  again.ok() ? ToHex(*again) : again.status().ToString()));
          return;
        }
      }
    } else {
      error = sealed.status();
    }
  }
  Judge(check, expectation, error, output, ct_and_tag);
}

// Why a group's parameters are outside what this library implements, or
// empty when it implements them.
std::string UnsupportedAeadReason(const std::string& algorithm, const tv::WycheproofGroup& g,
                                  AeadAlgorithm* alg) {
  if (g.tagsize() != 128) return absl::StrCat("tag size ", g.tagsize(), " bits (only 128)");
  if (algorithm == "AES-GCM") {
    if (g.keysize() == 128) {
      *alg = AeadAlgorithm::kAes128Gcm;
    } else if (g.keysize() == 256) {
      *alg = AeadAlgorithm::kAes256Gcm;
    } else {
      return absl::StrCat("AES-GCM key size ", g.keysize(), " bits (only 128 and 256)");
    }
  } else {
    *alg = AeadAlgorithm::kChaCha20Poly1305;
    if (g.keysize() != 256) return absl::StrCat("key size ", g.keysize(), " bits (only 256)");
  }
  if (g.ivsize() != 96) return absl::StrCat("IV size ", g.ivsize(), " bits (only 96)");
  return "";
}

// For a group with unsupported parameters: the API must refuse the input
// (wrong key/nonce length, or an authentication failure); a case it accepts
// fails. Every other case, valid or invalid, is skipped with the reason: the
// API refuses such a key or nonce before any cryptography runs, so an
// "invalid" case refused here says nothing about the cipher and is not
// counted as passed.
void RunUnsupportedAeadTest(const std::string& reason, AeadAlgorithm alg,
                            const tv::WycheproofTest& test, const std::string& where,
                            VectorReport& report) {
  CaseCheck check;
  const std::string key = check.Hex("key", test.key());
  const std::string iv = check.Hex("iv", test.iv());
  const std::string aad = check.Hex("aad", test.aad());
  const std::string ct_and_tag = check.Hex("ct", test.ct()) + check.Hex("tag", test.tag());
  if (check.ok()) {
    auto opened = AeadOpen(alg, AsBytes(key), AsBytes(iv), AsBytes(ct_and_tag), AsBytes(aad));
    if (opened.ok())
      check.Fail(
          absl::StrCat("input outside the supported parameters (", reason, ") was accepted"));
  }
  if (!check.ok()) {
    Record(report, where, check);
  } else {
    Skip(report, absl::StrCat("not implemented: ", reason, "; input rejected by the API"));
  }
}

}  // namespace

absl::StatusOr<VectorReport> RunHpkeVectors(std::string_view json) {
  const size_t first = json.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || json[first] != '[') {
    return absl::InvalidArgumentError(
        "not an RFC 9180 HPKE vector file (expected a JSON array of entries)");
  }
  tv::HpkeFile file;
  const std::string wrapped = absl::StrCat("{\"entries\":", std::string(json), "}");
  if (absl::Status s = ParseJson(wrapped, &file, "RFC 9180 HPKE"); !s.ok()) return s;
  if (file.entries().empty()) {
    return absl::InvalidArgumentError("the HPKE vector file holds no entries");
  }
  VectorReport report;
  report.kind = "HPKE (RFC 9180)";
  for (int i = 0; i < file.entries_size(); ++i) {
    const tv::HpkeEntry& e = file.entries(i);
    RunHpkeEntry(e, absl::StrCat("entry ", i, " (mode ", e.mode(), ", aead ", e.aead_id(), ")"),
                 report);
  }
  return report;
}

absl::StatusOr<VectorReport> RunWycheproofVectors(std::string_view json) {
  tv::WycheproofFile file;
  if (absl::Status s = ParseJson(std::string(json), &file, "Wycheproof"); !s.ok()) return s;
  const std::string& algorithm = file.algorithm();
  if (algorithm.empty()) {
    return absl::InvalidArgumentError("not a Wycheproof file: no \"algorithm\" field");
  }
  if (algorithm != "XDH" && algorithm != "EDDSA" && algorithm != "HKDF-SHA-256" &&
      algorithm != "AES-GCM" && algorithm != "CHACHA20-POLY1305") {
    return absl::UnimplementedError(absl::StrCat(
        "Wycheproof algorithm \"", algorithm,
        "\" is not supported (XDH, EDDSA, HKDF-SHA-256, AES-GCM, CHACHA20-POLY1305 are)"));
  }
  VectorReport report;
  report.kind = absl::StrCat("Wycheproof ", algorithm);
  size_t total = 0;
  for (const tv::WycheproofGroup& group : file.testgroups()) {
    total += group.tests_size();
    std::string group_skip;
    if (algorithm == "XDH" && (group.type() != "XdhComp" || group.curve() != "curve25519")) {
      group_skip = absl::StrCat("XDH group ", group.type(), "/", group.curve(),
                                " (only XdhComp on curve25519)");
    } else if (algorithm == "EDDSA" &&
               (group.type() != "EddsaVerify" || EddsaCurve(group) != "edwards25519")) {
      group_skip = absl::StrCat("EdDSA group ", group.type(), "/", EddsaCurve(group),
                                " (only EddsaVerify on edwards25519)");
    } else if (algorithm == "HKDF-SHA-256" && group.type() != "HkdfTest") {
      group_skip = absl::StrCat("HKDF group type ", group.type());
    } else if ((algorithm == "AES-GCM" || algorithm == "CHACHA20-POLY1305") &&
               group.type() != "AeadTest") {
      group_skip = absl::StrCat("AEAD group type ", group.type());
    }
    if (!group_skip.empty()) {
      Skip(report, absl::StrCat("not implemented: ", group_skip), group.tests_size());
      continue;
    }
    AeadAlgorithm alg = AeadAlgorithm::kAes256Gcm;
    std::string aead_unsupported;
    if (algorithm == "AES-GCM" || algorithm == "CHACHA20-POLY1305") {
      aead_unsupported = UnsupportedAeadReason(algorithm, group, &alg);
    }
    for (const tv::WycheproofTest& test : group.tests()) {
      const std::string where = absl::StrCat("tcId ", test.tcid(), " (", test.comment(), ")");
      CaseCheck check;
      std::optional<Expectation> expectation = ParseResult(test.result());
      if (!expectation) {
        check.Fail(absl::StrCat("unknown result \"", test.result(), "\""));
        Record(report, where, check);
        continue;
      }
      if (!aead_unsupported.empty()) {
        RunUnsupportedAeadTest(aead_unsupported, alg, test, where, report);
        continue;
      }
      if (algorithm == "XDH") {
        RunXdhTest(group, test, *expectation, check);
      } else if (algorithm == "EDDSA") {
        RunEddsaTest(group, test, *expectation, check);
      } else if (algorithm == "HKDF-SHA-256") {
        RunHkdfTest(test, *expectation, check);
      } else {
        RunAeadTest(alg, test, *expectation, check);
      }
      Record(report, where, check);
    }
  }
  if (total == 0) return absl::InvalidArgumentError("the Wycheproof file holds no tests");
  if (file.numberoftests() != 0 && file.numberoftests() != total) {
    ++report.failed;
    report.failures.push_back(absl::StrCat("file says numberOfTests ", file.numberoftests(),
                                           " but holds ", total, " tests"));
  }
  return report;
}

absl::StatusOr<std::string> ReadVectorFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    if (err == EACCES) return absl::PermissionDeniedError(absl::StrCat(path, ": access denied"));
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": larger than 256 MiB"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot be opened"));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return content.str();
}

std::string FormatReport(const VectorReport& report) {
  std::string out;
  for (const std::string& failure : report.failures) absl::StrAppend(&out, "FAIL ", failure, "\n");
  for (const auto& [reason, count] : report.skip_reasons) {
    absl::StrAppend(&out, "skipped ", count, ": ", reason, "\n");
  }
  absl::StrAppend(&out, report.kind, ": ", report.skipped, " skipped\n");
  absl::StrAppend(&out, report.passed, " passed, ", report.failed, " failed\n");
  return out;
}

}  // namespace samrad::crypto::vectors
