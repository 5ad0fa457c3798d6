#include "gitops/commands/promote.hpp"

#include "gitops/commands/consistency.hpp"
#include "gitops/commands/new.hpp"
#include "gitops/promotion/pr_state.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <algorithm>

namespace gitops::commands {

namespace {

// The version that was merged into `state.env`: what its markers hold at `head`, which is what
// that environment runs. The PR's metadata is only a claim about it; when they differ the content
// wins (loudly). Throws CommandError when the merged markers disagree among themselves and none of
// them is the PR's tag.
std::string merged_tag(Services &services, const std::string &head, const promotion::PrState &state,
                       long pr_number) {
  const std::string directory = services.root.prefix + state.group + "/" + state.env;
  const std::vector<std::string> tags =
      marked_tags(services.repository, head, directory, state.group, state.app);
  const bool listed = std::find(tags.begin(), tags.end(), state.tag) != tags.end();
  if (tags.empty() || (tags.size() == 1 && listed)) {
    return state.tag;
  }
  const std::string claim = "pull request " + std::to_string(pr_number) + " says " + state.group +
                            "/" + state.app + " version " + state.tag + " for " + state.env;
  if (tags.size() == 1) {
    services.log.warn(claim + ", but what was merged (" + directory + " at " + head + ") holds " +
                      tags.front() + ": promoting " + tags.front() + ", the version " + state.env +
                      " runs");
    return tags.front();
  }
  if (listed) {
    services.log.warn(claim + ", and " + directory + " at " + head + " holds several versions (" +
                      util::join(tags, ", ") + "): promoting " + state.tag);
    return state.tag;
  }
  throw CommandError(claim + ", but " + directory + " at " + head + " holds " +
                     util::join(tags, ", ") +
                     ": cannot tell which version was merged; set one version for " + state.app +
                     " in " + directory + " and merge that");
}

} // namespace

Outcome run_promote(const PromoteOptions & /*options*/, Services &services) {
  providers::GitProvider &provider = require_provider(services, "promote");
  const std::string head = services.repository.head_commit();
  const std::optional<providers::PullRequest> pr = provider.find_merged_pr_for_commit(head);
  if (!pr) {
    return skipped_outcome("skipping promotion as commit does not originate from PR");
  }
  const std::optional<promotion::PrState> state = promotion::parse_description(pr->description);
  if (!state) {
    return skipped_outcome("skipping promotion as PR is not created by gitops-promotion");
  }
  if (state->type == promotion::PrType::feature) {
    return skipped_outcome("skipping promotion of feature");
  }
  const config::Config &cfg = head_config(services, head);
  const std::optional<config::Environment> next = cfg.next_environment(state->env);
  if (!next) {
    return skipped_outcome("no next environment to promote to");
  }
  manifest::ImageUpdate update;
  update.group = state->group;
  update.app = state->app;
  update.tag = merged_tag(services, head, *state, pr->number);
  services.log.debug("promoting " + state->group + "/" + state->app + " " + update.tag + " from " +
                     state->env + " (pull request " + std::to_string(pr->number) + ") to " +
                     next->name);
  const NewPlan plan = plan_promotion(services.repository, services.root, cfg, head, update, *next);
  return apply_plan(plan, cfg, services);
}

} // namespace gitops::commands
