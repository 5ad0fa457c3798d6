// Contract tests of the GitHub provider: the real provider and CurlHttpClient talk to the forge
// simulator (tools/forge-sim, in-process) through Prism, a proxy that validates every request and
// answer against GitHub's published OpenAPI description (tests/data/specs/github/). Any violation
// fails the test; every GraphQL document sent is validated against @octokit/graphql-schema.
// GraphQL is not in the REST description, so it goes straight to the simulator.
#include "gp_test_paths.hpp"
#include "support/prism.hpp"
#include "support/process.hpp"
#include "support/retrying_curl.hpp"
#include "support/rsa_keys.hpp"
#include "support/temp_dir.hpp"
#include "support/validating_client.hpp"

#include "gitops/http/curl_http_client.hpp"
#include "gitops/providers/github_app.hpp"
#include "gitops/providers/github_provider.hpp"
#include "gitops/providers/registry.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <server.hpp>
#include <set>
#include <sys/wait.h>
#include <thread>

namespace gitops::contract {
namespace {

using nlohmann::json;
using providers::AutoMergeOutcome;
using providers::GitHubProvider;
using providers::PullRequest;
using providers::StatusState;
using ::testing::HasSubstr;

constexpr const char *k_token = "contract-token-0123456789";
constexpr const char *k_owner = "acme";
const std::string k_manifest = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n"
                               "    spec:\n      containers:\n        - name: web\n"
                               "          image: registry/web:1.0.0 # {\"$imagepolicy\": "
                               "\"apps:web:tag\"}\n";

// The simulator, Prism and the HTTP client, shared by every test of the process (Prism takes a
// second or two to start).
struct Services {
  test::TempDir dir{"gp-contract-"};
  http::CurlGlobal curl;
  std::unique_ptr<forge_sim::Simulator> sim;
  std::unique_ptr<Prism> prism;
  std::unique_ptr<test::RetryingCurl> client;
  std::unique_ptr<test::RetryingCurl> admin_client;

  Services() {
    const int prism_port = free_port();
    forge_sim::Options options;
    options.repo_root = dir.path() / "repos";
    options.token = k_token;
    // Link headers and URLs in bodies point at Prism, so follow-up pages are validated too.
    options.public_url = "http://127.0.0.1:" + std::to_string(prism_port);
    sim = std::make_unique<forge_sim::Simulator>(options);
    const int sim_port = sim->start();
    prism = std::make_unique<Prism>(std::filesystem::path(GP_SOURCE_DIR) /
                                        "tests/data/specs/github/api.github.com.trimmed.json",
                                    "http://127.0.0.1:" + std::to_string(sim_port),
                                    dir.path() / "prism.log", prism_port);
    http::ClientOptions client_options;
    http::RetryOptions retry;
    retry.rate_limit = providers::forge(providers::ProviderKind::github).rate_limit;
    retry.max_attempts = 4;
    retry.base_backoff = std::chrono::milliseconds(1);
    retry.max_backoff = std::chrono::milliseconds(2);
    retry.throttle_wait = std::chrono::milliseconds(1);
    retry.sleep = [](std::chrono::milliseconds) {}; // the simulator needs no real pause
    client_options.secrets = {k_token};
    client = std::make_unique<test::RetryingCurl>(client_options, retry);
    admin_client = std::make_unique<test::RetryingCurl>();
  }

  [[nodiscard]] std::string sim_url() const {
    return "http://127.0.0.1:" + std::to_string(sim->port());
  }
};

Services &services() {
  static Services instance;
  return instance;
}

int run_node_validator(const std::vector<std::string> &documents, std::string &output) {
  test::TempDir dir{"gp-gql-"};
  std::string files;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    const auto file = dir.path() / ("doc" + std::to_string(i) + ".graphql");
    std::ofstream(file) << documents[i];
    files += " '" + file.string() + "'";
  }
  const test::ShellResult result = test::run_shell("node '" + std::string(GP_SOURCE_DIR) +
                                                   "/tools/contract/validate-graphql.mjs'" + files);
  output = result.output;
  return result.exit_code;
}

class GitHubContract : public ::testing::Test {
protected:
  void SetUp() override {
    auto &s = services();
    static int counter = 0;
    m_repo = "repo" + std::to_string(++counter);
    admin("POST", "/_admin/repos",
          {{"owner", k_owner},
           {"repo", m_repo},
           {"default_branch", "main"},
           {"files", {{"apps/dev/web.yaml", k_manifest}, {"apps/qa/web.yaml", k_manifest}}}});
    m_validating = std::make_unique<ValidatingHttpClient>(*s.client);
    m_provider = make_provider(k_token);
  }

