#pragma once

#include "gitops/http/http_client.hpp"
#include "gitops/providers/git_provider.hpp"
#include "gitops/util/token_source.hpp"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gitops::providers {

// A project on a GitLab server (gitlab.com or self-managed).
struct GitLabRemote {
  std::string api_url; // REST base without trailing '/', e.g. https://gitlab.com/api/v4
  std::string project; // full path with subgroups, e.g. group/sub/project (no ".git")
};

// Parses a GitLab remote: `https://HOST[:PORT]/GROUP[/SUBGROUP…]/PROJECT(.git)`,
// `git@HOST:GROUP/…/PROJECT(.git)` or `ssh://git@HOST[:PORT]/…`. The API is
// `https://HOST[:PORT]/api/v4` (http for an http remote; ssh remotes use https://HOST/api/v4). A
// non-empty `api_url` replaces it; when it has a path before `/api/v4` (a relative URL root such as
// https://host/gitlab/api/v4) and the remote's path starts with that root, the root is not part of
// the project path. Throws ProviderError for a path without a group.
[[nodiscard]] GitLabRemote parse_gitlab_remote(std::string_view url, std::string_view api_url = {});

// GitLab's merge requests over REST v4. A token that starts with `glcbt-` (a CI job token,
// $CI_JOB_TOKEN) travels in `JOB-TOKEN`, any other (personal, project or group access token) in
// `PRIVATE-TOKEN`. Errors become ProviderError naming the method, the path, GitLab's message and
// what to do (the `api` scope and the Developer role); never the token. PullRequest::number is the
// merge request's iid.
class GitLabProvider final : public GitProvider {
public:
  // `http` must outlive the provider; `token` must not be null (ProviderError otherwise).
  GitLabProvider(GitLabRemote remote, std::shared_ptr<util::TokenSource> token,
                 http::HttpClient &http, std::string user_agent = "gitops-promotion");

  [[nodiscard]] ProviderKind kind() const override { return ProviderKind::gitlab; }

  // `GET /projects/:id/merge_requests?state=opened&source_branch=&target_branch=`, every page.
  [[nodiscard]] std::optional<PullRequest> find_open_pr(const std::string &head,
                                                        const std::string &base) override;

  // `POST /projects/:id/merge_requests`; a 409 "already exists" (a retried or racing create)
  // updates the open one instead.
  [[nodiscard]] PullRequest create_pr(const std::string &head, const std::string &base,
                                      const std::string &title,
                                      const std::string &description) override;

  // `PUT /projects/:id/merge_requests/:iid` with title and description.
  [[nodiscard]] PullRequest update_pr(const PullRequest &pr, const std::string &title,
                                      const std::string &description) override;

  // As update_auto_merge; ProviderError for AutoMergeOutcome::already_mergeable.
  void set_auto_merge(const PullRequest &pr, bool enabled, config::MergeMethod method) override;

  // On: when the project lets merge requests merge only after their pipeline succeeds
  // (`only_allow_merge_if_pipeline_succeeds`), `PUT …/merge` with `auto_merge` (and its older
  // name `merge_when_pipeline_succeeds`), the head sha and `squash` for the squash method (a 405,
  // GitLab still checking a new merge request, is asked again up to 4 times);
  // otherwise AutoMergeOutcome::already_mergeable and nothing is sent (GitLab would merge at once,
  // before the status gate ran). Off: `POST …/cancel_merge_when_pipeline_succeeds`. Only sends
  // when `pr.auto_merge` (GitLab's `merge_when_pipeline_succeeds`) differs from `enabled`.
  [[nodiscard]] AutoMergeOutcome update_auto_merge(const PullRequest &pr, bool enabled,
                                                   config::MergeMethod method) override;

  // `GET /projects/:id/repository/commits/:sha/merge_requests`: the merged one whose merge, squash
  // or (fast-forward) head commit is `sha`, else the only merged one listed.
  [[nodiscard]] std::optional<PullRequest>
  find_merged_pr_for_commit(const std::string &sha) override;

  // Same endpoint: the open merge requests whose head commit is `sha`.
  [[nodiscard]] std::vector<PullRequest> find_open_prs_for_commit(const std::string &sha) override;

  // `GET /projects/:id/repository/commits/:sha/statuses` (the latest per name), every page; `name`
  // is the context. success/skipped → success, failed → failure, canceled → error, anything else
  // (created, pending, running, manual, …) → pending.
  [[nodiscard]] std::vector<CommitStatus> list_statuses(const std::string &sha) override;

  // `POST /projects/:id/statuses/:sha`; failure and error are sent as failed.
  void set_status(const std::string &sha, const CommitStatus &status) override;

  // `PUT /projects/:id/merge_requests/:iid/merge` with the head sha (`squash` for the squash
  // method; how the rest merges is the project's merge method).
  void merge_pr(const PullRequest &pr, config::MergeMethod method) override;

  // One `POST /projects/:id/repository/commits` on `start_sha` = `base_sha` with `force`, so the
  // branch is replaced by exactly one commit on the base; each file is "update" or "create"
  // depending on whether it exists at the base (`GET …/repository/files/:path?ref=`), removals
  // are "delete", contents base64. Returns the new commit sha.
  [[nodiscard]] std::string commit_via_api(const ApiCommit &commit) override;

  [[nodiscard]] const GitLabRemote &remote() const noexcept { return m_remote; }

  // The pause before the n-th repeat of a 405 to "set auto-merge" is n × `delay` (1 s by default;
  // tests shorten it).
  void set_retry_delay(std::chrono::milliseconds delay) noexcept { m_retry_delay = delay; }

private:
  struct Call;
  [[nodiscard]] http::Response call(const Call &call);
  [[nodiscard]] std::string project_path() const;
  // GETs `path` and every `rel="next"` page after it (on the API's own origin), handing each
  // parsed body to `on_page`.
  void each_page(std::string path, const std::string &what,
                 const std::function<void(const nlohmann::json &)> &on_page);
  [[nodiscard]] std::vector<PullRequest> merge_requests_of(const std::string &sha,
                                                           const std::string &what);
  [[nodiscard]] bool pipeline_must_succeed();

  GitLabRemote m_remote;
  std::shared_ptr<util::TokenSource> m_token;
  http::HttpClient &m_http;
  std::string m_user_agent;
  std::chrono::milliseconds m_retry_delay{1000};
};

} // namespace gitops::providers
