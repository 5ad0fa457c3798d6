#include "support/fake_http_client.hpp"

#include "gitops/providers/github_provider.hpp"
#include "gitops/util/error.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <tuple>
#include <vector>

namespace gitops::providers {
namespace {

using gitops::test::FakeHttpClient;
using nlohmann::json;

constexpr const char *k_token = "ghp_never_print_me";
constexpr const char *k_api = "https://api.github.com";
constexpr const char *k_repo = "https://api.github.com/repos/acme/gitops";
constexpr const char *k_sha = "1111111111111111111111111111111111111111";
constexpr const char *k_head_sha = "2222222222222222222222222222222222222222";

json pr_json(long number, const std::string &head, const std::string &base,
             const std::string &state = "open", bool auto_merge = false) {
  json pr = {{"number", number},
             {"node_id", "PR_node" + std::to_string(number)},
             {"title", "title " + std::to_string(number)},
             {"body", "body " + std::to_string(number)},
             {"state", state},
             {"html_url", "https://github.com/acme/gitops/pull/" + std::to_string(number)},
             {"head", {{"ref", head}, {"sha", k_head_sha}}},
             {"base", {{"ref", base}, {"sha", k_sha}}},
             {"merged_at", nullptr},
             {"merge_commit_sha", nullptr},
             {"auto_merge", nullptr}};
  if (auto_merge) {
    pr["auto_merge"] = {{"merge_method", "merge"}};
  }
  return pr;
}

json merged_pr_json(long number, const std::string &merge_commit) {
  json pr = pr_json(number, "promote/apps-web", "main", "closed");
  pr["merged_at"] = "2026-11-22T00:00:00Z";
  pr["merge_commit_sha"] = merge_commit;
  return pr;
}

std::string find_url(const std::string &head, const std::string &base = "main") {
  return std::string(k_repo) + "/pulls?state=open&head=acme:" + head + "&base=" + base +
         "&per_page=100";
}

std::string graphql_error(const std::string &field, const std::string &message) {
  return json{{"data", {{field, nullptr}}},
              {"errors", json::array({{{"type", "UNPROCESSABLE"},
                                       {"path", json::array({field})},
                                       {"message", message}}})}}
      .dump();
}

class GitHubProviderTest : public ::testing::Test {
protected:
  void TearDown() override { EXPECT_EQ(http.pending(), 0U) << "expected requests were not sent"; }

  GitHubProvider make() {
    return GitHubProvider(parse_github_remote("git@github.com:acme/gitops.git"), k_token, http,
                          github_endpoints(parse_github_remote("git@github.com:acme/gitops.git")),
                          "gitops-promotion-test");
  }

  // The message of the ProviderError `fn` throws, checked to never contain the token.
  template <class Fn> std::string error_of(Fn &&fn) {
    try {
      fn();
    } catch (const ProviderError &e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find(k_token), std::string::npos) << what;
      last_status = e.status();
      return what;
    }
    ADD_FAILURE() << "no ProviderError";
    return {};
  }

