#include "support/fake_http_client.hpp"

#include "gitops/config/config.hpp"
#include "gitops/providers/factory.hpp"
#include "gitops/providers/gitea_provider.hpp"
#include "gitops/providers/registry.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

namespace gitops::providers {
namespace {

using gitops::test::FakeHttpClient;
using nlohmann::json;

constexpr const char *k_token = "gitea_never_print_me";
constexpr const char *k_api = "https://gitea.example.com/api/v1";
constexpr const char *k_repo = "https://gitea.example.com/api/v1/repos/acme/gitops";
constexpr const char *k_sha = "1111111111111111111111111111111111111111";
constexpr const char *k_head_sha = "2222222222222222222222222222222222222222";

json pr_json(long number, const std::string &head, const std::string &base,
             const std::string &state = "open", long head_repo = 7) {
  return {{"id", 100 + number},
          {"number", number},
          {"title", "title " + std::to_string(number)},
          {"body", "body " + std::to_string(number)},
          {"state", state},
          {"merged", false},
          {"merge_commit_sha", nullptr},
          {"html_url", "https://gitea.example.com/acme/gitops/pulls/" + std::to_string(number)},
          {"head", {{"ref", head}, {"sha", k_head_sha}, {"repo_id", head_repo}}},
          {"base", {{"ref", base}, {"sha", k_sha}, {"repo_id", 7}}}};
}

std::string list_url(int page = 0) {
  return std::string(k_repo) + "/pulls?state=open&limit=50&base_branch=main" +
         (page > 0 ? "&page=" + std::to_string(page) : "");
}

class GiteaProviderTest : public ::testing::Test {
protected:
  void TearDown() override { EXPECT_EQ(http.pending(), 0U) << "expected requests were not sent"; }

  GiteaProvider make() {
    return GiteaProvider(parse_gitea_remote("https://gitea.example.com/acme/gitops.git"),
                         std::make_shared<util::FixedToken>(k_token), http,
                         "gitops-promotion-test");
  }

