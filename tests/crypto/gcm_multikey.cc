#include "tests/crypto/gcm_multikey.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/secret_bytes.h"

namespace samrad::crypto::testing {
namespace {

constexpr size_t kBlock = 16;
constexpr size_t kKeyLen = 32;
constexpr size_t kNonceLen = 12;

uint64_t Load64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}

void Store64(uint64_t v, uint8_t* p) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

GfBlock Xor(const GfBlock& a, const GfBlock& b) {
  GfBlock out;
  for (size_t i = 0; i < kBlock; ++i) out[i] = a[i] ^ b[i];
  return out;
}

// Absorbs `data` into the GHASH state, zero-padding its last block.
void GhashUpdate(const GfBlock& h, absl::Span<const uint8_t> data, GfBlock& y) {
  for (size_t at = 0; at < data.size(); at += kBlock) {
    GfBlock block{};
    std::copy_n(data.begin() + at, std::min(kBlock, data.size() - at), block.begin());
    y = GfMul(Xor(y, block), h);
  }
}

absl::Status CheckKeyAndNonce(absl::Span<const uint8_t> key, absl::Span<const uint8_t> nonce) {
  if (key.size() != kKeyLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-256-GCM key must be 32 bytes, got ", key.size()));
  }
  if (nonce.size() != kNonceLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-256-GCM nonce must be 12 bytes, got ", nonce.size()));
  }
  return absl::OkStatus();
}

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

// AES-256 of each 16-byte block of `blocks` (ECB, no padding).
absl::StatusOr<std::string> AesEncryptBlocks(absl::Span<const uint8_t> key,
                                             const std::string& blocks) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  std::string out(blocks.size() + kBlock, '\0');
  int len = 0;
  int final_len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_ecb(), nullptr, key.data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<uint8_t*>(out.data()), &len,
                        reinterpret_cast<const uint8_t*>(blocks.data()),
                        static_cast<int>(blocks.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<uint8_t*>(out.data()) + len, &final_len) !=
          1) {
    return absl::InternalError("OpenSSL AES-256-ECB failed");
  }
  out.resize(static_cast<size_t>(len + final_len));
  return out;
}

GfBlock ToBlock(std::string_view bytes) {
  GfBlock out{};
  std::copy_n(bytes.begin(), kBlock, out.begin());
  return out;
}

// The counter block nonce || be32(counter).
std::string CounterBlock(absl::Span<const uint8_t> nonce, uint32_t counter) {
  std::string out(nonce.begin(), nonce.end());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(counter >> shift));
  return out;
}

// H = E_K(0^128) and E_K(J0) for one key.
struct KeyedGcm {
  GfBlock h;
  GfBlock ej0;
};

absl::StatusOr<KeyedGcm> SetUp(absl::Span<const uint8_t> key, absl::Span<const uint8_t> nonce) {
  auto enc = AesEncryptBlocks(key, std::string(kBlock, '\0') + CounterBlock(nonce, 1));
  if (!enc.ok()) return enc.status();
  return KeyedGcm{ToBlock(enc->substr(0, kBlock)), ToBlock(enc->substr(kBlock))};
}

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void AppendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Tag and length of a kTwoKeyFillerField bytes field of `length` bytes.
std::string FillerHeader(uint64_t length) {
  std::string out;
  AppendVarint(out, uint64_t{kTwoKeyFillerField} << 3 | 2);
  AppendVarint(out, length);
  return out;
}

void IncrementNonce(std::string& nonce) {
  for (size_t i = nonce.size(); i-- > 0;) {
    if (++reinterpret_cast<uint8_t&>(nonce[i]) != 0) return;
  }
}

}  // namespace

GfBlock GfMul(const GfBlock& x, const GfBlock& y) {
  uint64_t z_hi = 0;
  uint64_t z_lo = 0;
  uint64_t v_hi = Load64(y.data());
  uint64_t v_lo = Load64(y.data() + 8);
  for (int i = 0; i < 128; ++i) {
    if ((x[i / 8] >> (7 - i % 8)) & 1) {
      z_hi ^= v_hi;
      z_lo ^= v_lo;
    }
    // V * x: a right shift in this bit order, reduced by R = 11100001 || 0^120.
    const bool carry = (v_lo & 1) != 0;
    v_lo = v_lo >> 1 | v_hi << 63;
    v_hi >>= 1;
    if (carry) v_hi ^= 0xE100000000000000ull;
  }
  GfBlock out;
  Store64(z_hi, out.data());
  Store64(z_lo, out.data() + 8);
  return out;
}