  FakeHttpClient http;
  long last_status = -1;
};

TEST_F(GitHubProviderTest, SendsGitHubHeadersOnEveryRequest) {
  http.expect("GET", find_url("promote/apps-web"), 200, "[]");
  auto provider = make();
  EXPECT_FALSE(provider.find_open_pr("promote/apps-web", "main"));
  ASSERT_EQ(http.requests().size(), 1U);
  const auto &request = http.requests()[0];
  EXPECT_EQ(request.headers.find("authorization")->second, std::string("Bearer ") + k_token);
  EXPECT_EQ(request.headers.find("Accept")->second, "application/vnd.github+json");
  EXPECT_EQ(request.headers.find("X-GitHub-Api-Version")->second, "2022-11-28");
  EXPECT_EQ(request.headers.find("User-Agent")->second, "gitops-promotion-test");
  EXPECT_EQ(request.headers.count("Content-Type"), 0U);
  EXPECT_TRUE(request.body.empty());
  EXPECT_EQ(request.idempotent, std::optional<bool>(true));
}

TEST_F(GitHubProviderTest, EmptyTokenIsRefused) {
  const auto remote = parse_github_remote("https://github.com/acme/gitops");
  EXPECT_THROW(GitHubProvider(remote, "", http, github_endpoints(remote)), ProviderError);
}

TEST_F(GitHubProviderTest, FindOpenPrFollowsLinkPagesAndFiltersHeadAndBase) {
  json page1 = json::array();
  for (int i = 1; i <= 100; ++i) {
    page1.push_back(pr_json(i, "other-" + std::to_string(i), "main"));
  }
  const std::string page2_url = std::string(k_repo) + "/pulls?state=open&page=2";
  http.expect("GET", find_url("promote/apps-web"), 200, page1.dump(),
              {{"Link", "<" + page2_url + ">; rel=\"next\", <" + page2_url + ">; rel=\"last\""}});
  http.expect("GET", page2_url, 200,
              json::array({pr_json(101, "promote/apps-web", "develop"),
                           pr_json(102, "promote/apps-web", "main")})
                  .dump());
  auto provider = make();
  const auto pr = provider.find_open_pr("promote/apps-web", "main");
  ASSERT_TRUE(pr);
  EXPECT_EQ(pr->number, 102);
  EXPECT_EQ(pr->id, "PR_node102");
  EXPECT_EQ(pr->head_branch, "promote/apps-web");
  EXPECT_EQ(pr->base_branch, "main");
  EXPECT_EQ(pr->head_sha, k_head_sha);
  EXPECT_EQ(pr->state, PrState::open);
  EXPECT_EQ(pr->url, "https://github.com/acme/gitops/pull/102");
  EXPECT_FALSE(pr->auto_merge);
  EXPECT_FALSE(pr->merge_commit);
}

TEST_F(GitHubProviderTest, NextPageOnAnotherOriginStaysOnTheApiHost) {
  http.expect("GET", find_url("b"), 200, "[]",
              {{"Link", "<https://evil.example/repos/acme/gitops/pulls?page=2>; rel=\"next\""}});
  http.expect("GET", std::string(k_repo) + "/pulls?page=2", 200, "[]");
  auto provider = make();
  EXPECT_FALSE(provider.find_open_pr("b", "main"));
}

TEST_F(GitHubProviderTest, FindOpenPrEncodesBranchNamesInTheQuery) {
  http.expect("GET",
              std::string(k_repo) +
                  "/pulls?state=open&head=acme:feature/a%2Bb%26c&base=release%231&per_page=100",
              200, "[]");
  auto provider = make();
  EXPECT_FALSE(provider.find_open_pr("feature/a+b&c", "release#1"));
}

TEST_F(GitHubProviderTest, TwoOpenPrsForOneBranchIsAnError) {
  http.expect("GET", find_url("b"), 200,
              json::array({pr_json(1, "b", "main"), pr_json(2, "b", "main")}).dump());
  auto provider = make();
  const auto what = error_of([&] { (void)provider.find_open_pr("b", "main"); });
  EXPECT_NE(what.find("#1 and #2"), std::string::npos) << what;
}

TEST_F(GitHubProviderTest, CreatePrPostsWhenNoneIsOpen) {
  http.expect("GET", find_url("promote/apps-web"), 200, "[]");
  http.expect("POST", std::string(k_repo) + "/pulls", 201,
              pr_json(7, "promote/apps-web", "main").dump());
  auto provider = make();
  const auto pr = provider.create_or_update_pr("promote/apps-web", "main", "Promote", "<!-- x -->");
  EXPECT_EQ(pr.number, 7);
  const auto &post = http.requests()[1];
  EXPECT_EQ(json::parse(post.body), (json{{"title", "Promote"},
                                          {"head", "promote/apps-web"},
                                          {"base", "main"},
                                          {"body", "<!-- x -->"},
                                          {"maintainer_can_modify", true}}));
  EXPECT_EQ(post.headers.find("Content-Type")->second, "application/json");
  EXPECT_EQ(post.idempotent, std::optional<bool>(true));
}

TEST_F(GitHubProviderTest, CreatePrPatchesTheOpenOne) {
  http.expect("GET", find_url("promote/apps-web"), 200,
              json::array({pr_json(5, "promote/apps-web", "main", "open", true)}).dump());
  http.expect("PATCH", std::string(k_repo) + "/pulls/5", 200,
              pr_json(5, "promote/apps-web", "main", "open", true).dump());
  auto provider = make();
  const auto pr = provider.create_or_update_pr("promote/apps-web", "main", "New title", "New body");
  EXPECT_EQ(pr.number, 5);
  EXPECT_TRUE(pr.auto_merge);
  EXPECT_EQ(json::parse(http.requests()[1].body),
            (json{{"title", "New title"}, {"body", "New body"}}));
}

TEST_F(GitHubProviderTest, CreatePrThatAlreadyExistsLooksAgainAndUpdates) {
  const std::string exists =
      json{{"message", "Validation Failed"},
           {"errors", json::array({{{"resource", "PullRequest"},
                                    {"code", "custom"},
                                    {"message", "A pull request already exists for "
                                                "acme:promote/apps-web."}}})}}
          .dump();
  http.expect("GET", find_url("promote/apps-web"), 200, "[]");
  http.expect("POST", std::string(k_repo) + "/pulls", 422, exists);
  http.expect("GET", find_url("promote/apps-web"), 200,
              json::array({pr_json(9, "promote/apps-web", "main")}).dump());
  http.expect("PATCH", std::string(k_repo) + "/pulls/9", 200,
              pr_json(9, "promote/apps-web", "main").dump());
  auto provider = make();
  EXPECT_EQ(provider.create_or_update_pr("promote/apps-web", "main", "t", "d").number, 9);
}

TEST_F(GitHubProviderTest, CreatePrValidationErrorsAreExplained) {
  http.expect("GET", find_url("promote/apps-web"), 200, "[]");
  http.expect("POST", std::string(k_repo) + "/pulls", 422,
              R"({"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom",
                  "message":"No commits between main and promote/apps-web"}]})");
  auto provider = make();
  const auto what =
      error_of([&] { (void)provider.create_or_update_pr("promote/apps-web", "main", "t", "d"); });
  EXPECT_EQ(last_status, 422);
  EXPECT_NE(what.find("POST /repos/acme/gitops/pulls answered 422"), std::string::npos) << what;
  EXPECT_NE(what.find("No commits between main and promote/apps-web"), std::string::npos) << what;
  EXPECT_NE(what.find("no changes compared to main"), std::string::npos) << what;
}

TEST_F(GitHubProviderTest, EnableAutoMergeSendsTheMutationWithTheMergeMethod) {
  http.expect("POST", "https://api.github.com/graphql", 200,
              R"({"data":{"enablePullRequestAutoMerge":{"pullRequest":{"number":7,
                  "autoMergeRequest":{"mergeMethod":"SQUASH"}}}}})");
  auto provider = make();
  PullRequest pr;
  pr.number = 7;
  pr.id = "PR_node7";
  EXPECT_EQ(provider.update_auto_merge(pr, true, config::MergeMethod::squash),
            AutoMergeOutcome::changed);
  const auto body = json::parse(http.requests()[0].body);
  EXPECT_EQ(body["query"], std::string(k_enable_auto_merge_mutation));
  EXPECT_EQ(body["variables"], (json{{"pullRequestId", "PR_node7"}, {"mergeMethod", "SQUASH"}}));
  EXPECT_EQ(http.requests()[0].headers.find("Authorization")->second,
            std::string("Bearer ") + k_token);
}

