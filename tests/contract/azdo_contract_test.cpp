// The Azure DevOps provider against the forge simulator's Azure DevOps module, through Prism 5.14.2
// as a validating proxy with Microsoft's git 7.1 description (tests/data/specs/azdo): every request
// the provider sends and every answer the simulator gives must satisfy the spec.
#include "support/sim_repo.hpp"
#include "support/validating_client.hpp"

#include "gitops/http/curl_http_client.hpp"
#include "gitops/providers/azdo_provider.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace gitops::contract {
namespace {

using namespace std::chrono_literals;
using providers::AzdoProvider;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char *k_remote = "https://dev.azure.com/org/My%20Project/_git/webshop";
constexpr const char *k_token = "contract-pat";

class AzdoContract : public ProviderContract<AzdoContract> {
public:
  static SimulatedRepoSetup setup() {
    return {"azdo",
            "tests/data/specs/azdo/git-7.1.prism.json",
            std::nullopt,
            "org",
            "webshop",
            {{"README.md", "hello\n"},
             {"apps/dev/web.yaml", "image: web:1.0\n"},
             {"apps/qa/web.yaml", "image: web:1.0\n"}}};
  }

protected:
  void SetUp() override {
    ProviderContract::SetUp();
    if (IsSkipped()) {
      return;
    }
    m_provider = provider_for(k_remote, *m_http);
  }

  static std::unique_ptr<AzdoProvider> provider_for(const std::string &remote,
                                                    http::HttpClient &client) {
    return std::make_unique<AzdoProvider>(
        providers::parse_azdo_remote(remote, s_forge->prism().url()), k_token, client);
  }

  static int open_prs(const std::string &head) {
    auto lock = sim().state().lock();
    int n = 0;
    for (const auto *pr : sim().state().prs_of("org/webshop")) {
      n += (pr->state == "open" && pr->head_ref == head) ? 1 : 0;
    }
    return n;
  }

  // A branch with one commit changing `path` on top of main, made through the Pushes API.
  std::string branch_with_change(const std::string &branch, const std::string &path,
                                 const std::string &content) {
    const auto base = tip("main");
    EXPECT_TRUE(base);
    return m_provider->commit_via_api({branch,
                                       m_config.base_branch,
                                       base.value_or(""),
                                       {{path, content}},
                                       "Promote " + branch,
                                       m_config.author()});
  }

