#include "client/args.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/exit_codes.h"
#include "client/values.h"

namespace samrad::client {
namespace {

absl::Status UsageError(const ParsedArgs& parsed, const Messages& messages, std::string what) {
  return WithExitCode(absl::InvalidArgumentError(absl::StrCat(
                          what, "; ", messages.Format(Msg::kSeeHelp, parsed.CommandLine()))),
                      ExitCode::kUsage);
}

const FlagSpec* FindFlag(const ParsedArgs& parsed, const std::vector<FlagSpec>& global_flags,
                         absl::string_view name) {
  for (const CommandSpec* command : parsed.path) {
    for (const FlagSpec& flag : command->flags) {
      if (flag.name == name) return &flag;
    }
  }
  for (const FlagSpec& flag : global_flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

const CommandSpec* FindSubcommand(const CommandSpec& command, absl::string_view name) {
  for (const CommandSpec& sub : command.subcommands) {
    if (sub.name == name) return &sub;
  }
  return nullptr;
}

// `what`, followed by "; did you mean "X"?" when one of `candidates` is close.
std::string WithSuggestion(std::string what, absl::string_view typed,
                           const std::vector<std::string>& candidates, const Messages& messages) {
  if (std::optional<std::string> near = ClosestMatch(typed, candidates); near.has_value()) {
    absl::StrAppend(&what, "; ", messages.Format(Msg::kDidYouMean, *near));
  }
  return what;
}

absl::Status UnknownCommand(const ParsedArgs& parsed, const Messages& messages,
                            absl::string_view typed) {
  std::vector<std::string> names;
  for (const CommandSpec& sub : parsed.command().subcommands) names.push_back(sub.name);
  return UsageError(
      parsed, messages,
      WithSuggestion(messages.Format(Msg::kUnknownCommand, typed), typed, names, messages));
}

absl::Status UnknownFlag(const ParsedArgs& parsed, const std::vector<FlagSpec>& global_flags,
                         const Messages& messages, const std::string& arg) {
  std::vector<std::string> names;
  for (const CommandSpec* command : parsed.path) {
    for (const FlagSpec& flag : command->flags) names.push_back("--" + flag.name);
  }
  for (const FlagSpec& flag : global_flags) names.push_back("--" + flag.name);
  std::string typed = arg.substr(0, arg.find('='));
  return UsageError(
      parsed, messages,
      WithSuggestion(messages.Format(Msg::kUnknownFlag, arg), typed, names, messages));
}

// Display width in code points (enough for aligned help columns).
size_t Utf8Width(absl::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

void AppendRows(std::string& out, const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& [left, right] : rows) width = std::max(width, Utf8Width(left));
  for (const auto& [left, right] : rows) {
    absl::StrAppend(&out, "  ", left, std::string(width - Utf8Width(left) + 2, ' '), right, "\n");
  }
}

std::string FlagLabel(const FlagSpec& flag) {
  return flag.value_name.empty() ? absl::StrCat("--", flag.name)
                                 : absl::StrCat("--", flag.name, " ", flag.value_name);
}

}  // namespace

std::optional<std::string> ParsedArgs::Get(absl::string_view flag) const {
  auto it = flags.find(std::string(flag));
  if (it == flags.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> ParsedArgs::Positional(size_t index) const {
  if (index >= positionals.size()) return std::nullopt;
  return positionals[index];
}

std::string ParsedArgs::CommandLine() const {
  std::vector<std::string> names;
  for (const CommandSpec* command : path) names.push_back(command->name);
  return absl::StrJoin(names, " ");
}

int EditDistance(absl::string_view a, absl::string_view b) {
  // d[i][j]: distance between a[0..i) and b[0..j).
  std::vector<std::vector<int>> d(a.size() + 1, std::vector<int>(b.size() + 1, 0));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string> ClosestMatch(absl::string_view typed,
                                        const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  int best_distance = 3;  // suggest only within 2 edits
  for (const std::string& candidate : candidates) {
    const int distance = EditDistance(typed, candidate);
    if (distance == 0) return std::nullopt;
    if (distance < best_distance && static_cast<size_t>(distance) < typed.size()) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

absl::StatusOr<ParsedArgs> HelpPath(const CommandSpec& root, const std::vector<std::string>& names,
                                    const Messages& messages) {
  ParsedArgs parsed;
  parsed.path.push_back(&root);
  parsed.help = true;
  for (const std::string& name : names) {
    const CommandSpec* sub = FindSubcommand(parsed.command(), name);
    if (sub == nullptr) {
      if (parsed.command().subcommands.empty()) {
        return UsageError(parsed, messages, messages.Format(Msg::kTooManyArguments, name));
      }
      return UnknownCommand(parsed, messages, name);
    }
    parsed.path.push_back(sub);
  }
  return parsed;
}

absl::StatusOr<ParsedArgs> ParseArgs(const CommandSpec& root,
                                     const std::vector<FlagSpec>& global_flags,
                                     const std::vector<std::string>& args,
                                     const Messages& messages) {
  ParsedArgs parsed;
  parsed.path.push_back(&root);
  // Help anywhere wins over every other error, so `samrad bogus --help`
  // still helps.
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h") parsed.help = true;
  }
  bool flags_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!flags_ended && (arg == "--help" || arg == "-h")) {
      parsed.help = true;
      continue;
    }
    if (!flags_ended && arg == "--") {
      flags_ended = true;
      continue;
    }
    if (!flags_ended && arg.size() > 1 && arg[0] == '-') {
      if (!absl::StartsWith(arg, "--")) {
        return UnknownFlag(parsed, global_flags, messages, arg);
      }
      std::string name = arg.substr(2);
      std::optional<std::string> inline_value;
      if (size_t eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name.resize(eq);
      }
      const FlagSpec* flag = FindFlag(parsed, global_flags, name);
      if (flag == nullptr) {
        if (parsed.help) continue;
        return UnknownFlag(parsed, global_flags, messages, arg);
      }
      if (parsed.flags.count(name) > 0) {
        return UsageError(parsed, messages, messages.Format(Msg::kFlagRepeated, name));
      }
      std::string value;
      if (flag->value_name.empty()) {
        if (inline_value.has_value()) {
          return UsageError(parsed, messages, messages.Format(Msg::kFlagTakesNoValue, name));
        }
      } else if (inline_value.has_value()) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return UsageError(parsed, messages, messages.Format(Msg::kFlagNeedsValue, name));
      }
      if (!flag->choices.empty()) {
        // Value flags take either language's spelling; commands see the
        // English token (client/values.h).
        std::optional<std::string> canonical = CanonicalChoice(flag->choices, value);
        if (!canonical.has_value()) {
          const std::vector<std::string> shown =
              LocalizedChoices(flag->choices, messages.language());
          return UsageError(parsed, messages,
                            WithSuggestion(messages.Format(Msg::kBadFlagValue, name, value,
                                                           absl::StrJoin(shown, ", ")),
                                           value, shown, messages));
        }
        value = *std::move(canonical);
      }
      parsed.flags.emplace(std::move(name), std::move(value));
      continue;
    }
    const CommandSpec& current = parsed.command();
    if (!current.subcommands.empty()) {
      const CommandSpec* sub = FindSubcommand(current, arg);
      if (sub == nullptr) {
        if (parsed.help) break;  // help on the known part
        return UnknownCommand(parsed, messages, arg);
      }
      parsed.path.push_back(sub);
      continue;
    }
    if (parsed.positionals.size() >= current.positionals.size()) {
      if (parsed.help) continue;
      return UsageError(parsed, messages, messages.Format(Msg::kTooManyArguments, arg));
    }
    parsed.positionals.push_back(arg);
  }
  if (parsed.help) return parsed;

  const CommandSpec& command = parsed.command();
  if (!command.subcommands.empty()) {
    return UsageError(parsed, messages,
                      messages.Format(Msg::kMissingCommand, parsed.CommandLine()));
  }
  for (size_t i = parsed.positionals.size(); i < command.positionals.size(); ++i) {
    if (command.positionals[i].required) {
      return UsageError(parsed, messages,
                        messages.Format(Msg::kMissingArgument, command.positionals[i].name));
    }
  }
  for (const CommandSpec* node : parsed.path) {
    for (const FlagSpec& flag : node->flags) {
      if (flag.required && !parsed.Has(flag.name)) {
        return UsageError(parsed, messages, messages.Format(Msg::kMissingFlag, flag.name));
      }
    }
  }
  return parsed;
}

std::string FormatHelp(const ParsedArgs& parsed, const std::vector<FlagSpec>& global_flags,
                       const Messages& messages, absl::string_view extra) {
  const CommandSpec& command = parsed.command();
  std::string usage = absl::StrCat(messages.Format(Msg::kUsage), ": ", parsed.CommandLine());
  if (!command.subcommands.empty()) absl::StrAppend(&usage, " COMMAND");
  bool has_flags = !command.flags.empty();
  if (has_flags) absl::StrAppend(&usage, " [flags]");
  for (const PositionalSpec& pos : command.positionals) {
    absl::StrAppend(&usage, pos.required ? " " : " [", pos.name, pos.required ? "" : "]");
  }
  std::string out = absl::StrCat(usage, "\n\n", messages.Format(command.summary), "\n");
  if (!command.subcommands.empty()) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const CommandSpec& sub : command.subcommands) {
      rows.emplace_back(sub.name, messages.Format(sub.summary));
    }
    absl::StrAppend(&out, "\n", messages.Format(Msg::kCommands), ":\n");
    AppendRows(out, rows);
  }
  if (!command.positionals.empty()) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const PositionalSpec& pos : command.positionals) {
      rows.emplace_back(pos.name, messages.Format(pos.help));
    }
    absl::StrAppend(&out, "\n", messages.Format(Msg::kArguments), ":\n");
    AppendRows(out, rows);
  }
  std::vector<std::pair<std::string, std::string>> flag_rows;
  for (const CommandSpec* node : parsed.path) {
    for (const FlagSpec& flag : node->flags) {
      std::string help = messages.Format(flag.help);
      if (flag.required) help = absl::StrCat(help, " (*)");
      flag_rows.emplace_back(FlagLabel(flag), std::move(help));
    }
  }
  if (!flag_rows.empty()) {
    absl::StrAppend(&out, "\n", messages.Format(Msg::kFlags), ":\n");
    AppendRows(out, flag_rows);
    bool any_required = false;
    for (const CommandSpec* node : parsed.path) {
      for (const FlagSpec& flag : node->flags) any_required = any_required || flag.required;
    }
    if (any_required) absl::StrAppend(&out, "  ", messages.Format(Msg::kRequiredNote), "\n");
  }
  std::vector<std::pair<std::string, std::string>> global_rows;
  for (const FlagSpec& flag : global_flags) {
    global_rows.emplace_back(FlagLabel(flag), messages.Format(flag.help));
  }
  if (!global_rows.empty()) {
    absl::StrAppend(&out, "\n", messages.Format(Msg::kGlobalFlags), ":\n");
    AppendRows(out, global_rows);
  }
  if (command.examples.has_value()) {
    absl::StrAppend(&out, "\n", messages.Format(Msg::kExamples), ":\n");
    for (absl::string_view line : absl::StrSplit(messages.Get(*command.examples), '\n')) {
      absl::StrAppend(&out, "  ", line, "\n");
    }
  }
  if (!extra.empty()) absl::StrAppend(&out, "\n", extra);
  return out;
}

}  // namespace samrad::client