TEST_F(GitHubProviderTest, MergeMethodsMapToGraphqlEnum) {
  const std::pair<config::MergeMethod, const char *> methods[] = {
      {config::MergeMethod::merge, "MERGE"},
      {config::MergeMethod::squash, "SQUASH"},
      {config::MergeMethod::rebase, "REBASE"}};
  auto provider = make();
  for (const auto &[method, name] : methods) {
    http.expect("POST", "https://api.github.com/graphql", 200,
                R"({"data":{"enablePullRequestAutoMerge":{"pullRequest":{"number":1}}}})");
    PullRequest pr;
    pr.number = 1;
    pr.id = "PR_1";
    provider.set_auto_merge(pr, true, method);
    EXPECT_EQ(json::parse(http.requests().back().body)["variables"]["mergeMethod"], name);
  }
}

TEST_F(GitHubProviderTest, DisableAutoMergeSendsTheDisableMutation) {
  http.expect("POST", "https://api.github.com/graphql", 200,
              R"({"data":{"disablePullRequestAutoMerge":{"pullRequest":{"number":7}}}})");
  auto provider = make();
  PullRequest pr;
  pr.number = 7;
  pr.id = "PR_node7";
  pr.auto_merge = true;
  provider.set_auto_merge(pr, false, config::MergeMethod::merge);
  const auto body = json::parse(http.requests()[0].body);
  EXPECT_EQ(body["query"], std::string(k_disable_auto_merge_mutation));
  EXPECT_EQ(body["variables"], (json{{"pullRequestId", "PR_node7"}}));
}

TEST_F(GitHubProviderTest, AutoMergeInTheAskedStateSendsNothing) {
  auto provider = make();
  PullRequest pr;
  pr.id = "PR_x";
  pr.auto_merge = true;
  EXPECT_EQ(provider.update_auto_merge(pr, true, config::MergeMethod::merge),
            AutoMergeOutcome::unchanged);
  pr.auto_merge = false;
  provider.set_auto_merge(pr, false, config::MergeMethod::merge);
  EXPECT_TRUE(http.requests().empty());
}

TEST_F(GitHubProviderTest, AutoMergeNotAllowedTellsToEnableTheSetting) {
  http.expect("POST", "https://api.github.com/graphql", 200,
              graphql_error("enablePullRequestAutoMerge",
                            "Pull request Auto merge is not allowed for this repository"));
  auto provider = make();
  PullRequest pr;
  pr.number = 3;
  pr.id = "PR_3";
  const auto what =
      error_of([&] { provider.set_auto_merge(pr, true, config::MergeMethod::merge); });
  EXPECT_NE(what.find("#3"), std::string::npos) << what;
  EXPECT_NE(what.find("Allow auto-merge"), std::string::npos) << what;
  EXPECT_NE(what.find("acme/gitops"), std::string::npos) << what;
}

TEST_F(GitHubProviderTest, MissingBranchProtectionAsksForARequiredCheck) {
  http.expect("POST", "https://api.github.com/graphql", 200,
              graphql_error("enablePullRequestAutoMerge",
                            "Pull request Protected branch rules not configured for this branch"));
  auto provider = make();
  PullRequest pr;
  pr.number = 3;
  pr.id = "PR_3";
  pr.base_branch = "main";
  const auto what = error_of([&] { (void)provider.update_auto_merge(pr, true, {}); });
  EXPECT_NE(what.find("base branch main needs branch protection with a required status check"),
            std::string::npos)
      << what;
}

TEST_F(GitHubProviderTest, CleanStatusIsReportedAsAlreadyMergeable) {
  http.expect(
      "POST", "https://api.github.com/graphql", 200,
      graphql_error("enablePullRequestAutoMerge", "Pull request Pull request is in clean status"));
  http.expect(
      "POST", "https://api.github.com/graphql", 200,
      graphql_error("enablePullRequestAutoMerge", "Pull request Pull request is in clean status"));
  auto provider = make();
  PullRequest pr;
  pr.number = 4;
  pr.id = "PR_4";
  pr.base_branch = "main";
  EXPECT_EQ(provider.update_auto_merge(pr, true, config::MergeMethod::merge),
            AutoMergeOutcome::already_mergeable);
  const auto what =
      error_of([&] { provider.set_auto_merge(pr, true, config::MergeMethod::merge); });
  EXPECT_NE(what.find("already mergeable"), std::string::npos) << what;
  EXPECT_NE(what.find("required status check"), std::string::npos) << what;
}

TEST_F(GitHubProviderTest, OtherGraphqlErrorsAndHttpErrorsKeepGitHubsMessage) {
  http.expect("POST", "https://api.github.com/graphql", 200,
              graphql_error("enablePullRequestAutoMerge", "Pull request Pull request is closed"));
  http.expect("POST", "https://api.github.com/graphql", 401, R"({"message":"Bad credentials"})");
  http.expect("POST", "https://api.github.com/graphql", 200, R"({"data":null})");
  auto provider = make();
  PullRequest pr;
  pr.number = 4;
  pr.id = "PR_4";
  auto what = error_of([&] { (void)provider.update_auto_merge(pr, true, {}); });
  EXPECT_NE(what.find("Pull request is closed"), std::string::npos) << what;
  what = error_of([&] { (void)provider.update_auto_merge(pr, true, {}); });
  EXPECT_EQ(last_status, 401);
  EXPECT_NE(what.find("Bad credentials"), std::string::npos) << what;
  EXPECT_NE(what.find("token was rejected"), std::string::npos) << what;
  what = error_of([&] { (void)provider.update_auto_merge(pr, true, {}); });
  EXPECT_NE(what.find("no enablePullRequestAutoMerge result"), std::string::npos) << what;
}