  void TearDown() override {
    EXPECT_TRUE(m_validating->violations().empty()) << describe_violations();
    const auto &documents = m_validating->graphql_documents();
    if (!documents.empty()) {
      const std::set<std::string> unique(documents.begin(), documents.end());
      std::string output;
      EXPECT_EQ(run_node_validator({unique.begin(), unique.end()}, output), 0)
          << "GraphQL documents rejected by GitHub's schema:\n"
          << output;
    }
  }

  // A provider for this test's repository (or `repo`) whose REST calls go through Prism, or to
  // `api_url` when given.
  [[nodiscard]] std::unique_ptr<GitHubProvider> make_provider(const std::string &token,
                                                              const std::string &repo = {},
                                                              const std::string &api_url = {}) {
    providers::GitHubRemote remote{"github.com", k_owner, repo.empty() ? m_repo : repo, true};
    providers::GitHubEndpoints endpoints{api_url.empty() ? services().prism->url() : api_url,
                                         services().sim_url() + "/graphql"};
    return std::make_unique<GitHubProvider>(remote, token, *m_validating, endpoints,
                                            "gitops-promotion-contract");
  }

  std::string describe_violations() const {
    std::string text;
    for (const auto &v : m_validating->violations()) {
      text += v + "\n";
    }
    return text;
  }

  // A call to the simulator's admin API (not part of any forge, so not through Prism).
  json admin(const std::string &method, const std::string &path, const json &body = nullptr) {
    http::Request request;
    request.method = method;
    request.url = services().sim_url() + path;
    if (!body.is_null()) {
      request.body = body.dump();
      request.headers.emplace("Content-Type", "application/json");
    }
    const auto response = services().admin_client->send(request);
    EXPECT_LT(response.status, 300) << method << " " << path << ": " << response.body;
    return json::parse(response.body, nullptr, false);
  }

  void settings(json body) {
    body["owner"] = k_owner;
    body["repo"] = m_repo;
    (void)admin("POST", "/_admin/settings", body);
  }

  void fault(json spec) { (void)admin("POST", "/_admin/faults", spec); }

  // Uses of injected faults not consumed yet (0 proves every injected fault was hit).
  int pending_faults() {
    int remaining = 0;
    const auto state = admin("GET", "/_admin/state");
    for (const auto &f : state["faults"]) {
      remaining += f.value("remaining", 0);
    }
    return remaining;
  }

  // A raw GitHub REST call through Prism (validated like the provider's own calls).
  http::Response rest(const std::string &method, const std::string &path,
                      const json &body = nullptr, const std::string &token = k_token) {
    http::Request request;
    request.method = method;
    request.url = services().prism->url() + path;
    request.headers.emplace("Authorization", "Bearer " + token);
    request.headers.emplace("Accept", "application/vnd.github+json");
    request.headers.emplace("X-GitHub-Api-Version", "2022-11-28");
    if (!body.is_null()) {
      request.body = body.dump();
      request.headers.emplace("Content-Type", "application/json");
    }
    return m_validating->send(request);
  }

  std::string repo_path() const { return std::string("/repos/") + k_owner + "/" + m_repo; }

  std::string branch_sha(const std::string &branch) {
    const auto response = rest("GET", repo_path() + "/git/ref/heads/" + branch);
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body)["object"]["sha"].get<std::string>();
  }

  // A promotion branch with one changed manifest, made through the Git Data API.
  std::string make_branch(const std::string &branch, const std::string &tag) {
    std::string content = k_manifest;
    content.replace(content.find("1.0.0"), 5, tag);
    return m_provider->commit_via_api({branch,
                                       config::Config{}.base_branch,
                                       branch_sha("main"),
                                       {{"apps/dev/web.yaml", content}},
                                       "Promote apps/web version " + tag,
                                       config::Config{}.author()});
  }

