#include "gitops/commands/new.hpp"

#include "gitops/util/error.hpp"

#include <algorithm>

namespace gitops::commands {

NewPlan plan_new(const git::Repository &repo, const RepositoryRoot &root, const std::string &commit,
                 const NewOptions &options) {
  NewPlan plan;
  // Flags are checked before anything is read, so a typo never costs a repository walk.
  plan.update = make_image_update(options.group, options.app, options.tag, options.image);
  plan.base_commit = commit;

  const std::string config_path = root.prefix + std::string(config::k_file_name);
  const std::optional<std::string> config_text = repo.read_file(commit, config_path);
  if (!config_text) {
    throw ConfigError(config_path + " not found in commit " + commit +
                      " (the configuration is read from HEAD, not the work tree)");
  }
  const config::Config cfg = config::parse_config(*config_text, config_path);
  if (cfg.environments.empty()) {
    throw ConfigError(config_path + ": no environments are configured");
  }
  plan.environment = cfg.environments.front();
  try {
    promotion::validate_name("environment", plan.environment.name);
  } catch (const StateError &e) {
    throw ConfigError(config_path + ": " + e.what());
  }

  plan.directory = root.prefix + options.group + "/" + plan.environment.name;
  if (!repo.has_directory(commit, plan.directory)) {
    throw CommandError("directory " + plan.directory + " does not exist in commit " + commit +
                       " (group " + options.group + ", environment " + plan.environment.name + ")");
  }
  std::vector<git::TreeFile> files = repo.read_files(
      commit, plan.directory,
      [](std::string_view name) { return manifest::is_manifest_file_name(name); },
      [](std::string_view content) { return manifest::may_contain_marker(content); });
  std::sort(files.begin(), files.end(),
            [](const git::TreeFile &a, const git::TreeFile &b) { return a.path < b.path; });

  for (git::TreeFile &file : files) {
    manifest::RewriteResult rewritten = manifest::rewrite(file.content, plan.update, file.path);
    plan.matched += rewritten.matched;
    if (rewritten.changes.empty()) {
      continue;
    }
    for (const manifest::Change &c : rewritten.changes) {
      plan.changes.push_back({file.path, c.line, c.old_value, c.new_value, c.setter});
    }
    plan.diff += git::unified_diff(file.path, file.content, rewritten.content);
    plan.edits.push_back(
        {file.path, std::move(file.content), std::move(rewritten.content), rewritten.changes});
  }
  if (plan.matched == 0) {
    throw CommandError("no $imagepolicy marker for " + options.group + ":" + options.app +
                       " found under " + plan.directory + " in commit " + commit);
  }

  plan.state.group = options.group;
  plan.state.app = options.app;
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

NewResult run_new(const NewOptions &options, Services &services) {
  NewResult result;
  result.dry_run = options.dry_run;
  const std::string head = services.repository.head_commit();
  services.log.debug("planning new on commit " + head);
  result.plan = plan_new(services.repository, services.root, head, options);
  if (options.dry_run) {
    return result;
  }
  not_implemented("new without --dry-run (creating the branch and the pull request)");
}

} // namespace gitops::commands