TEST_F(GitHubProviderTest, AutoMergeWithoutNodeIdIsRefusedWithoutARequest) {
  auto provider = make();
  PullRequest pr;
  pr.number = 4;
  const auto what = error_of([&] { (void)provider.update_auto_merge(pr, true, {}); });
  EXPECT_NE(what.find("node id"), std::string::npos) << what;
  EXPECT_TRUE(http.requests().empty());
}

TEST_F(GitHubProviderTest, MergedPrForCommitPrefersTheOneWhoseMergeCommitMatches) {
  const std::string url = std::string(k_repo) + "/commits/" + k_sha + "/pulls?per_page=100";
  http.expect(
      "GET", url, 200,
      json::array({merged_pr_json(1, "ffff"), pr_json(2, "x", "main"), merged_pr_json(3, k_sha)})
          .dump());
  auto provider = make();
  const auto pr = provider.find_merged_pr_for_commit(k_sha);
  ASSERT_TRUE(pr);
  EXPECT_EQ(pr->number, 3);
  EXPECT_EQ(pr->state, PrState::merged);
  EXPECT_EQ(pr->merge_commit, std::optional<std::string>(k_sha));
}

TEST_F(GitHubProviderTest, MergedPrForCommitTakesTheOnlyMergedOne) {
  // A rebase merge: the commit is one of the rebased ones, not merge_commit_sha.
  const std::string url = std::string(k_repo) + "/commits/" + k_sha + "/pulls?per_page=100";
  http.expect("GET", url, 200,
              json::array({merged_pr_json(8, "eeee"), pr_json(2, "x", "main")}).dump());
  http.expect("GET", url, 200,
              json::array({merged_pr_json(8, "eeee"), merged_pr_json(9, "dddd")}).dump());
  http.expect("GET", url, 200, "[]");
  auto provider = make();
  const auto only = provider.find_merged_pr_for_commit(k_sha);
  ASSERT_TRUE(only);
  EXPECT_EQ(only->number, 8);
  EXPECT_FALSE(provider.find_merged_pr_for_commit(k_sha)) << "ambiguous";
  EXPECT_FALSE(provider.find_merged_pr_for_commit(k_sha)) << "no PR";
}

TEST_F(GitHubProviderTest, OpenPrsForCommitFilterOnStateAndHeadSha) {
  auto other_head = pr_json(3, "c", "main");
  other_head["head"]["sha"] = "3333";
  http.expect("GET", std::string(k_repo) + "/commits/" + k_head_sha + "/pulls?per_page=100", 200,
              json::array({pr_json(1, "a", "main"), merged_pr_json(2, "x"), other_head,
                           pr_json(4, "d", "main")})
                  .dump());
  auto provider = make();
  const auto prs = provider.find_open_prs_for_commit(k_head_sha);
  ASSERT_EQ(prs.size(), 2U);
  EXPECT_EQ(prs[0].number, 1);
  EXPECT_EQ(prs[1].number, 4);
}

constexpr const char *k_graphql = "https://api.github.com/graphql";

// One page of a commit's status check rollup as GitHub's GraphQL API answers it.
std::string rollup_page(const json &nodes, bool has_next = false,
                        const json &end_cursor = nullptr) {
  return json{{"data",
               {{"repository",
                 {{"object",
                   {{"__typename", "Commit"},
                    {"statusCheckRollup",
                     {{"contexts",
                       {{"pageInfo", {{"hasNextPage", has_next}, {"endCursor", end_cursor}}},
                        {"nodes", nodes}}}}}}}}}}}}
      .dump();
}

json status_node(const std::string &context, const std::string &state,
                 const json &description = nullptr) {
  return {{"__typename", "StatusContext"},
          {"context", context},
          {"state", state},
          {"description", description}};
}

json check_node(const std::string &name, const std::string &status, const json &conclusion,
                const json &title = nullptr) {
  return {{"__typename", "CheckRun"},
          {"name", name},
          {"status", status},
          {"conclusion", conclusion},
          {"title", title}};
}

TEST_F(GitHubProviderTest, ListStatusesSendsOneGraphqlQueryAndMapsStates) {
  http.expect("POST", k_graphql, 200,
              rollup_page(json::array({
                  status_node("kustomization/apps-dev", "SUCCESS", "applied"),
                  status_node("s-pending", "PENDING"),
                  status_node("s-failure", "FAILURE"),
                  status_node("s-error", "ERROR"),
                  status_node("s-expected", "EXPECTED"),
                  status_node("s-unknown", "SOMETHING_NEW"),
                  check_node("ok", "COMPLETED", "SUCCESS", "All good"),
                  check_node("neutral", "COMPLETED", "NEUTRAL"),
                  check_node("skipped", "COMPLETED", "SKIPPED"),
                  check_node("fail", "COMPLETED", "FAILURE"),
                  check_node("timeout", "COMPLETED", "TIMED_OUT"),
                  check_node("cancel", "COMPLETED", "CANCELLED"),
                  check_node("action", "COMPLETED", "ACTION_REQUIRED"),
                  check_node("startup", "COMPLETED", "STARTUP_FAILURE"),
                  check_node("running", "IN_PROGRESS", nullptr),
                  check_node("queued", "QUEUED", nullptr),
                  check_node("stale", "COMPLETED", "STALE"),
                  json{{"__typename", "SomethingElse"}, {"name", "ignored"}},
              })));
  auto provider = make();
  const auto all = provider.list_statuses(k_sha);

  ASSERT_EQ(http.requests().size(), 1U);
  const auto &request = http.requests()[0];
  EXPECT_EQ(request.headers.find("authorization")->second, std::string("Bearer ") + k_token);
  EXPECT_EQ(request.headers.find("Content-Type")->second, "application/json");
  const json sent = json::parse(request.body);
  EXPECT_EQ(sent["query"], std::string(k_commit_statuses_query));
  EXPECT_EQ(sent["variables"],
            (json{{"owner", "acme"}, {"name", "gitops"}, {"oid", k_sha}, {"cursor", nullptr}}));

  const std::vector<std::tuple<std::string, StatusState, std::string>> expected = {
      {"kustomization/apps-dev", StatusState::success, "applied"},
      {"s-pending", StatusState::pending, ""},
      {"s-failure", StatusState::failure, ""},
      {"s-error", StatusState::error, ""},
      {"s-expected", StatusState::pending, ""},
      {"s-unknown", StatusState::pending, ""},
      {"ok", StatusState::success, "All good"},
      {"neutral", StatusState::success, ""},
      {"skipped", StatusState::success, ""},
      {"fail", StatusState::failure, ""},
      {"timeout", StatusState::failure, ""},
      {"cancel", StatusState::failure, ""},
      {"action", StatusState::failure, ""},
      {"startup", StatusState::failure, ""},
      {"running", StatusState::pending, ""},
      {"queued", StatusState::pending, ""},
      {"stale", StatusState::pending, ""}};
  ASSERT_EQ(all.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(all[i].context, std::get<0>(expected[i]));
    EXPECT_EQ(all[i].state, std::get<1>(expected[i])) << all[i].context;
    EXPECT_EQ(all[i].description, std::get<2>(expected[i])) << all[i].context;
  }
}

