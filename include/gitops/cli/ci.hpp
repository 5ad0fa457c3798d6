#pragma once

#include "gitops/commands/image_update.hpp"
#include "gitops/util/env.hpp"
#include "gitops/util/output_guard.hpp"

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace gitops::cli {

// What one command did (or why it failed): the JSON object of --output json and what CI systems
// get as outputs, summary and error annotations.
struct CommandReport {
  std::string command;                         // "new", "promote", "status", …
  bool dry_run = false;                        // nothing was changed anywhere
  std::optional<std::string> branch;           // the promotion branch
  std::optional<long> pr_number;               // the pull request opened, updated or checked
  std::optional<std::string> pr_url;           // its web URL
  std::optional<std::string> commit;           // the commit pushed (or the PR's recorded sha)
  std::vector<commands::ChangeRecord> changes; // values changed (empty when unknown or none)
  bool skipped = false;                        // nothing to do (exit 0)
  std::optional<std::string> reason;           // why it was skipped
  std::string message;                         // the text-mode result line
  std::optional<std::string> error;            // set when the command failed
  std::vector<std::string> warnings;           // configuration warnings, also said on stderr
};

// The CI system the process runs in: GitHub Actions when GITHUB_ACTIONS is "true", Azure Pipelines
// when TF_BUILD is "True" (both compared case-insensitively), otherwise none.
enum class CiSystem { none, github_actions, azure_pipelines };
[[nodiscard]] CiSystem detect_ci(const util::EnvLookup &env);

// `report` as one JSON object {command, dry_run, branch, pull_request, pull_request_url, commit,
// changes[{file,line,old,new,setter}], skipped, reason, message, error}; absent values are null.
void render_report_json(std::ostream &out, const CommandReport &report);

// Escapes the data of a GitHub workflow command (`::error::<data>`): % → %25, CR → %0D, LF → %0A.
[[nodiscard]] std::string escape_github_data(std::string_view text);

// Escapes the data or a property value of an Azure Pipelines logging command (`##vso[…]<data>`):
// % → %AZP25, ; → %3B, CR → %0D, LF → %0A, ] → %5D.
[[nodiscard]] std::string escape_azure_data(std::string_view text);

// The values that must never be printed: the --token flag (when given) and the token variables of
// every forge (providers::all_token_variables) and INPUT_TOKEN that are set in `env`, each also
// trimmed of whitespace and as the base64 of the `user:token` pairs the tool sends in Basic
// authorization headers (no user, or a forge's git user); and a GitHub App private key
// in GITHUB_APP_PRIVATE_KEY or INPUT_APP-PRIVATE-KEY, whole and line by line. (Keys read from a
// file and the tokens minted from them are added while running: RunContext::learn_secret.)
[[nodiscard]] std::vector<std::string> secrets_of(const std::optional<std::string> &token_flag,
                                                  const util::EnvLookup &env);

// One `name<<DELIMITER` … `DELIMITER` entry of a $GITHUB_OUTPUT file; the delimiter is random and
// occurs in neither name nor value, so a value cannot end the block early or inject outputs.
[[nodiscard]] std::string github_output_entry(std::string_view name, std::string_view value);

// The Markdown written to $GITHUB_STEP_SUMMARY for `report` (a heading, then the result or error).
[[nodiscard]] std::string step_summary(const CommandReport &report);

// Tells the CI system `detect_ci(env)` about `report`, with every secret redacted (the command
// lines through GuardedStream::command, the only lines allowed to start a CI command):
// - both: `::warning::<text>` / `##vso[task.logissue type=warning]<text>` per report.warnings;
// - GitHub Actions: on failure `::error::<message>` on `lines`; otherwise the outputs pr-number,
//   pr-url, branch and commit (empty when unknown) appended to the file $GITHUB_OUTPUT; always
//   step_summary() appended to $GITHUB_STEP_SUMMARY (each only when the variable names a file);
// - Azure Pipelines: on failure `##vso[task.logissue type=error]<message>`; otherwise
//   `##vso[task.setvariable variable=<name>;isOutput=true]<value>` for prNumber, prUrl, branch and
//   commit on `lines`.
// `with_outputs` false (usage errors, lint, set-image) reports only the error.
// Returns one message per CI file that could not be written (empty when all went well): the caller
// makes that a failure, because a step whose outputs went missing must not pass.
[[nodiscard]] std::vector<std::string> publish_to_ci(const CommandReport &report, bool with_outputs,
                                                     const util::EnvLookup &env,
                                                     const std::vector<std::string> &secrets,
                                                     util::GuardedStream &lines);

// The branch of the pull request a CI run checks: $GITHUB_HEAD_REF (GitHub, Gitea and Forgejo
// Actions), else $SYSTEM_PULLREQUEST_SOURCEBRANCH without refs/heads/ (Azure Pipelines), else
// $CI_MERGE_REQUEST_SOURCE_BRANCH_NAME (GitLab CI); std::nullopt when none is set (empty counts
// as unset).
[[nodiscard]] std::optional<std::string> ci_pull_request_branch(const util::EnvLookup &env);

} // namespace gitops::cli