GfBlock GfInverse(const GfBlock& x) {
  // x^(2^128 - 2) = x^(2 + 4 + ... + 2^127).
  GfBlock result = kGfOne;
  GfBlock square = x;
  for (int i = 1; i < 128; ++i) {
    square = GfMul(square, square);
    result = GfMul(result, square);
  }
  return result;
}

GfBlock Ghash(const GfBlock& h, absl::Span<const uint8_t> aad,
              absl::Span<const uint8_t> ciphertext) {
  GfBlock y{};
  GhashUpdate(h, aad, y);
  GhashUpdate(h, ciphertext, y);
  GfBlock lengths;
  Store64(uint64_t{aad.size()} * 8, lengths.data());
  Store64(uint64_t{ciphertext.size()} * 8, lengths.data() + 8);
  return GfMul(Xor(y, lengths), h);
}

absl::StatusOr<GfBlock> Aes256GcmTag(absl::Span<const uint8_t> key, absl::Span<const uint8_t> nonce,
                                     absl::Span<const uint8_t> aad,
                                     absl::Span<const uint8_t> ciphertext) {
  if (absl::Status s = CheckKeyAndNonce(key, nonce); !s.ok()) return s;
  auto gcm = SetUp(key, nonce);
  if (!gcm.ok()) return gcm.status();
  return Xor(Ghash(gcm->h, aad, ciphertext), gcm->ej0);
}

absl::StatusOr<std::string> Aes256GcmKeystream(absl::Span<const uint8_t> key,
                                               absl::Span<const uint8_t> nonce, size_t length) {
  if (absl::Status s = CheckKeyAndNonce(key, nonce); !s.ok()) return s;
  std::string counters;
  for (uint32_t i = 0; counters.size() < length; ++i) counters += CounterBlock(nonce, 2 + i);
  auto stream = AesEncryptBlocks(key, counters);
  if (!stream.ok()) return stream.status();
  stream->resize(length);
  return stream;
}

absl::StatusOr<std::string> CraftTwoKeyGcmCiphertext(absl::Span<const uint8_t> key1,
                                                     absl::Span<const uint8_t> key2,
                                                     absl::Span<const uint8_t> nonce,
                                                     absl::Span<const uint8_t> aad,
                                                     absl::Span<const uint8_t> prefix_blocks) {
  if (absl::Status s = CheckKeyAndNonce(key1, nonce); !s.ok()) return s;
  if (absl::Status s = CheckKeyAndNonce(key2, nonce); !s.ok()) return s;
  if (std::equal(key1.begin(), key1.end(), key2.begin())) {
    return absl::InvalidArgumentError("the two keys must differ");
  }
  if (prefix_blocks.size() % kBlock != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the ciphertext prefix must be whole 16-byte blocks, got ", prefix_blocks.size()));
  }
  auto gcm1 = SetUp(key1, nonce);
  if (!gcm1.ok()) return gcm1.status();
  auto gcm2 = SetUp(key2, nonce);
  if (!gcm2.ok()) return gcm2.status();

  // The ciphertext with the free block zero: G1, G2.
  std::string ciphertext(prefix_blocks.begin(), prefix_blocks.end());
  ciphertext.append(kBlock, '\0');
  const GfBlock g1 = Ghash(gcm1->h, aad, AsBytes(ciphertext));
  const GfBlock g2 = Ghash(gcm2->h, aad, AsBytes(ciphertext));
  // X * (H1^2 + H2^2) = G1 + G2 + E_K1(J0) + E_K2(J0).
  const GfBlock coefficient = Xor(GfMul(gcm1->h, gcm1->h), GfMul(gcm2->h, gcm2->h));
  if (coefficient == GfBlock{}) {
    return absl::InternalError("E_K1(0) == E_K2(0): no free block solves the tag equation");
  }
  const GfBlock rhs = Xor(Xor(g1, g2), Xor(gcm1->ej0, gcm2->ej0));
  const GfBlock free_block = GfMul(rhs, GfInverse(coefficient));
  std::copy(free_block.begin(), free_block.end(), ciphertext.end() - kBlock);

  const GfBlock tag1 = Xor(Ghash(gcm1->h, aad, AsBytes(ciphertext)), gcm1->ej0);
  const GfBlock tag2 = Xor(Ghash(gcm2->h, aad, AsBytes(ciphertext)), gcm2->ej0);
  if (tag1 != tag2) return absl::InternalError("the crafted tags disagree (arithmetic bug)");
  ciphertext.append(tag1.begin(), tag1.end());
  return ciphertext;
}

