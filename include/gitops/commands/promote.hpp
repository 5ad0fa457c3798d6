#pragma once

#include "gitops/commands/services.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace gitops::commands {

// `promote`: no flags of its own.
struct PromoteOptions {
  bool dry_run = false;
};

// Opens the next environment's PR for the merged promotion PR behind HEAD
// (provider->find_merged_pr_for_commit). Skips (exit 0, upstream's messages) when HEAD did not come
// from a PR, the PR has no gitops-promotion metadata, it is a feature PR, or its environment is the
// last one; otherwise plans and applies the PR's group/app/tag for the next environment with
// sha = HEAD (apply_plan). A failing lookup is an error (upstream hid it as a skip); an environment
// in the metadata that the config lacks is a ConfigError.
[[nodiscard]] Outcome run_promote(const PromoteOptions &options, Services &services);

// `status [--branch B]`.
struct StatusOptions {
  std::optional<std::string> branch; // the PR's head branch when HEAD is detached
};

// The status gate. The PR's branch is --branch, else $GITHUB_HEAD_REF, else
// $SYSTEM_PULLREQUEST_SOURCEBRANCH (without refs/heads/), else the current branch, else (detached
// HEAD) the head branch of the open PR whose head commit is HEAD. Skips (exit 0) a branch outside
// `promote/`, a PR without metadata, a feature PR and a PR into the first environment. Otherwise it
// polls every config.poll_interval until config.status_timeout the health statuses of
// `<group>-<previous env>` (config::status_context_matches; contexts without '/' are ignored) on
// the PR's recorded sha and on the newest commit of config.base_branch (fetched from
// config.remote): success on either returns; a failure on either (with no success) or the timeout
// throws GateError listing the statuses seen; pending or absent statuses are waited for. Throws
// CommandError without a provider.
[[nodiscard]] Outcome run_status(const StatusOptions &options, Services &services);

} // namespace gitops::commands