  std::unique_ptr<AzdoProvider> m_provider;
};

TEST_F(AzdoContract, PushesApiCommitsOnTopOfTheBase) {
  const std::string base = tip("main").value();
  // A new branch: created at the base, then pushed to.
  const std::string first = m_provider->commit_via_api(
      {"promote/pushes",
       m_config.base_branch,
       base,
       {{"apps/dev/web.yaml", "image: web:2.0\n"}, {"apps/dev/extra file.yaml", "a: 1\r\n"}},
       "Promote web 2.0",
       m_config.author()});
  EXPECT_EQ(tip("promote/pushes"), first);
  EXPECT_EQ(commit(first).parents, std::vector<std::string>{base});
  EXPECT_EQ(commit(first).message, "Promote web 2.0");
  EXPECT_EQ(commit(first).author.name, m_config.author_name);
  EXPECT_EQ(file(first, "apps/dev/web.yaml"), std::optional<std::string>("image: web:2.0\n"));
  EXPECT_EQ(file(first, "apps/dev/extra file.yaml"), std::optional<std::string>("a: 1\r\n"));
  EXPECT_EQ(file(first, "README.md"), std::optional<std::string>("hello\n"));

  // The branch is elsewhere now: the new commit is again based on `base` and replaces it.
  const std::string bytes("\xff\xfe\x00 binary", 10);
  const std::string second =
      m_provider->commit_via_api({"promote/pushes",
                                  m_config.base_branch,
                                  base,
                                  {{"apps/dev/web.yaml", "image: web:3.0\n"}, {"bin.dat", bytes}},
                                  "Promote web 3.0",
                                  m_config.author()});
  EXPECT_NE(second, first);
  EXPECT_EQ(tip("promote/pushes"), second);
  EXPECT_EQ(commit(second).parents, std::vector<std::string>{base});
  EXPECT_EQ(file(second, "bin.dat"), std::optional<std::string>(bytes));
  EXPECT_EQ(file(second, "apps/dev/extra file.yaml"), std::nullopt);
  {
    auto lock = sim().state().lock();
    EXPECT_THAT(sim().state().open_git(repo()).list_refs("refs/heads/gitops-promotion-tmp/"),
                IsEmpty());
  }

  // A branch already at the base is pushed to directly.
  const std::string third = m_provider->commit_via_api({"promote/pushes",
                                                        m_config.base_branch,
                                                        second,
                                                        {{"apps/dev/web.yaml", "image: web:4.0\n"}},
                                                        "On top",
                                                        m_config.author()});
  EXPECT_EQ(commit(third).parents, std::vector<std::string>{second});
}

TEST_F(AzdoContract, CreatesUpdatesAndAutoCompletesAPr) {
  const std::string head_sha =
      branch_with_change("promote/apps-web", "apps/dev/web.yaml", "image: web:1.1\n");
  const auto created =
      m_provider->create_or_update_pr("promote/apps-web", "main", "First title", "Body 1");
  EXPECT_GT(created.number, 0);
  EXPECT_EQ(created.head_sha, head_sha);
  EXPECT_EQ(created.state, providers::PrState::open);
  EXPECT_FALSE(created.auto_merge);
  const auto updated =
      m_provider->create_or_update_pr("promote/apps-web", "main", "Second title", "Body 2");
  EXPECT_EQ(updated.number, created.number);
  EXPECT_EQ(updated.title, "Second title");
  EXPECT_EQ(updated.description, "Body 2");
  EXPECT_EQ(open_prs("promote/apps-web"), 1);

  require({"ci/status"});
  m_provider->set_auto_merge(updated, true, config::MergeMethod::squash);
  auto open = m_provider->find_open_pr("promote/apps-web", "main");
  ASSERT_TRUE(open);
  EXPECT_TRUE(open->auto_merge);
  EXPECT_EQ(m_provider->find_open_prs_for_commit(head_sha).size(), 1U);

  // The required status turns green: auto-complete completes the PR with a squash commit.
  m_provider->set_status(head_sha, {"ci/status", providers::StatusState::success, "checked"});
  EXPECT_EQ(m_provider->find_open_pr("promote/apps-web", "main"), std::nullopt);
  const std::string main_tip = tip("main").value();
  EXPECT_EQ(commit(main_tip).parents.size(), 1U);
  EXPECT_EQ(file(main_tip, "apps/dev/web.yaml"), std::optional<std::string>("image: web:1.1\n"));
  const auto merged = m_provider->find_merged_pr_for_commit(main_tip);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->number, created.number);
  EXPECT_EQ(merged->state, providers::PrState::merged);
  EXPECT_EQ(merged->merge_commit, main_tip);
  EXPECT_EQ(merged->description, "Body 2");
  // deleteSourceBranch was part of the completion options.
  EXPECT_EQ(tip("promote/apps-web"), std::nullopt);
  // A commit no PR produced.
  EXPECT_EQ(m_provider->find_merged_pr_for_commit(head_sha), std::nullopt);
}

