// proto/relay.proto documents every rpc's status codes: each rpc's comment
// has a `Who:` line and a `Codes:` block whose lines name a gRPC code and
// the reason tokens (common/reasons.h) that come with it. This test parses
// the file (no network, no relay) and fails when an rpc lacks the block,
// when a line names a code or token that does not exist, and when a reason
// the relay's source fails with is documented nowhere — so a new rpc or a
// new refusal cannot go undocumented silently.
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/reasons.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "proto/relay.pb.h"
#include "tests/testing/files.h"

namespace samrad {
namespace {

// One documented code: a gRPC code name and its reason tokens.
struct CodeLine {
  std::string code;
  std::vector<std::string> tokens;
};

// The documentation of one rpc (or, with name "*", of every call).
struct RpcDoc {
  std::string name;
  bool has_who = false;
  bool has_codes = false;
  std::vector<CodeLine> codes;
  std::vector<std::string> malformed;  // lines in a Codes block that do not parse
};

const std::set<std::string>& GrpcCodeNames() {
  static const std::set<std::string> names = {"OK",
                                              "CANCELLED",
                                              "UNKNOWN",
                                              "INVALID_ARGUMENT",
                                              "DEADLINE_EXCEEDED",
                                              "NOT_FOUND",
                                              "ALREADY_EXISTS",
                                              "PERMISSION_DENIED",
                                              "RESOURCE_EXHAUSTED",
                                              "FAILED_PRECONDITION",
                                              "ABORTED",
                                              "OUT_OF_RANGE",
                                              "UNIMPLEMENTED",
                                              "INTERNAL",
                                              "UNAVAILABLE",
                                              "DATA_LOSS",
                                              "UNAUTHENTICATED"};
  return names;
}

// Parses one entry of a Codes block (its lines joined): "CODE: text",
// "CODE token, token: text" or "CODE, CODE: text".
bool ParseEntry(const std::string& entry, RpcDoc* doc) {
  static const std::regex kEntry(R"(^([A-Z_]+(?:, [A-Z_]+)*)((?: [a-z0-9-]+,?)*):( .*)?$)");
  std::smatch match;
  if (!std::regex_match(entry, match, kEntry)) return false;
  std::vector<std::string> tokens;
  for (absl::string_view token :
       absl::StrSplit(match[2].str(), absl::ByAnyChar(", "), absl::SkipEmpty())) {
    tokens.emplace_back(token);
  }
  for (absl::string_view code : absl::StrSplit(match[1].str(), ", ")) {
    doc->codes.push_back({std::string(code), tokens});
  }
  return true;
}

// Parses the comment lines before one rpc (or the service). A Codes block
// starts at a line ending in "Codes:" or "Codes (...):"; each entry starts
// on a line indented by three spaces after "//" and continues on lines
// indented by five. The block ends at the first line that is neither.
void ParseComment(const std::vector<std::string>& comment, RpcDoc* doc) {
  static const std::regex kCodesStart(R"(^\s*//.*\bCodes( \([^)]*\))?:\s*$)");
  static const std::regex kEntryStart(R"(^\s*//   (\S.*)$)");
  static const std::regex kContinuation(R"(^\s*//     (\S.*)$)");
  static const std::regex kWho(R"(^\s*// Who: \S.*$)");
  std::vector<std::string> entries;
  bool in_codes = false;
  for (const std::string& line : comment) {
    if (std::regex_match(line, kWho)) doc->has_who = true;
    std::smatch match;
    if (std::regex_match(line, kCodesStart)) {
      in_codes = true;
      doc->has_codes = true;
    } else if (in_codes && std::regex_match(line, match, kContinuation) && !entries.empty()) {
      entries.back() += " " + match[1].str();
    } else if (in_codes && std::regex_match(line, match, kEntryStart)) {
      entries.push_back(match[1].str());
    } else {
      in_codes = false;
    }
  }
  for (const std::string& entry : entries) {
    if (!ParseEntry(entry, doc)) doc->malformed.push_back(entry);
  }
}

// The documentation of the service ("*") and of each rpc in `proto`.
std::vector<RpcDoc> ParseRelayProto(const std::string& proto) {
  std::vector<RpcDoc> docs;
  std::vector<std::string> comment;
  static const std::regex kRpc(R"(^\s*rpc\s+(\w+)\s*\()");
  static const std::regex kService(R"(^service\s+Relay\s*\{)");
  for (absl::string_view view : absl::StrSplit(proto, '\n')) {
    const std::string line(view);
    const absl::string_view stripped = absl::StripLeadingAsciiWhitespace(line);
    if (absl::StartsWith(stripped, "//")) {
      comment.push_back(line);
      continue;
    }
    std::smatch match;
    if (std::regex_search(line, match, kRpc) || std::regex_search(line, match, kService)) {
      RpcDoc doc;
      doc.name = match.size() > 1 && match[1].matched ? match[1].str() : "*";
      ParseComment(comment, &doc);
      docs.push_back(std::move(doc));
    }
    comment.clear();
  }
  return docs;
}

// Everything wrong with `docs`, one line each (empty when all is well).
std::vector<std::string> Problems(const std::vector<RpcDoc>& docs) {
  std::vector<std::string> out;
  for (const RpcDoc& doc : docs) {
    if (!doc.has_codes) out.push_back(doc.name + ": no Codes: block");
    if (doc.name != "*" && !doc.has_who) out.push_back(doc.name + ": no Who: line");
    if (doc.has_codes && doc.codes.empty()) out.push_back(doc.name + ": an empty Codes: block");
    for (const std::string& line : doc.malformed) {
      out.push_back(doc.name + ": unparsable Codes line: " + line);
    }
    for (const CodeLine& code : doc.codes) {
      if (!GrpcCodeNames().contains(code.code)) {
        out.push_back(doc.name + ": " + code.code + " is not a gRPC status code");
      }
      for (const std::string& token : code.tokens) {
        if (!reasons::FromToken(token).has_value()) {
          out.push_back(doc.name + ": " + token + " is not a reason token (common/reasons.cc)");
        }
      }
    }
  }
  return out;
}

std::set<std::string> DocumentedTokens(const std::vector<RpcDoc>& docs) {
  std::set<std::string> out;
  for (const RpcDoc& doc : docs) {
    for (const CodeLine& code : doc.codes) out.insert(code.tokens.begin(), code.tokens.end());
  }
  return out;
}

TEST(RelayProtoDocTest, EveryRpcOfTheServiceHasWhoAndCodes) {
  const std::string proto = harness::ReadSourceFile("proto/relay.proto");
  ASSERT_FALSE(proto.empty());
  const std::vector<RpcDoc> docs = ParseRelayProto(proto);
  // The parser saw exactly the service's methods (the compiled descriptor).
  const google::protobuf::ServiceDescriptor* service =
      v1::GetDirectoryRequest::descriptor()->file()->FindServiceByName("Relay");
  ASSERT_NE(service, nullptr);
  std::set<std::string> compiled;
  for (int i = 0; i < service->method_count(); ++i) compiled.insert(service->method(i)->name());
  std::set<std::string> parsed;
  for (const RpcDoc& doc : docs) {
    if (doc.name != "*") parsed.insert(doc.name);
  }
  EXPECT_EQ(parsed, compiled);
  ASSERT_FALSE(docs.empty());
  EXPECT_EQ(docs.front().name, "*") << "the codes of every call belong above `service Relay`";
  const std::vector<std::string> problems = Problems(docs);
  EXPECT_TRUE(problems.empty()) << absl::StrJoin(problems, "\n");
}

// The checker itself: each kind of mistake is caught.
TEST(RelayProtoDocTest, TheCheckerCatchesAMissingBlockAndUnknownNames) {
  const std::string good =
      "// Codes:\n//   UNAVAILABLE shutting-down: stopping.\nservice Relay {\n"
      "  // Who: anyone.\n  // Codes:\n  //   NOT_FOUND no-directory-yet: none.\n"
      "  //     continued.\n  //   INVALID_ARGUMENT: a field.\n"
      "  rpc A(X) returns (Y);\n}\n";
  EXPECT_TRUE(Problems(ParseRelayProto(good)).empty())
      << absl::StrJoin(Problems(ParseRelayProto(good)), "\n");
  const auto problems_of = [&](const std::string& rpc_comment) {
    return absl::StrJoin(Problems(ParseRelayProto("// Codes:\n//   OK: fine.\nservice Relay {\n" +
                                                  rpc_comment + "  rpc B(X) returns (Y);\n}\n")),
                         "\n");
  };
  EXPECT_NE(problems_of("  // Who: anyone.\n  // Does: something.\n").find("B: no Codes"),
            std::string::npos);
  EXPECT_NE(problems_of("  // Codes:\n  //   OK: fine.\n").find("B: no Who"), std::string::npos);
  EXPECT_NE(problems_of("  // Who: x.\n  // Codes:\n  //   NOT_FOUNDED: x.\n")
                .find("NOT_FOUNDED is not a gRPC status code"),
            std::string::npos);
  EXPECT_NE(problems_of("  // Who: x.\n  // Codes:\n  //   NOT_FOUND thread-not-there: x.\n")
                .find("thread-not-there is not a reason token"),
            std::string::npos);
  EXPECT_NE(problems_of("  // Who: x.\n  // Codes:\n  //   not a code line\n").find("unparsable"),
            std::string::npos);
}

// Reasons the relay cannot send to a client (the store's own, answered by
// the relay before they could reach one), and why.
const std::map<std::string, std::string>& NeverSent() {
  static const std::map<std::string, std::string> never = {
      // Store::FindMessage: the relay asks only to tell a resubmit, and
      // treats NOT_FOUND as "not a resubmit".
      {"no-such-message", "storage FindMessage, read as 'no resubmit'"},
      // Store::GetDirectory: read only at start; NOT_FOUND means none yet.
      {"no-directory", "storage GetDirectory, read at start only"},
  };
  return never;
}

// Enum name (without k) -> token, from common/reasons.h and the catalogue.
std::map<std::string, std::string> TokensByEnumName() {
  std::map<std::string, std::string> out;
  const std::string header = harness::ReadSourceFile("common/reasons.h");
  static const std::regex kEnumerator(R"(\bk(\w+) = (\d+),)");
  for (auto it = std::sregex_iterator(header.begin(), header.end(), kEnumerator);
       it != std::sregex_iterator(); ++it) {
    const int value = std::stoi((*it)[2].str());
    if (value >= static_cast<int>(reasons::Reason::kCount_)) continue;
    out[(*it)[1].str()] = reasons::TextOf(static_cast<reasons::Reason>(value)).token;
  }
  return out;
}

TEST(RelayProtoDocTest, EveryReasonTheRelayFailsWithIsDocumented) {
  const std::map<std::string, std::string> tokens = TokensByEnumName();
  ASSERT_EQ(tokens.size(), static_cast<size_t>(reasons::Reason::kCount_));
  const std::set<std::string> documented =
      DocumentedTokens(ParseRelayProto(harness::ReadSourceFile("proto/relay.proto")));
  static const std::regex kUse(R"(Reason::k(\w+))");
  int files = 0;
  for (const char* dir : {"server", "storage"}) {
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(SAMRAD_SOURCE_DIR) + "/" + dir)) {
      if (entry.path().extension() != ".cc") continue;
      ++files;
      const std::string text =
          harness::ReadSourceFile(std::string(dir) + "/" + entry.path().filename().string());
      for (auto it = std::sregex_iterator(text.begin(), text.end(), kUse);
           it != std::sregex_iterator(); ++it) {
        const auto token = tokens.find((*it)[1].str());
        ASSERT_NE(token, tokens.end()) << (*it)[1].str();
        if (NeverSent().contains(token->second)) continue;
        EXPECT_TRUE(documented.contains(token->second))
            << entry.path().filename() << " fails with " << token->second
            << ", which no Codes: block of proto/relay.proto names";
      }
    }
  }
  EXPECT_GT(files, 10);
}

}  // namespace
}  // namespace samrad
