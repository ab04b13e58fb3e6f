#include "common/ids.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace samrad::ids {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, kCountyCount> kCounties = {{
    {"01", "Stockholms län"},    {"03", "Uppsala län"},       {"04", "Södermanlands län"},
    {"05", "Östergötlands län"}, {"06", "Jönköpings län"},    {"07", "Kronobergs län"},
    {"08", "Kalmar län"},        {"09", "Gotlands län"},      {"10", "Blekinge län"},
    {"12", "Skåne län"},         {"13", "Hallands län"},      {"14", "Västra Götalands län"},
    {"17", "Värmlands län"},     {"18", "Örebro län"},        {"19", "Västmanlands län"},
    {"20", "Dalarnas län"},      {"21", "Gävleborgs län"},    {"22", "Västernorrlands län"},
    {"23", "Jämtlands län"},     {"24", "Västerbottens län"}, {"25", "Norrbottens län"},
}};

constexpr std::array<std::string_view, kCountyCount> MakeCodes() {
  std::array<std::string_view, kCountyCount> codes{};
  for (size_t i = 0; i < kCountyCount; ++i) codes[i] = kCounties[i].first;
  return codes;
}
constexpr std::array<std::string_view, kCountyCount> kCountyCodes = MakeCodes();

bool IsLowerAlnumOrDash(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

constexpr char kSerialHelp[] =
    " — give the serial as `openssl x509 -noout -serial -in FILE` prints it, or use --cert FILE";

}  // namespace

const std::array<std::string_view, kCountyCount>& CountyCodes() { return kCountyCodes; }

bool IsCountyCode(Text text) {
  std::string_view code = text.view();
  return std::find(kCountyCodes.begin(), kCountyCodes.end(), code) != kCountyCodes.end();
}

std::string_view CountyName(Text text) {
  std::string_view code = text.view();
  for (const auto& [county, name] : kCounties) {
    if (county == code) return name;
  }
  return {};
}

std::string CountyChoices() {
  std::string out;
  for (const auto& [code, name] : kCounties) {
    if (!out.empty()) out += ", ";
    out.append(code.data(), code.size());
    out += ' ';
    out.append(name.data(), name.size());
  }
  return out;
}

bool IsUnitId(Text text) {
  std::string_view id = text.view();
  return !id.empty() && id.size() <= kMaxUnitIdLen &&
         std::all_of(id.begin(), id.end(), IsLowerAlnumOrDash);
}

bool IsClientId(Text text) {
  std::string_view id = text.view();
  return !id.empty() && id.size() <= kMaxClientIdLen &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                  c == '-';
         });
}

bool IsHexId(Text text) {
  std::string_view id = text.view();
  return id.size() == kHexIdLen && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

absl::StatusOr<std::string> CanonicalSerial(Text text) {
  const absl::string_view typed(text.view().data(), text.view().size());
  absl::string_view s = absl::StripAsciiWhitespace(typed);
  if (absl::StartsWithIgnoreCase(s, "serial=")) s.remove_prefix(7);
  if (absl::StartsWithIgnoreCase(s, "0x")) s.remove_prefix(2);
  std::string digits;
  for (char c : s) {
    if (c == ':' || c == ' ') continue;
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          absl::StrCat("the serial number \"", typed, "\" is not hexadecimal", kSerialHelp));
    }
    digits.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  if (digits.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("the serial number is empty", kSerialHelp));
  }
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return std::string("00");
  digits.erase(0, first);
  if (digits.size() % 2 == 1) digits.insert(digits.begin(), '0');
  if (digits.size() > 2 * kMaxSerialBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the serial number \"", typed, "\" is longer than 20 bytes", kSerialHelp));
  }
  return digits;
}

std::string CanonicalSerialFromBytes(Text text) {
  std::string_view magnitude = text.view();
  static constexpr char kHex[] = "0123456789ABCDEF";
  size_t first = 0;
  while (first < magnitude.size() && magnitude[first] == '\0') ++first;
  if (first == magnitude.size()) return "00";
  std::string out;
  out.reserve(2 * (magnitude.size() - first));
  for (size_t i = first; i < magnitude.size(); ++i) {
    unsigned char byte = static_cast<unsigned char>(magnitude[i]);
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

}  // namespace samrad::ids
