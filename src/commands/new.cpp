#include "gitops/commands/new.hpp"

#include "gitops/commands/consistency.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <algorithm>
#include <exception>
#include <map>

namespace gitops::commands {

NewPlan plan_promotion(const git::Repository &repo, const RepositoryRoot &root,
                       const config::Config &cfg, const std::string &commit,
                       const manifest::ImageUpdate &update,
                       const config::Environment &environment) {
  NewPlan plan;
  plan.update = update;
  plan.base_commit = commit;
  plan.environment = environment;
  try {
    promotion::validate_name("environment", plan.environment.name);
  } catch (const StateError &e) {
    throw ConfigError(cfg.file + ": " + e.what());
  }

  plan.directory = root.prefix + update.group + "/" + plan.environment.name;
  if (!repo.has_directory(commit, plan.directory)) {
    throw CommandError("directory " + plan.directory + " does not exist in commit " + commit +
                       " (group " + update.group + ", environment " + plan.environment.name + ")");
  }
  // One file at a time: only what a file contributes to the plan is kept, so a 20 000-file
  // environment costs its largest file, not its size.
  struct FileResult {
    std::string path;
    manifest::RewriteResult rewritten;
    std::string diff;
  };
  std::vector<FileResult> results;
  repo.for_each_file(
      commit, plan.directory,
      [](std::string_view name) { return manifest::is_manifest_file_name(name); },
      [&](const std::string &path, std::string_view content, unsigned /*mode*/) {
        if (!manifest::may_contain_marker(content)) {
          return;
        }
        manifest::RewriteResult rewritten = manifest::rewrite(content, plan.update, path);
        plan.matched += rewritten.matched;
        if (rewritten.changes.empty() && rewritten.warnings.empty()) {
          return;
        }
        std::string diff;
        if (rewritten.changes.empty()) {
          rewritten.content.clear(); // only its warnings are kept
        } else {
          diff = git::unified_diff(path, content, rewritten.content);
        }
        results.push_back({path, std::move(rewritten), std::move(diff)});
      });
  // Tree order puts `a/` after `a-b`; the plan lists files by path.
  std::sort(results.begin(), results.end(),
            [](const FileResult &a, const FileResult &b) { return a.path < b.path; });
  for (FileResult &r : results) {
    for (const manifest::MarkerFinding &warning : r.rewritten.warnings) {
      plan.warnings.push_back(r.path + ":" + std::to_string(warning.line) + ": " + warning.message);
    }
    if (r.rewritten.changes.empty()) {
      continue;
    }
    for (const manifest::Change &c : r.rewritten.changes) {
      plan.changes.push_back({r.path, c.line, c.old_value, c.new_value, c.setter});
    }
    plan.diff += r.diff;
    plan.edits.push_back({r.path, std::move(r.rewritten.content), r.rewritten.changes});
  }
  if (plan.matched == 0) {
    throw CommandError("no $imagepolicy marker for " + update.group + ":" + update.app +
                       " found under " + plan.directory + " in commit " + commit);
  }

  plan.state.group = update.group;
  plan.state.app = update.app;
  plan.state.tag = plan.update.tag;
  plan.state.env = plan.environment.name;
  plan.state.sha = commit;
  plan.state.type = promotion::PrType::promote;
  plan.branch = plan.state.branch_name(cfg.prflow);
  plan.title = plan.state.title();
  plan.description = plan.state.description();
  plan.base_branch = cfg.base_branch;
  plan.auto_merge = plan.environment.automated;
  return plan;
}

Outcome skipped_plan(const NewPlan &plan) {
  Outcome outcome;
  outcome.branch = plan.branch;
  outcome.skipped = true;
  outcome.warnings = plan.warnings;
  outcome.message = "skipping: " + plan.update.group + "/" + plan.update.app + " in " +
                    plan.directory + " is already at " + describe(plan.update);
  return outcome;
}

NewPlan plan_new(const git::Repository &repo, const RepositoryRoot &root, const std::string &commit,
                 const NewOptions &options) {
  // Flags are checked before anything is read, so a typo never costs a repository walk.
  const manifest::ImageUpdate update =
      make_image_update(options.group, options.app, options.tag, options.image);
  const config::Config cfg = read_config(repo, root, commit);
  return plan_promotion(repo, root, cfg, commit, update, cfg.environments.front());
}

namespace {

// plan_new with the configuration already read (flags still checked first).
NewPlan plan_new_with(Services &services, const std::string &commit, const NewOptions &options) {
  const manifest::ImageUpdate update =
      make_image_update(options.group, options.app, options.tag, options.image);
  const config::Config &cfg = head_config(services, commit);
  return plan_promotion(services.repository, services.root, cfg, commit, update,
                        cfg.environments.front());
}

} // namespace

namespace {

// The tip of `branch` on the remote, read again because the forge refused a request about it.
// Call it only while that refusal is being handled: when the branch cannot be read, the refusal is
// rethrown, since it is the error to report.
std::string tip_after_refusal(const config::Config &cfg, Services &services,
                              const std::string &branch) {
  const std::exception_ptr refusal = std::current_exception();
  try {
    return services.repository.fetch(cfg.remote, branch, services.credentials);
  } catch (const Error &) {
    std::rethrow_exception(refusal);
  }
}

// Our push was overtaken: `tip` (another run's commit) is what the branch, and so the PR, will
// merge. The PR is made to describe `tip` from the state the commit carries, when its content
// agrees; otherwise auto-merge stays off and the run fails, naming what to re-run.
Outcome converge_after_lost_race(const NewPlan &plan, const config::Config &cfg, Services &services,
                                 const providers::PullRequest &pr, const std::string &tip,
                                 Outcome outcome) {
  providers::GitProvider &provider = *services.provider;
  const std::optional<promotion::PrState> winner = state_of_commit(services.repository, tip);
  const bool consistent =
      winner && !disagreement(services.repository, services.root, tip, *winner).has_value();
  if (!consistent) {
    provider.set_auto_merge(pr, false, cfg.merge_method);
    throw CommandError("another run pushed " + tip + " to " + plan.branch +
                       " after this run, and that commit does not carry a promotion state its "
                       "content agrees with; auto-merge of pull request " +
                       std::to_string(pr.number) + " is off until a run of `new` or `promote` " +
                       "for that branch completes (re-running this one does)");
  }
  providers::PullRequest described = provider.update_pr(pr, winner->title(), winner->description());
  // Auto-merge is asked for the commit checked above (a forge's view of the head can lag the push;
  // GitLab and Gitea pin the merge to the head they are given).
  described.head_sha = tip;
  const config::Environment *env = cfg.find_environment(winner->env);
  const bool automated = env != nullptr && env->automated;
  try {
    (void)provider.update_auto_merge(described, automated, cfg.merge_method);
  } catch (const ProviderError &) {
    // Refused because yet another run pushed after `tip`: that run describes and arms the PR
    // for its own commit, so this one only steps aside.
    const std::string newer = tip_after_refusal(cfg, services, plan.branch);
    if (newer == tip) {
      throw;
    }
    services.log.warn("yet another run pushed " + newer + " to " + plan.branch +
                      "; its own run sets auto-merge of pull request " + std::to_string(pr.number) +
                      " for it");
  }
  services.log.warn("another run pushed " + tip + " (" + winner->group + "/" + winner->app +
                    " version " + winner->tag + " to environment " + winner->env + ") to " +
                    plan.branch + " after this run; pull request " + std::to_string(pr.number) +
                    " now describes that commit, and " + describe(plan.update) +
                    " was not promoted by this run");
  outcome.skipped = true;
  outcome.commit = tip;
  outcome.message = "superseded: " + plan.branch + " holds " + tip + " (version " + winner->tag +
                    " for environment " + winner->env + ") from another run; pull request " +
                    std::to_string(pr.number) + " describes it";
  return outcome;
}

} // namespace

Outcome apply_plan(const NewPlan &plan, const config::Config &cfg, Services &services) {
  Outcome outcome;
  outcome.branch = plan.branch;
  outcome.warnings = plan.warnings;
  if (plan.edits.empty() && plan.removals.empty()) {
    // Upstream would open a PR with an empty commit; a re-run that changes nothing must converge.
    return skipped_plan(plan);
  }
  if (services.provider == nullptr) {
    throw CommandError("creating branch " + plan.branch +
                       " and its pull request needs a git provider (none was configured)");
  }
  providers::GitProvider &provider = *services.provider;
  const std::string message = promotion_commit_message(plan.title, plan.description);

  // The PR (if any) is looked at before the branch changes under it: while the branch and the PR
  // describe different versions, nothing may merge, so auto-merge goes off first and comes back
  // only once both agree (see ARCHITECTURE.md, "Promotion integrity").
  std::optional<providers::PullRequest> open = provider.find_open_pr(plan.branch, cfg.base_branch);
  if (open && open->auto_merge && open->description != plan.description) {
    provider.set_auto_merge(*open, false, cfg.merge_method);
    open->auto_merge = false;
    services.log.debug("turned auto-merge of pull request " + std::to_string(open->number) +
                       " off while its branch changes");
  }

  // What would make the PR impossible is checked before anything is pushed: a PR into a base
  // branch the remote does not have would leave a pushed branch and no PR. (A shallow checkout
  // works through the forge's API alone and never talks git to the remote.)
  const bool shallow = services.repository.is_shallow();
  if (!shallow &&
      !services.repository.remote_branch(cfg.remote, cfg.base_branch, services.credentials)) {
    throw CommandError("the base branch " + util::quote_for_message(cfg.base_branch) +
                       " does not exist on remote " + util::quote_for_message(cfg.remote) +
                       ": set base_branch in " + cfg.file +
                       " to the branch pull requests go into; nothing was pushed");
  }

  std::string sha;
  if (shallow) {
    // libgit2 cannot push from a shallow clone: the forge builds the commit instead.
    services.log.info("shallow repository: committing " + plan.branch + " through the API");
    providers::ApiCommit commit{plan.branch, cfg.base_branch, plan.base_commit,
                                {},          message,         cfg.author()};
    for (const FileEdit &edit : plan.edits) {
      commit.changes.push_back({edit.path, edit.new_content});
    }
    for (const std::string &path : plan.removals) {
      commit.changes.push_back({path, {}, true});
    }
    sha = provider.commit_via_api(commit);
  } else {
    std::map<std::string, std::string> changes;
    for (const FileEdit &edit : plan.edits) {
      changes[edit.path] = edit.new_content;
    }
    sha = services.repository.create_commit(plan.base_commit, changes, message, cfg.author(),
                                            plan.removals);
    services.repository.stage_branch(plan.branch, sha);
    services.log.debug("created commit " + sha + " for " + plan.branch + " with message '" +
                       plan.title + "'");
    const git::Repository::PushReport pushed =
        services.repository.push(cfg.remote, plan.branch, services.credentials);
    services.log.debug("pushed branch +refs/heads/" + plan.branch + " to remote " + cfg.remote +
                       (pushed.new_objects_only
                            ? " (" + std::to_string(pushed.objects) + " new objects)"
                            : std::string(" (libgit2)")));
  }

  providers::PullRequest pr =
      open ? provider.update_pr(*open, plan.title, plan.description)
           : provider.create_pr(plan.branch, cfg.base_branch, plan.title, plan.description);
  outcome.pr_number = pr.number;
  if (!pr.url.empty()) {
    outcome.pr_url = pr.url;
  }

  // Another run may have pushed between our push and our PR update. The forge's view of the head
  // can lag a push, so the remote branch decides.
  if (pr.head_sha != sha) {
    const std::string tip =
        services.repository.fetch(cfg.remote, plan.branch, services.credentials);
    if (tip != sha) {
      return converge_after_lost_race(plan, cfg, services, pr, tip, std::move(outcome));
    }
  }

  // The branch holds `sha` (the forge said so, or the remote did): auto-merge is asked for exactly
  // that commit, whatever head the forge's answer showed.
  pr.head_sha = sha;
  providers::AutoMergeOutcome merge = providers::AutoMergeOutcome::unchanged;
  try {
    merge = provider.update_auto_merge(pr, plan.auto_merge, cfg.merge_method);
  } catch (const ProviderError &) {
    // A forge that schedules a merge for one head only (Gitea's head_commit_id) refuses when
    // another run pushed since the PR was read: converge on that run's commit as above.
    const std::string tip = tip_after_refusal(cfg, services, plan.branch);
    if (tip != sha) {
      return converge_after_lost_race(plan, cfg, services, pr, tip, std::move(outcome));
    }
    throw;
  }
  if (merge == providers::AutoMergeOutcome::already_mergeable) {
    // Merging now would bypass the status gate, which has not run on this commit yet.
    services.log.warn("pull request " + std::to_string(pr.number) +
                      " is already mergeable (clean status), so auto-merge was not enabled; it is "
                      "left open for its required checks and reviewers");
  }
  outcome.commit = sha;
  outcome.changes = plan.changes;
  outcome.message = "created branch " + plan.branch + " with pull request " +
                    std::to_string(pr.number) + " on commit " + sha;
  return outcome;
}

NewResult run_new(const NewOptions &options, Services &services) {
  NewResult result;
  result.dry_run = options.dry_run;
  const std::string head = services.repository.head_commit();
  services.log.debug("planning new on commit " + head);
  result.plan = plan_new_with(services, head, options);
  if (options.dry_run) {
    if (result.plan.edits.empty()) {
      result.outcome = skipped_plan(result.plan);
    }
    return result;
  }
  result.outcome = apply_plan(result.plan, head_config(services, head), services);
  return result;
}

} // namespace gitops::commands
