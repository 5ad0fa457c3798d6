#pragma once

#include "gitops/commands/new.hpp"
#include "gitops/commands/services.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace gitops::commands {

// `feature --group G --app A --tag T --feature F`.
struct FeatureOptions {
  std::string group;
  std::string app;
  std::string tag;
  std::string feature;
  bool dry_run = false;
};

// Plans a review feature of G/A from `commit`'s tree. F is sanitised as upstream does (runs of
// characters other than letters, digits and '-' removed, then lowercased) and must then be a DNS
// label (UsageError otherwise). With `featureOverwrite: true` for G/A, the markers of G/A in the
// first environment get T, as `new` does, on branch `feature[/<env0>]/G-A-F`. Otherwise the first
// environment is rendered with kustomize (feature::find_kustomize; `env` supplies PATH), the app's
// resources (featureLabelSelector) are copied to `<G>/<env0>/<A>-<F>/`
// (feature::duplicate_application; files of an earlier copy that are no longer produced are
// removed) and `<A>-<F>` is added to the environment's kustomization `resources`, on branch
// `feature/G-A-F`. The PR type is feature. Throws ConfigError when G/A is not under `groups`,
// CommandError for a missing environment directory or kustomization, kustomize's failure, or a
// selector that selects nothing.
[[nodiscard]] NewPlan plan_feature(const git::Repository &repo, const RepositoryRoot &root,
                                   const std::string &commit, const FeatureOptions &options,
                                   const util::EnvLookup &env, const util::Logger &log);

// Runs `feature` on HEAD: plans it, and without `dry_run` applies the plan (apply_plan), as
// run_new does.
[[nodiscard]] NewResult run_feature(const FeatureOptions &options, Services &services);

// `feature-stale [--max-age DURATION]` (a Go duration, default 168h).
struct FeatureStaleOptions {
  std::chrono::nanoseconds max_age = std::chrono::hours(168);
  bool dry_run = false;
};

// A feature copy and when it last changed.
struct StaleFeature {
  std::string directory; // repository path `<prefix><G>/<env0>/<A>-<F>`
  std::string group;
  std::string app;
  std::string feature;
  std::string commit; // the last commit that changed the directory
  std::chrono::system_clock::time_point changed;
};

struct FeatureStaleResult {
  std::vector<StaleFeature> stale; // removed (or, in a dry run, to be removed)
  std::optional<NewPlan> plan;     // set when something is stale
  Outcome outcome;                 // upstream's message when nothing is stale
};

// Finds every feature copy of every app under `groups` in the first environment: a directory
// `<A>-<F>` whose kustomization carries the feature label with value F (so app `web` never takes
// `web-api`'s copies). Those whose last commit (Repository::last_changes) is older than max_age are
// removed, with their `resources` entry, in one commit on branch `remove/stale-feature` whose PR is
// titled `Remove stale review features`. Nothing stale: upstream's `No stale application to remove,
// exiting early.`, skipped. A dry run plans and changes nothing.
[[nodiscard]] FeatureStaleResult run_feature_stale(const FeatureStaleOptions &options,
                                                   Services &services);

} // namespace gitops::commands