absl::StatusOr<TwoKeyProtobufBody> CraftTwoKeyProtobufBody(absl::Span<const uint8_t> key1,
                                                           absl::Span<const uint8_t> key2,
                                                           absl::Span<const uint8_t> first_nonce,
                                                           absl::Span<const uint8_t> aad,
                                                           absl::Span<const uint8_t> message1,
                                                           absl::Span<const uint8_t> message2) {
  if (absl::Status s = CheckKeyAndNonce(key1, first_nonce); !s.ok()) return s;
  if (absl::Status s = CheckKeyAndNonce(key2, first_nonce); !s.ok()) return s;
  if (message2.size() > 16000) {
    return absl::InvalidArgumentError("message2 must be at most 16000 bytes");
  }

  // Positions (see the header). P1's first filler header sits in 5..8, so its
  // length takes at most 2 bytes; the others' sizes are found by iterating.
  const size_t kP1Filler = 5;
  const size_t kP2Start = 9;
  size_t size1 = 1, size2 = 1, size3 = 1;  // varint sizes of the three filler lengths
  size_t filler1_len = 0, p1_start = 0, filler2_len = 0, filler3_len = 0, end = 0;
  for (int round = 0;; ++round) {
    const size_t filler1_content = kP1Filler + 2 + size1;
    p1_start = kP2Start + message2.size() + 2 + size2;  // after P2's filler header
    filler1_len = p1_start - filler1_content;
    const size_t free_area = p1_start + message1.size() + 2 + size3;
    end = (free_area + kBlock - 1) / kBlock * kBlock + kBlock;
    filler2_len = end - p1_start;
    filler3_len = end - free_area;
    if (VarintSize(filler1_len) == size1 && VarintSize(filler2_len) == size2 &&
        VarintSize(filler3_len) == size3) {
      break;
    }
    if (round == 8) return absl::InternalError("the filler lengths do not settle");
    size1 = VarintSize(filler1_len);
    size2 = VarintSize(filler2_len);
    size3 = VarintSize(filler3_len);
  }
  if (kP1Filler + 2 + size1 > kP2Start) return absl::InternalError("P1's filler header overflows");

  // The bytes each plaintext needs; `owner` says which one a byte is chosen for.
  std::string want1(end, '\0');
  std::string want2(end, '\0');
  std::string owner(end, '\0');
  auto place = [&](int who, size_t at, const std::string& bytes) {
    std::string& want = who == 1 ? want1 : want2;
    std::copy(bytes.begin(), bytes.end(), want.begin() + static_cast<ptrdiff_t>(at));
    std::fill_n(owner.begin() + static_cast<ptrdiff_t>(at), bytes.size(), static_cast<char>(who));
  };
  place(1, kP1Filler, FillerHeader(filler1_len));
  const std::string m1(message1.begin(), message1.end());
  const std::string m2(message2.begin(), message2.end());
  place(2, kP2Start, m2 + FillerHeader(filler2_len));
  place(1, p1_start, m1 + FillerHeader(filler3_len));

  std::string nonce(first_nonce.begin(), first_nonce.end());
  for (int attempt = 0; attempt < 4096; ++attempt, IncrementNonce(nonce)) {
    auto stream1 = Aes256GcmKeystream(key1, AsBytes(nonce), end);
    if (!stream1.ok()) return stream1.status();
    auto stream2 = Aes256GcmKeystream(key2, AsBytes(nonce), end);
    if (!stream2.ok()) return stream2.status();
    const uint8_t d0 = static_cast<uint8_t>((*stream1)[0] ^ (*stream2)[0]);
    if ((d0 & 0x87) != 0x04) continue;
    // P1[0] = f1 fixed32 (wire type 5); P2[0] = P1[0] ^ d0 = f2 fixed64 (wire
    // type 1) with f2 = f1 ^ (d0 >> 3). Some f1 in 5..15 keeps f2 in 5..15 too.
    const unsigned k = static_cast<unsigned>(d0 >> 3);
    unsigned f1 = 5;
    while (f1 <= 15 && ((f1 ^ k) < 5 || (f1 ^ k) > 15)) ++f1;
    if (f1 > 15) return absl::InternalError("no field number pair fits");
    want1[0] = static_cast<char>(f1 << 3 | 5);
    owner[0] = 1;

    std::string prefix(end - kBlock, '\0');
    for (size_t i = 0; i < prefix.size(); ++i) {
      prefix[i] = owner[i] == 2 ? static_cast<char>(want2[i] ^ (*stream2)[i])
                                : static_cast<char>(want1[i] ^ (*stream1)[i]);
    }
    auto ciphertext = CraftTwoKeyGcmCiphertext(key1, key2, AsBytes(nonce), aad, AsBytes(prefix));
    if (!ciphertext.ok()) return ciphertext.status();
    return TwoKeyProtobufBody{nonce, *std::move(ciphertext)};
  }
  return absl::NotFoundError("no nonce in 4096 tries gives a usable first byte");
}

}  // namespace samrad::crypto::testing