  // The open PRs of this repository (every page), to check that no duplicate appeared.
  std::vector<long> open_pr_numbers() {
    std::vector<long> numbers;
    const auto response = rest("GET", repo_path() + "/pulls?state=open&per_page=100");
    for (const auto &pr : json::parse(response.body)) {
      numbers.push_back(pr["number"].get<long>());
    }
    return numbers;
  }

  template <class Fn> std::string provider_error(Fn &&fn) {
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

  std::string m_repo;
  std::unique_ptr<ValidatingHttpClient> m_validating;
  std::unique_ptr<GitHubProvider> m_provider;
};

// The oracle must be able to fail: a request the spec forbids is flagged.
TEST_F(GitHubContract, HarnessFlagsRequestsThatBreakTheSpec) {
  const auto response = rest("POST", repo_path() + "/pulls", json{{"title", "no head, no base"}});
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(m_validating->violations().size(), 1U);
  std::string why;
  EXPECT_TRUE(is_contract_violation(response, why));
  EXPECT_NE(why.find("head"), std::string::npos) << why;
  m_validating->clear_violations();
}

TEST_F(GitHubContract, RepositoryInfo) {
  settings({{"allow_auto_merge", true}});
  const auto info = m_provider->repository_info();
  EXPECT_EQ(info.default_branch, "main");
  EXPECT_TRUE(info.allow_auto_merge);
}

TEST_F(GitHubContract, CommitViaApiCreatesThenMovesTheBranch) {
  const auto base = branch_sha("main");
  const auto first = make_branch("promote/apps-web", "1.1.0");
  EXPECT_EQ(branch_sha("promote/apps-web"), first);
  EXPECT_NE(first, base);
  // Again on the existing branch (PATCH with force), with content that is not UTF-8 (a blob).
  const auto second =
      m_provider->commit_via_api({"promote/apps-web",
                                  config::Config{}.base_branch,
                                  base,
                                  {{"apps/dev/web.yaml", k_manifest + "# caf\xE9\n"}},
                                  "Promote again",
                                  config::Config{}.author()});
  EXPECT_EQ(branch_sha("promote/apps-web"), second);
  const auto commit = json::parse(rest("GET", repo_path() + "/git/commits/" + second).body);
  ASSERT_EQ(commit["parents"].size(), 1U);
  EXPECT_EQ(commit["parents"][0]["sha"], base);
  EXPECT_EQ(commit["message"], "Promote again");
  EXPECT_EQ(commit["author"]["name"], config::Config{}.author_name);
}

TEST_F(GitHubContract, CreateFindAndUpdateAPullRequest) {
  const auto head_sha = make_branch("promote/apps-web", "1.1.0");
  EXPECT_FALSE(m_provider->find_open_pr("promote/apps-web", "main"));
  const auto created =
      m_provider->create_or_update_pr("promote/apps-web", "main", "Promote 1.1.0", "first body");
  EXPECT_GT(created.number, 0);
  EXPECT_FALSE(created.id.empty());
  EXPECT_EQ(created.head_sha, head_sha);
  EXPECT_EQ(created.state, providers::PrState::open);
  const auto found = m_provider->find_open_pr("promote/apps-web", "main");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->number, created.number);
  EXPECT_EQ(found->description, "first body");
  EXPECT_FALSE(m_provider->find_open_pr("promote/apps-web", "develop"));

  const auto updated =
      m_provider->create_or_update_pr("promote/apps-web", "main", "Promote 1.2.0", "second body");
  EXPECT_EQ(updated.number, created.number);
  EXPECT_EQ(updated.title, "Promote 1.2.0");
  EXPECT_EQ(updated.description, "second body");
  EXPECT_EQ(open_pr_numbers(), std::vector<long>{created.number});

  const auto by_commit = m_provider->find_open_prs_for_commit(head_sha);
  ASSERT_EQ(by_commit.size(), 1U);
  EXPECT_EQ(by_commit[0].number, created.number);
}

TEST_F(GitHubContract, CreatePrForAMissingBranchIsExplained) {
  const auto what = provider_error(
      [&] { (void)m_provider->create_or_update_pr("no-such-branch", "main", "t", "d"); });
  EXPECT_NE(what.find("answered 422"), std::string::npos) << what;
  EXPECT_NE(what.find("no-such-branch"), std::string::npos) << what;
}

