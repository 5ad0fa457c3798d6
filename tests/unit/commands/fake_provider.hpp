#pragma once

#include "gitops/providers/git_provider.hpp"

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

  [[nodiscard]] providers::ProviderKind kind() const override {
    return providers::ProviderKind::github;
  }
  std::optional<providers::PullRequest> find_open_pr(const std::string &head,
                                                     const std::string &base) override {
    calls.push_back("find_open_pr " + head + " " + base);
    return open_pr;
  }
  providers::PullRequest create_or_update_pr(const std::string &head, const std::string &base,
                                             const std::string &title,
                                             const std::string &description) override {
    calls.push_back("create_or_update_pr " + head + " " + base);
    providers::PullRequest pr;
    pr.number = next_number++;
    pr.head_branch = head;
    pr.base_branch = base;
    pr.title = title;
    pr.description = description;
    pr.state = "open";
    open_pr = pr;
    return pr;
  }
  void set_auto_merge(const providers::PullRequest &pr, bool enabled,
                      config::MergeMethod /*method*/) override {
    calls.push_back("set_auto_merge " + std::to_string(pr.number) + (enabled ? " on" : " off"));
  }
  std::optional<providers::PullRequest> find_merged_pr_for_commit(const std::string &sha) override {
    calls.push_back("find_merged_pr_for_commit " + sha);
    return std::nullopt;
  }
  std::vector<providers::PullRequest> find_open_prs_for_commit(const std::string &sha) override {
    calls.push_back("find_open_prs_for_commit " + sha);
    return {};
  }
  std::vector<providers::CommitStatus> list_statuses(const std::string &sha) override {
    calls.push_back("list_statuses " + sha);
    return {};
  }
  void set_status(const std::string &sha, const providers::CommitStatus &status) override {
    calls.push_back("set_status " + sha + " " + status.context);
  }
  void merge_pr(const providers::PullRequest &pr, config::MergeMethod /*method*/) override {
    calls.push_back("merge_pr " + std::to_string(pr.number));
  }
  std::string commit_via_api(const std::string &branch, const std::string &base_sha,
                             const std::vector<providers::FileChange> & /*changes*/,
                             const std::string & /*message*/,
                             const config::Config & /*config*/) override {
    calls.push_back("commit_via_api " + branch + " " + base_sha);
    return std::string(40, 'f');
  }
};

} // namespace gitops::test
