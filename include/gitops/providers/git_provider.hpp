#pragma once

#include "gitops/config/config.hpp"
#include "gitops/util/identity.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gitops::providers {

enum class ProviderKind { github, azdo, gitea, gitlab };

// Where a pull request is: open, closed without merging, or merged.
enum class PrState { open, closed, merged };

// A commit status as the gate reads it; every forge's states are mapped onto these four.
enum class StatusState { success, failure, error, pending };

// "open", "closed" or "merged".
[[nodiscard]] constexpr std::string_view to_string(PrState state) {
  switch (state) {
  case PrState::open:
    return "open";
  case PrState::closed:
    return "closed";
  case PrState::merged:
    return "merged";
  }
  return "open";
}

// "success", "failure", "error" or "pending".
[[nodiscard]] constexpr std::string_view to_string(StatusState state) {
  switch (state) {
  case StatusState::success:
    return "success";
  case StatusState::failure:
    return "failure";
  case StatusState::error:
    return "error";
  case StatusState::pending:
    return "pending";
  }
  return "pending";
}

// The state named by `text` as to_string writes it, or std::nullopt.
[[nodiscard]] constexpr std::optional<StatusState> parse_status_state(std::string_view text) {
  for (const StatusState state :
       {StatusState::success, StatusState::failure, StatusState::error, StatusState::pending}) {
    if (to_string(state) == text) {
      return state;
    }
  }
  return std::nullopt;
}

// A pull request as both forges describe it, reduced to what promotion needs.
struct PullRequest {
  long number = 0; // GitHub number / Azure DevOps pullRequestId
  std::string id;  // GitHub node_id (GraphQL); Azure DevOps: the number as text
  std::string title;
  std::string description; // may be empty
  std::string head_branch; // short name, e.g. promote/webshop-cart
  std::string base_branch; // short name, e.g. main
  std::string head_sha;
  std::string url; // web URL for people
  PrState state = PrState::open;
  bool auto_merge = false; // auto-merge / auto-complete is set (Gitea: may be set, see there)
  std::optional<std::string> merge_commit;
};

// One health status of a commit, normalised across forges.
struct CommitStatus {
  // GitHub `context` or check-run name; Azure DevOps `name` when the genre is `fluxcd`, `fluxcd:*`
  // or empty, else `genre/name`.
  std::string context;
  StatusState state = StatusState::pending; // each forge's states mapped
  std::string description;
};

// A file change for committing through the API (shallow checkouts).
struct FileChange {
  std::string path;
  std::string content;
  bool remove = false; // delete the file at `path` (content unused)
};

// A commit a forge makes through its API (shallow clones, which libgit2 cannot push from).
struct ApiCommit {
  std::string branch;      // refs/heads/<branch> is force-pointed at the new commit
  std::string base_branch; // the branch `base_sha` was read from (Gitea starts the change there)
  std::string base_sha;    // the new commit's parent
  std::vector<FileChange> changes;
  std::string message;
  util::Identity author; // author and committer
};

// What update_auto_merge did.
enum class AutoMergeOutcome {
  changed,          // auto-merge was turned on or off as asked
  unchanged,        // it already was in the asked state: no request was sent
  already_mergeable // the forge refused because the PR can be merged right now: merge it directly
};

// One forge. Every method throws ProviderError (with the HTTP status and an actionable message) or
// HttpError on failure; "nothing found" is std::nullopt or an empty list, never an exception.
class GitProvider {
public:
  virtual ~GitProvider() = default;

  [[nodiscard]] virtual ProviderKind kind() const = 0;

  // The open PR from `head` into `base`, or std::nullopt. Looks at every page.
  [[nodiscard]] virtual std::optional<PullRequest> find_open_pr(const std::string &head,
                                                                const std::string &base) = 0;

  // Opens a PR from `head` into `base`. When one is already open (a retried or racing create),
  // updates that one instead: never two.
  [[nodiscard]] virtual PullRequest create_pr(const std::string &head, const std::string &base,
                                              const std::string &title,
                                              const std::string &description) = 0;

  // Sets title and description of the open PR `pr`; returns it as the forge now describes it
  // (head_sha included).
  [[nodiscard]] virtual PullRequest update_pr(const PullRequest &pr, const std::string &title,
                                              const std::string &description) = 0;

  // update_pr on the open PR from `head` into `base`, or create_pr when there is none.
  [[nodiscard]] PullRequest create_or_update_pr(const std::string &head, const std::string &base,
                                                const std::string &title,
                                                const std::string &description) {
    if (const std::optional<PullRequest> open = find_open_pr(head, base)) {
      return update_pr(*open, title, description);
    }
    return create_pr(head, base, title, description);
  }

  // Turns auto-merge (GitHub) / auto-complete (Azure DevOps) on with `method`, or off.
  virtual void set_auto_merge(const PullRequest &pr, bool enabled, config::MergeMethod method) = 0;

  // Like set_auto_merge, but reports a PR that is already mergeable (GitHub: "clean status") as
  // AutoMergeOutcome::already_mergeable instead of throwing, so the caller can merge it directly.
  // Only sends a request when `pr.auto_merge` differs from `enabled`. The default forwards to
  // set_auto_merge.
  [[nodiscard]] virtual AutoMergeOutcome update_auto_merge(const PullRequest &pr, bool enabled,
                                                           config::MergeMethod method) {
    if (pr.auto_merge == enabled) {
      return AutoMergeOutcome::unchanged;
    }
    set_auto_merge(pr, enabled, method);
    return AutoMergeOutcome::changed;
  }

  // The merged PR whose merge (or squash/rebase result) is commit `sha`, or std::nullopt when the
  // commit did not come from a PR.
  [[nodiscard]] virtual std::optional<PullRequest>
  find_merged_pr_for_commit(const std::string &sha) = 0;

  // Open PRs whose head commit is `sha` (status gate on a detached HEAD).
  [[nodiscard]] virtual std::vector<PullRequest>
  find_open_prs_for_commit(const std::string &sha) = 0;

  // Every status of commit `sha` (all pages; GitHub check runs included), newest first.
  [[nodiscard]] virtual std::vector<CommitStatus> list_statuses(const std::string &sha) = 0;

  // Posts a status on `sha` (tests, the simulator's Flux role, and users who want one).
  virtual void set_status(const std::string &sha, const CommitStatus &status) = 0;

  // Merges `pr` now with `method`, requiring its head to still be `pr.head_sha`.
  virtual void merge_pr(const PullRequest &pr, config::MergeMethod method) = 0;

  // Creates `commit` on top of its base_sha and force-points refs/heads/<branch> at it, all
  // through the API. Returns the new commit id.
  [[nodiscard]] virtual std::string commit_via_api(const ApiCommit &commit) = 0;
};

} // namespace gitops::providers
