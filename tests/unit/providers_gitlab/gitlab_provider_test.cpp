#include "support/fake_http_client.hpp"

#include "gitops/config/config.hpp"
#include "gitops/providers/factory.hpp"
#include "gitops/providers/gitlab_provider.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"
#include "gitops/util/url.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

namespace gitops::providers {
namespace {

using gitops::test::FakeHttpClient;
using nlohmann::json;

constexpr const char *k_token = "glpat-never-print-me";
constexpr const char *k_project = "https://gitlab.example.com/api/v4/projects/grp%2Fsub%2Fgitops";
constexpr const char *k_sha = "1111111111111111111111111111111111111111";
constexpr const char *k_head_sha = "2222222222222222222222222222222222222222";

json mr_json(long iid, const std::string &source, const std::string &target,
             const std::string &state = "opened", long source_project = 5) {
  return {{"id", 900 + iid},
          {"iid", iid},
          {"title", "title " + std::to_string(iid)},
          {"description", "body " + std::to_string(iid)},
          {"state", state},
          {"source_branch", source},
          {"target_branch", target},
          {"source_project_id", source_project},
          {"target_project_id", 5},
          {"sha", k_head_sha},
          {"merge_when_pipeline_succeeds", false},
          {"merge_commit_sha", nullptr},
          {"squash_commit_sha", nullptr},
          {"web_url",
           "https://gitlab.example.com/grp/sub/gitops/-/merge_requests/" + std::to_string(iid)}};
}

std::string find_url(const std::string &source) {
  return std::string(k_project) +
         "/merge_requests?state=opened&source_branch=" + util::percent_encode(source) +
         "&target_branch=main&per_page=100";
}

class GitLabProviderTest : public ::testing::Test {
protected:
  void TearDown() override { EXPECT_EQ(http.pending(), 0U) << "expected requests were not sent"; }

  GitLabProvider make(const std::string &token = k_token) {
    return GitLabProvider(parse_gitlab_remote("git@gitlab.example.com:grp/sub/gitops.git"),
                          std::make_shared<util::FixedToken>(token), http, "gitops-promotion-test");
  }

  template <class Fn> std::string error_of(Fn &&fn) {
    try {
      fn();
    } catch (const ProviderError &e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find(k_token), std::string::npos) << what;
      return what;
    }
    ADD_FAILURE() << "no ProviderError";
    return {};
  }

  json body_of(std::size_t index) const { return json::parse(http.requests().at(index).body); }

