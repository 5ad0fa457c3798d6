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

// Opens the next environment's PR for the merged promotion PR behind HEAD. Not implemented yet in
// this version: throws CommandError.
[[nodiscard]] Outcome run_promote(const PromoteOptions &options, Services &services);

// `status [--branch B]`.
struct StatusOptions {
  std::optional<std::string> branch; // the PR's head branch when HEAD is detached
};

// Waits for the previous environment's health status. Not implemented yet: throws CommandError.
[[nodiscard]] Outcome run_status(const StatusOptions &options, Services &services);

// `feature --group G --app A --tag T --feature F`.
struct FeatureOptions {
  std::string group;
  std::string app;
  std::string tag;
  std::string feature;
  bool dry_run = false;
};

// Opens a review-feature PR. Not implemented yet: throws CommandError.
[[nodiscard]] Outcome run_feature(const FeatureOptions &options, Services &services);

// `feature-stale [--max-age DURATION]` (a Go duration, default 168h).
struct FeatureStaleOptions {
  std::chrono::nanoseconds max_age = std::chrono::hours(168);
  bool dry_run = false;
};

// Removes review features older than max_age. Not implemented yet: throws CommandError.
[[nodiscard]] Outcome run_feature_stale(const FeatureStaleOptions &options, Services &services);

} // namespace gitops::commands
