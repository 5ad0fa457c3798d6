// The Gitea/Forgejo provider against the forge simulator's Gitea module, through Prism 5.14.2 as a
// validating proxy with Gitea's Swagger description (tests/data/specs/gitea): every request the
// provider sends and every answer the simulator gives must satisfy the description.
#include "support/sim_repo.hpp"
#include "support/validating_client.hpp"

#include "gitops/http/curl_http_client.hpp"
#include "gitops/providers/gitea_provider.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace gitops::contract {
namespace {

using providers::AutoMergeOutcome;
using providers::GiteaProvider;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char *k_token = "contract-gitea-token";

class GiteaContract : public ProviderContract<GiteaContract> {
public:
  static SimulatedRepoSetup setup() {
    return {"gitea",
            "tests/data/specs/gitea/gitea-v1.trimmed.json",
            k_token,
            "acme",
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
    m_provider = std::make_unique<GiteaProvider>(
        providers::parse_gitea_remote("https://gitea.example.com/acme/gitops.git",
                                      s_forge->prism().url() + "/api/v1"),
        std::make_shared<util::FixedToken>(k_token), *m_http);
  }

  std::unique_ptr<GiteaProvider> m_provider;
};

TEST_F(GiteaContract, ChangeFilesCommitsOnTheBaseAndReplacesTheBranch) {
  expect_api_commit_replaces_branch(*m_provider, *s_forge, m_config);
}

TEST_F(GiteaContract, AFileChangedOnTheBaseSinceTheCheckoutIsRefused) {
  const std::string checkout = tip("main").value();
  // Someone else changes the file on main after the checkout.
  (void)m_provider->commit_via_api({"main",
                                    "main",
                                    checkout,
                                    {{"apps/qa/web.yaml", "image: web:9\n"}},
                                    "elsewhere",
                                    config::Config{}.author()});
  const std::string moved = tip("main").value();
  ASSERT_NE(moved, checkout);
  try {
    (void)m_provider->commit_via_api({"promote/stale",
                                      m_config.base_branch,
                                      checkout,
                                      {{"apps/qa/web.yaml", "image: web:2\n"}},
                                      "m",
                                      m_config.author()});
    ADD_FAILURE() << "a stale base was accepted";
  } catch (const ProviderError &e) {
    EXPECT_THAT(e.what(), HasSubstr("changed on main since commit " + checkout));
  }
  EXPECT_EQ(tip("promote/stale"), std::nullopt) << "nothing may be written";
}

TEST_F(GiteaContract, PrismCatchesARequestOutsideTheDescription) {
  // Proof that the oracle is live: a merge style Gitea does not have is a violation.
  http::Request request;
  request.method = "POST";
  request.url = s_forge->prism().url() + "/api/v1/repos/acme/gitops/pulls/1/merge";
  request.headers.emplace("Authorization", std::string("token ") + k_token);
  request.headers.emplace("Content-Type", "application/json");
  request.body = R"({"do":"octopus"})";
  (void)m_http->send(request);
  EXPECT_THAT(m_http->violations(), ::testing::Not(IsEmpty()));
  m_http->clear_violations();
}

TEST_F(GiteaContract, CreatesUpdatesSchedulesAndMergesAPullRequest) {
  const std::string base = tip("main").value();
  const std::string head = m_provider->commit_via_api({"promote/apps-web",
                                                       m_config.base_branch,
                                                       base,
                                                       {{"apps/dev/web.yaml", "image: web:1.1\n"}},
                                                       "m",
                                                       m_config.author()});
  const auto created =
      m_provider->create_or_update_pr("promote/apps-web", "main", "First title", "Body 1");
  EXPECT_GT(created.number, 0);
  EXPECT_EQ(created.head_sha, head);
  EXPECT_EQ(created.state, providers::PrState::open);
  // A retried create (409) updates the open one.
  const auto again = m_provider->create_pr("promote/apps-web", "main", "Second title", "Body 2");
  EXPECT_EQ(again.number, created.number);
  EXPECT_EQ(again.title, "Second title");

  // Without a required check Gitea would merge at once: not scheduled.
  EXPECT_EQ(m_provider->update_auto_merge(again, true, config::MergeMethod::squash),
            AutoMergeOutcome::already_mergeable);
  require({"ci/status"});
  EXPECT_EQ(m_provider->update_auto_merge(again, true, config::MergeMethod::squash),
            AutoMergeOutcome::changed);
  EXPECT_EQ(m_provider->update_auto_merge(again, true, config::MergeMethod::squash),
            AutoMergeOutcome::unchanged);
  EXPECT_EQ(m_provider->find_open_prs_for_commit(head).size(), 1U);

  m_provider->set_status(head, {"ci/status", providers::StatusState::success, "checked"});
  const auto statuses = m_provider->list_statuses(head);
  ASSERT_EQ(statuses.size(), 1U);
  EXPECT_EQ(statuses[0].context, "ci/status");
  EXPECT_EQ(statuses[0].state, providers::StatusState::success);

  // The required check is green: the scheduled squash merge happened.
  EXPECT_EQ(m_provider->find_open_pr("promote/apps-web", "main"), std::nullopt);
  const std::string main_tip = tip("main").value();
  EXPECT_EQ(commit(main_tip).parents.size(), 1U);
  const auto merged = m_provider->find_merged_pr_for_commit(main_tip);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->number, created.number);
  EXPECT_EQ(merged->merge_commit, main_tip);
  EXPECT_EQ(m_provider->find_merged_pr_for_commit(base), std::nullopt);
}

TEST_F(GiteaContract, CancelsAScheduledMergeAndMergesByHand) {
  const std::string base = tip("main").value();
  const std::string head = m_provider->commit_via_api({"promote/apps-qa",
                                                       m_config.base_branch,
                                                       base,
                                                       {{"apps/qa/web.yaml", "image: web:7\n"}},
                                                       "m",
                                                       m_config.author()});
  const auto pr = m_provider->create_or_update_pr("promote/apps-qa", "main", "t", "d");
  require({"ci/status"});
  EXPECT_EQ(m_provider->update_auto_merge(pr, true, config::MergeMethod::merge),
            AutoMergeOutcome::changed);
  EXPECT_EQ(m_provider->update_auto_merge(pr, false, config::MergeMethod::merge),
            AutoMergeOutcome::changed);
  EXPECT_EQ(m_provider->update_auto_merge(pr, false, config::MergeMethod::merge),
            AutoMergeOutcome::unchanged);
  m_provider->set_status(head, {"ci/status", providers::StatusState::success, ""});
  EXPECT_TRUE(m_provider->find_open_pr("promote/apps-qa", "main")) << "cancelled: not merged";
  auto open = m_provider->find_open_pr("promote/apps-qa", "main").value();
  m_provider->merge_pr(open, config::MergeMethod::merge);
  EXPECT_EQ(m_provider->find_open_pr("promote/apps-qa", "main"), std::nullopt);
  EXPECT_EQ(commit(tip("main").value()).parents.size(), 2U) << "a merge commit";
}

} // namespace
} // namespace gitops::contract
