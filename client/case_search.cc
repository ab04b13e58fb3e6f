#include "client/case_search.h"

#include <algorithm>
#include <ostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/command_helpers.h"
#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/thread_crypto.h"

namespace samrad::client {
namespace {

// Base letters of U+00C0..U+00FF ('*': not a letter with a diacritic) and of
// Latin Extended-A, U+0100..U+017F.
constexpr char kLatin1[] = "aaaaaaaceeeeiiiidnooooo*ouuuuytsaaaaaaaceeeeiiiidnooooo*ouuuuyty";
constexpr char kExtendedA[] =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnnoooooooorrrrrr"
    "ssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
static_assert(sizeof(kLatin1) - 1 == 64);
static_assert(sizeof(kExtendedA) - 1 == 128);

// The code point at `i` of valid-or-not UTF-8 and its length (an invalid
// byte is one "code point" of its own).
uint32_t Decode(absl::string_view s, size_t i, size_t* length) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c >= 0xC2 && c <= 0xDF && i + 1 < s.size() && (s[i + 1] & 0xC0) == 0x80) {
    *length = 2;
    return ((c & 0x1F) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F);
  }
  if (c >= 0xE0 && c <= 0xEF) {
    *length = std::min<size_t>(3, s.size() - i);
  } else if (c >= 0xF0 && c <= 0xF4) {
    *length = std::min<size_t>(4, s.size() - i);
  } else {
    *length = 1;
  }
  return c;
}

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

FoldedText FoldForSearch(absl::string_view text) {
  FoldedText out;
  out.text.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t length = 1;
    const uint32_t cp = Decode(text, i, &length);
    auto emit = [&](char c) {
      out.text.push_back(c);
      out.begin.push_back(i);
      out.end.push_back(i + length);
    };
    if (length == 1) {
      emit(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp - 'A' + 'a' : cp));
    } else if (length == 2 && cp >= 0xC0 && cp <= 0xFF && kLatin1[cp - 0xC0] != '*') {
      emit(kLatin1[cp - 0xC0]);
    } else if (length == 2 && cp >= 0x100 && cp <= 0x17F) {
      emit(kExtendedA[cp - 0x100]);
    } else {
      for (size_t k = 0; k < length; ++k) emit(text[i + k]);
    }
    i += length;
  }
  return out;
}

std::optional<std::string> FindSnippet(absl::string_view text, absl::string_view query,
                                       size_t context) {
  const std::string needle = FoldForSearch(query).text;
  if (needle.empty()) return std::nullopt;
  const FoldedText folded = FoldForSearch(text);
  const size_t at = folded.text.find(needle);
  if (at == std::string::npos) return std::nullopt;
  size_t begin = folded.begin[at];
  size_t end = folded.end[at + needle.size() - 1];
  const bool cut_front = begin > context;
  const bool cut_back = end + context < text.size();
  begin = cut_front ? begin - context : 0;
  end = cut_back ? end + context : text.size();
  while (begin > 0 && IsContinuation(text[begin])) --begin;
  while (end < text.size() && IsContinuation(text[end])) ++end;
  std::string snippet(text.substr(begin, end - begin));
  std::replace_if(
      snippet.begin(), snippet.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; },
      ' ');
  return absl::StrCat(cut_front ? "…" : "", snippet, cut_back ? "…" : "");
}

namespace {

// One case searched: its reference, state and the first matching message.
struct SearchHit {
  std::string reference;
  std::string state;
  uint64_t sequence = 0;
  std::string snippet;
};

// The first verified message of `view` whose text matches `query`.
std::optional<SearchHit> SearchView(const v1::ThreadView& view, const OpenedThread& opened,
                                    absl::string_view query) {
  for (const OpenedMessage& message : opened.messages) {
    if (!message.status.ok()) continue;
    std::optional<std::string> snippet = FindSnippet(message.body.text(), query);
    if (!snippet.has_value()) continue;
    return SearchHit{view.summary().thread_id(),
                     std::string(ThreadStateName(view.summary().state())), message.sequence,
                     *std::move(snippet)};
  }
  return std::nullopt;
}

// A case that cannot be read now (purged, referred away) is skipped; an
// unreachable relay or a refused certificate ends the search.
bool Skippable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kNotFound ||
         status.code() == absl::StatusCode::kFailedPrecondition;
}

absl::StatusOr<int> SearchLimit(Session& session) {
  int limit = 200;
  if (std::optional<std::string> value = session.args().Get("limit"); value.has_value()) {
    if (!absl::SimpleAtoi(*value, &limit) || limit < 1 || limit > 10000) {
      return WithExitCode(
          absl::InvalidArgumentError(session.msg().Format(Msg::kSearchBadLimit, *value)),
          ExitCode::kUsage);
    }
  }
  return limit;
}

}  // namespace

