#pragma once

#include "gitops/commands/services.hpp"

#include <optional>
#include <string>

namespace gitops::commands {

// `status [--branch B]`.
struct StatusOptions {
  // The PR's head branch: --branch, else $GITHUB_HEAD_REF or $SYSTEM_PULLREQUEST_SOURCEBRANCH.
  std::optional<std::string> branch;
};

// The status gate. The PR's branch is options.branch (--branch, or the CI system's pull-request
// branch, which cli resolves: cli::ci_pull_request_branch), else the current branch, else (detached
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