TEST_F(AzdoContract, AutoCompleteOffWaitsThenMergeCompletesWithAMergeCommit) {
  const std::string head_sha =
      branch_with_change("promote/manual", "apps/qa/web.yaml", "image: web:1.2\n");
  const auto pr = m_provider->create_or_update_pr("promote/manual", "main", "Manual", "Body");
  require({"ci/status"});
  m_provider->set_auto_merge(pr, true, config::MergeMethod::merge);
  m_provider->set_auto_merge(pr, false, config::MergeMethod::merge);
  m_provider->set_status(head_sha, {"ci/status", providers::StatusState::success, "checked"});
  auto open = m_provider->find_open_pr("promote/manual", "main");
  ASSERT_TRUE(open) << "auto-complete was cleared, so the PR must wait for a person";
  EXPECT_FALSE(open->auto_merge);

  const std::string old_main = tip("main").value();
  m_provider->merge_pr(*open, config::MergeMethod::merge);
  const std::string main_tip = tip("main").value();
  EXPECT_EQ(commit(main_tip).parents, (std::vector<std::string>{old_main, head_sha}));
  const auto merged = m_provider->find_merged_pr_for_commit(main_tip);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->number, pr.number);
}

TEST_F(AzdoContract, RebaseCompletionIsFoundByItsLastCommit) {
  branch_with_change("promote/rebase", "apps/dev/web.yaml", "image: web:1.3\n");
  const auto pr = m_provider->create_or_update_pr("promote/rebase", "main", "Rebase", "Body");
  const std::string old_main = tip("main").value();
  m_provider->merge_pr(pr, config::MergeMethod::rebase);
  const std::string main_tip = tip("main").value();
  EXPECT_EQ(commit(main_tip).parents, std::vector<std::string>{old_main});
  const auto merged = m_provider->find_merged_pr_for_commit(main_tip);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->number, pr.number);
}

TEST_F(AzdoContract, PoliciesAndStaleHeadsAreReported) {
  const std::string head_sha =
      branch_with_change("promote/policy", "apps/qa/web.yaml", "image: web:9\n");
  auto pr = m_provider->create_or_update_pr("promote/policy", "main", "Policy", "Body");
  require({"ci/required"});
  try {
    m_provider->merge_pr(pr, config::MergeMethod::squash);
    FAIL() << "expected ProviderError";
  } catch (const ProviderError &error) {
    EXPECT_THAT(error.what(), HasSubstr("branch policy"));
    EXPECT_THAT(error.what(), HasSubstr("ci/required"));
  }
  require({});
  pr.head_sha = std::string(40, 'a');
  EXPECT_THROW(m_provider->merge_pr(pr, config::MergeMethod::squash), ProviderError);
  EXPECT_EQ(open_prs("promote/policy"), 1);
  EXPECT_EQ(tip("promote/policy"), head_sha);
}

TEST_F(AzdoContract, StatusesRoundTripAndFluxReportsHealth) {
  const std::string sha = tip("main").value();
  m_provider->set_status(sha, {"ci/build", providers::StatusState::pending, "queued"});
  m_provider->set_status(sha, {"ci/build", providers::StatusState::failure, "broken"});
  m_provider->set_status(sha, {"kustomization/apps-qa", providers::StatusState::error, "oops"});
  const auto statuses = m_provider->list_statuses(sha);
  ASSERT_GE(statuses.size(), 3U);
  EXPECT_EQ(statuses[0].context, "kustomization/apps-qa");
  EXPECT_EQ(statuses[0].state, providers::StatusState::error);
  EXPECT_EQ(statuses[1].context, "ci/build");
  EXPECT_EQ(statuses[1].state, providers::StatusState::failure);
  EXPECT_EQ(statuses[2].state, providers::StatusState::pending);

  {
    auto lock = sim().state().lock();
    forge_sim::FluxRule rule;
    rule.group = "apps";
    rule.env = "dev";
    repo().settings.flux = {rule};
  }
  // Let the simulator's Flux see the current main before it changes.
  std::this_thread::sleep_for(300ms);
  branch_with_change("promote/flux", "apps/dev/web.yaml", "image: web:5.0\n");
  const auto pr = m_provider->create_or_update_pr("promote/flux", "main", "Flux", "Body");
  m_provider->merge_pr(pr, config::MergeMethod::squash);
  const std::string merged = tip("main").value();
  bool healthy = false;
  // The simulator posts Flux's status from its background thread; wait for it (bounded).
  for (int i = 0; i < 200 && !healthy; ++i) {
    for (const auto &s : m_provider->list_statuses(merged)) {
      healthy = healthy || (s.context == "kustomization/apps-dev" &&
                            s.state == providers::StatusState::success);
    }
    if (!healthy) {
      std::this_thread::sleep_for(100ms);
    }
  }
  EXPECT_TRUE(healthy) << "no kustomization/apps-dev status from the Flux emulation";
}

