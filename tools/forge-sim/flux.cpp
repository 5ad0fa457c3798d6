// Flux emulation: a base branch that gets a commit touching <group>/<env>/ is "reconciled", and a
// kustomize-controller-like status is posted on that commit, the way notification-controller does.
#include "server.hpp"

#include <iostream>

namespace forge_sim {
namespace {

bool touches(const std::vector<std::string> &paths, const std::string &dir) {
  for (const auto &p : paths) {
    if (p.rfind(dir, 0) == 0) {
      return true;
    }
  }
  return false;
}

std::string describe(const FluxRule &rule, const std::string &branch, const std::string &sha) {
  if (!rule.description.empty()) {
    return rule.description;
  }
  if (rule.state == "success") {
    return "Applied revision: " + branch + "@sha1:" + sha;
  }
  if (rule.state == "pending") {
    return "Reconciliation in progress";
  }
  return "kustomize build failed for " + rule.group + "/" + rule.env;
}

} // namespace

void flux_tick(Simulator &sim) {
  State &state = sim.state();
  for (auto &[key, repo] : state.repos()) {
    if (repo.settings.flux.empty()) {
      continue;
    }
    try {
      GitRepo git = state.open_git(repo);
      std::map<std::string, std::vector<std::string>> changed_by_branch;
      std::map<std::string, std::string> tip_by_branch;
      for (const auto &rule : repo.settings.flux) {
        std::string branch = rule.branch.empty() ? repo.settings.default_branch : rule.branch;
        if (tip_by_branch.count(branch) != 0) {
          continue;
        }
        auto tip = git.ref_target("refs/heads/" + branch);
        auto seen = repo.flux_seen.find(branch);
        if (!tip || seen == repo.flux_seen.end() || seen->second == *tip) {
          if (tip && seen == repo.flux_seen.end()) {
            repo.flux_seen[branch] = *tip;
          }
          continue;
        }
        tip_by_branch[branch] = *tip;
        changed_by_branch[branch] = git.changed_paths(seen->second, *tip);
        seen->second = *tip;
      }
      for (const auto &rule : repo.settings.flux) {
        std::string branch = rule.branch.empty() ? repo.settings.default_branch : rule.branch;
        auto changed = changed_by_branch.find(branch);
        if (changed == changed_by_branch.end() ||
            !touches(changed->second, rule.group + "/" + rule.env + "/")) {
          continue;
        }
        std::string sha = tip_by_branch[branch];
        std::string context = "kustomization/" + rule.group + "-" + rule.env;
        if (!rule.uid.empty()) {
          context += "/" + rule.uid;
        }
        std::string description = describe(rule, branch, sha);
        std::string repo_key = key;
        std::string rule_state = rule.state;
        sim.schedule(rule.delay_ms, [&state, repo_key, sha, rule_state, context, description] {
          auto slash = repo_key.find('/');
          if (Repo *r = state.find_repo(repo_key.substr(0, slash), repo_key.substr(slash + 1))) {
            state.add_status(*r, sha, rule_state, context, description, "", "flux");
          }
        });
      }
    } catch (const GitOpError &e) {
      std::cerr << "forge-sim: flux: " << key << ": " << e.what() << "\n";
    }
  }
}

} // namespace forge_sim