TEST_F(GitHubContract, AutoMergeEnableDisableAndMergeWhenChecksPass) {
  settings({{"allow_auto_merge", true}, {"required_contexts", {"ci/test"}}});
  const auto head_sha = make_branch("promote/apps-web", "2.0.0");
  auto pr = m_provider->create_or_update_pr("promote/apps-web", "main", "t", "d");
  EXPECT_EQ(m_provider->update_auto_merge(pr, true, config::MergeMethod::squash),
            AutoMergeOutcome::changed);
  pr = *m_provider->find_open_pr("promote/apps-web", "main");
  EXPECT_TRUE(pr.auto_merge);
  EXPECT_EQ(m_provider->update_auto_merge(pr, true, config::MergeMethod::squash),
            AutoMergeOutcome::unchanged);
  m_provider->set_auto_merge(pr, false, config::MergeMethod::squash);
  pr = *m_provider->find_open_pr("promote/apps-web", "main");
  EXPECT_FALSE(pr.auto_merge);

  // On again, then the required check turns green and the simulator merges (squash).
  m_provider->set_auto_merge(pr, true, config::MergeMethod::squash);
  m_provider->set_status(head_sha, {"ci/test", providers::StatusState::success, "tests passed"});
  (void)admin("POST", "/_admin/tick");
  EXPECT_FALSE(m_provider->find_open_pr("promote/apps-web", "main"));
  const auto main_sha = branch_sha("main");
  const auto merged = m_provider->find_merged_pr_for_commit(main_sha);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->number, pr.number);
  EXPECT_EQ(merged->state, providers::PrState::merged);
}

TEST_F(GitHubContract, AutoMergeNotAllowedAsksForTheRepositorySetting) {
  settings({{"allow_auto_merge", false}, {"required_contexts", {"ci/test"}}});
  (void)make_branch("promote/apps-web", "2.0.0");
  const auto pr = m_provider->create_or_update_pr("promote/apps-web", "main", "t", "d");
  const auto what =
      provider_error([&] { m_provider->set_auto_merge(pr, true, config::MergeMethod::merge); });
  EXPECT_NE(what.find("Allow auto-merge"), std::string::npos) << what;
}

TEST_F(GitHubContract, AlreadyMergeablePrIsReportedAndMergedDirectly) {
  settings({{"allow_auto_merge", true}, {"required_contexts", json::array()}});
  (void)make_branch("promote/apps-web", "3.0.0");
  const auto pr = m_provider->create_or_update_pr("promote/apps-web", "main", "t", "d");
  EXPECT_EQ(m_provider->update_auto_merge(pr, true, config::MergeMethod::merge),
            AutoMergeOutcome::already_mergeable);
  m_provider->merge_pr(pr, config::MergeMethod::merge);
  const auto merged = m_provider->find_merged_pr_for_commit(branch_sha("main"));
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->number, pr.number);
  EXPECT_EQ(merged->merge_commit, std::optional<std::string>(branch_sha("main")));
}

TEST_F(GitHubContract, RebaseMergedPrIsFoundFromTheNewBaseCommit) {
  (void)make_branch("promote/apps-web", "3.1.0");
  const auto pr = m_provider->create_or_update_pr("promote/apps-web", "main", "t", "d");
  m_provider->merge_pr(pr, config::MergeMethod::rebase);
  const auto merged = m_provider->find_merged_pr_for_commit(branch_sha("main"));
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->number, pr.number);
}

TEST_F(GitHubContract, MergeWithAStaleHeadIsRefused) {
  (void)make_branch("promote/apps-web", "4.0.0");
  auto pr = m_provider->create_or_update_pr("promote/apps-web", "main", "t", "d");
  pr.head_sha = branch_sha("main"); // not the head any more
  const auto what = provider_error([&] { m_provider->merge_pr(pr, config::MergeMethod::merge); });
  EXPECT_NE(what.find("merge pull request #" + std::to_string(pr.number)), std::string::npos)
      << what;
  EXPECT_EQ(open_pr_numbers(), std::vector<long>{pr.number});
}

