#pragma once

#include "gitops/commands/image_update.hpp"
#include "gitops/commands/services.hpp"
#include "gitops/config/config.hpp"
#include "gitops/manifest/rewriter.hpp"
#include "gitops/promotion/pr_state.hpp"

#include <optional>
#include <string>
#include <vector>

namespace gitops::commands {

// `new --group G --app A (--tag T | --image NAME:TAG[@DIGEST]) [--dry-run]`.
struct NewOptions {
  std::string group;
  std::string app;
  std::optional<std::string> tag;
  std::optional<std::string> image;
  bool dry_run = false;
};

// One manifest file `new` rewrites (its old bytes stay in the object database; the plan's diff
// shows them).
struct FileEdit {
  std::string path; // repository path, '/'-separated
  std::string new_content;
  std::vector<manifest::Change> changes;
};

// Everything `new` decides before touching anything: computed from HEAD's tree only.
struct NewPlan {
  std::string base_commit; // HEAD, the commit the branch is cut from and the state's sha
  std::string directory;   // `<prefix><group>/<env0>` searched for markers
  manifest::ImageUpdate update;
  config::Environment environment; // env0
  promotion::PrState state;
  std::string branch;
  std::string title;                 // also the commit message
  std::string description;           // upstream's exact bytes
  std::string base_branch;           // the PR's target
  bool auto_merge = false;           // env0 is automated
  int matched = 0;                   // markers for G/A found under `directory`
  std::vector<FileEdit> edits;       // changed and added files, sorted by path
  std::vector<std::string> removals; // repository paths of files the commit deletes
  std::vector<ChangeRecord> changes; // every changed value
  std::string diff;                  // unified diff of all edits ("" when nothing changes)
  std::vector<std::string> warnings; // `file:line: message` from the rewriter, for the user
};

// Plans `new` from `commit`'s tree (config and manifests are read through the object database,
// never the work tree). Throws UsageError for bad flags or names, ConfigError when the config is
// missing or invalid, CommandError when `<group>/<env0>` does not exist in the tree or holds no
// marker for G/A (naming the directory), ManifestError when a file cannot be rewritten.
[[nodiscard]] NewPlan plan_new(const git::Repository &repo, const RepositoryRoot &root,
                               const std::string &commit, const NewOptions &options);

// Plans setting `update` in environment `environment` of `cfg` from `commit`'s tree (what `new`
// does for env0 and `promote` for the next environment). Errors as plan_new.
[[nodiscard]] NewPlan plan_promotion(const git::Repository &repo, const RepositoryRoot &root,
                                     const config::Config &cfg, const std::string &commit,
                                     const manifest::ImageUpdate &update,
                                     const config::Environment &environment);

// The outcome of a plan that changes nothing (`skipping: G/A in DIR is already at TAG`): what a
// real run reports and a dry run repeats.
[[nodiscard]] Outcome skipped_plan(const NewPlan &plan);

// Carries out `plan`: when nothing changes, a skipped Outcome (`skipping: ... already at <tag>`)
// and nothing is pushed or opened. Otherwise, in this order (see ARCHITECTURE.md, "Promotion
// integrity"): the open PR is looked up and its auto-merge turned off when it describes something
// else; the base branch must exist on cfg.remote; one commit on plan.base_commit with plan.edits
// (message = title + blank line + description, author from `cfg`) is force-pushed to
// refs/heads/<branch> through the tool's own ref (a shallow repository commits through
// provider->commit_via_api instead); the PR into cfg.base_branch is updated or created; when the
// branch then holds another run's commit, the PR is made to describe that one and the outcome is
// skipped ("superseded"); otherwise auto-merge is set to plan.auto_merge (a PR that GitHub reports
// as already mergeable is left alone, with a warning). Throws CommandError without a provider or
// base branch, and the git/provider errors otherwise.
[[nodiscard]] Outcome apply_plan(const NewPlan &plan, const config::Config &cfg,
                                 Services &services);

struct NewResult {
  std::string command = "new"; // the command that planned it (`feature` reuses the shape)
  NewPlan plan;
  bool dry_run = false;
  std::optional<Outcome> outcome; // set when the promotion was made (or skipped as already done)
};

// Runs `new` on HEAD: plans it and, with `dry_run`, returns the plan having changed nothing (no
// provider needed; when nothing would change, `outcome` is the skip the real run would report).
// Without `dry_run` it applies the plan (apply_plan) and sets `outcome`.
[[nodiscard]] NewResult run_new(const NewOptions &options, Services &services);

} // namespace gitops::commands
