// Test-only: AES-256-GCM ciphertexts that authenticate under two different
// keys ("invisible salamanders"), for tests that show a key-committing
// envelope refuses a body crafted to open to different texts for different
// recipients (issue 14 item 5).
//
// AES-GCM does not commit to its key. For keys K1 != K2, a nonce N and AAD A,
// fix every ciphertext block but one (the free block X, here always the last)
// and write GHASH_H(A, C) = G + X * H^2, where G is GHASH with X = 0 and H^2
// is X's coefficient (X is followed only by the length block). Both tags agree
// when G1 + X*H1^2 + E_K1(J0) = G2 + X*H2^2 + E_K2(J0), a linear equation over
// GF(2^128):  X = (G1 + G2 + E_K1(J0) + E_K2(J0)) * (H1 + H2)^-2.
// See Grubbs, Lu, Ristenpart, "Message Franking via Committing Authenticated
// Encryption" (CRYPTO 2017); Dodis, Grubbs, Ristenpart, Woodage, "Fast Message
// Franking" (CRYPTO 2018); Len, Grubbs, Ristenpart, "Partitioning Oracle
// Attacks" (USENIX Security 2021), section 3.
//
// NOT product crypto: the GF(2^128) arithmetic is a slow, variable-time bit
// loop written for clarity; AES comes from OpenSSL (AES-256-ECB through EVP).
// Keys, nonces and AAD are raw bytes, as in crypto/aead.h; ciphertexts carry
// the 16-byte tag appended, the layout crypto::AeadOpen expects.
#ifndef SAMRAD_TESTS_CRYPTO_GCM_MULTIKEY_H_
#define SAMRAD_TESTS_CRYPTO_GCM_MULTIKEY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace samrad::crypto::testing {

// An element of GF(2^128) in GCM's bit order (NIST SP 800-38D, section 6.3):
// the most significant bit of byte 0 is the coefficient of x^0, the least
// significant bit of byte 15 that of x^127; the field polynomial is
// x^128 + x^7 + x^2 + x + 1. Addition is XOR.
using GfBlock = std::array<uint8_t, 16>;
inline constexpr GfBlock kGfOne = {0x80};  // the polynomial 1

// x * y (SP 800-38D, algorithm 1).
GfBlock GfMul(const GfBlock& x, const GfBlock& y);
// x^(2^128 - 2): the inverse of a non-zero x; zero for zero.
GfBlock GfInverse(const GfBlock& x);
// GHASH_H over `aad` and `ciphertext`, each zero-padded to whole blocks, then
// the block len(aad) || len(ciphertext) in bits, 64-bit big-endian each.
GfBlock Ghash(const GfBlock& h, absl::Span<const uint8_t> aad,
              absl::Span<const uint8_t> ciphertext);

// The AES-256-GCM tag (16 bytes) of `ciphertext`, computed here from the
// definition: GHASH_H(aad, ciphertext) xor E_K(J0), H = E_K(0^128),
// J0 = nonce || 0^31 || 1. INVALID_ARGUMENT unless the key is 32 bytes and
// the nonce 12.
absl::StatusOr<GfBlock> Aes256GcmTag(absl::Span<const uint8_t> key, absl::Span<const uint8_t> nonce,
                                     absl::Span<const uint8_t> aad,
                                     absl::Span<const uint8_t> ciphertext);

// The first `length` bytes of the AES-256-GCM keystream E_K(J0 + 1),
// E_K(J0 + 2), ... (inc32 counters): plaintext = ciphertext xor keystream.
absl::StatusOr<std::string> Aes256GcmKeystream(absl::Span<const uint8_t> key,
                                               absl::Span<const uint8_t> nonce, size_t length);

// ciphertext || tag, where ciphertext = prefix_blocks || X with X the solved
// free block, such that AeadOpen(kAes256Gcm, key, nonce, ciphertext || tag,
// aad) succeeds for key = key1 and key = key2 (with different plaintexts:
// prefix_blocks xor keystream1 and xor keystream2). prefix_blocks is
// ciphertext (not plaintext) and a whole number of 16-byte blocks, possibly
// none. INVALID_ARGUMENT for keys not 32 bytes or equal, a nonce not 12
// bytes, or a prefix that is not whole blocks; INTERNAL in the negligible case
// that E_K1(0) == E_K2(0).
absl::StatusOr<std::string> CraftTwoKeyGcmCiphertext(absl::Span<const uint8_t> key1,
                                                     absl::Span<const uint8_t> key2,
                                                     absl::Span<const uint8_t> nonce,
                                                     absl::Span<const uint8_t> aad,
                                                     absl::Span<const uint8_t> prefix_blocks);

// A two-key body whose both plaintexts parse as protobuf messages.
struct TwoKeyProtobufBody {
  std::string nonce;       // 12 bytes: the nonce the body must be opened with
  std::string ciphertext;  // ciphertext || 16-byte tag
};

// Crafts an AES-256-GCM body that opens under key1 to a protobuf message
// carrying exactly the fields serialised in `message1`, and under key2 to one
// carrying those of `message2`, each plus unknown fields (numbers 5..15 as
// fixed32/fixed64 and kTwoKeyFillerField as bytes). message1 and message2
// must each be a serialised message (a sequence of whole fields), e.g.
// EnvelopeBody::SerializeAsString(); message2 at most 16000 bytes.
//
// Layout (P1/P2 = the plaintexts under key1/key2; P1 xor P2 is the keystream
// difference D, fixed by the keys and nonce, so each byte can be chosen for
// one plaintext only, except byte 0 which must be a tag for both):
//   byte 0     P1: field f1 fixed32 (skips 1..4); P2: field f2 fixed64
//              (skips 1..8). Needs D[0] & 0x87 == 0x04 (then P2[0] =
//              P1[0] ^ D[0] has wire type 1): nonces are tried from
//              first_nonce on (96-bit big-endian increment, about 16 tries)
//              and the one used is returned.
//   5..8       P1: filler field header (tag, length) whose bytes value spans
//              P2's part below.
//   9..        P2: message2, then a filler field spanning the rest.
//   then       P1: message1, then a filler field spanning the rest.
//   then       padding to a block boundary, and the free block: inside both
//              fillers, so any 16 bytes there parse.
// INVALID_ARGUMENT as for CraftTwoKeyGcmCiphertext or for a too long
// message2; NOT_FOUND if no nonce in 4096 tries fits (probability ~e^-264).
inline constexpr uint32_t kTwoKeyFillerField = 2047;
absl::StatusOr<TwoKeyProtobufBody> CraftTwoKeyProtobufBody(absl::Span<const uint8_t> key1,
                                                           absl::Span<const uint8_t> key2,
                                                           absl::Span<const uint8_t> first_nonce,
                                                           absl::Span<const uint8_t> aad,
                                                           absl::Span<const uint8_t> message1,
                                                           absl::Span<const uint8_t> message2);

}  // namespace samrad::crypto::testing

#endif  // SAMRAD_TESTS_CRYPTO_GCM_MULTIKEY_H_
