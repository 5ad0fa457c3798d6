#include "gitops/commands/status.hpp"

#include "gitops/commands/consistency.hpp"
#include "gitops/promotion/pr_state.hpp"
#include "gitops/util/deadline.hpp"
#include "gitops/util/duration.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <algorithm>
#include <thread>

namespace gitops::commands {

namespace {

// The branch of the PR being checked, by the precedence run_status documents.
std::string status_branch(const StatusOptions &options, Services &services,
                          providers::GitProvider &provider, const config::Config &cfg) {
  if (options.branch && !options.branch->empty()) {
    return *options.branch;
  }
  if (auto branch = services.repository.current_branch()) {
    return *branch;
  }
  const std::string head = services.repository.head_commit();
  const std::vector<providers::PullRequest> prs = provider.find_open_prs_for_commit(head);
  const providers::PullRequest *chosen = nullptr;
  for (const providers::PullRequest &pr : prs) {
    if (pr.base_branch == cfg.base_branch &&
        (chosen == nullptr || (pr.head_branch.starts_with("promote/") &&
                               !chosen->head_branch.starts_with("promote/")))) {
      chosen = &pr;
    }
  }
  if (chosen == nullptr) {
    throw CommandError("cannot tell which pull request to check: HEAD (" + head +
                       ") is detached, no open pull request into " + cfg.base_branch +
                       " has it as head commit, and neither --branch, GITHUB_HEAD_REF, "
                       "SYSTEM_PULLREQUEST_SOURCEBRANCH nor CI_MERGE_REQUEST_SOURCE_BRANCH_NAME "
                       "is set");
  }
  return chosen->head_branch;
}

enum class Verdict { none, pending, success, failure };

struct Observation {
  Verdict verdict = Verdict::none;
  std::string seen; // `context: state (description)` of every matching status
};

// Upstream's "first match wins" per context, newest first: a context counts by its newest state.
Observation observe(providers::GitProvider &provider, const std::string &sha,
                    const config::Config &cfg, const std::string &group, const std::string &env) {
  Observation obs;
  std::vector<std::string> contexts;
  bool success = false;
  bool failure = false;
  bool pending = false;
  for (const providers::CommitStatus &status : provider.list_statuses(sha)) {
    // Slash-less contexts (CI systems, Vercel, ...) are never health statuses.
    if (status.context.find('/') == std::string::npos ||
        !config::status_context_matches(cfg.status_contexts, group, env, status.context)) {
      continue;
    }
    if (std::find(contexts.begin(), contexts.end(), status.context) != contexts.end()) {
      continue;
    }
    contexts.push_back(status.context);
    if (!obs.seen.empty()) {
      obs.seen += ", ";
    }
    obs.seen += status.context + ": " + std::string(providers::to_string(status.state));
    if (!status.description.empty()) {
      obs.seen += " (" + status.description + ")";
    }
    if (status.state == providers::StatusState::success) {
      success = true;
    } else if (status.state == providers::StatusState::failure ||
               status.state == providers::StatusState::error) {
      failure = true;
    } else {
      pending = true;
    }
  }
  if (failure) {
    obs.verdict = Verdict::failure;
  } else if (success) {
    obs.verdict = Verdict::success;
  } else if (pending) {
    obs.verdict = Verdict::pending;
  }
  return obs;
}

std::string describe_seen(const std::string &sha, const Observation &on_sha,
                          const std::string &base_branch, const std::string &base_sha,
                          const Observation &on_base) {
  return "statuses seen on \"" + sha +
         "\": " + (on_sha.seen.empty() ? std::string("none") : on_sha.seen) + "; on " +
         base_branch + " at " + base_sha + ": " +
         (on_base.seen.empty() ? std::string("none") : on_base.seen);
}

} // namespace

Outcome run_status(const StatusOptions &options, Services &services) {
  providers::GitProvider &provider = require_provider(services, "status");
  const std::string head = services.repository.head_commit();
  const config::Config &cfg = head_config(services, head);
  const std::string branch = status_branch(options, services, provider, cfg);
  constexpr std::string_view k_manual = "Promotion was manual, skipping check";
  // A skip still names what was checked, for the CI outputs and --output json.
  std::optional<long> pr_number;
  const auto skip = [&](std::string message) {
    Outcome outcome = skipped_outcome(std::move(message));
    outcome.branch = branch;
    outcome.pr_number = pr_number;
    return outcome;
  };
  if (!branch.starts_with("promote/")) {
    return skip(std::string(k_manual));
  }
  const std::optional<providers::PullRequest> pr = provider.find_open_pr(branch, cfg.base_branch);
  if (!pr) {
    throw CommandError("no open pull request from " + branch + " into " + cfg.base_branch);
  }
  pr_number = pr->number;
  const std::optional<promotion::PrState> state = promotion::parse_description(pr->description);
  if (!state) {
    return skip(std::string(k_manual));
  }
  if (state->type == promotion::PrType::feature) {
    return skip("Automatically allowing feature branch PR");
  }
  // What the PR says must be what it would merge, in every environment (the first one has no
  // health gate, but must not merge a version its PR does not name): the branch is read as the
  // remote has it now, since a push may have overtaken the PR.
  const std::string tip = services.repository.fetch(cfg.remote, branch, services.credentials);
  if (const std::optional<std::string> why =
          disagreement(services.repository, services.root, tip, *state)) {
    throw GateError("pull request " + std::to_string(pr->number) + " does not describe what it " +
                    "would merge: " + *why +
                    ". A run of `new` or `promote` was interrupted or overtaken between pushing " +
                    branch + " and updating the pull request; re-run it (it converges), then run " +
                    "this check again");
  }
  if (state->env == cfg.environments.front().name) {
    return skip("\"" + state->env + "\" is the first environment so status check is skipped");
  }
  const std::optional<config::Environment> previous = cfg.previous_environment(state->env);
  if (!previous) {
    throw ConfigError(cfg.file + ": environment " + state->env + " has no previous environment");
  }
  const std::string name = state->group + "-" + previous->name;

  auto now = services.now ? services.now : [] { return std::chrono::steady_clock::now(); };
  auto sleep = services.sleep ? services.sleep
                              : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  const auto started = now();
  const auto deadline = started + cfg.status_timeout;
  // What the gate waits for, in the words of the configuration, for the progress lines.
  const std::string awaited =
      cfg.status_contexts.empty()
          ? "a success status whose context names " + name + " (e.g. kustomization/" + name + ")"
          : "a success status matching status.contexts for " + name;
  for (;;) {
    const Observation on_sha =
        state->sha.empty() ? Observation{}
                           : observe(provider, state->sha, cfg, state->group, previous->name);
    Outcome outcome;
    outcome.branch = branch;
    outcome.pr_number = pr->number;
    // A green recorded sha decides alone, so that poll costs one request (no fetch, no base look).
    if (on_sha.verdict == Verdict::success) {
      outcome.commit = state->sha;
      outcome.message =
          "successful reconciliation for " + name + " found on \"" + state->sha + "\"";
      return outcome;
    }
    // A fix merged to the base branch after a failed rollout unblocks the gate (upstream #181).
    const std::string base_sha =
        services.repository.fetch(cfg.remote, cfg.base_branch, services.credentials);
    const Observation on_base =
        base_sha == state->sha ? Observation{}
                               : observe(provider, base_sha, cfg, state->group, previous->name);
    if (on_base.verdict == Verdict::success) {
      outcome.commit = base_sha;
      outcome.message = "successful reconciliation for " + name + " found on " + cfg.base_branch +
                        " at " + base_sha;
      return outcome;
    }
    const std::string seen = describe_seen(state->sha, on_sha, cfg.base_branch, base_sha, on_base);
    if (on_sha.verdict == Verdict::failure || on_base.verdict == Verdict::failure) {
      const std::string where = on_sha.verdict == Verdict::failure
                                    ? "\"" + state->sha + "\""
                                    : cfg.base_branch + " at " + base_sha;
      throw GateError("failed reconciliation for " + name + " found on " + where + " (" + seen +
                      ")");
    }
    if (now() >= deadline) {
      throw GateError("commit status check for " + name + " has timed out \"" + state->sha +
                      "\" (" + seen + ")");
    }
    // Each poll says how long it has waited, against what limit, and for what: a person watching
    // a CI log should not have to guess whether it hangs.
    const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(now() - started);
    services.log.info("retrying status check for " + name + " (" +
                      util::format_go_duration(elapsed) + " of " +
                      util::format_go_duration(cfg.status_timeout) + "): waiting for " + awaited +
                      " on \"" + state->sha + "\" or " + cfg.base_branch + "; " + seen);
    const util::ActivityScope activity(awaited + " (status check of pull request " +
                                       std::to_string(pr->number) + ")");
    sleep(std::chrono::duration_cast<std::chrono::milliseconds>(cfg.poll_interval));
  }
}

} // namespace gitops::commands