TEST_F(GitHubProviderTest, ListStatusesFollowsFurtherPagesOnlyWhenGitHubSaysSo) {
  json first = json::array();
  for (int i = 0; i < 100; ++i) {
    first.push_back(status_node("ci/" + std::to_string(i), "SUCCESS"));
  }
  http.expect("POST", k_graphql, 200, rollup_page(first, true, "Y3Vyc29yOjEwMA=="));
  http.expect("POST", k_graphql, 200,
              rollup_page(json::array({status_node("kustomization/apps-dev", "FAILURE")}), false,
                          "Y3Vyc29yOjEwMQ=="));
  auto provider = make();
  const auto all = provider.list_statuses(k_sha);
  ASSERT_EQ(all.size(), 101U);
  EXPECT_EQ(all[0].context, "ci/0");
  EXPECT_EQ(all[100].context, "kustomization/apps-dev");
  EXPECT_EQ(all[100].state, StatusState::failure);
  ASSERT_EQ(http.requests().size(), 2U);
  EXPECT_TRUE(json::parse(http.requests()[0].body)["variables"]["cursor"].is_null());
  EXPECT_EQ(json::parse(http.requests()[1].body)["variables"]["cursor"], "Y3Vyc29yOjEwMA==");
}

TEST_F(GitHubProviderTest, ListStatusesOfACommitWithoutRollupIsEmpty) {
  http.expect(
      "POST", k_graphql, 200,
      R"({"data":{"repository":{"object":{"__typename":"Commit","statusCheckRollup":null}}}})");
  http.expect("POST", k_graphql, 200, rollup_page(json::array()));
  auto provider = make();
  EXPECT_TRUE(provider.list_statuses(k_sha).empty());
  EXPECT_TRUE(provider.list_statuses(k_sha).empty());
}

TEST_F(GitHubProviderTest, ListStatusesRefusesWhatGraphqlCannotLookUp) {
  auto provider = make();
  auto what = error_of([&] { (void)provider.list_statuses("abc1234"); });
  EXPECT_NE(what.find("not a full commit sha"), std::string::npos) << what;
  what = error_of([&] { (void)provider.list_statuses(std::string(40, 'g')); });
  EXPECT_NE(what.find("not a full commit sha"), std::string::npos) << what;
  what = error_of([&] { (void)provider.list_statuses(""); });
  EXPECT_NE(what.find("not a full commit sha"), std::string::npos) << what;
  EXPECT_TRUE(http.requests().empty()) << "nothing is sent for a sha GitHub would reject";
}

