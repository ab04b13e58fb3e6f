// One definition of each identifier Samråd's client, relay and store agree
// on: county (län) codes, unit ids, client ids, thread and message ids, and
// certificate serial numbers. Every check of one of these goes through here,
// so the client refuses exactly what the relay would.
//
// Pure functions over text; no allocation except the returned strings;
// thread-safe.
#ifndef SAMRAD_COMMON_IDS_H_
#define SAMRAD_COMMON_IDS_H_

#include <array>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace samrad::ids {

// Text to check: takes std::string_view, absl::string_view (a distinct type
// in Debian's Abseil), std::string and string literals alike.
class Text {
 public:
  Text(std::string_view s) : view_(s) {}                    // NOLINT: implicit by design
  Text(absl::string_view s) : view_(s.data(), s.size()) {}  // NOLINT
  Text(const std::string& s) : view_(s) {}                  // NOLINT
  Text(const char* s) : view_(s) {}                         // NOLINT
  std::string_view view() const { return view_; }

 private:
  std::string_view view_;
};

// The 21 Swedish county (län) codes in use since 1998: "01".."25" without
// 02, 11, 15 and 16 (merged into Skåne and Västra Götaland in 1997/98).
inline constexpr size_t kCountyCount = 21;
const std::array<std::string_view, kCountyCount>& CountyCodes();
bool IsCountyCode(Text code);
// The county's Swedish name ("Kronobergs län"), or "" for a non-code.
std::string_view CountyName(Text code);
// Every code with its name, for a message that lists the allowed values:
// "01 Stockholms län, 03 Uppsala län, ..., 25 Norrbottens län".
std::string CountyChoices();

// A unit of a resource centre: 1..64 characters of [a-z0-9-] ("rc-kronoberg").
inline constexpr size_t kMaxUnitIdLen = 64;
bool IsUnitId(Text id);

// The ID part of a client certificate's samrad:// URI: 1..64 characters of
// [A-Za-z0-9._-].
inline constexpr size_t kMaxClientIdLen = 64;
bool IsClientId(Text id);

// Thread and message ids: 16 random bytes as 32 lowercase hex characters.
inline constexpr size_t kHexIdLen = 32;
bool IsHexId(Text id);

// Certificate serial numbers are integers. Their one canonical text is
// uppercase hex, two digits per byte, with no leading zero bytes ("00" for
// zero): what `openssl x509 -noout -serial` prints for serials below 2^159.
//
// CanonicalSerial accepts what people copy from tools: optional "serial=" and
// "0x", colons or spaces between bytes, any case, leading zero bytes (as
// browsers and DER dumps print them: "00:09:BE:..."). INVALID_ARGUMENT, with
// a message a person can act on, for anything else or more than 20 bytes
// (RFC 5280 §4.1.2.2).
inline constexpr size_t kMaxSerialBytes = 20;
[[nodiscard]] absl::StatusOr<std::string> CanonicalSerial(Text typed);
// The canonical text of a serial given as big-endian magnitude bytes (an
// ASN.1 INTEGER's content octets without sign).
std::string CanonicalSerialFromBytes(Text magnitude);

}  // namespace samrad::ids

#endif  // SAMRAD_COMMON_IDS_H_
