#include "client/man_page.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/values.h"

namespace samrad::client {
namespace {

// The next UTF-8 code point of `text` at `*i` (advancing it); an invalid
// byte is returned as itself.
uint32_t NextCodePoint(absl::string_view text, size_t* i) {
  const auto byte = [&](size_t at) { return static_cast<unsigned char>(text[at]); };
  const unsigned char lead = byte(*i);
  int extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
  if (*i + extra >= text.size()) extra = 0;  // truncated: the byte as itself
  uint32_t cp = extra == 0 ? lead : lead & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (byte(*i + k) & 0x3F);
  *i += 1 + extra;
  return cp;
}

// A section heading.
void Section(std::string& out, absl::string_view title) {
  absl::StrAppend(&out, ".SH \"", RoffEscape(title), "\"\n");
}

// The words of `path` (root first) as the command line that runs it.
std::string CommandLine(const std::vector<const CommandSpec*>& path) {
  std::vector<std::string> words = {"samrad"};
  for (size_t i = 1; i < path.size(); ++i) words.push_back(path[i]->name);
  return absl::StrJoin(words, " ");
}

void Flag(std::string& out, const FlagSpec& flag, const Messages& messages) {
  absl::StrAppend(&out, ".TP\n\\fB", RoffEscape(absl::StrCat("--", flag.name)), "\\fR");
  if (!flag.value_name.empty()) absl::StrAppend(&out, " \\fI", RoffEscape(flag.value_name), "\\fR");
  absl::StrAppend(&out, "\n", RoffEscape(messages.Format(flag.help)), "\n");
  if (!flag.choices.empty()) {
    absl::StrAppend(&out,
                    RoffEscape(messages.Format(
                        Msg::kManAllowed,
                        absl::StrJoin(LocalizedChoices(flag.choices, messages.language()), ", "))),
                    "\n");
  }
}

// The subsection of the last command of `path`, then of its subcommands.
void Command(std::string& out, std::vector<const CommandSpec*>& path, const Messages& messages) {
  const CommandSpec& command = *path.back();
  const std::string line = CommandLine(path);
  absl::StrAppend(&out, ".SS \"", RoffEscape(line), "\"\n",
                  RoffEscape(messages.Format(command.summary)), "\n.PP\n\\fB", RoffEscape(line),
                  "\\fR");
  for (const PositionalSpec& arg : command.positionals) {
    absl::StrAppend(&out, arg.required ? " \\fI" : " [\\fI", RoffEscape(arg.name),
                    arg.required ? "\\fR" : "\\fR]");
  }
  if (!command.subcommands.empty()) {
    absl::StrAppend(&out, " \\fI", RoffEscape(messages.Format(Msg::kManCommandWord)), "\\fR");
  }
  if (!command.flags.empty()) {
    absl::StrAppend(&out, " [\\fI", RoffEscape(messages.Format(Msg::kManOptionsWord)), "\\fR]");
  }
  absl::StrAppend(&out, "\n");
  for (const PositionalSpec& arg : command.positionals) {
    absl::StrAppend(&out, ".TP\n\\fI", RoffEscape(arg.name), "\\fR\n",
                    RoffEscape(messages.Format(arg.help)), "\n");
  }
  for (const FlagSpec& flag : command.flags) Flag(out, flag, messages);
  if (command.examples.has_value()) {
    absl::StrAppend(&out, ".PP\n", RoffEscape(messages.Format(Msg::kExamples)), ":\n.RS\n.nf\n",
                    RoffEscape(messages.Format(*command.examples)), "\n.fi\n.RE\n");
  }
  for (const CommandSpec& sub : command.subcommands) {
    path.push_back(&sub);
    Command(out, path, messages);
    path.pop_back();
  }
}

}  // namespace

std::string RoffEscape(absl::string_view text) {
  std::string out;
  bool line_start = true;
  for (size_t i = 0; i < text.size();) {
    const uint32_t cp = NextCodePoint(text, &i);
    if (line_start && (cp == '.' || cp == '\'')) out += "\\&";
    line_start = cp == '\n';
    if (cp == '\\') {
      out += "\\e";
    } else if (cp == '-') {
      out += "\\-";
    } else if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else {
      // Non-ASCII as a named code point: renders the same with or without
      // preconv, in any output device.
      absl::StrAppend(&out, absl::StrFormat("\\[u%04X]", cp));
    }
  }
  return out;
}

std::string ManPage(const CommandSpec& root, const std::vector<FlagSpec>& global_flags,
                    const Messages& messages, absl::string_view version) {
  std::string out = absl::StrCat(".TH SAMRAD 1 \"\" \"samrad ", RoffEscape(version), "\" \"",
                                 RoffEscape(messages.Format(Msg::kManSection)), "\"\n");
  Section(out, messages.Format(Msg::kManName));
  absl::StrAppend(&out, "samrad \\- ", RoffEscape(messages.Format(root.summary)), "\n");
  Section(out, messages.Format(Msg::kManSynopsis));
  absl::StrAppend(&out, ".B samrad\n.I ", RoffEscape(messages.Format(Msg::kManCommandWord)),
                  "\n.RI [ ", RoffEscape(messages.Format(Msg::kManOptionsWord)), " ]\n");
  Section(out, messages.Format(Msg::kManDescription));
  absl::StrAppend(&out, RoffEscape(messages.Format(Msg::kManDescriptionText)), "\n");
  Section(out, messages.Format(Msg::kManCommands));
  for (const CommandSpec& command : root.subcommands) {
    std::vector<const CommandSpec*> path = {&root, &command};
    Command(out, path, messages);
  }
  Section(out, messages.Format(Msg::kManGlobalOptions));
  for (const FlagSpec& flag : global_flags) Flag(out, flag, messages);
  Section(out, messages.Format(Msg::kManExitStatus));
  absl::StrAppend(&out, ".nf\n", RoffEscape(messages.Format(Msg::kExitCodesBody)), ".fi\n");
  Section(out, messages.Format(Msg::kManEnvironment));
  absl::StrAppend(&out, RoffEscape(messages.Format(Msg::kManEnvironmentText)), "\n");
  Section(out, messages.Format(Msg::kManSeeAlso));
  absl::StrAppend(&out, ".BR samrad\\-relay (8)\n");
  return out;
}

}  // namespace samrad::client
