#pragma once

#include "gitops/commands/services.hpp"

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

} // namespace gitops::commands
