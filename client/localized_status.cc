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
// is 'L' (a literal text) or 'M' (a nested encoded message).

void AppendArg(std::string& out, char kind, absl::string_view bytes) {
  absl::StrAppend(&out, absl::string_view(&kind, 1), bytes.size(), ":", bytes);
}

std::string Encode(Msg id, const std::vector<std::string>& args) {
  std::string out = absl::StrCat(static_cast<int>(id));
  for (const std::string& arg : args) AppendArg(out, 'L', arg);
  return out;
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
    if ((kind != 'L' && kind != 'M') || colon == absl::string_view::npos ||
        !absl::SimpleAtoi(encoded.substr(pos, colon - pos), &length) ||
        length > encoded.size() - colon - 1) {
      return std::nullopt;
    }
    absl::string_view bytes = encoded.substr(colon + 1, length);
    if (kind == 'L') {
      args.emplace_back(bytes);
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