  // The message of the ProviderError `fn` throws, checked to never contain the token.
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

TEST(GiteaRemote, ParsesHttpsSshSubPathsAndOverrides) {
  GiteaRemote https = parse_gitea_remote("https://user:secret@gitea.example.com/acme/gitops.git");
  EXPECT_EQ(https.api_url, "https://gitea.example.com/api/v1");
  EXPECT_EQ(https.owner, "acme");
  EXPECT_EQ(https.repo, "gitops");
  EXPECT_EQ(parse_gitea_remote("git@codeberg.org:acme/gitops.git").api_url,
            "https://codeberg.org/api/v1");
  // An ssh port belongs to the ssh daemon, not to the web server.
  EXPECT_EQ(parse_gitea_remote("ssh://git@gitea.example.com:2222/acme/gitops.git").api_url,
            "https://gitea.example.com/api/v1");
  EXPECT_EQ(parse_gitea_remote("http://127.0.0.1:3000/acme/gitops").api_url,
            "http://127.0.0.1:3000/api/v1");
  GiteaRemote sub = parse_gitea_remote("https://example.com/git/acme/gitops.git");
  EXPECT_EQ(sub.api_url, "https://example.com/git/api/v1");
  EXPECT_EQ(sub.owner, "acme");
  EXPECT_EQ(
      parse_gitea_remote("https://gitea.example.com/acme/gitops", "http://sim:1/api/v1/").api_url,
      "http://sim:1/api/v1");
  try {
    (void)parse_gitea_remote("https://user:secret@gitea.example.com/gitops");
    ADD_FAILURE() << "a path without an owner was accepted";
  } catch (const ProviderError &e) {
    EXPECT_NE(std::string(e.what()).find("OWNER/REPO"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
  }
}

TEST(GiteaRegistry, HostsVariablesAndFactory) {
  const Forge *entry = forge_for_host("codeberg.org");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->kind, ProviderKind::gitea);
  EXPECT_EQ(forge_for_host("gitea.example.com"), entry);
  EXPECT_EQ(forge_for_host("forgejo.internal."), entry);
  EXPECT_NE(forge_for_host("github.com"), entry);
  EXPECT_EQ(forge_named("gitea"), entry);
  EXPECT_EQ(forge_names(), "github|azdo|gitea|gitlab");
  const auto variables = all_token_variables();
  EXPECT_NE(std::find(variables.begin(), variables.end(), "GITEA_TOKEN"), variables.end());
  EXPECT_NE(std::find(variables.begin(), variables.end(), "FORGEJO_TOKEN"), variables.end());
  FakeHttpClient http;
  const auto provider =
      make_provider(ProviderKind::gitea, "git@codeberg.org:acme/gitops.git", "t", http);
  EXPECT_EQ(provider->kind(), ProviderKind::gitea);
  EXPECT_EQ(dynamic_cast<GiteaProvider &>(*provider).remote().api_url,
            "https://codeberg.org/api/v1");
}

TEST_F(GiteaProviderTest, SendsTheTokenHeaderAndFollowsPagesSkippingForks) {
  json first = json::array(
      {pr_json(3, "promote/apps-web", "main", "open", 99), pr_json(2, "other", "main")});
  http.expect("GET", list_url(), 200, first.dump(),
              {{"Link", "<https://elsewhere.example/api/v1/repos/acme/gitops/pulls?page=2>; "
                        "rel=\"next\""}});
  http.expect("GET", std::string(k_api) + "/repos/acme/gitops/pulls?page=2", 200,
              json::array({pr_json(1, "promote/apps-web", "main")}).dump());
  auto provider = make();
  const auto pr = provider.find_open_pr("promote/apps-web", "main");
  ASSERT_TRUE(pr);
  // #3 comes from a fork (another head repository): not ours.
  EXPECT_EQ(pr->number, 1);
  EXPECT_EQ(pr->head_sha, k_head_sha);
  EXPECT_TRUE(pr->auto_merge) << "an open PR may have auto-merge scheduled";
  const auto &request = http.requests().at(0);
  EXPECT_EQ(request.headers.find("Authorization")->second, std::string("token ") + k_token);
  EXPECT_EQ(request.headers.find("User-Agent")->second, "gitops-promotion-test");
}

TEST_F(GiteaProviderTest, CreatesAndOnConflictUpdatesTheOpenOne) {
  http.expect("POST", std::string(k_repo) + "/pulls", 201,
              pr_json(4, "promote/apps-web", "main").dump());
  auto provider = make();
  EXPECT_EQ(provider.create_pr("promote/apps-web", "main", "t", "d").number, 4);
  EXPECT_EQ(body_of(0),
            (json{{"title", "t"}, {"head", "promote/apps-web"}, {"base", "main"}, {"body", "d"}}));

  http.expect("POST", std::string(k_repo) + "/pulls", 409,
              R"({"message":"pull request already exists for these targets"})");
  http.expect("GET", list_url(), 200, json::array({pr_json(4, "promote/apps-web", "main")}).dump());
  http.expect("PATCH", std::string(k_repo) + "/pulls/4", 201,
              pr_json(4, "promote/apps-web", "main").dump());
  EXPECT_EQ(provider.create_pr("promote/apps-web", "main", "t2", "d2").number, 4);
  EXPECT_EQ(body_of(3), (json{{"title", "t2"}, {"body", "d2"}}));

  http.expect("POST", std::string(k_repo) + "/pulls", 422,
              R"({"message":"There are no changes between the head and the base"})");
  const std::string message =
      error_of([&] { (void)provider.create_pr("promote/apps-web", "main", "t", "d"); });
  EXPECT_NE(message.find("has no changes compared to main"), std::string::npos) << message;
}

TEST_F(GiteaProviderTest, AutoMergeIsScheduledOnlyBehindARequiredCheck) {
  auto provider = make();
  PullRequest pr;
  pr.number = 5;
  pr.base_branch = "main";
  pr.head_sha = k_head_sha;
  http.expect("GET", std::string(k_repo) + "/branches/main", 200,
              R"({"name":"main","enable_status_check":false,"status_check_contexts":[]})");
  EXPECT_EQ(provider.update_auto_merge(pr, true, config::MergeMethod::merge),
            AutoMergeOutcome::already_mergeable);
  http.expect("GET", std::string(k_repo) + "/branches/main", 200,
              R"({"name":"main","enable_status_check":false,"status_check_contexts":[]})");
  EXPECT_NE(error_of([&] {
              provider.set_auto_merge(pr, true, config::MergeMethod::merge);
            }).find("requires no status check"),
            std::string::npos);

  const std::string protected_main =
      R"({"name":"main","enable_status_check":true,"status_check_contexts":["ci/status"]})";
  http.expect("GET", std::string(k_repo) + "/branches/main", 200, protected_main);
  http.expect("POST", std::string(k_repo) + "/pulls/5/merge", 201, "");
  EXPECT_EQ(provider.update_auto_merge(pr, true, config::MergeMethod::squash),
            AutoMergeOutcome::changed);
  EXPECT_EQ(body_of(3), (json{{"do", "squash"},
                              {"merge_when_checks_succeed", true},
                              {"head_commit_id", k_head_sha}}));
  http.expect("GET", std::string(k_repo) + "/branches/main", 200, protected_main);
  http.expect(
      "POST", std::string(k_repo) + "/pulls/5/merge", 409,
      R"({"message":"pull request is already scheduled to auto merge when checks succeed"})");
  EXPECT_EQ(provider.update_auto_merge(pr, true, config::MergeMethod::merge),
            AutoMergeOutcome::unchanged);
  http.expect("GET", std::string(k_repo) + "/branches/main", 200, protected_main);
  http.expect("POST", std::string(k_repo) + "/pulls/5/merge", 405,
              R"({"message":"Invalid merge style"})");
  EXPECT_NE(error_of([&] {
              (void)provider.update_auto_merge(pr, true, config::MergeMethod::rebase);
            }).find("rebase merge style may not be allowed"),
            std::string::npos);

  http.expect("DELETE", std::string(k_repo) + "/pulls/5/merge", 204, "");
  EXPECT_EQ(provider.update_auto_merge(pr, false, config::MergeMethod::merge),
            AutoMergeOutcome::changed);
  http.expect("DELETE", std::string(k_repo) + "/pulls/5/merge", 404,
              R"({"message":"The target couldn't be found."})");
  EXPECT_EQ(provider.update_auto_merge(pr, false, config::MergeMethod::merge),
            AutoMergeOutcome::unchanged);
}

TEST_F(GiteaProviderTest, FindsTheMergedPullRequestOfACommit) {
  auto provider = make();
  json merged = pr_json(6, "promote/apps-web", "main", "closed");
  merged["merged"] = true;
  merged["merge_commit_sha"] = k_sha;
  http.expect("GET", std::string(k_repo) + "/commits/" + k_sha + "/pull", 200, merged.dump());
  const auto pr = provider.find_merged_pr_for_commit(k_sha);
  ASSERT_TRUE(pr);
  EXPECT_EQ(pr->state, PrState::merged);
  EXPECT_EQ(pr->merge_commit, std::optional<std::string>(k_sha));
  EXPECT_FALSE(pr->auto_merge);
  http.expect("GET", std::string(k_repo) + "/commits/" + k_sha + "/pull", 404,
              R"({"message":"The target couldn't be found."})");
  EXPECT_FALSE(provider.find_merged_pr_for_commit(k_sha));
  http.expect("GET", std::string(k_repo) + "/commits/" + k_sha + "/pull", 500, "{}");
  EXPECT_NE(error_of([&] { (void)provider.find_merged_pr_for_commit(k_sha); }).find("answered 500"),
            std::string::npos);
}

TEST_F(GiteaProviderTest, ListsTheLatestStatusPerContextOverPages) {
  auto provider = make();
  const std::string url = std::string(k_repo) + "/commits/" + k_sha + "/status?limit=50";
  http.expect(
      "GET", url, 200,
      json{{"state", "failure"},
           {"statuses", json::array({{{"context", "kustomization/apps-dev"}, {"status", "success"}},
                                     {{"context", "lint"}, {"status", "warning"}}})}}
          .dump(),
      {{"Link", "<" + url + "&page=2>; rel=\"next\""}});
  http.expect("GET", url + "&page=2", 200,
              json{{"statuses", json::array({{{"context", "skip"}, {"status", "skipped"}},
                                             {{"context", "new"}, {"status", "something"}}})}}
                  .dump());
  const auto statuses = provider.list_statuses(k_sha);
  ASSERT_EQ(statuses.size(), 4U);
  EXPECT_EQ(statuses[0].state, StatusState::success);
  EXPECT_EQ(statuses[1].state, StatusState::failure);
  EXPECT_EQ(statuses[2].state, StatusState::success);
  EXPECT_EQ(statuses[3].state, StatusState::pending);

  http.expect("POST", std::string(k_repo) + "/statuses/" + k_sha, 201, "{}");
  provider.set_status(k_sha, {"gitops-promotion/status", StatusState::success, "ok"});
  EXPECT_EQ(
      body_of(2),
      (json{{"state", "success"}, {"context", "gitops-promotion/status"}, {"description", "ok"}}));
}

TEST_F(GiteaProviderTest, MergesWithTheHeadItRead) {
  auto provider = make();
  PullRequest pr;
  pr.number = 8;
  pr.head_sha = k_head_sha;
  http.expect("POST", std::string(k_repo) + "/pulls/8/merge", 200, "");
  provider.merge_pr(pr, config::MergeMethod::rebase);
  EXPECT_EQ(body_of(0), (json{{"do", "rebase"}, {"head_commit_id", k_head_sha}}));
  http.expect("POST", std::string(k_repo) + "/pulls/8/merge", 409,
              R"({"message":"head out of date"})");
  EXPECT_NE(error_of([&] {
              provider.merge_pr(pr, config::MergeMethod::merge);
            }).find("head of the pull request moved"),
            std::string::npos);
}

TEST_F(GiteaProviderTest, CommitsThroughTheContentsApiWithBlobIdsAtTheBase) {
  auto provider = make();
  config::Config cfg;
  cfg.base_branch = "main";
  cfg.author_name = "Bot";
  cfg.author_email = "bot@example.com";
  const std::string contents = std::string(k_repo) + "/contents/";
  http.expect("GET", contents + "apps/dev/web.yaml?ref=" + k_sha, 200,
              R"({"type":"file","sha":"aaaa"})");
  http.expect("GET", contents + "apps/dev/new%20file.yaml?ref=" + k_sha, 404,
              R"({"message":"not found"})");
  http.expect("GET", contents + "apps/dev/old.yaml?ref=" + k_sha, 200,
              R"({"type":"file","sha":"bbbb"})");
  http.expect("POST", std::string(k_repo) + "/contents", 201,
              R"({"commit":{"sha":"3333333333333333333333333333333333333333"}})");
  const std::string sha = provider.commit_via_api({"promote/apps-web",
                                                   cfg.base_branch,
                                                   k_sha,
                                                   {{"apps/dev/web.yaml", "image: web:2\n"},
                                                    {"apps/dev/new file.yaml", "x\n"},
                                                    {"apps/dev/old.yaml", "", true}},
                                                   "Promote",
                                                   cfg.author()});
  EXPECT_EQ(sha, "3333333333333333333333333333333333333333");
  const json body = body_of(3);
  EXPECT_EQ(body["branch"], "main");
  EXPECT_EQ(body["new_branch"], "promote/apps-web");
  EXPECT_EQ(body["force_push"], true);
  EXPECT_EQ(body["message"], "Promote");
  EXPECT_EQ(body["author"], (json{{"name", "Bot"}, {"email", "bot@example.com"}}));
  EXPECT_EQ(
      body["files"],
      (json::array({{{"operation", "update"},
                     {"path", "apps/dev/web.yaml"},
                     {"sha", "aaaa"},
                     {"content", util::base64_encode("image: web:2\n")}},
                    {{"operation", "create"},
                     {"path", "apps/dev/new file.yaml"},
                     {"content", util::base64_encode("x\n")}},
                    {{"operation", "delete"}, {"path", "apps/dev/old.yaml"}, {"sha", "bbbb"}}})));

  http.expect("GET", contents + "apps/dev/web.yaml?ref=" + k_sha, 200,
              R"({"type":"file","sha":"aaaa"})");
  http.expect("POST", std::string(k_repo) + "/contents", 409,
              R"({"message":"sha does not match [given: aaaa, expected: cccc]"})");
  const std::string message = error_of([&] {
    (void)provider.commit_via_api({"promote/apps-web",
                                   cfg.base_branch,
                                   k_sha,
                                   {{"apps/dev/web.yaml", "y"}},
                                   "m",
                                   cfg.author()});
  });
  EXPECT_NE(message.find("changed on main since commit"), std::string::npos) << message;
}

TEST_F(GiteaProviderTest, ExplainsRejectedTokensAndMissingScopes) {
  auto provider = make();
  http.expect("GET", list_url(), 401, R"({"message":"token is required"})");
  EXPECT_NE(
      error_of([&] { (void)provider.find_open_pr("b", "main"); }).find("the token was rejected"),
      std::string::npos);
  http.expect("GET", list_url(), 403, R"({"message":"token does not have scope"})");
  EXPECT_NE(error_of([&] { (void)provider.find_open_pr("b", "main"); }).find("write:repository"),
            std::string::npos);
  http.expect("GET", list_url(), 404, R"({"message":"The target couldn't be found."})");
  EXPECT_NE(error_of([&] {
              (void)provider.find_open_pr("b", "main");
            }).find("does not exist at https://gitea.example.com/api/v1"),
            std::string::npos);
}

} // namespace
} // namespace gitops::providers
