#include "tests/bench/key_files.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace samrad::bench {
namespace {

constexpr size_t kKeyLen = 32;
// DER prefixes of the two Ed25519 structures (RFC 8410), followed by the key.
constexpr absl::string_view kSpkiPrefix("\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00", 12);
constexpr absl::string_view kPkcs8Prefix(
    "\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20", 16);

bool IsHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(c)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> DecodeEd25519KeyFile(absl::string_view data, Ed25519KeyFileKind kind,
                                                 absl::string_view what) {
  const absl::string_view stripped = absl::StripAsciiWhitespace(data);
  if (absl::StartsWith(stripped, "-----BEGIN ")) {
    const absl::string_view label =
        kind == Ed25519KeyFileKind::kPublic ? "PUBLIC KEY" : "PRIVATE KEY";
    const std::string begin = absl::StrCat("-----BEGIN ", label, "-----");
    const std::string end = absl::StrCat("-----END ", label, "-----");
    const size_t b = stripped.find(begin);
    const size_t e = stripped.find(end);
    if (b != 0 || e == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": PEM is not an unencrypted \"", label, "\" block"));
    }
    std::string base64(stripped.substr(begin.size(), e - begin.size()));
    base64.erase(
        std::remove_if(base64.begin(), base64.end(), [](char c) { return absl::ascii_isspace(c); }),
        base64.end());
    std::string der;
    if (!absl::Base64Unescape(base64, &der)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": PEM body is not base64"));
    }
    const absl::string_view prefix =
        kind == Ed25519KeyFileKind::kPublic ? kSpkiPrefix : kPkcs8Prefix;
    if (der.size() != prefix.size() + kKeyLen || !absl::StartsWith(der, prefix)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": PEM key is not Ed25519"));
    }
    return der.substr(prefix.size());
  }
  if (stripped.size() == 2 * kKeyLen && IsHex(stripped)) {
    return absl::HexStringToBytes(stripped);
  }
  if (data.size() == kKeyLen) return std::string(data);
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": expected 32 raw bytes, 64 hex characters or an Ed25519 PEM key, got ",
                   data.size(), " bytes"));
}

}  // namespace samrad::bench