TEST_F(GitHubContract, StatusesAndCheckRunsPastOneHundred) {
  const auto sha = branch_sha("main");
  for (int i = 0; i < 105; ++i) {
    m_provider->set_status(sha, {"ci/job-" + std::to_string(i),
                                 i == 104 ? StatusState::failure : StatusState::success,
                                 "job " + std::to_string(i)});
  }
  for (const auto &[name, conclusion] : std::vector<std::pair<std::string, std::string>>{
           {"lint", "success"}, {"e2e", "timed_out"}}) {
    const auto response = rest(
        "POST", repo_path() + "/check-runs",
        {{"name", name}, {"head_sha", sha}, {"status", "completed"}, {"conclusion", conclusion}});
    EXPECT_EQ(response.status, 201) << response.body;
  }
  (void)rest("POST", repo_path() + "/check-runs",
             {{"name", "build"}, {"head_sha", sha}, {"status", "in_progress"}});
  const auto statuses = m_provider->list_statuses(sha);
  std::map<std::string, std::string> by_context;
  for (const auto &status : statuses) {
    by_context[status.context] = std::string(to_string(status.state));
  }
  EXPECT_EQ(statuses.size(), 108U);
  EXPECT_EQ(by_context["ci/job-0"], "success");
  EXPECT_EQ(by_context["ci/job-104"], "failure");
  EXPECT_EQ(by_context["lint"], "success");
  EXPECT_EQ(by_context["e2e"], "failure");
  EXPECT_EQ(by_context["build"], "pending");
  EXPECT_EQ(statuses.front().context, "ci/job-104") << "newest first";
}

TEST_F(GitHubContract, BadTokenAndUnknownRepositoryAreExplained) {
  const auto bad_token = make_provider("wrong-token");
  auto what = provider_error([&] { (void)bad_token->find_open_pr("b", "main"); });
  EXPECT_NE(what.find("answered 401"), std::string::npos) << what;
  EXPECT_NE(what.find("token was rejected"), std::string::npos) << what;
  EXPECT_EQ(what.find("wrong-token"), std::string::npos) << what;

  const auto missing = make_provider(k_token, "does-not-exist");
  what = provider_error([&] { (void)missing->repository_info(); });
  EXPECT_NE(what.find("answered 404"), std::string::npos) << what;
  EXPECT_NE(what.find("acme/does-not-exist"), std::string::npos) << what;
}

TEST_F(GitHubContract, TransientServerErrorsAreRetriedWithoutDuplicatePrs) {
  (void)make_branch("promote/apps-web", "5.0.0");
  fault({{"path_regex", "/pulls$"}, {"method", "POST"}, {"count", 2}, {"action", "502"}});
  fault({{"path_regex", "/pulls$"}, {"method", "GET"}, {"count", 1}, {"action", "503"}});
  const auto pr = m_provider->create_or_update_pr("promote/apps-web", "main", "t", "d");
  EXPECT_EQ(open_pr_numbers(), std::vector<long>{pr.number});
  // Retrying the whole step (a re-run after a crash) updates the same PR.
  fault({{"path_regex", "/pulls/[0-9]+$"}, {"method", "PATCH"}, {"count", 1}, {"action", "503"}});
  const auto again = m_provider->create_or_update_pr("promote/apps-web", "main", "t2", "d2");
  EXPECT_EQ(again.number, pr.number);
  EXPECT_EQ(again.title, "t2");
  EXPECT_EQ(open_pr_numbers(), std::vector<long>{pr.number});
  EXPECT_EQ(pending_faults(), 0);
}

// Prism answers a dropped upstream connection with its own 500 (FetchError), which is not what a
// client of GitHub sees, so dropped connections are tested against the simulator directly.
TEST_F(GitHubContract, DroppedConnectionsAreRetriedWithoutDuplicatePrs) {
  (void)make_branch("promote/apps-web", "5.1.0");
  const auto direct = make_provider(k_token, {}, services().sim_url());
  fault({{"path_regex", "/pulls$"}, {"method", "POST"}, {"count", 1}, {"action", "drop"}});
  const auto pr = direct->create_or_update_pr("promote/apps-web", "main", "t", "d");
  fault({{"path_regex", "/pulls/[0-9]+$"}, {"method", "PATCH"}, {"count", 1}, {"action", "drop"}});
  fault({{"path_regex", "/pulls$"}, {"method", "GET"}, {"count", 1}, {"action", "drop"}});
  const auto again = direct->create_or_update_pr("promote/apps-web", "main", "t2", "d2");
  EXPECT_EQ(again.number, pr.number);
  EXPECT_EQ(open_pr_numbers(), std::vector<long>{pr.number});
  EXPECT_EQ(pending_faults(), 0);
}

