#pragma once

#include "gitops/http/http_client.hpp"
#include "gitops/providers/git_provider.hpp"
#include "gitops/providers/remote_url.hpp"
#include "gitops/util/token_source.hpp"

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gitops::providers {

// Where a GitHub provider sends its requests. Both URLs have no trailing '/'.
struct GitHubEndpoints {
  std::string api_url; // REST base, e.g. https://api.github.com or https://ghes.example.com/api/v3
  std::string
      graphql_url; // e.g. https://api.github.com/graphql or https://ghes.example.com/api/graphql
};

// The endpoints for `remote`: api.github.com for github.com, `https://<host>/api/v3` (and
// `/api/graphql`) for another host; a non-empty `api_url` overrides the REST base and then GraphQL
// is
// `<api_url>/graphql` (`<host>/api/graphql` when api_url ends in /api/v3).
[[nodiscard]] GitHubEndpoints github_endpoints(const GitHubRemote &remote,
                                               std::string_view api_url = {});

// Repository facts the promotion flow may want before relying on auto-merge.
struct GitHubRepositoryInfo {
  std::string default_branch;
  bool allow_auto_merge = false;
  bool allow_merge_commit = true;
  bool allow_squash_merge = true;
  bool allow_rebase_merge = true;
};

// The GraphQL documents the provider sends (exposed so tests validate them against GitHub's
// schema). Variables: $pullRequestId: ID!, and for enabling $mergeMethod: PullRequestMergeMethod!.
inline constexpr std::string_view k_enable_auto_merge_mutation =
    "mutation EnableAutoMerge($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) {\n"
    "  enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: "
    "$mergeMethod}) {\n"
    "    pullRequest {\n"
    "      number\n"
    "      autoMergeRequest {\n"
    "        mergeMethod\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "}\n";
inline constexpr std::string_view k_disable_auto_merge_mutation =
    "mutation DisableAutoMerge($pullRequestId: ID!) {\n"
    "  disablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId}) {\n"
    "    pullRequest {\n"
    "      number\n"
    "    }\n"
    "  }\n"
    "}\n";

// The statuses and check runs of one commit, one page of its status check rollup. Variables:
// $owner: String!, $name: String!, $oid: GitObjectID! (a full sha), $cursor: String (null for the
// first page, then the previous page's endCursor).
inline constexpr std::string_view k_commit_statuses_query =
    "query CommitStatuses($owner: String!, $name: String!, $oid: GitObjectID!, $cursor: String) {\n"
    "  repository(owner: $owner, name: $name) {\n"
    "    object(oid: $oid) {\n"
    "      __typename\n"
    "      ... on Commit {\n"
    "        statusCheckRollup {\n"
    "          contexts(first: 100, after: $cursor) {\n"
    "            pageInfo {\n"
    "              hasNextPage\n"
    "              endCursor\n"
    "            }\n"
    "            nodes {\n"
    "              __typename\n"
    "              ... on StatusContext {\n"
    "                context\n"
    "                state\n"
    "                description\n"
    "              }\n"
    "              ... on CheckRun {\n"
    "                name\n"
    "                status\n"
    "                conclusion\n"
    "                title\n"
    "              }\n"
    "            }\n"
    "          }\n"
    "        }\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "}\n";

// GitHub (github.com or Enterprise Server) over REST v3 and GraphQL v4. Every request carries
// `Authorization: Bearer`, `Accept: application/vnd.github+json`, `X-GitHub-Api-Version:
// 2022-11-28` and a User-Agent. Errors become ProviderError naming the method, the path, GitHub's
// message and what to do (the missing token permission from `x-accepted-github-permissions`); never
// the token.
class GitHubProvider final : public GitProvider {
public:
  // `http` must outlive the provider. `token` must not be empty (ProviderError otherwise).
  GitHubProvider(GitHubRemote remote, std::string token, http::HttpClient &http,
                 GitHubEndpoints endpoints, std::string user_agent = "gitops-promotion");
  // The same, with the token asked of `token` before every request (a GitHub App's installation
  // token, renewed before it expires). `token` must not be null.
  GitHubProvider(GitHubRemote remote, std::shared_ptr<util::TokenSource> token,
                 http::HttpClient &http, GitHubEndpoints endpoints,
                 std::string user_agent = "gitops-promotion");

  [[nodiscard]] ProviderKind kind() const override { return ProviderKind::github; }

