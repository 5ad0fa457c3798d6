#pragma once

#include "faults.hpp"
#include "git_ops.hpp"
#include "github_apps.hpp"

#include <nlohmann/json.hpp>

#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace forge_sim {

// Flux emulation: when `branch` (default: the repository's default branch) gets a commit touching
// `<group>/<env>/`, post `kustomization/<group>-<env>[/<uid>]` with `state` after `delay_ms`.
struct FluxRule {
  std::string group;
  std::string env;
  std::string state = "success"; // success | failure | error | pending
  int delay_ms = 0;
  std::string uid;         // non-empty: the 3-segment form kustomization/<group>-<env>/<uid>
  std::string description; // empty: a Flux-like default
  std::string branch;
};

// Per-repository settings a forge administrator would change (admin endpoint).
struct RepoSettings {
  std::string default_branch = "main";
  bool allow_auto_merge = false;
  bool allow_merge_commit = true;
  bool allow_squash_merge = true;
  bool allow_rebase_merge = true;
  std::vector<std::string> required_contexts; // on every base branch
  std::vector<FluxRule> flux;
};

// A repository: a bare git repository at `<repo-root>/<owner>/<name>.git`.
struct Repo {
  std::string owner;
  std::string name;
  std::filesystem::path path;
  long id = 0;
  std::string created_at;
  RepoSettings settings;
  // Flux emulation: the last tip seen per watched branch.
  std::map<std::string, std::string> flux_seen;

  [[nodiscard]] std::string key() const { return owner + "/" + name; }
};

struct AutoMerge {
  MergeMethod method = MergeMethod::merge;
  std::string enabled_by;
  std::string enabled_at;
  std::string commit_title;
  std::string commit_message;
};

// A pull request, independent of how a forge renders it.
struct PullRequest {
  std::string repo_key;
  long number = 0;
  long id = 0;
  std::string node_id;
  std::string title;
  std::string body;
  std::string head_ref;
  std::string base_ref;
  std::string head_sha; // refreshed from the repository while open, frozen when closed
  std::string base_sha;
  std::string state = "open"; // open | closed
  bool merged = false;
  bool draft = false;
  bool maintainer_can_modify = false;
  std::string user;
  std::optional<std::string> merged_by;
  std::optional<std::string> merge_commit_sha;
  std::optional<MergeMethod> merged_with;
  std::vector<std::string> produced; // commits the merge created on the base branch
  std::string created_at;
  std::string updated_at;
  std::optional<std::string> closed_at;
  std::optional<std::string> merged_at;
  std::optional<AutoMerge> auto_merge;
};

// A commit status (GitHub statuses API; Azure DevOps commit statuses map onto it).
struct CommitStatus {
  long id = 0;
  std::string repo_key;
  std::string sha;
  std::string state; // error | failure | pending | success
  std::string context;
  std::string description;
  std::string target_url;
  std::string creator;
  std::string created_at;
};

struct CheckRun {
  long id = 0;
  std::string repo_key;
  std::string sha;
  std::string name;
  std::string status = "queued"; // queued | in_progress | completed
  std::optional<std::string> conclusion;
  std::string started_at;
  std::optional<std::string> completed_at;
  std::string external_id;
  std::string details_url;
  std::string output_title;
  std::string output_summary;
  std::string output_text;
};

// Why a merge did not happen.
enum class MergeRefusal {
  none,
  closed,             // PR is closed or merged
  head_modified,      // expected head sha differs
  method_not_allowed, // repository setting disallows the method
  checks_not_green,   // a required context is not success
  conflict,           // merging conflicts (or rebase over merge commits)
  base_moved,         // the base ref moved while merging
  head_missing,       // head branch is gone
};

// Process-wide simulator state, shared by every forge module. One mutex guards everything:
// handlers take `lock()` for the duration of a request (git operations included).
class State {
public:
  State(std::filesystem::path repo_root, std::string user);

  [[nodiscard]] std::unique_lock<std::mutex> lock() {
    return std::unique_lock<std::mutex>(m_mutex);
  }

