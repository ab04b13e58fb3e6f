#include "client/localized_status.h"

#include <cstddef>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/reasons.h"

namespace samrad::client {
namespace {

constexpr char kPayloadUrl[] = "samrad.client/localized";

// Encoding: "<id>" then per argument "<kind><length>:<bytes>", where kind
// is 'L' (a literal text), 'M' (a nested encoded message) or 'R' (the
// relay's words: "<length>:<English message>" then the reason's
// reasons::EncodeDetail form, or nothing when it sent none).

void AppendArg(std::string& out, char kind, absl::string_view bytes) {
  absl::StrAppend(&out, absl::string_view(&kind, 1), bytes.size(), ":", bytes);
}

std::string Encode(Msg id, const std::vector<std::string>& args) {
  std::string out = absl::StrCat(static_cast<int>(id));
  for (const std::string& arg : args) AppendArg(out, 'L', arg);
  return out;
}

// Renders the relay's words ('R' argument bytes); nullopt when malformed.
std::optional<std::string> DecodeRelayWords(absl::string_view bytes, const Messages& messages) {
  const size_t colon = bytes.find(':');
  size_t length = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(bytes.substr(0, colon), &length) ||
      length > bytes.size() - colon - 1) {
    return std::nullopt;
  }
  const std::string english(bytes.substr(colon + 1, length));
  if (messages.language() == Language::kEnglish) return english;
  if (std::optional<reasons::WireReason> wire =
          reasons::DecodeDetail(bytes.substr(colon + 1 + length))) {
    if (std::optional<reasons::Reason> reason = reasons::FromToken(wire->token)) {
      return reasons::Render(reasons::TextOf(*reason).swedish, wire->args);
    }
  }
  return messages.Format(Msg::kRelayUntranslated, english);
}

// Renders `encoded` in `messages`' language; nullopt when malformed.
std::optional<std::string> Decode(absl::string_view encoded, const Messages& messages, int depth) {
  if (depth > 8) return std::nullopt;
  size_t pos = 0;
  while (pos < encoded.size() && encoded[pos] >= '0' && encoded[pos] <= '9') ++pos;
  int id = 0;
  if (!absl::SimpleAtoi(encoded.substr(0, pos), &id) || id < 0 ||
      id >= static_cast<int>(Msg::kCount_)) {
    return std::nullopt;
  }
  std::vector<std::string> args;
  while (pos < encoded.size()) {
    const char kind = encoded[pos++];
    const size_t colon = encoded.find(':', pos);
    size_t length = 0;
    if ((kind != 'L' && kind != 'M' && kind != 'R') || colon == absl::string_view::npos ||
        !absl::SimpleAtoi(encoded.substr(pos, colon - pos), &length) ||
        length > encoded.size() - colon - 1) {
      return std::nullopt;
    }
    absl::string_view bytes = encoded.substr(colon + 1, length);
    if (kind == 'L') {
      args.emplace_back(bytes);
    } else if (kind == 'R') {
      std::optional<std::string> said = DecodeRelayWords(bytes, messages);
      if (!said.has_value()) return std::nullopt;
      args.push_back(std::move(*said));
    } else {
      std::optional<std::string> nested = Decode(bytes, messages, depth + 1);
      if (!nested.has_value()) return std::nullopt;
      args.push_back(std::move(*nested));
    }
    pos = colon + 1 + length;
  }
  return reasons::Render(messages.Get(static_cast<Msg>(id)), args);
}

}  // namespace

absl::Status Localized(absl::StatusCode code, Msg id, std::vector<std::string> args) {
  absl::Status status(code, reasons::Render(Messages(Language::kEnglish).Get(id), args));
  status.SetPayload(kPayloadUrl, absl::Cord(Encode(id, args)));
  return status;
}

absl::Status LocalizedWrap(absl::StatusCode code, Msg id, std::vector<std::string> args,
                           const absl::Status& inner) {
  std::string encoded = Encode(id, args);
  args.emplace_back(inner.message());
  absl::Status status(code, reasons::Render(Messages(Language::kEnglish).Get(id), args));
  inner.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    if (url != kPayloadUrl) status.SetPayload(url, payload);
  });
  if (auto nested = inner.GetPayload(kPayloadUrl); nested.has_value()) {
    AppendArg(encoded, 'M', std::string(*nested));
  } else {
    AppendArg(encoded, 'L', inner.message());
  }
  status.SetPayload(kPayloadUrl, absl::Cord(encoded));
  return status;
}

LzArg LzArg::Message(Msg id, std::vector<std::string> args) {
  std::string english = reasons::Render(Messages(Language::kEnglish).Get(id), args);
  return LzArg('M', std::move(english), Encode(id, args));
}

LzArg LzArg::RelayWords(std::string english, const std::optional<reasons::WireReason>& reason) {
  std::string encoded = absl::StrCat(english.size(), ":", english);
  if (reason.has_value()) absl::StrAppend(&encoded, reasons::EncodeDetail(*reason));
  return LzArg('R', std::move(english), std::move(encoded));
}

absl::Status LocalizedOf(absl::StatusCode code, Msg id, std::vector<LzArg> args) {
  std::vector<std::string> english;
  std::string encoded = absl::StrCat(static_cast<int>(id));
  for (const LzArg& arg : args) {
    english.push_back(arg.english_);
    AppendArg(encoded, arg.kind_, arg.encoded_);
  }
  absl::Status status(code, reasons::Render(Messages(Language::kEnglish).Get(id), english));
  status.SetPayload(kPayloadUrl, absl::Cord(encoded));
  return status;
}

absl::Status ForeignText(const absl::Status& status, Msg id) {
  if (status.ok() || status.GetPayload(kPayloadUrl).has_value()) return status;
  return LocalizedWrap(status.code(), id, {}, status);
}

std::optional<std::string> LocalizedText(const absl::Status& status, const Messages& messages) {
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  return Decode(std::string(*payload), messages, 0);
}

absl::Status ForgetLocalizedText(absl::Status status) {
  status.ErasePayload(kPayloadUrl);
  return status;
}

}  // namespace samrad::client
