#pragma once

#include "gitops/http/http_client.hpp"
#include "gitops/providers/azdo_url.hpp"
#include "gitops/providers/git_provider.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gitops::providers {

// The Azure DevOps REST api-version every request carries.
inline constexpr std::string_view k_azdo_api_version = "7.1";

// The identity id that clears auto-complete when sent as `autoCompleteSetBy`.
inline constexpr std::string_view k_azdo_null_identity = "00000000-0000-0000-0000-000000000000";

// Azure DevOps Services / Server over REST api-version 7.1 with `Authorization: Basic base64(":" +
// PAT)` (a pipeline's System.AccessToken works the same way). Paths use the spelling of Microsoft's
// spec
// (`pullrequests` for create/get/update, `pullrequestquery`, `commits/{id}/statuses`, `pushes`,
// `refs`).
//
// Mappings chosen here:
// - PR state: active → open, abandoned → closed, completed → merged; `auto_merge` is true when
//   `autoCompleteSetBy` names a non-null identity.
// - Status contexts: Flux (genre `fluxcd`, or newer `fluxcd:<summary>`) and genre-less statuses
// report
//   just their `name` (e.g. `kustomization/apps-dev`, like Flux's GitHub statuses); any other genre
//   reports `<genre>/<name>`. set_status posts genre `fluxcd` with name = context (as Flux and
//   upstream do), so list_statuses reads back the same context. States: succeeded → success, failed
//   → failure, error → error, pending/notSet → pending; notApplicable statuses are left out.
// - Merge methods: merge → noFastForward, squash → squash, rebase → rebase; completion always
//   deletes the source branch.
// - commit_via_api (Pushes API, for shallow clones): the new commit's parent is the push's
//   `oldObjectId`, so the commit is built on `base_sha`. A missing branch is first created at
//   base_sha (refs API); a branch already at base_sha is pushed to directly; a branch elsewhere
//   gets the commit on a temporary branch `refs/heads/gitops-promotion-tmp/<hex>` created at
//   base_sha, then ONE refs call moves the branch from its old commit straight to the new one
//   (compare-and-swap on the old id; needs the "Force push" permission) and deletes the temporary
//   branch, so an open PR never sees the branch at base_sha with no changes.
// Errors: 401, a 203 HTML sign-in page or a redirect to sign-in → "token rejected";
// TF401019/TF401027 and 403 → missing permission or repository; TF402xxx and policy rejections →
// names the policy message; anything else → ProviderError with method, URL (never the token),
// status and Azure's `message`.
class AzdoProvider final : public GitProvider {
public:
  // `http` must outlive the provider. Sends no request.
  AzdoProvider(AzdoRepo repo, std::string token, http::HttpClient &http,
               std::string user_agent = "gitops-promotion");

  [[nodiscard]] ProviderKind kind() const override { return ProviderKind::azdo; }

  [[nodiscard]] std::optional<PullRequest> find_open_pr(const std::string &head,
                                                        const std::string &base) override;
  [[nodiscard]] PullRequest create_pr(const std::string &head, const std::string &base,
                                      const std::string &title,
                                      const std::string &description) override;
  [[nodiscard]] PullRequest update_pr(const PullRequest &pr, const std::string &title,
                                      const std::string &description) override;
  void set_auto_merge(const PullRequest &pr, bool enabled, config::MergeMethod method) override;
  [[nodiscard]] std::optional<PullRequest>
  find_merged_pr_for_commit(const std::string &sha) override;
  [[nodiscard]] std::vector<PullRequest> find_open_prs_for_commit(const std::string &sha) override;
  [[nodiscard]] std::vector<CommitStatus> list_statuses(const std::string &sha) override;
  void set_status(const std::string &sha, const CommitStatus &status) override;
  void merge_pr(const PullRequest &pr, config::MergeMethod method) override;
  [[nodiscard]] std::string commit_via_api(const ApiCommit &commit) override;

  // The repository this provider talks to.
  [[nodiscard]] const AzdoRepo &repo() const noexcept { return m_repo; }

  // Items per page for list calls ($top / top); default 100. For tests of paging.
  void set_page_size(int page_size) { m_page_size = page_size < 1 ? 1 : page_size; }

private:
  struct Reply;
  using Query = std::vector<std::pair<std::string, std::string>>;

  Reply call(const std::string &method, const std::string &sub_path, const Query &query,
             const std::optional<std::string> &body, bool idempotent, const std::string &action,
             bool allow_not_found = false);
  [[nodiscard]] std::string url(const std::string &sub_path, const Query &query) const;
  std::vector<PullRequest> list_prs(const Query &criteria);
  std::string creator_of(const PullRequest &pr);
  std::optional<std::string> branch_head(const std::string &branch);
  bool item_exists(const std::string &path, const std::string &commit);
  // POSTs ref updates; throws naming the first refused one, except `best_effort_ref`.
  void update_refs(const std::string &body, const std::string &action,
                   const std::string &best_effort_ref = {});
  PullRequest remember(PullRequest pr, const std::string &creator);

  AzdoRepo m_repo;
  std::string m_repo_url;
  std::string m_authorization;
  std::string m_user_agent;
  http::HttpClient &m_http;
  int m_page_size = 100;
  std::map<long, std::string> m_creators; // pullRequestId → createdBy.id seen in answers
};

} // namespace gitops::providers