TEST_F(GitHubProviderTest, ListStatusesMapsGraphqlErrorsAndOddAnswers) {
  // Unknown repository: GitHub's NOT_FOUND error with data.repository null.
  http.expect("POST", k_graphql, 200,
              R"({"data":{"repository":null},"errors":[{"type":"NOT_FOUND","path":["repository"],)"
              R"("message":"Could not resolve to a Repository with the name 'acme/gitops'."}]})");
  // A token without access to statuses.
  http.expect("POST", k_graphql, 200,
              R"({"data":{"repository":{"object":null}},"errors":[{"type":"FORBIDDEN",)"
              R"("message":"Resource not accessible by integration"}]})");
  // A malformed variable: errors only, no data.
  http.expect(
      "POST", k_graphql, 200,
      R"({"errors":[{"message":"Variable $oid of type GitObjectID! was provided invalid value"}]})");
  // A commit GitHub does not know.
  http.expect("POST", k_graphql, 200, R"({"data":{"repository":{"object":null}}})");
  // The sha names a tree.
  http.expect("POST", k_graphql, 200,
              R"({"data":{"repository":{"object":{"__typename":"Tree"}}}})");
  // No data at all, and a rollup without contexts.
  http.expect("POST", k_graphql, 200, R"({"data":null})");
  http.expect(
      "POST", k_graphql, 200,
      R"({"data":{"repository":{"object":{"__typename":"Commit","statusCheckRollup":{}}}}})");
  http.expect("POST", k_graphql, 200, "<html>proxy login</html>");
  auto provider = make();
  const std::string prefix = "list the statuses of commit " + std::string(k_sha);

  auto what = error_of([&] { (void)provider.list_statuses(k_sha); });
  EXPECT_NE(what.find(prefix), std::string::npos) << what;
  EXPECT_NE(what.find("Could not resolve to a Repository"), std::string::npos) << what;
  EXPECT_NE(what.find("repository acme/gitops does not exist, or the token cannot see it"),
            std::string::npos)
      << what;
  what = error_of([&] { (void)provider.list_statuses(k_sha); });
  EXPECT_NE(what.find("Resource not accessible by integration"), std::string::npos) << what;
  EXPECT_NE(what.find("statuses=read and checks=read"), std::string::npos) << what;
  what = error_of([&] { (void)provider.list_statuses(k_sha); });
  EXPECT_NE(what.find("Variable $oid of type GitObjectID! was provided invalid value"),
            std::string::npos)
      << what;
  what = error_of([&] { (void)provider.list_statuses(k_sha); });
  EXPECT_NE(what.find("GitHub does not know commit " + std::string(k_sha) + " in acme/gitops"),
            std::string::npos)
      << what;
  what = error_of([&] { (void)provider.list_statuses(k_sha); });
  EXPECT_NE(what.find("is a Tree object"), std::string::npos) << what;
  what = error_of([&] { (void)provider.list_statuses(k_sha); });
  EXPECT_NE(what.find("no repository acme/gitops"), std::string::npos) << what;
  what = error_of([&] { (void)provider.list_statuses(k_sha); });
  EXPECT_NE(what.find("no statusCheckRollup contexts"), std::string::npos) << what;
  what = error_of([&] { (void)provider.list_statuses(k_sha); });
  EXPECT_NE(what.find("not JSON"), std::string::npos) << what;
}

TEST_F(GitHubProviderTest, ListStatusesStopsOnACursorThatDoesNotMove) {
  const json node = json::array({status_node("ci", "SUCCESS")});
  http.expect("POST", k_graphql, 200, rollup_page(node, true, "c1"));
  http.expect("POST", k_graphql, 200, rollup_page(node, true, "c1"));
  http.expect("POST", k_graphql, 200, rollup_page(node, true, nullptr));
  auto provider = make();
  auto what = error_of([&] { (void)provider.list_statuses(k_sha); });
  EXPECT_NE(what.find("no new cursor"), std::string::npos) << what;
  what = error_of([&] { (void)provider.list_statuses(k_sha); });
  EXPECT_NE(what.find("no new cursor"), std::string::npos) << what;
}