  FakeHttpClient http;
};

TEST(GitLabRemote, SubgroupsSshHttpsAndRelativeUrlRoots) {
  const GitLabRemote ssh = parse_gitlab_remote("git@gitlab.com:grp/sub/deeper/gitops.git");
  EXPECT_EQ(ssh.api_url, "https://gitlab.com/api/v4");
  EXPECT_EQ(ssh.project, "grp/sub/deeper/gitops");
  EXPECT_EQ(
      parse_gitlab_remote("https://oauth2:secret@gitlab.example.com:8443/grp/gitops.git").api_url,
      "https://gitlab.example.com:8443/api/v4");
  EXPECT_EQ(parse_gitlab_remote("ssh://git@gitlab.example.com:2222/grp/gitops.git").api_url,
            "https://gitlab.example.com/api/v4");
  // A relative URL root is part of the API URL, not of the project path.
  const GitLabRemote root = parse_gitlab_remote("https://example.com/gitlab/grp/gitops.git",
                                                "https://example.com/gitlab/api/v4/");
  EXPECT_EQ(root.api_url, "https://example.com/gitlab/api/v4");
  EXPECT_EQ(root.project, "grp/gitops");
  try {
    (void)parse_gitlab_remote("https://oauth2:secret@gitlab.com/gitops");
    ADD_FAILURE() << "a project without a group was accepted";
  } catch (const ProviderError &e) {
    EXPECT_NE(std::string(e.what()).find("GROUP[/SUBGROUP"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
  }
  FakeHttpClient http;
  EXPECT_EQ(make_provider(ProviderKind::gitlab, "git@gitlab.com:g/p.git", "t", http)->kind(),
            ProviderKind::gitlab);
}

TEST_F(GitLabProviderTest, EncodesTheProjectPathAndPicksTheTokenHeader) {
  http.expect("GET", find_url("promote/apps-web"), 200,
              json::array({mr_json(3, "promote/apps-web", "main", "opened", 77),
                           mr_json(2, "promote/apps-web", "main")})
                  .dump());
  auto provider = make();
  const auto pr = provider.find_open_pr("promote/apps-web", "main");
  ASSERT_TRUE(pr);
  EXPECT_EQ(pr->number, 2) << "!3 comes from a fork";
  EXPECT_EQ(pr->state, PrState::open);
  const auto &request = http.requests().at(0);
  EXPECT_EQ(request.headers.find("PRIVATE-TOKEN")->second, k_token);
  EXPECT_EQ(request.headers.count("JOB-TOKEN"), 0U);

  // A CI job token travels in JOB-TOKEN.
  http.expect("GET", find_url("b"), 200, "[]");
  auto job = make("glcbt-64_job-token");
  EXPECT_FALSE(job.find_open_pr("b", "main"));
  EXPECT_EQ(http.requests().at(1).headers.find("JOB-TOKEN")->second, "glcbt-64_job-token");
  EXPECT_EQ(http.requests().at(1).headers.count("PRIVATE-TOKEN"), 0U);
}

TEST_F(GitLabProviderTest, CreatesAndOnConflictUpdatesTheOpenOne) {
  auto provider = make();
  http.expect("POST", std::string(k_project) + "/merge_requests", 201,
              mr_json(4, "promote/apps-web", "main").dump());
  EXPECT_EQ(provider.create_pr("promote/apps-web", "main", "t", "d").number, 4);
  EXPECT_EQ(body_of(0), (json{{"source_branch", "promote/apps-web"},
                              {"target_branch", "main"},
                              {"title", "t"},
                              {"description", "d"}}));
  http.expect(
      "POST", std::string(k_project) + "/merge_requests", 409,
      R"({"message":["Another open merge request already exists for this source branch: !4"]})");
  http.expect("GET", find_url("promote/apps-web"), 200,
              json::array({mr_json(4, "promote/apps-web", "main")}).dump());
  http.expect("PUT", std::string(k_project) + "/merge_requests/4", 200,
              mr_json(4, "promote/apps-web", "main").dump());
  EXPECT_EQ(provider.create_pr("promote/apps-web", "main", "t2", "d2").number, 4);
  EXPECT_EQ(body_of(3), (json{{"title", "t2"}, {"description", "d2"}}));
}

TEST_F(GitLabProviderTest, AutoMergeWaitsForPipelinesOrReportsMergeable) {
  auto provider = make();
  PullRequest pr;
  pr.number = 5;
  pr.head_sha = k_head_sha;
  http.expect("GET", k_project, 200, R"({"only_allow_merge_if_pipeline_succeeds":false})");
  EXPECT_EQ(provider.update_auto_merge(pr, true, config::MergeMethod::merge),
            AutoMergeOutcome::already_mergeable);
  http.expect("GET", k_project, 200, R"({"only_allow_merge_if_pipeline_succeeds":false})");
  EXPECT_NE(error_of([&] {
              provider.set_auto_merge(pr, true, config::MergeMethod::merge);
            }).find("Pipelines must succeed"),
            std::string::npos);

  http.expect("GET", k_project, 200, R"({"only_allow_merge_if_pipeline_succeeds":true})");
  json scheduled = mr_json(5, "promote/apps-web", "main");
  scheduled["merge_when_pipeline_succeeds"] = true;
  http.expect("PUT", std::string(k_project) + "/merge_requests/5/merge", 200, scheduled.dump());
  EXPECT_EQ(provider.update_auto_merge(pr, true, config::MergeMethod::squash),
            AutoMergeOutcome::changed);
  EXPECT_EQ(body_of(3), (json{{"auto_merge", true},
                              {"merge_when_pipeline_succeeds", true},
                              {"squash", true},
                              {"sha", k_head_sha}}));
  // Right after creation GitLab may answer 405 while it checks mergeability: asked again.
  provider.set_retry_delay(std::chrono::milliseconds(1));
  pr.auto_merge = false;
  http.expect("GET", k_project, 200, R"({"only_allow_merge_if_pipeline_succeeds":true})");
  http.expect("PUT", std::string(k_project) + "/merge_requests/5/merge", 405,
              R"({"message":"405 Method Not Allowed"})");
  http.expect("PUT", std::string(k_project) + "/merge_requests/5/merge", 200, scheduled.dump());
  EXPECT_EQ(provider.update_auto_merge(pr, true, config::MergeMethod::merge),
            AutoMergeOutcome::changed);
  // Already in the asked state: nothing is sent.
  pr.auto_merge = true;
  EXPECT_EQ(provider.update_auto_merge(pr, true, config::MergeMethod::merge),
            AutoMergeOutcome::unchanged);
  http.expect("POST",
              std::string(k_project) + "/merge_requests/5/cancel_merge_when_pipeline_succeeds", 201,
              mr_json(5, "promote/apps-web", "main").dump());
  EXPECT_EQ(provider.update_auto_merge(pr, false, config::MergeMethod::merge),
            AutoMergeOutcome::changed);
  http.expect("POST",
              std::string(k_project) + "/merge_requests/5/cancel_merge_when_pipeline_succeeds", 406,
              R"({"message":"Can't cancel the automatic merge"})");
  EXPECT_EQ(provider.update_auto_merge(pr, false, config::MergeMethod::merge),
            AutoMergeOutcome::unchanged);
}

TEST_F(GitLabProviderTest, FindsTheMergedRequestBehindMergeSquashAndFastForward) {
  auto provider = make();
  const std::string url =
      std::string(k_project) + "/repository/commits/" + k_sha + "/merge_requests?per_page=100";
  json merged = mr_json(6, "promote/apps-web", "main", "merged");
  merged["merge_commit_sha"] = k_sha;
  json other = mr_json(7, "promote/other", "main", "merged");
  other["merge_commit_sha"] = "3333333333333333333333333333333333333333";
  http.expect("GET", url, 200, json::array({other, merged}).dump());
  EXPECT_EQ(provider.find_merged_pr_for_commit(k_sha).value().number, 6);

  json squashed = mr_json(8, "promote/apps-web", "main", "merged");
  squashed["squash_commit_sha"] = k_sha;
  http.expect("GET", url, 200, json::array({squashed}).dump());
  EXPECT_EQ(provider.find_merged_pr_for_commit(k_sha).value().merge_commit,
            std::optional<std::string>(k_sha));

  // Fast-forward: no merge commit; the head is what landed.
  json ff = mr_json(9, "promote/apps-web", "main", "merged");
  ff["sha"] = k_sha;
  http.expect("GET", url, 200, json::array({ff}).dump());
  EXPECT_EQ(provider.find_merged_pr_for_commit(k_sha).value().number, 9);

  http.expect("GET", url, 200, json::array({mr_json(10, "x", "main")}).dump());
  EXPECT_FALSE(provider.find_merged_pr_for_commit(k_sha)) << "only an open one";
}

TEST_F(GitLabProviderTest, StatusesAreTheLatestPerNameMapped) {
  auto provider = make();
  const std::string url =
      std::string(k_project) + "/repository/commits/" + k_sha + "/statuses?per_page=100";
  http.expect("GET", url, 200,
              json::array({{{"name", "kustomization/apps-dev"}, {"status", "success"}},
                           {{"name", "lint"}, {"status", "failed"}},
                           {{"name", "stop"}, {"status", "canceled"}},
                           {{"name", "wip"}, {"status", "running"}},
                           {{"name", "skip"}, {"status", "skipped"}}})
                  .dump());
  const auto statuses = provider.list_statuses(k_sha);
  ASSERT_EQ(statuses.size(), 5U);
  EXPECT_EQ(statuses[0].context, "kustomization/apps-dev");
  EXPECT_EQ(statuses[0].state, StatusState::success);
  EXPECT_EQ(statuses[1].state, StatusState::failure);
  EXPECT_EQ(statuses[2].state, StatusState::error);
  EXPECT_EQ(statuses[3].state, StatusState::pending);
  EXPECT_EQ(statuses[4].state, StatusState::success);
  http.expect("POST", std::string(k_project) + "/statuses/" + k_sha, 201, "{}");
  provider.set_status(k_sha, {"gitops-promotion/status", StatusState::failure, "qa not healthy"});
  EXPECT_EQ(body_of(1), (json{{"state", "failed"},
                              {"name", "gitops-promotion/status"},
                              {"description", "qa not healthy"}}));
}

TEST_F(GitLabProviderTest, CommitsWithActionsOnTheExactBase) {
  auto provider = make();
  config::Config cfg;
  cfg.author_name = "Bot";
  cfg.author_email = "bot@example.com";
  const std::string files = std::string(k_project) + "/repository/files/";
  http.expect("GET", files + "apps%2Fdev%2Fweb.yaml?ref=" + k_sha, 200, R"({"blob_id":"a"})");
  http.expect("GET", files + "apps%2Fdev%2Fnew.yaml?ref=" + k_sha, 404,
              R"({"message":"404 File Not Found"})");
  http.expect("GET", files + "apps%2Fdev%2Fold.yaml?ref=" + k_sha, 200, R"({"blob_id":"b"})");
  http.expect("POST", std::string(k_project) + "/repository/commits", 201,
              R"({"id":"4444444444444444444444444444444444444444"})");
  EXPECT_EQ(provider.commit_via_api({"promote/apps-web",
                                     cfg.base_branch,
                                     k_sha,
                                     {{"apps/dev/web.yaml", "image: web:2\n"},
                                      {"apps/dev/new.yaml", "n\n"},
                                      {"apps/dev/old.yaml", "", true}},
                                     "Promote",
                                     cfg.author()}),
            "4444444444444444444444444444444444444444");
  const json body = body_of(3);
  EXPECT_EQ(body["branch"], "promote/apps-web");
  EXPECT_EQ(body["start_sha"], k_sha);
  EXPECT_EQ(body["force"], true);
  EXPECT_EQ(body["author_email"], "bot@example.com");
  EXPECT_EQ(body["actions"],
            (json::array({{{"action", "update"},
                           {"file_path", "apps/dev/web.yaml"},
                           {"encoding", "base64"},
                           {"content", util::base64_encode("image: web:2\n")}},
                          {{"action", "create"},
                           {"file_path", "apps/dev/new.yaml"},
                           {"encoding", "base64"},
                           {"content", util::base64_encode("n\n")}},
                          {{"action", "delete"}, {"file_path", "apps/dev/old.yaml"}}})));
}

TEST_F(GitLabProviderTest, ExplainsRejectedTokensRolesAndMissingProjects) {
  auto provider = make();
  http.expect("GET", find_url("b"), 401, R"({"message":"401 Unauthorized"})");
  EXPECT_NE(error_of([&] { (void)provider.find_open_pr("b", "main"); }).find("token was rejected"),
            std::string::npos);
  http.expect("GET", find_url("b"), 403, R"({"message":"403 Forbidden"})");
  EXPECT_NE(error_of([&] { (void)provider.find_open_pr("b", "main"); }).find("the api scope"),
            std::string::npos);
  http.expect("GET", find_url("b"), 404, R"({"message":"404 Project Not Found"})");
  EXPECT_NE(error_of([&] {
              (void)provider.find_open_pr("b", "main");
            }).find("project grp/sub/gitops (or the object asked for) does not exist"),
            std::string::npos);
  PullRequest pr;
  pr.number = 3;
  pr.head_sha = k_head_sha;
  http.expect("PUT", std::string(k_project) + "/merge_requests/3/merge", 409,
              R"({"message":"SHA does not match HEAD of source branch"})");
  EXPECT_NE(error_of([&] {
              provider.merge_pr(pr, config::MergeMethod::merge);
            }).find("moved since it was read"),
            std::string::npos);
}

} // namespace
} // namespace gitops::providers
