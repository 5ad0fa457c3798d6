#pragma once

#include "gitops/http/http_client.hpp"
#include "gitops/providers/git_provider.hpp"
#include "gitops/util/token_source.hpp"

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gitops::providers {

// owner/repo on a Gitea or Forgejo server.
struct GiteaRemote {
  std::string api_url; // REST base without trailing '/', e.g. https://codeberg.org/api/v1
  std::string owner;
  std::string repo; // without ".git"
};

// Parses a Gitea/Forgejo remote: `https://HOST[:PORT][/SUBPATH]/OWNER/REPO(.git)`,
// `git@HOST:OWNER/REPO(.git)` or `ssh://git@HOST[:PORT]/OWNER/REPO(.git)`. The API base is
// `https://HOST[:PORT][/SUBPATH]/api/v1` (http for an http remote; an ssh port is not the web
// server's, so ssh remotes use https://HOST/api/v1); a non-empty `api_url` replaces it. Throws
// ProviderError for a URL with fewer than two path segments.
[[nodiscard]] GiteaRemote parse_gitea_remote(std::string_view url, std::string_view api_url = {});

// Gitea and Forgejo (one API, /api/v1) over REST. Every request carries `Authorization: token
// <token>`, `Accept: application/json` and a User-Agent. Errors become ProviderError naming the
// method, the path, the server's message and what to do (the token scope write:repository);
// never the token.
//
// Auto-merge is Gitea's "merge when checks succeed": a pull request's JSON does not say whether
// one is scheduled, so PullRequest::auto_merge is true for every open PR here ("may be on": a
// caller that needs it off turns it off), and update_auto_merge and set_auto_merge always ask the
// server (an unchanged state costs one request, never a change).
class GiteaProvider final : public GitProvider {
public:
  // `http` must outlive the provider; `token` must not be null (ProviderError otherwise).
  GiteaProvider(GiteaRemote remote, std::shared_ptr<util::TokenSource> token,
                http::HttpClient &http, std::string user_agent = "gitops-promotion");

  [[nodiscard]] ProviderKind kind() const override { return ProviderKind::gitea; }

  // `GET /repos/{o}/{r}/pulls?state=open&base_branch=<base>&limit=50`, every page; the one whose
  // head is `head` in this repository (not a fork).
  [[nodiscard]] std::optional<PullRequest> find_open_pr(const std::string &head,
                                                        const std::string &base) override;

  // `POST /repos/{o}/{r}/pulls`; a 409 "already exists" (a retried or racing create) updates the
  // open one instead.
  [[nodiscard]] PullRequest create_pr(const std::string &head, const std::string &base,
                                      const std::string &title,
                                      const std::string &description) override;

  // `PATCH /repos/{o}/{r}/pulls/{n}` with title and body.
  [[nodiscard]] PullRequest update_pr(const PullRequest &pr, const std::string &title,
                                      const std::string &description) override;

  // On: `POST …/pulls/{n}/merge` with merge_when_checks_succeed (ProviderError when the base
  // branch requires no status check, because Gitea would then merge at once). Off: `DELETE
  // …/pulls/{n}/merge` (404, nothing scheduled, is fine).
  void set_auto_merge(const PullRequest &pr, bool enabled, config::MergeMethod method) override;

  // As set_auto_merge, but a base branch without required status checks (Gitea would merge at
  // once, before the status gate ran) is AutoMergeOutcome::already_mergeable and nothing is sent;
  // "already scheduled" (409) and "nothing scheduled" (404) are AutoMergeOutcome::unchanged.
  [[nodiscard]] AutoMergeOutcome update_auto_merge(const PullRequest &pr, bool enabled,
                                                   config::MergeMethod method) override;

  // `GET /repos/{o}/{r}/commits/{sha}/pull`: the merged PR whose merge (squash, rebase or
  // fast-forward) result is `sha`; 404 is std::nullopt.
  [[nodiscard]] std::optional<PullRequest>
  find_merged_pr_for_commit(const std::string &sha) override;

  // The open PRs (every page) whose head commit is `sha`.
  [[nodiscard]] std::vector<PullRequest> find_open_prs_for_commit(const std::string &sha) override;

  // `GET /repos/{o}/{r}/commits/{sha}/status` (the latest status per context), every page.
  // States: success, failure, error and pending as they are; warning → failure; skipped →
  // success; anything else → pending.
  [[nodiscard]] std::vector<CommitStatus> list_statuses(const std::string &sha) override;

  // `POST /repos/{o}/{r}/statuses/{sha}`; state must be success, failure, error or pending.
  void set_status(const std::string &sha, const CommitStatus &status) override;

  // `POST /repos/{o}/{r}/pulls/{n}/merge` with `do` and head_commit_id = `pr.head_sha`.
  void merge_pr(const PullRequest &pr, config::MergeMethod method) override;

  // One `POST /repos/{o}/{r}/contents` from the base branch (config.base_branch) to `branch` with
  // force_push: each changed file as "update" carrying its blob id at `base_sha` (so Gitea refuses
  // when the base branch changed that file since; "create" for a new file), removals as "delete".
  // The blob ids come from `GET …/contents/{path}?ref=<base_sha>`. Returns the new commit sha.
  [[nodiscard]] std::string commit_via_api(const ApiCommit &commit) override;

  [[nodiscard]] const GiteaRemote &remote() const noexcept { return m_remote; }

private:
  struct Call;
  [[nodiscard]] http::Response call(const Call &call);
  [[nodiscard]] std::string repo_path() const;
  // GETs `path` and every `rel="next"` page after it (on the API's own origin), handing each
  // parsed body to `on_page`.
  void each_page(std::string path, const std::string &what,
                 const std::function<void(const nlohmann::json &)> &on_page);
  [[nodiscard]] std::vector<PullRequest> open_pulls(const std::string &base,
                                                    const std::string &what);
  // Whether the base branch requires status checks (Gitea merges "when checks succeed" at once
  // otherwise).
  [[nodiscard]] bool base_requires_checks(const std::string &base);
  // The blob id of `path` at `ref`, or std::nullopt when there is no such file.
  [[nodiscard]] std::optional<std::string> blob_id(const std::string &path, const std::string &ref,
                                                   const std::string &what);

  GiteaRemote m_remote;
  std::shared_ptr<util::TokenSource> m_token;
  http::HttpClient &m_http;
  std::string m_user_agent;
};

} // namespace gitops::providers
