#pragma once

#include "gitops/cli/ci.hpp"
#include "gitops/commands/feature.hpp"
#include "gitops/commands/lint.hpp"
#include "gitops/commands/new.hpp"
#include "gitops/commands/promote.hpp"
#include "gitops/commands/set_image.hpp"
#include "gitops/commands/status.hpp"
#include "gitops/providers/git_provider.hpp"
#include "gitops/util/env.hpp"
#include "gitops/util/log.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gitops::cli {

// The version `--version` prints.
#ifndef GP_VERSION
#error "GP_VERSION must come from CMake's project(VERSION)"
#endif
inline constexpr std::string_view k_version = GP_VERSION;

enum class OutputFormat { text, json };

// Flags every subcommand accepts, before or after the subcommand name.
struct GlobalOptions {
  std::optional<providers::ProviderKind> provider; // --provider; std::nullopt = detect from origin
  std::optional<std::string> token;                // --token as given; see resolve_token
  // --github-app-id, --github-app-private-key-file, --github-app-installation-id: authenticate as
  // a GitHub App instead of with a token (the key may also come from $GITHUB_APP_PRIVATE_KEY).
  std::optional<std::string> github_app_id;
  std::optional<std::filesystem::path> github_app_private_key_file;
  std::optional<std::string> github_app_installation_id;
  std::filesystem::path sourcedir;                 // --sourcedir, default the working directory
  std::optional<std::string> api_url;              // --api-url
  bool dry_run = false;                            // --dry-run
  OutputFormat output = OutputFormat::text;        // --output text|json
  util::LogLevel log_level = util::LogLevel::info; // --log-level
  // --timeout: the whole command's limit; std::nullopt = k_default_timeout (for status, that much
  // beyond the configured status timeout).
  std::optional<std::chrono::milliseconds> timeout;
};

// The limit of a command without --timeout (status: this much beyond its status timeout).
inline constexpr std::chrono::minutes k_default_timeout{10};

// The parsed options of one subcommand.
using CommandOptions =
    std::variant<commands::NewOptions, commands::PromoteOptions, commands::StatusOptions,
                 commands::FeatureOptions, commands::FeatureStaleOptions, commands::SetImageOptions,
                 commands::LintOptions>;

// argv, understood: which subcommand, its options (with --dry-run copied in) and the global flags.
struct Invocation {
  std::string
      command; // "new", "promote", "status", "feature", "feature-stale", "set-image", "lint"
  GlobalOptions globals;
  CommandOptions options;
};

// Where `run` reads and writes, injected so tests never touch the real process state.
struct RunContext {
  std::ostream *out = nullptr; // results (stdout)
  std::ostream *err = nullptr; // errors, usage and logs (stderr)
  util::EnvLookup env;         // token fallbacks
  std::filesystem::path cwd;   // default --sourcedir
  // Tells the output guards of a secret learnt while running (a GitHub App's tokens), so no later
  // line can print it. Set by run(); may be empty (a test's own RunContext).
  std::function<void(const std::string &secret)> learn_secret;
  // When set, called with the parsed invocation instead of executing it; returns the exit code.
  std::function<int(const Invocation &)> execute_override;
  // Called from the deadline's own thread when the limit of `invocation` has passed, with the
  // limit and what the command was waiting for; reports it (stderr and CI, as any failure) and
  // ends the process (exit 1). Set by run().
  std::function<void(const Invocation &invocation, std::chrono::milliseconds limit,
                     const std::string &activity)>
      on_deadline;
};

// Exit codes: the one mapping from outcomes to the process status.
inline constexpr int k_exit_ok = 0;     // done, skipped, help, version
inline constexpr int k_exit_failed = 1; // a gitops::Error (or lint errors)
inline constexpr int k_exit_usage = 2;  // bad flags, missing subcommand

// Parses `args` (without the program name) and runs the subcommand. Help and version go to `out`
// with exit 0 and need no config or repository. Usage errors print `Error: <what>` and a line
// pointing at the command's --help to `err` and return 2 (an unknown command or flag is reported
// before anything else, with the closest name). A CI output file that cannot be written fails the
// command (1). Failures print `Application failed with error: <what>`
// to `err` (and, with --output json, the CommandReport object with `error` set to `out`) and
// return 1. In GitHub Actions or Azure Pipelines (detect_ci on context.env) the result and errors
// are also published to the CI system (publish_to_ci; its command lines go to `out`, or to `err`
// with --output json so that `out` stays one JSON object).
[[nodiscard]] int run(const std::vector<std::string> &args, const RunContext &context);

// The process entry: run() with std::cout, std::cerr, the real environment and working directory.
[[nodiscard]] int run(int argc, char **argv);

// Executes a parsed invocation, writes its result and fills `report` (command, branch, PR, commit,
// changes, skipped/reason) as far as the command got; throws gitops::Error on failure. Returns the
// exit code for outcomes that are not exceptions (lint with errors → 1).
[[nodiscard]] int execute(const Invocation &invocation, const RunContext &context,
                          const util::Logger &log, CommandReport &report);

} // namespace gitops::cli
