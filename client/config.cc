#include "client/config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/exit_codes.h"
#include "client/file_util.h"
#include "client/localized_status.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace samrad::client {
namespace {

absl::Status ConfigError(absl::Status status) {
  return WithExitCode(std::move(status), ExitCode::kConfig);
}

// Keeps the first parse error instead of letting protobuf log it.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_.ok()) {
      first_ = Localized(absl::StatusCode::kInvalidArgument, Msg::kLzTextFormatAt,
                         {absl::StrCat(line + 1), absl::StrCat(column + 1), message});
    }
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  // OK until the first error.
  const absl::Status& first() const { return first_; }

 private:
  absl::Status first_;
};

}  // namespace

absl::Status ParseTextProto(absl::string_view text, google::protobuf::Message* out) {
  FirstErrorCollector errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), out)) {
    return errors.first().ok()
               ? Localized(absl::StatusCode::kInvalidArgument, Msg::kLzNotTextFormat)
               : errors.first();
  }
  return absl::OkStatus();
}

std::string ToHex(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

absl::StatusOr<std::string> FromHex(absl::string_view hex) {
  if (hex.size() % 2 != 0) return absl::InvalidArgumentError("hex string of odd length");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return absl::InvalidArgumentError("not a hex string");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

absl::StatusOr<std::string> ResolveProfilePath(absl::string_view flag_value,
                                               absl::string_view env_samrad_config,
                                               absl::string_view env_xdg_config_home,
                                               absl::string_view env_home) {
  if (!flag_value.empty()) return std::string(flag_value);
  if (!env_samrad_config.empty()) return std::string(env_samrad_config);
  if (!env_xdg_config_home.empty()) return absl::StrCat(env_xdg_config_home, "/samrad/config");
  if (!env_home.empty()) return absl::StrCat(env_home, "/.config/samrad/config");
  return ConfigError(Localized(absl::StatusCode::kFailedPrecondition, Msg::kLzNoProfileLocation));
}

absl::Status ValidateProfile(const v1::ClientProfile& profile) {
  absl::string_view address = profile.relay_address();
  size_t colon = address.rfind(':');
  uint32_t port = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port == 0 || port > 65535) {
    return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzRelayAddressNotHostPort,
                     {std::string(address)});
  }
  if (profile.client_cert_path().empty())
    return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzFieldNotSet, {"client_cert_path"});
  if (profile.client_key_path().empty())
    return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzFieldNotSet, {"client_key_path"});
  if (profile.ca_cert_path().empty())
    return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzFieldNotSet, {"ca_cert_path"});
  if (profile.keystore_path().empty())
    return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzFieldNotSet, {"keystore_path"});
  absl::StatusOr<std::string> key = FromHex(profile.directory_public_key_hex());
  if (!key.ok() || key->size() != crypto::kEd25519KeyLen) {
    return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzProfileDirectoryKey);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ClientProfile> LoadProfile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path, 1024 * 1024);
  if (!text.ok()) {
    if (text.status().code() == absl::StatusCode::kNotFound) {
      return ConfigError(Localized(absl::StatusCode::kNotFound, Msg::kNoProfile, {path}));
    }
    return ConfigError(text.status());
  }
  v1::ClientProfile profile;
  if (absl::Status s = ParseTextProto(*text, &profile); !s.ok()) {
    return ConfigError(
        LocalizedWrap(absl::StatusCode::kInvalidArgument, Msg::kLzProfileNotText, {path}, s));
  }
  if (absl::Status s = ValidateProfile(profile); !s.ok()) {
    return ConfigError(
        LocalizedWrap(absl::StatusCode::kInvalidArgument, Msg::kLzProfileInvalid, {path}, s));
  }
  return profile;
}

absl::Status SaveProfile(const std::string& path, const v1::ClientProfile& profile) {
  if (absl::Status s = ValidateProfile(profile); !s.ok()) return s;
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(profile, &text)) {
    return absl::InternalError("cannot print the profile");
  }
  text = absl::StrCat("# samrad profile (proto/client.proto ClientProfile, text format)\n", text);
  if (absl::Status s = MakeDirectories(DirName(path)); !s.ok()) return s;
  return WriteFileAtomically(path, text, 0600);
}

absl::StatusOr<crypto::Ed25519PublicKey> PinnedDirectoryKey(const v1::ClientProfile& profile) {
  absl::StatusOr<std::string> raw = FromHex(profile.directory_public_key_hex());
  if (!raw.ok()) return ConfigError(raw.status());
  absl::StatusOr<crypto::Ed25519PublicKey> key = crypto::Ed25519PublicKey::FromBytes(*raw);
  if (!key.ok()) return ConfigError(key.status());
  return key;
}

absl::StatusOr<std::string> ReadDirectoryPublicKeyArgument(absl::string_view value) {
  std::string candidate(absl::StripAsciiWhitespace(value));
  if (candidate.size() != 2 * crypto::kEd25519KeyLen || !FromHex(candidate).ok()) {
    absl::StatusOr<std::string> file = ReadFileToString(std::string(value), 4096);
    if (!file.ok()) {
      return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzDirectoryKeyArgument,
                       {std::string(value)});
    }
    absl::string_view first_line = *file;
    first_line = first_line.substr(0, first_line.find('\n'));
    candidate = std::string(absl::StripAsciiWhitespace(first_line));
  }
  absl::StatusOr<std::string> raw = FromHex(candidate);
  if (!raw.ok() || raw->size() != crypto::kEd25519KeyLen) {
    return Localized(absl::StatusCode::kInvalidArgument, Msg::kLzDirectoryKeyNotHex);
  }
  return absl::AsciiStrToLower(candidate);
}

}  // namespace samrad::client