TEST_F(GitHubContract, RateLimitsAreWaitedOut) {
  // Statuses come from one GraphQL query; pull requests from REST through Prism.
  fault({{"path_regex", "/graphql$"}, {"count", 1}, {"action", "429"}, {"retry_after", 1}});
  fault({{"path_regex", "/pulls$"}, {"method", "GET"}, {"count", 1}, {"action", "403-secondary"}});
  EXPECT_TRUE(m_provider->list_statuses(branch_sha("main")).empty());
  EXPECT_FALSE(m_provider->find_open_pr("promote/apps-none", "main").has_value());
  EXPECT_EQ(pending_faults(), 0);
}

TEST_F(GitHubContract, PersistentServerErrorsFailClearly) {
  fault({{"path_regex", "/commits/.*/pulls"}, {"count", 10}, {"action", "500"}});
  const auto sha = branch_sha("main");
  const auto what = provider_error([&] { (void)m_provider->find_merged_pr_for_commit(sha); });
  EXPECT_NE(what.find("find the pull request of commit " + sha), std::string::npos) << what;
  EXPECT_NE(what.find("answered 500"), std::string::npos) << what;
  EXPECT_EQ(pending_faults(), 10 - 1) << "a 500 is not retried: one attempt, then a clear error";
  (void)admin("DELETE", "/_admin/faults");
}

// DESIGN §4.4: `new` ≤ 4 requests, `promote` ≤ 5, `status` ≤ 2 per poll.
TEST_F(GitHubContract, RequestBudgetOfTheCommands) {
  settings({{"allow_auto_merge", true}, {"required_contexts", {"ci/test"}}});
  (void)make_branch("promote/dev/apps-web", "6.0.0");
  m_validating->reset_sent();
  (void)m_provider->find_open_pr("promote/dev/apps-web", "main");
  auto pr = m_provider->create_or_update_pr("promote/dev/apps-web", "main", "t", "d");
  (void)m_provider->update_auto_merge(pr, true, config::MergeMethod::merge);
  EXPECT_LE(m_validating->sent().size(), 4U);

  m_provider->set_status(pr.head_sha, {"ci/test", providers::StatusState::success, ""});
  (void)admin("POST", "/_admin/tick");
  const auto merge_commit = branch_sha("main");
  (void)make_branch("promote/qa/apps-web", "6.0.0");
  m_validating->reset_sent();
  const auto merged = m_provider->find_merged_pr_for_commit(merge_commit);
  ASSERT_TRUE(merged);
  (void)m_provider->find_open_pr("promote/qa/apps-web", "main");
  pr = m_provider->create_or_update_pr("promote/qa/apps-web", "main", "t", "d");
  (void)m_provider->update_auto_merge(pr, true, config::MergeMethod::merge);
  EXPECT_LE(m_validating->sent().size(), 5U);

  m_validating->reset_sent();
  (void)m_provider->list_statuses(pr.head_sha);
  EXPECT_LE(m_validating->sent().size(), 2U);
}

// GitHub App authentication through Prism: the repository's installation, an installation by id
// and the access token, with GitHub's answers for a missing installation, a foreign key and a
// skewed clock. TearDown fails on any request or answer the description does not allow.
class GitHubAppContract : public GitHubContract {
protected:
  void SetUp() override {
    GitHubContract::SetUp();
    static const test::RsaKeyPair pair = test::make_rsa_key_pair(2048);
    static const test::RsaKeyPair other = test::make_rsa_key_pair(2048);
    m_key = pair;
    m_other = other;
    static long next_app = 7000;
    m_app_id = ++next_app;
    (void)admin("POST", "/_admin/github-apps",
                {{"id", m_app_id}, {"slug", "gitops-promotion"}, {"public_key", m_key.public_pem}});
    m_installation = m_app_id * 10;
    (void)admin("POST", "/_admin/github-apps/installations",
                {{"id", m_installation},
                 {"app_id", m_app_id},
                 {"account", k_owner},
                 {"repositories", {m_repo}},
                 {"permissions",
                  {{"contents", "write"},
                   {"pull_requests", "write"},
                   {"statuses", "read"},
                   {"checks", "read"},
                   {"metadata", "read"}}}});
  }

  void TearDown() override {
    (void)admin("POST", "/_admin/github-apps/settings", {{"clock_offset_seconds", 0}});
    GitHubContract::TearDown();
  }