TEST_F(AzdoContract, EveryRemoteFormReachesTheSameRepository) {
  const char *remotes[] = {
      "https://dev.azure.com/org/My%20Project/_git/webshop",
      "https://org@dev.azure.com/org/My%20Project/_git/webshop",
      "https://dev.azure.com/org/My Project/_git/webshop",
      "https://org.visualstudio.com/My%20Project/_git/webshop",
      "https://org.visualstudio.com/DefaultCollection/My%20Project/_git/webshop",
      "git@ssh.dev.azure.com:v3/org/My%20Project/webshop",
  };
  branch_with_change("promote/forms", "apps/qa/web.yaml", "image: web:forms\n");
  const auto pr = m_provider->create_or_update_pr("promote/forms", "main", "Forms", "Body");
  for (const char *remote : remotes) {
    SCOPED_TRACE(remote);
    auto provider = provider_for(remote, *m_http);
    const auto found = provider->find_open_pr("promote/forms", "main");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->number, pr.number);
  }
}

TEST_F(AzdoContract, AMissingRepositoryIsNamed) {
  auto provider = provider_for("https://dev.azure.com/org/My%20Project/_git/missing", *m_http);
  try {
    (void)provider->find_open_pr("promote/x", "main");
    FAIL() << "expected ProviderError";
  } catch (const ProviderError &error) {
    EXPECT_EQ(error.status(), 404);
    EXPECT_THAT(error.what(), HasSubstr("missing permission or repository"));
    EXPECT_THAT(error.what(), HasSubstr("TF401019"));
  }
}

TEST_F(AzdoContract, InjectedFaultsNeverLeaveTwoPrs) {
  branch_with_change("promote/faults", "apps/dev/web.yaml", "image: web:faults\n");
  {
    auto lock = sim().state().lock();
    sim().state().faults().add(
        {{"path_regex", "/pullrequests$"}, {"method", "GET"}, {"count", 2}, {"action", "503"}});
  }
  // Reads are retried through 503s.
  EXPECT_EQ(m_provider->find_open_pr("promote/faults", "main"), std::nullopt);

  // The create reaches the simulator only after the client gave up waiting. Whether the client
  // then fails or repeats the POST, the delayed create lands later and must not add a second PR.
  {
    auto lock = sim().state().lock();
    sim().state().faults().add({{"path_regex", "/pullrequests$"},
                                {"method", "POST"},
                                {"count", 1},
                                {"action", "delay"},
                                {"delay_ms", 3000}});
  }
  http::ClientOptions impatient;
  impatient.total_timeout = 1s;
  http::RetryOptions retry;
  retry.base_backoff = 20ms;
  retry.max_backoff = 100ms;
  test::RetryingCurl impatient_curl(impatient, retry);
  ValidatingHttpClient impatient_http(impatient_curl);
  auto provider = provider_for(k_remote, impatient_http);
  try {
    (void)provider->create_or_update_pr("promote/faults", "main", "Faults", "Body 1");
  } catch (const HttpError &) {
    // The first run may fail; the re-run below must recover.
  }
  for (int i = 0; i < 100 && open_prs("promote/faults") == 0; ++i) {
    std::this_thread::sleep_for(100ms);
  }
  // Give the delayed request time to reach the simulator's handler (3 s after it arrived).
  std::this_thread::sleep_for(3500ms);
  ASSERT_EQ(open_prs("promote/faults"), 1);
  const auto pr = m_provider->create_or_update_pr("promote/faults", "main", "Faults", "Body 2");
  EXPECT_EQ(pr.description, "Body 2");
  EXPECT_EQ(open_prs("promote/faults"), 1);
  EXPECT_THAT(impatient_http.violations(), IsEmpty());
}

