#pragma once

#include "gitops/providers/git_provider.hpp"
#include "gitops/util/error.hpp"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace gitops::test {

// A GitProvider that records every call and answers from canned data; commands tests use it with a
// real temporary repository.
class FakeProvider final : public providers::GitProvider {
public:
  std::vector<std::string> calls; // "method head base" etc., in call order
  std::optional<providers::PullRequest> open_pr;
  long next_number = 1;
  std::optional<providers::PullRequest> merged_pr;         // find_merged_pr_for_commit
  bool merged_lookup_fails = false;                        // ... throws ProviderError
  std::vector<providers::PullRequest> open_prs_for_commit; // find_open_prs_for_commit
  bool already_mergeable = false;                          // update_auto_merge(on) refuses
  bool update_fails = false;                               // update_pr throws ProviderError
  std::function<void()> before_update;                     // runs as update_pr starts (races)
  // When set, update_auto_merge(on) runs it once and then throws ProviderError, as a forge
  // refusing to schedule the merge of a head that moved (Gitea's head_commit_id check).
  std::function<void()> refuse_auto_merge;
  std::string auto_merge_head; // the head update_auto_merge(on) was last asked to merge
  std::string head_sha;        // what the forge reports as the PR's head (empty: unknown)
  // list_statuses answers: per sha, a list of answers consumed one per call (the last repeats).
  std::map<std::string, std::vector<std::vector<providers::CommitStatus>>> statuses;

  [[nodiscard]] providers::ProviderKind kind() const override {
    return providers::ProviderKind::github;
  }
  std::optional<providers::PullRequest> find_open_pr(const std::string &head,
                                                     const std::string &base) override {
    calls.push_back("find_open_pr " + head + " " + base);
    return open_pr;
  }
  providers::PullRequest create_pr(const std::string &head, const std::string &base,
                                   const std::string &title,
                                   const std::string &description) override {
    calls.push_back("create_pr " + head + " " + base);
    if (open_pr && open_pr->head_branch == head) {
      open_pr->title = title;
      open_pr->description = description;
      return *open_pr;
    }
    providers::PullRequest pr;
    pr.number = next_number++;
    pr.head_branch = head;
    pr.base_branch = base;
    pr.head_sha = head_sha;
    pr.title = title;
    pr.description = description;
    pr.state = providers::PrState::open;
    open_pr = pr;
    return pr;
  }
  providers::PullRequest update_pr(const providers::PullRequest &pr, const std::string &title,
                                   const std::string &description) override {
    calls.push_back("update_pr " + std::to_string(pr.number));
    if (before_update) {
      const std::function<void()> race = std::move(before_update);
      before_update = nullptr;
      race();
    }
    if (update_fails) {
      throw ProviderError("PATCH /pulls/" + std::to_string(pr.number) + ": 500 Server Error");
    }
    if (!open_pr || open_pr->number != pr.number) {
      throw ProviderError("update_pr: no open pull request " + std::to_string(pr.number));
    }
    open_pr->title = title;
    open_pr->description = description;
    if (!head_sha.empty()) {
      open_pr->head_sha = head_sha;
    }
    return *open_pr;
  }
  void set_auto_merge(const providers::PullRequest &pr, bool enabled,
                      config::MergeMethod /*method*/) override {
    calls.push_back("set_auto_merge " + std::to_string(pr.number) + (enabled ? " on" : " off"));
    if (open_pr && open_pr->number == pr.number) {
      open_pr->auto_merge = enabled;
    }
  }
  providers::AutoMergeOutcome update_auto_merge(const providers::PullRequest &pr, bool enabled,
                                                config::MergeMethod method) override {
    if (enabled) {
      auto_merge_head = pr.head_sha;
    }
    if (enabled && refuse_auto_merge) {
      const std::function<void()> race = std::move(refuse_auto_merge);
      refuse_auto_merge = nullptr;
      race();
      calls.push_back("update_auto_merge " + std::to_string(pr.number) + " refused");
      throw ProviderError("POST /pulls/" + std::to_string(pr.number) +
                          "/merge answered 409 (head out of date)");
    }
    if (enabled && already_mergeable && !pr.auto_merge) {
      calls.push_back("update_auto_merge " + std::to_string(pr.number) + " already mergeable");
      return providers::AutoMergeOutcome::already_mergeable;
    }
    return GitProvider::update_auto_merge(pr, enabled, method);
  }
  std::optional<providers::PullRequest> find_merged_pr_for_commit(const std::string &sha) override {
    calls.push_back("find_merged_pr_for_commit " + sha);
    if (merged_lookup_fails) {
      throw ProviderError("GET /pulls: 401 Bad credentials");
    }
    return merged_pr;
  }
  std::vector<providers::PullRequest> find_open_prs_for_commit(const std::string &sha) override {
    calls.push_back("find_open_prs_for_commit " + sha);
    return open_prs_for_commit;
  }
  std::vector<providers::CommitStatus> list_statuses(const std::string &sha) override {
    calls.push_back("list_statuses " + sha);
    auto it = statuses.find(sha);
    if (it == statuses.end() || it->second.empty()) {
      return {};
    }
    std::vector<providers::CommitStatus> answer = it->second.front();
    if (it->second.size() > 1) {
      it->second.erase(it->second.begin());
    }
    return answer;
  }
  void set_status(const std::string &sha, const providers::CommitStatus &status) override {
    calls.push_back("set_status " + sha + " " + status.context);
  }
  void merge_pr(const providers::PullRequest &pr, config::MergeMethod /*method*/) override {
    calls.push_back("merge_pr " + std::to_string(pr.number));
  }
  std::string commit_via_api(const providers::ApiCommit &commit) override {
    calls.push_back("commit_via_api " + commit.branch + " " + commit.base_sha);
    head_sha = std::string(40, 'f'); // the forge's branch now points there
    return head_sha;
  }
};

} // namespace gitops::test