  std::shared_ptr<providers::GitHubAppTokenSource>
  source(const std::string &pem, std::optional<std::string> installation = std::nullopt,
         long app_id = 0) {
    providers::GitHubAppCredentials credentials{std::to_string(app_id == 0 ? m_app_id : app_id),
                                                pem, "GITHUB_APP_PRIVATE_KEY",
                                                std::move(installation)};
    return std::make_shared<providers::GitHubAppTokenSource>(
        credentials, providers::GitHubRemote{"github.com", k_owner, m_repo, true},
        providers::GitHubEndpoints{services().prism->url(), services().sim_url() + "/graphql"},
        *m_validating, [this](const std::string &secret) { m_secrets.push_back(secret); });
  }

  std::string failure(providers::GitHubAppTokenSource &app) {
    try {
      (void)app.token();
    } catch (const ProviderError &e) {
      return e.what();
    }
    ADD_FAILURE() << "no ProviderError";
    return {};
  }

  test::RsaKeyPair m_key;
  test::RsaKeyPair m_other;
  long m_app_id = 0;
  long m_installation = 0;
  std::vector<std::string> m_secrets;
};

TEST_F(GitHubAppContract, InstallationTokenFromTheRepositorysInstallationWorksForTheApi) {
  auto app = source(m_key.private_pem);
  const std::string token = app->token();
  EXPECT_EQ(token.rfind("ghs_", 0), 0U) << token;
  EXPECT_EQ(app->installation_id(), std::to_string(m_installation));
  providers::GitHubRemote remote{"github.com", k_owner, m_repo, true};
  providers::GitHubEndpoints endpoints{services().prism->url(), services().sim_url() + "/graphql"};
  GitHubProvider provider(remote, app, *m_validating, endpoints);
  EXPECT_FALSE(provider.find_open_pr("nothing-here", "main"));
  // A token the simulator never issued is refused, so the success above proves the token.
  const auto refused = rest("GET", repo_path() + "/pulls?state=open", nullptr, "ghs_forged");
  EXPECT_EQ(refused.status, 401);
}

TEST_F(GitHubAppContract, InstallationByIdAndTokenRenewal) {
  (void)admin("POST", "/_admin/github-apps/settings", {{"token_lifetime_seconds", 2}});
  auto app = source(m_key.private_pem, std::to_string(m_installation));
  const std::string first = app->token();
  // Renewed halfway: 1 s for 2 s tokens (3 s when GitHub's Date and expires_at straddle a
  // second).
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  const std::string second = app->token();
  (void)admin("POST", "/_admin/github-apps/settings", {{"token_lifetime_seconds", 3600}});
  EXPECT_NE(first, second) << "a token past half its life is renewed";
  EXPECT_EQ(app->minted(), 2);
}

TEST_F(GitHubAppContract, GitHubsAnswersForABrokenSetUp) {
  EXPECT_THAT(failure(*source(m_other.private_pem)),
              HasSubstr("the key does not belong to GitHub App " + std::to_string(m_app_id)));
  EXPECT_THAT(failure(*source(m_key.private_pem, "99999")), HasSubstr("has no installation 99999"));
  (void)admin("POST", "/_admin/github-apps",
              {{"id", m_app_id + 1}, {"public_key", m_other.public_pem}});
  EXPECT_THAT(failure(*source(m_other.private_pem, std::nullopt, m_app_id + 1)),
              HasSubstr("is not installed on " + std::string(k_owner) + "/" + m_repo));
  (void)admin("POST", "/_admin/github-apps/settings", {{"clock_offset_seconds", 900}});
  EXPECT_THAT(failure(*source(m_key.private_pem)), HasSubstr("seconds behind GitHub's"));
  // Asking for more than the installation grants: GitHub's 422, valid against the description.
  (void)admin("POST", "/_admin/github-apps/settings", {{"clock_offset_seconds", 0}});
  m_secrets.clear();
  auto app = source(m_key.private_pem);
  (void)app->token();
  const std::string jwt = m_secrets.front();
  const auto denied =
      rest("POST", "/app/installations/" + std::to_string(m_installation) + "/access_tokens",
           {{"permissions", {{"administration", "write"}}}}, jwt);
  EXPECT_EQ(denied.status, 422) << denied.body;
}

} // namespace
} // namespace gitops::contract