// The simulator's own refusals, asked directly (no Prism: these are error paths the provider never
// takes on purpose).
TEST_F(AzdoContract, SimulatorRefusesWhatAzureRefuses) {
  httplib::Client sim("127.0.0.1", s_forge->sim().port());
  const std::string base = "/org/My%20Project/_apis/git/repositories/webshop";
  const std::string main_sha = tip("main").value();
  const auto post = [&](const std::string &path, const nlohmann::json &body) {
    auto res =
        sim.Post((base + path + "?api-version=7.1").c_str(), body.dump(), "application/json");
    return std::make_pair(res ? res->status : 0,
                          res ? nlohmann::json::parse(res->body, nullptr, false)
                              : nlohmann::json());
  };
  const auto push = [&](const std::string &old_id, const std::string &type,
                        const std::string &path) {
    return post("/pushes",
                {{"refUpdates", {{{"name", "refs/heads/sim-refusals"}, {"oldObjectId", old_id}}}},
                 {"commits",
                  {{{"comment", "c"},
                    {"changes",
                     {{{"changeType", type},
                       {"item", {{"path", path}}},
                       {"newContent", {{"content", "x"}, {"contentType", "rawText"}}}}}}}}}});
  };

  auto missing_version = sim.Get((base + "/refs").c_str());
  ASSERT_TRUE(missing_version);
  EXPECT_EQ(missing_version->status, 400);
  EXPECT_THAT(missing_version->body, HasSubstr("api-version"));

  auto [status, body] = push(main_sha, "add", "/README.md");
  EXPECT_EQ(status, 400);
  EXPECT_THAT(body.value("message", ""), HasSubstr("already exists"));
  std::tie(status, body) = push(main_sha, "edit", "/nope.yaml");
  EXPECT_EQ(status, 400);
  EXPECT_THAT(body.value("message", ""), HasSubstr("TF401174"));
  std::tie(status, body) = push(main_sha, "edit", "/README.md");
  EXPECT_EQ(status, 201);
  // The branch exists now: pushing again from an old commit is stale.
  std::tie(status, body) = push(main_sha, "edit", "/README.md");
  EXPECT_EQ(status, 409);
  EXPECT_THAT(body.value("message", ""), HasSubstr("TF401028"));
  EXPECT_EQ(body.value("typeKey", ""), "GitReferenceStaleException");

  std::tie(status, body) =
      post("/refs", nlohmann::json::array({{{"name", "refs/heads/sim-refusals"},
                                            {"oldObjectId", main_sha},
                                            {"newObjectId", main_sha}}}));
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["value"][0]["updateStatus"], "staleOldObjectId");
  EXPECT_EQ(body["value"][0]["success"], false);

  std::tie(status, body) =
      post("/pullrequestquery",
           {{"queries", {{{"items", {std::string(40, 'f')}}, {"type", "lastMergeCommit"}}}}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["results"], nlohmann::json::array({nlohmann::json::object()}));

  std::tie(status, body) = post("/commits/" + main_sha + "/statuses",
                                {{"state", "passed"}, {"context", {{"name", "x"}}}});
  EXPECT_EQ(status, 400);
  std::tie(status, body) = post("/commits/" + std::string(40, 'e') + "/statuses",
                                {{"state", "succeeded"}, {"context", {{"name", "x"}}}});
  EXPECT_EQ(status, 404);
}

} // namespace
} // namespace gitops::contract