absl::Status RunSearch(Session& session) {
  const std::string query = *session.args().Positional(0);
  if (FoldForSearch(query).text.find_first_not_of(" \t") == std::string::npos) {
    return WithExitCode(absl::InvalidArgumentError(session.msg().Format(Msg::kSearchEmpty)),
                        ExitCode::kUsage);
  }
  absl::StatusOr<int> limit = SearchLimit(session);
  if (!limit.ok()) return limit.status();
  absl::StatusOr<Keystore*> keystore = session.OpenKeystore();
  if (!keystore.ok()) return keystore.status();
  absl::StatusOr<const v1::KeyDirectory*> directory = session.VerifiedDirectory();
  if (!directory.ok()) return directory.status();
  const v1::KeystoreContents& contents = (*keystore)->contents();
  std::vector<SearchHit> hits;
  int read = 0;
  int total = 0;
  // A professional's own cases, newest first.
  std::vector<const v1::ThreadKeys*> mine;
  for (const auto& thread : contents.threads()) {
    if (thread.pending_envelope().empty()) mine.push_back(&thread);
  }
  std::sort(mine.begin(), mine.end(), [](const auto* a, const auto* b) {
    return a->created_at_unix_ms() > b->created_at_unix_ms();
  });
  total += static_cast<int>(mine.size());
  for (const v1::ThreadKeys* thread : mine) {
    if (read >= *limit) break;
    ++read;
    absl::StatusOr<ThreadPrivateKeys> keys = LoadThreadKeys(*thread);
    if (!keys.ok()) return keys.status();
    absl::StatusOr<v1::ThreadView> view =
        FetchThread(session, thread->thread_id(), 0, [&](v1::GetThreadRequest& request) {
          AttachOwnershipProof(request, kMethodGetThread, keys->signing, session.Now());
        });
    if (!view.ok() && Skippable(view.status())) continue;
    if (!view.ok()) return view.status();
    ReaderKeys reader;
    reader.reply_key = &keys->reply;
    reader.thread_signing_key = keys->signing.public_key();
    const OpenedThread opened = OpenThread(*view, **directory, contents, reader);
    if (auto hit = SearchView(*view, opened, query); hit.has_value()) hits.push_back(*hit);
  }
  // An adviser's unit queue (every state), most recent activity first.
  if (!contents.adviser_keys().empty()) {
    absl::StatusOr<AdviserPrivateKeys> keys = LoadAdviserKeys(contents);
    if (!keys.ok()) return keys.status();
    ReaderKeys reader;
    for (const auto& key : keys->encryption) reader.adviser_keys.push_back(&key);
    absl::StatusOr<std::vector<v1::ThreadSummary>> queue =
        ListWholeQueue(session, {v1::THREAD_STATE_OPEN, v1::THREAD_STATE_CLAIMED,
                                 v1::THREAD_STATE_ANSWERED, v1::THREAD_STATE_CLOSED});
    if (!queue.ok()) return queue.status();
    std::stable_sort(queue->begin(), queue->end(), [](const auto& a, const auto& b) {
      return a.last_activity_unix_ms() > b.last_activity_unix_ms();
    });
    total += static_cast<int>(queue->size());
    for (const v1::ThreadSummary& summary : *queue) {
      if (read >= *limit) break;
      ++read;
      absl::StatusOr<v1::ThreadView> view =
          FetchThread(session, summary.thread_id(), 0, [](v1::GetThreadRequest&) {});
      if (!view.ok() && Skippable(view.status())) continue;
      if (!view.ok()) return view.status();
      const OpenedThread opened = OpenThread(*view, **directory, contents, reader);
      if (auto hit = SearchView(*view, opened, query); hit.has_value()) hits.push_back(*hit);
    }
  }
  if (read < total) session.err() << session.msg().Format(Msg::kSearchSkipped, read, total) << "\n";
  const Messages& m = session.msg();
  Table table(
      {m.Format(Msg::kColReference), m.Format(Msg::kColState), "#", m.Format(Msg::kColDetail)});
  Json list = Json::Array();
  for (const SearchHit& hit : hits) {
    table.AddRow({hit.reference, hit.state, absl::StrCat(hit.sequence), hit.snippet});
    list.Push(Json::Object()
                  .Set("reference", hit.reference)
                  .Set("state", hit.state)
                  .Set("sequence", hit.sequence)
                  .Set("snippet", hit.snippet));
  }
  session.Print(list, hits.empty() ? m.Format(Msg::kSearchNone, query) + "\n" : table.Render());
  return absl::OkStatus();
}

}  // namespace samrad::client