TEST_F(GitHubProviderTest, ListStatusesHttpErrorsNameTheRequest) {
  http.expect(
      "POST", k_graphql, 401,
      R"({"message":"Bad credentials","documentation_url":"https://docs.github.com/graphql"})");
  http.expect("POST", k_graphql, 403, R"({"message":"Resource not accessible by integration"})",
              {{"x-accepted-github-permissions", "statuses=read"}});
  http.expect("POST", k_graphql, 502, "<html>bad gateway</html>");
  auto provider = make();
  auto what = error_of([&] { (void)provider.list_statuses(k_sha); });
  EXPECT_EQ(last_status, 401);
  EXPECT_NE(what.find("list the statuses of commit " + std::string(k_sha) +
                      ": POST https://api.github.com/graphql answered 401 (Bad credentials)"),
            std::string::npos)
      << what;
  EXPECT_NE(what.find("token was rejected"), std::string::npos) << what;
  what = error_of([&] { (void)provider.list_statuses(k_sha); });
  EXPECT_EQ(last_status, 403);
  EXPECT_NE(what.find("GitHub accepts statuses=read"), std::string::npos) << what;
  what = error_of([&] { (void)provider.list_statuses(k_sha); });
  EXPECT_EQ(last_status, 502);
  EXPECT_NE(what.find("answered 502"), std::string::npos) << what;
}

TEST_F(GitHubProviderTest, SetStatusPostsStateContextAndDescription) {
  http.expect("POST", std::string(k_repo) + "/statuses/" + k_sha, 201, R"({"id":1})");
  auto provider = make();
  provider.set_status(
      k_sha, {"kustomization/apps-dev", StatusState::success, "apps-dev-" + std::string(k_sha)});
  EXPECT_EQ(json::parse(http.requests()[0].body),
            (json{{"state", "success"},
                  {"context", "kustomization/apps-dev"},
                  {"description", "apps-dev-" + std::string(k_sha)}}));
}

TEST_F(GitHubProviderTest, MergePrPutsShaAndMethod) {
  http.expect("PUT", std::string(k_repo) + "/pulls/12/merge", 200,
              R"({"sha":"abc","merged":true,"message":"Pull Request successfully merged"})");
  auto provider = make();
  PullRequest pr;
  pr.number = 12;
  pr.head_sha = k_head_sha;
  provider.merge_pr(pr, config::MergeMethod::rebase);
  EXPECT_EQ(json::parse(http.requests()[0].body),
            (json{{"sha", k_head_sha}, {"merge_method", "rebase"}}));
  EXPECT_EQ(http.requests()[0].idempotent, std::optional<bool>(false));
}

TEST_F(GitHubProviderTest, MergePrErrorsSayWhy) {
  http.expect("PUT", std::string(k_repo) + "/pulls/12/merge", 405,
              R"({"message":"Pull Request is not mergeable"})");
  http.expect("PUT", std::string(k_repo) + "/pulls/12/merge", 409,
              R"({"message":"Head branch was modified. Review and try the merge again."})");
  auto provider = make();
  PullRequest pr;
  pr.number = 12;
  pr.head_sha = k_head_sha;
  auto what = error_of([&] { provider.merge_pr(pr, {}); });
  EXPECT_EQ(last_status, 405);
  EXPECT_NE(what.find("not mergeable"), std::string::npos) << what;
  what = error_of([&] { provider.merge_pr(pr, {}); });
  EXPECT_EQ(last_status, 409);
  EXPECT_NE(what.find("head of the pull request moved"), std::string::npos) << what;
}

TEST_F(GitHubProviderTest, CommitViaApiBuildsTreeCommitAndMovesTheRef) {
  const std::string git = std::string(k_repo) + "/git";
  http.expect("GET", git + "/commits/" + k_sha, 200,
              R"({"sha":"1111111111111111111111111111111111111111","tree":{"sha":"basetree"}})");
  http.expect("POST", git + "/trees", 201, R"({"sha":"newtree"})");
  http.expect("POST", git + "/commits", 201, R"({"sha":"newcommit"})");
  http.expect("PATCH", git + "/refs/heads/promote/apps-web", 200,
              R"({"ref":"refs/heads/promote/apps-web","object":{"sha":"newcommit"}})");
  auto provider = make();
  config::Config config;
  config.author_name = "Bot";
  config.author_email = "bot@example.com";
  const auto sha = provider.commit_via_api(
      {"promote/apps-web",
       config.base_branch,
       k_sha,
       {{"apps/dev/app.yaml", "image: web:2 # {\"$imagepolicy\": \"a:w\"}\n"}},
       "Promote apps/web version 2 to environment dev",
       config.author()});
  EXPECT_EQ(sha, "newcommit");
  EXPECT_EQ(json::parse(http.requests()[1].body),
            (json{{"base_tree", "basetree"},
                  {"tree",
                   json::array({{{"path", "apps/dev/app.yaml"},
                                 {"mode", "100644"},
                                 {"type", "blob"},
                                 {"content", "image: web:2 # {\"$imagepolicy\": \"a:w\"}\n"}}})}}));
  EXPECT_EQ(json::parse(http.requests()[2].body),
            (json{{"message", "Promote apps/web version 2 to environment dev"},
                  {"tree", "newtree"},
                  {"parents", json::array({k_sha})},
                  {"author", {{"name", "Bot"}, {"email", "bot@example.com"}}}}));
  EXPECT_EQ(json::parse(http.requests()[3].body), (json{{"sha", "newcommit"}, {"force", true}}));
}

TEST_F(GitHubProviderTest, CommitViaApiCreatesAMissingBranchAndUploadsBinaryAsBlob) {
  const std::string git = std::string(k_repo) + "/git";
  http.expect("GET", git + "/commits/" + k_sha, 200, R"({"tree":{"sha":"basetree"}})");
  http.expect("POST", git + "/blobs", 201, R"({"sha":"blobsha"})");
  http.expect("POST", git + "/trees", 201, R"({"sha":"newtree"})");
  http.expect("POST", git + "/commits", 201, R"({"sha":"newcommit"})");
  http.expect("PATCH", git + "/refs/heads/new-branch", 422,
              R"({"message":"Reference does not exist"})");
  http.expect("POST", git + "/refs", 201, R"({"ref":"refs/heads/new-branch"})");
  auto provider = make();
  const std::string latin1 = "caf\xE9\n";
  const auto sha = provider.commit_via_api({"new-branch",
                                            config::Config{}.base_branch,
                                            k_sha,
                                            {{"x.yaml", latin1}},
                                            "m",
                                            config::Config{}.author()});
  EXPECT_EQ(sha, "newcommit");
  EXPECT_EQ(json::parse(http.requests()[1].body),
            (json{{"content", "Y2Fm6Qo="}, {"encoding", "base64"}}));
  EXPECT_EQ(json::parse(http.requests()[2].body)["tree"][0],
            (json{{"path", "x.yaml"}, {"mode", "100644"}, {"type", "blob"}, {"sha", "blobsha"}}));
  EXPECT_EQ(json::parse(http.requests()[5].body),
            (json{{"ref", "refs/heads/new-branch"}, {"sha", "newcommit"}}));
}

TEST_F(GitHubProviderTest, RepositoryInfoReadsSettings) {
  http.expect("GET", k_repo, 200,
              R"({"default_branch":"trunk","allow_auto_merge":true,"allow_squash_merge":false})");
  auto provider = make();
  const auto info = provider.repository_info();
  EXPECT_EQ(info.default_branch, "trunk");
  EXPECT_TRUE(info.allow_auto_merge);
  EXPECT_FALSE(info.allow_squash_merge);
  EXPECT_TRUE(info.allow_merge_commit);
}

TEST_F(GitHubProviderTest, ForbiddenNamesTheMissingPermission) {
  http.expect("GET", find_url("b"), 200, "[]");
  http.expect("POST", std::string(k_repo) + "/pulls", 403,
              R"({"message":"Resource not accessible by integration"})",
              {{"X-Accepted-GitHub-Permissions", "pull_requests=write"}});
  http.expect("GET", find_url("c"), 200, json::array({pr_json(4, "c", "main")}).dump());
  http.expect("PATCH", std::string(k_repo) + "/pulls/4", 403, R"({"message":"Forbidden"})");
  auto provider = make();
  auto what = error_of([&] { (void)provider.create_or_update_pr("b", "main", "t", "d"); });
  EXPECT_EQ(last_status, 403);
  EXPECT_NE(what.find("POST /repos/acme/gitops/pulls answered 403"), std::string::npos) << what;
  EXPECT_NE(what.find("Resource not accessible by integration"), std::string::npos) << what;
  EXPECT_NE(what.find("pull_requests=write"), std::string::npos) << what;
  // Without the header the message still says what was refused where.
  what = error_of([&] { (void)provider.create_or_update_pr("c", "main", "t", "d"); });
  EXPECT_NE(what.find("update pull request #4: PATCH /repos/acme/gitops/pulls/4 answered 403"),
            std::string::npos)
      << what;
  EXPECT_NE(what.find("not allowed"), std::string::npos) << what;
}

TEST_F(GitHubProviderTest, UnauthorizedNotFoundAndServerErrorsAreMapped) {
  const std::string pulls = std::string(k_repo) + "/commits/" + k_sha + "/pulls?per_page=100";
  http.expect(
      "GET", pulls, 401,
      R"({"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"})");
  http.expect("GET", pulls, 404, R"({"message":"Not Found"})");
  http.expect("GET", pulls, 502, "<html>bad gateway</html>");
  auto provider = make();
  auto what = error_of([&] { (void)provider.find_merged_pr_for_commit(k_sha); });
  EXPECT_EQ(last_status, 401);
  EXPECT_NE(what.find("GET /repos/acme/gitops/commits/" + std::string(k_sha) +
                      "/pulls?per_page=100 answered 401 (Bad credentials)"),
            std::string::npos)
      << what;
  EXPECT_NE(what.find("token was rejected"), std::string::npos) << what;
  what = error_of([&] { (void)provider.find_merged_pr_for_commit(k_sha); });
  EXPECT_EQ(last_status, 404);
  EXPECT_NE(what.find("acme/gitops"), std::string::npos) << what;
  EXPECT_NE(what.find("cannot see it"), std::string::npos) << what;
  what = error_of([&] { (void)provider.find_merged_pr_for_commit(k_sha); });
  EXPECT_EQ(last_status, 502);
  EXPECT_NE(what.find("find the pull request of commit"), std::string::npos) << what;
  EXPECT_NE(what.find("answered 502"), std::string::npos) << what;
}

TEST_F(GitHubProviderTest, NonJsonSuccessIsAnError) {
  http.expect("GET", find_url("b"), 200, "<html>proxy login</html>");
  auto provider = make();
  const auto what = error_of([&] { (void)provider.find_open_pr("b", "main"); });
  EXPECT_NE(what.find("not JSON"), std::string::npos) << what;
}

TEST_F(GitHubProviderTest, EnterpriseServerUsesItsOwnEndpoints) {
  FakeHttpClient ghes;
  ghes.expect("GET",
              "https://ghes.example.com/api/v3/repos/team/app/pulls?state=open&head=team:b&base="
              "main&per_page=100",
              200, json::array({pr_json(1, "b", "main")}).dump());
  ghes.expect("POST", "https://ghes.example.com/api/graphql", 200,
              R"({"data":{"enablePullRequestAutoMerge":{"pullRequest":{"number":1}}}})");
  const auto remote = parse_github_remote("git@ghes.example.com:team/app.git");
  GitHubProvider provider(remote, k_token, ghes, github_endpoints(remote));
  const auto pr = provider.find_open_pr("b", "main");
  ASSERT_TRUE(pr);
  provider.set_auto_merge(*pr, true, config::MergeMethod::merge);
  EXPECT_EQ(ghes.pending(), 0U);
}

// The request budget of the commands (DESIGN §4.4): `new` ≤ 4 requests, `promote` ≤ 5, `status` ≤ 2
// per poll, when nothing needs paging.
TEST_F(GitHubProviderTest, RequestBudgetOfTheCommandFlows) {
  auto provider = make();
  // new: find the PR, create it, enable auto-merge.
  http.expect("GET", find_url("promote/dev/apps-web"), 200, "[]");
  http.expect("GET", find_url("promote/dev/apps-web"), 200, "[]");
  http.expect("POST", std::string(k_repo) + "/pulls", 201,
              pr_json(1, "promote/dev/apps-web", "main").dump());
  http.expect("POST", "https://api.github.com/graphql", 200,
              R"({"data":{"enablePullRequestAutoMerge":{"pullRequest":{"number":1}}}})");
  (void)provider.find_open_pr("promote/dev/apps-web", "main");
  auto pr = provider.create_or_update_pr("promote/dev/apps-web", "main", "t", "d");
  (void)provider.update_auto_merge(pr, true, config::MergeMethod::merge);
  EXPECT_LE(http.requests().size(), 4U);

  // promote: the PR behind the commit, then the same for the next environment; updating a PR whose
  // auto-merge is already on costs no GraphQL call.
  const std::size_t before_promote = http.requests().size();
  http.expect("GET", std::string(k_repo) + "/commits/" + k_sha + "/pulls?per_page=100", 200,
              json::array({merged_pr_json(1, k_sha)}).dump());
  http.expect("GET", find_url("promote/qa/apps-web"), 200, "[]");
  http.expect("GET", find_url("promote/qa/apps-web"), 200,
              json::array({pr_json(2, "promote/qa/apps-web", "main", "open", true)}).dump());
  http.expect("PATCH", std::string(k_repo) + "/pulls/2", 200,
              pr_json(2, "promote/qa/apps-web", "main", "open", true).dump());
  (void)provider.find_merged_pr_for_commit(k_sha);
  (void)provider.find_open_pr("promote/qa/apps-web", "main");
  pr = provider.create_or_update_pr("promote/qa/apps-web", "main", "t", "d");
  EXPECT_EQ(provider.update_auto_merge(pr, true, config::MergeMethod::merge),
            AutoMergeOutcome::unchanged);
  EXPECT_LE(http.requests().size() - before_promote, 5U);

  // status: one commit's statuses and check runs are one GraphQL request (a poll looks at one or
  // two commits).
  const std::size_t before_status = http.requests().size();
  http.expect("POST", k_graphql, 200, rollup_page(json::array()));
  (void)provider.list_statuses(k_sha);
  EXPECT_EQ(http.requests().size() - before_status, 1U);
}

} // namespace
} // namespace gitops::providers