  // `GET /repos/{o}/{r}/pulls?state=open&head=<owner>:<head>&base=<base>&per_page=100`, every page.
  [[nodiscard]] std::optional<PullRequest> find_open_pr(const std::string &head,
                                                        const std::string &base) override;

  // POSTs a new PR; a 422 "A pull request already exists" (a retried or racing create) makes it
  // look again and update that one. The result carries `auto_merge`, so update_auto_merge needs no
  // extra GET.
  [[nodiscard]] PullRequest create_pr(const std::string &head, const std::string &base,
                                      const std::string &title,
                                      const std::string &description) override;

  // PATCHes title and body of `pr`.
  [[nodiscard]] PullRequest update_pr(const PullRequest &pr, const std::string &title,
                                      const std::string &description) override;

  // GraphQL enable/disable when `pr.auto_merge` differs from `enabled`. Throws ProviderError with
  // an actionable message, also when the PR is already mergeable (use update_auto_merge to catch
  // that).
  void set_auto_merge(const PullRequest &pr, bool enabled, config::MergeMethod method) override;

  // As set_auto_merge, but "Pull request is in clean/unstable status" → already_mergeable.
  [[nodiscard]] AutoMergeOutcome update_auto_merge(const PullRequest &pr, bool enabled,
                                                   config::MergeMethod method) override;

  // `GET /repos/{o}/{r}/commits/{sha}/pulls`: the merged PR whose merge_commit_sha is `sha`, else
  // the only merged PR listed, else std::nullopt.
  [[nodiscard]] std::optional<PullRequest>
  find_merged_pr_for_commit(const std::string &sha) override;

  // Same endpoint: the open PRs whose head commit is `sha`.
  [[nodiscard]] std::vector<PullRequest> find_open_prs_for_commit(const std::string &sha) override;

  // The commit's status check rollup in one GraphQL request per 100 entries
  // (k_commit_statuses_query): the latest status per context and the latest check runs, in
  // GitHub's order. Status states become lower case (EXPECTED → pending); check-run conclusions
  // map success/neutral/skipped → success, failure/timed_out/cancelled/action_required/
  // startup_failure → failure, anything else or not completed → pending. No rollup = no statuses.
  // ProviderError for a sha that is not a full object id, a commit GitHub does not know, or any
  // GraphQL error.
  [[nodiscard]] std::vector<CommitStatus> list_statuses(const std::string &sha) override;

  // `POST /repos/{o}/{r}/statuses/{sha}`; state must be success, failure, error or pending.
  void set_status(const std::string &sha, const CommitStatus &status) override;

  // `PUT /repos/{o}/{r}/pulls/{n}/merge` with the head sha and merge method.
  void merge_pr(const PullRequest &pr, config::MergeMethod method) override;

  // Git Data API: GET the base commit (for its tree), POST a tree with `base_tree` and inline
  // contents (a blob for non-UTF-8 content), POST the commit, PATCH the ref with force (POST when
  // the branch does not exist yet). Returns the new commit sha.
  [[nodiscard]] std::string commit_via_api(const ApiCommit &commit) override;

  // `GET /repos/{o}/{r}`: default branch and merge settings.
  [[nodiscard]] GitHubRepositoryInfo repository_info();

  [[nodiscard]] const GitHubRemote &remote() const noexcept { return m_remote; }
  [[nodiscard]] const GitHubEndpoints &endpoints() const noexcept { return m_endpoints; }

private:
  struct Call;
  [[nodiscard]] http::Response call(const Call &call);
  [[nodiscard]] http::Response send(const std::string &method, const std::string &url,
                                    const std::string &body, bool idempotent);
  [[nodiscard]] std::string repo_path() const;
  [[nodiscard]] std::string next_page(const http::Response &response) const;
  [[nodiscard]] std::vector<PullRequest> list_pulls(const std::string &path_and_query,
                                                    const std::string &what);
  // POSTs `body` to the GraphQL endpoint and returns the parsed answer; ProviderError (naming
  // `what`) for an HTTP error status or a body that is not JSON. GraphQL `errors` are the caller's.
  [[nodiscard]] nlohmann::json post_graphql(const std::string &body, const std::string &what);
  [[nodiscard]] AutoMergeOutcome send_auto_merge(const PullRequest &pr, bool enabled,
                                                 config::MergeMethod method);

  GitHubRemote m_remote;
  std::shared_ptr<util::TokenSource> m_token;
  http::HttpClient &m_http;
  GitHubEndpoints m_endpoints;
  std::string m_user_agent;
};

} // namespace gitops::providers
