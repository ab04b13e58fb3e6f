// A small subcommand argument parser for `samrad` (no flags library).
//
// A command tree of CommandSpec nodes: each node has flags, positional
// arguments and/or subcommands. Flags are `--name VALUE`, `--name=VALUE` or
// a switch `--name`; they may appear anywhere after the command that defines
// them; global flags anywhere. `--` ends flag parsing; `-` is a positional
// (standard input). `--help` (or `-h`) anywhere asks for help on the deepest
// command named so far. Anything else that starts with "-" is an unknown
// flag. Every error is INVALID_ARGUMENT tagged ExitCode::kUsage, with a
// message in the user's language.
//
// Specs are plain data owned by the caller; the parser keeps pointers into
// them, so the tree must outlive the ParsedArgs. Thread-compatible.
#ifndef SAMRAD_CLIENT_ARGS_H_
#define SAMRAD_CLIENT_ARGS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/messages.h"

namespace samrad::client {

struct FlagSpec {
  std::string name = {};        // without the leading "--"
  std::string value_name = {};  // e.g. "FILE"; empty for a switch
  Msg help = Msg::kFlagHelp;
  bool required = false;
  // When non-empty, the value must be one of these.
  std::vector<std::string> choices = {};
};

struct PositionalSpec {
  std::string name = {};  // e.g. "REF"
  Msg help = Msg::kArgRef;
  bool required = true;
};

struct ParsedArgs;

struct CommandSpec {
  std::string name = {};
  Msg summary = Msg::kCmdRoot;
  std::vector<FlagSpec> flags = {};
  std::vector<PositionalSpec> positionals = {};
  std::vector<CommandSpec> subcommands = {};
  // Set on leaf commands: an identifier the caller dispatches on.
  std::string action = {};
  // Example command lines shown under --help (one or two lines, both
  // languages); every leaf command has one (tests/client/cli_test.cc).
  std::optional<Msg> examples = std::nullopt;
};

struct ParsedArgs {
  // The commands named, root first.
  std::vector<const CommandSpec*> path;
  // Flag name -> value; a given switch maps to "".
  std::map<std::string, std::string> flags;
  std::vector<std::string> positionals;
  bool help = false;

  const CommandSpec& command() const { return *path.back(); }
  bool Has(absl::string_view flag) const { return flags.count(std::string(flag)) > 0; }
  // The flag's value, or nullopt when not given.
  std::optional<std::string> Get(absl::string_view flag) const;
  // The positional at `index`, or nullopt.
  std::optional<std::string> Positional(size_t index) const;
  // "samrad admin directory sign".
  std::string CommandLine() const;
};

// Parses `args` (without argv[0]) against `root`. On `--help` returns with
// help = true and no further checks (so `samrad ask --help` works without
// the required flags). Otherwise checks required flags and positionals and
// that a command with subcommands got one.
[[nodiscard]] absl::StatusOr<ParsedArgs> ParseArgs(const CommandSpec& root,
                                                   const std::vector<FlagSpec>& global_flags,
                                                   const std::vector<std::string>& args,
                                                   const Messages& messages);

// The optimal-string-alignment (restricted Damerau-Levenshtein) distance
// between `a` and `b`, counted in bytes: insertions, deletions,
// substitutions and transpositions of adjacent characters each cost 1.
int EditDistance(absl::string_view a, absl::string_view b);

// The candidate closest to `typed` when it is at most 2 edits away and
// fewer edits than `typed` is long (so "x" suggests nothing), the first
// one on a tie; nullopt otherwise or when `typed` is itself a candidate.
std::optional<std::string> ClosestMatch(absl::string_view typed,
                                        const std::vector<std::string>& candidates);

// The path root..command for `names` (e.g. {"admin", "directory", "sign"})
// for `samrad help NAMES`; INVALID_ARGUMENT tagged kUsage naming the first
// unknown name (with "did you mean") otherwise.
[[nodiscard]] absl::StatusOr<ParsedArgs> HelpPath(const CommandSpec& root,
                                                  const std::vector<std::string>& names,
                                                  const Messages& messages);

// The help text of the deepest command in `parsed.path`: usage line,
// summary, subcommands, arguments, flags, global flags; for the root also
// `extra` (the exit codes).
std::string FormatHelp(const ParsedArgs& parsed, const std::vector<FlagSpec>& global_flags,
                       const Messages& messages, absl::string_view extra = "");

}  // namespace samrad::client

#endif  // SAMRAD_CLIENT_ARGS_H_
