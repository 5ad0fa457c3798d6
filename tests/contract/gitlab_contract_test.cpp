// The GitLab provider against the forge simulator's GitLab module, through Prism 5.14.2 as a
// validating proxy with GitLab's OpenAPI v2 description (tests/data/specs/gitlab): every request
// the provider sends and every answer the simulator gives must satisfy the description.
#include "support/sim_repo.hpp"
#include "support/validating_client.hpp"

#include "gitops/http/curl_http_client.hpp"
#include "gitops/providers/gitlab_provider.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace gitops::contract {
namespace {

using providers::AutoMergeOutcome;
using providers::GitLabProvider;
using ::testing::IsEmpty;

constexpr const char *k_token = "contract-gitlab-token";
// A project in a subgroup: its id travels URL-encoded through two namespace levels.
constexpr const char *k_owner = "acme/platform";

class GitLabContract : public ProviderContract<GitLabContract> {
public:
  static SimulatedRepoSetup setup() {
    return {"gitlab",
            "tests/data/specs/gitlab/gitlab-v4.trimmed.json",
            k_token,
            k_owner,
            "gitops",
            {{"README.md", "hello\n"},
             {"apps/dev/web.yaml", "image: web:1.0\n"},
             {"apps/dev/old.yaml", "old: true\n"},
             {"apps/qa/web.yaml", "image: web:1.0\n"}}};
  }

protected:
  void SetUp() override {
    ProviderContract::SetUp();
    if (IsSkipped()) {
      return;
    }
    m_provider = std::make_unique<GitLabProvider>(
        providers::parse_gitlab_remote(std::string("https://gitlab.example.com/") + k_owner +
                                           "/gitops.git",
                                       s_forge->prism().url() + "/api/v4"),
        std::make_shared<util::FixedToken>(k_token), *m_http);
  }

  // A commit on `branch` from main's tip changing `path`, through the Commits API.
  std::string push(const std::string &branch, const std::string &path, const std::string &content) {
    return m_provider->commit_via_api({branch,
                                       m_config.base_branch,
                                       tip("main").value(),
                                       {{path, content}},
                                       "m",
                                       m_config.author()});
  }

  std::unique_ptr<GitLabProvider> m_provider;
};

TEST_F(GitLabContract, CommitsApiCommitsOnTheBaseAndReplacesTheBranch) {
  expect_api_commit_replaces_branch(*m_provider, *s_forge, m_config);
}

TEST_F(GitLabContract, PrismCatchesARequestOutsideTheDescription) {
  // Proof that the oracle is live: a commit status state GitLab does not have is a violation.
  http::Request request;
  request.method = "POST";
  request.url = s_forge->prism().url() + "/api/v4/projects/acme%2Fplatform%2Fgitops/statuses/" +
                tip("main").value();
  request.headers.emplace("PRIVATE-TOKEN", k_token);
  request.headers.emplace("Content-Type", "application/json");
  request.body = R"({"state":"green","context":"ci"})";
  (void)m_http->send(request);
  EXPECT_THAT(m_http->violations(), ::testing::Not(IsEmpty()));
  m_http->clear_violations();
}

TEST_F(GitLabContract, CreatesUpdatesArmsAndMergesAMergeRequest) {
  const std::string base = tip("main").value();
  const std::string head = push("promote/apps-web", "apps/dev/web.yaml", "image: web:1.1\n");
  const auto created =
      m_provider->create_or_update_pr("promote/apps-web", "main", "First title", "Body 1");
  EXPECT_GT(created.number, 0);
  EXPECT_EQ(created.head_sha, head);
  EXPECT_EQ(created.state, providers::PrState::open);
  // A retried create (409) updates the open one.
  const auto again = m_provider->create_pr("promote/apps-web", "main", "Second title", "Body 2");
  EXPECT_EQ(again.number, created.number);
  EXPECT_EQ(again.title, "Second title");
  const auto found = m_provider->find_open_pr("promote/apps-web", "main");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->number, created.number);

  // Without a required pipeline GitLab would merge at once: not armed.
  EXPECT_EQ(m_provider->update_auto_merge(again, true, config::MergeMethod::squash),
            AutoMergeOutcome::already_mergeable);
  require({"ci/status"});
  EXPECT_EQ(m_provider->update_auto_merge(again, true, config::MergeMethod::squash),
            AutoMergeOutcome::changed);
  const auto armed = m_provider->find_open_pr("promote/apps-web", "main").value();
  EXPECT_EQ(m_provider->update_auto_merge(armed, true, config::MergeMethod::squash),
            AutoMergeOutcome::unchanged);
  EXPECT_EQ(m_provider->find_open_prs_for_commit(head).size(), 1U);

  m_provider->set_status(head, {"ci/status", providers::StatusState::success, "checked"});
  const auto statuses = m_provider->list_statuses(head);
  ASSERT_EQ(statuses.size(), 1U);
  EXPECT_EQ(statuses[0].context, "ci/status");
  EXPECT_EQ(statuses[0].state, providers::StatusState::success);

  // The pipeline (the required context) is green: the armed squash merge happened.
  EXPECT_EQ(m_provider->find_open_pr("promote/apps-web", "main"), std::nullopt);
  const std::string main_tip = tip("main").value();
  const auto merged = m_provider->find_merged_pr_for_commit(main_tip);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->number, created.number);
  EXPECT_EQ(m_provider->find_merged_pr_for_commit(base), std::nullopt);
}

TEST_F(GitLabContract, CancelsAnArmedMergeAndMergesByHand) {
  const std::string head = push("promote/apps-qa", "apps/qa/web.yaml", "image: web:7\n");
  const auto pr = m_provider->create_or_update_pr("promote/apps-qa", "main", "t", "d");
  require({"ci/status"});
  EXPECT_EQ(m_provider->update_auto_merge(pr, true, config::MergeMethod::merge),
            AutoMergeOutcome::changed);
  const auto armed = m_provider->find_open_pr("promote/apps-qa", "main").value();
  EXPECT_EQ(m_provider->update_auto_merge(armed, false, config::MergeMethod::merge),
            AutoMergeOutcome::changed);
  const auto disarmed = m_provider->find_open_pr("promote/apps-qa", "main").value();
  EXPECT_EQ(m_provider->update_auto_merge(disarmed, false, config::MergeMethod::merge),
            AutoMergeOutcome::unchanged);
  m_provider->set_status(head, {"ci/status", providers::StatusState::success, ""});
  EXPECT_TRUE(m_provider->find_open_pr("promote/apps-qa", "main")) << "disarmed: not merged";
  m_provider->merge_pr(m_provider->find_open_pr("promote/apps-qa", "main").value(),
                       config::MergeMethod::merge);
  EXPECT_EQ(m_provider->find_open_pr("promote/apps-qa", "main"), std::nullopt);
  EXPECT_EQ(commit(tip("main").value()).parents.size(), 2U) << "a merge commit";
}

TEST_F(GitLabContract, AFailedStatusIsListedAsFailure) {
  const std::string head = push("promote/apps-fail", "apps/dev/web.yaml", "image: web:8\n");
  m_provider->set_status(head, {"flux/dev", providers::StatusState::pending, "reconciling"});
  m_provider->set_status(head, {"flux/dev", providers::StatusState::failure, "health check"});
  const auto statuses = m_provider->list_statuses(head);
  ASSERT_FALSE(statuses.empty());
  EXPECT_EQ(statuses.front().context, "flux/dev");
  EXPECT_EQ(statuses.front().state, providers::StatusState::failure);
}

} // namespace
} // namespace gitops::contract