  // The repository `owner/name`, registering one found on disk on first use; nullptr when absent.
  Repo *find_repo(const std::string &owner, const std::string &name);
  // Creates (or registers) `owner/name`, with a first commit of `files` when non-empty.
  Repo &create_repo(const std::string &owner, const std::string &name,
                    const std::string &default_branch,
                    const std::map<std::string, std::string> &files);
  [[nodiscard]] GitRepo open_git(const Repo &repo) const;

  [[nodiscard]] PullRequest *find_pr(const std::string &repo_key, long number);
  [[nodiscard]] PullRequest *find_pr_by_node_id(const std::string &node_id);
  // Opens a PR (validation is the caller's job) and returns it.
  PullRequest &add_pr(const Repo &repo, std::string title, std::string body, std::string head_ref,
                      std::string base_ref, bool draft, bool maintainer_can_modify);
  // Re-reads head and base tips of an open PR from the repository.
  void refresh(PullRequest &pr, const GitRepo &git);
  [[nodiscard]] std::vector<PullRequest *> prs_of(const std::string &repo_key);

  CommitStatus &add_status(const Repo &repo, const std::string &sha, std::string state,
                           std::string context, std::string description, std::string target_url,
                           std::string creator);
  // Statuses of `sha`, newest first.
  [[nodiscard]] std::vector<const CommitStatus *> statuses_of(const std::string &repo_key,
                                                              const std::string &sha) const;
  CheckRun &add_check_run(CheckRun run);
  // Check runs of `sha`, newest first.
  [[nodiscard]] std::vector<const CheckRun *> check_runs_of(const std::string &repo_key,
                                                            const std::string &sha) const;

  // Required contexts of `repo` that have no success (latest status or completed check run) on
  // `sha`.
  [[nodiscard]] std::vector<std::string> missing_contexts(const Repo &repo,
                                                          const std::string &sha) const;
  [[nodiscard]] bool method_allowed(const Repo &repo, MergeMethod method) const;

  // Merges `pr` now. `expected_head` (when given) must equal the head tip. Title/message override
  // the forge's default commit message. Returns MergeRefusal::none on success.
  MergeRefusal merge_pr(PullRequest &pr, MergeMethod method,
                        const std::optional<std::string> &expected_head,
                        const std::optional<std::string> &commit_title,
                        const std::optional<std::string> &commit_message, bool check_contexts);
  // Merges every open auto-merge PR whose required contexts are green. Returns how many merged.
  int evaluate_auto_merge();

  // Request accounting and faults (all non-admin requests).
  void count_request(const std::string &key);
  [[nodiscard]] nlohmann::json request_counts() const;
  void reset_counters();
  Faults &faults() { return m_faults; }
  // GitHub Apps, their installations and the installation tokens minted so far.
  GitHubApps &apps() { return m_apps; }

  // Everything, for the admin endpoint.
  [[nodiscard]] nlohmann::json dump() const;

  [[nodiscard]] const std::string &user() const { return m_user; }
  [[nodiscard]] const std::filesystem::path &repo_root() const { return m_repo_root; }
  [[nodiscard]] std::map<std::string, Repo> &repos() { return m_repos; }
  [[nodiscard]] long next_id() { return m_next_id++; }

private:
  std::mutex m_mutex;
  std::filesystem::path m_repo_root;
  std::string m_user;
  long m_next_id = 1000;
  std::map<std::string, Repo> m_repos;
  std::deque<PullRequest> m_prs;
  std::deque<CommitStatus> m_statuses;
  std::deque<CheckRun> m_check_runs;
  std::map<std::string, long> m_counts;
  Faults m_faults;
  GitHubApps m_apps;
};

// UTC now as "YYYY-MM-DDTHH:MM:SSZ".
[[nodiscard]] std::string now_iso();
// "merge" | "squash" | "rebase" ↔ MergeMethod (nullopt for anything else, case-insensitive).
[[nodiscard]] std::optional<MergeMethod> parse_merge_method(const std::string &text);
[[nodiscard]] std::string to_string(MergeMethod method);

} // namespace forge_sim
