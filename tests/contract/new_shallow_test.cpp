// `new` end to end from a depth-1 clone: the real commands layer (run_new → plan_new → apply_plan),
// the real provider from make_provider and the real CurlHttpClient, through Prism (a validating
// proxy with the forge's published description, --errors) in front of the forge simulator
// (in-process). A shallow clone cannot push, so the commit is made through the forge's API (GitHub:
// Git Data API, Azure DevOps: Pushes API). Checks the branch, the PR, auto-merge, the untouched
// clone and the request budget counted by the simulator.
#include "gp_test_paths.hpp"
#include "server.hpp"
#include "support/kit.hpp"
#include "support/prism.hpp"
#include "support/retrying_curl.hpp"
#include "support/temp_dir.hpp"
#include "support/validating_client.hpp"

#include "gitops/commands/new.hpp"
#include "gitops/commands/services.hpp"
#include "gitops/git/repository.hpp"
#include "gitops/http/curl_http_client.hpp"
#include "gitops/providers/factory.hpp"
#include "gitops/providers/registry.hpp"
#include "gitops/util/log.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace gitops::contract {
namespace {

using namespace std::chrono_literals;
using ::testing::IsEmpty;

constexpr const char *k_token = "new-contract-token-0123456789";
constexpr const char *k_branch = "promote/webshop-cart";
constexpr const char *k_dev_file = "webshop/dev/cart/deployment.yaml";

const git::LibGit2Session k_session;

// The GitOps layout of every test repository: dev and qa automated, prod manual.
std::map<std::string, std::string> gitops_layout() {
  return {{"gitops-promotion.yaml",
           "environments:\n  - name: dev\n    auto: true\n"
           "  - name: qa\n    auto: true\n  - name: prod\n    auto: false\n"},
          {"webshop/dev/cart/deployment.yaml", cart_deployment("1.0.0")},
          {"webshop/qa/cart/deployment.yaml", cart_deployment("1.0.0")},
          {"webshop/prod/cart/deployment.yaml", cart_deployment("1.0.0")}};
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// The simulator, Prism in front of it and a depth-1 clone of one of its repositories.
class NewFromShallowClone : public ::testing::Test {
protected:
  // Starts the simulator (with `token`, and bodies pointing at Prism when `public_via_prism`) and
  // Prism with `spec`, and creates `owner/repo` with the GitOps layout.
  void start(const std::string &spec, const std::string &token, bool public_via_prism,
             const std::string &owner, const std::string &repo) {
    m_owner = owner;
    m_repo = repo;
    const int prism_port = free_port();
    forge_sim::Options options;
    options.repo_root = m_dir.path() / "repos";
    options.token = token;
    if (public_via_prism) {
      options.public_url = "http://127.0.0.1:" + std::to_string(prism_port);
    }
    m_sim = std::make_unique<forge_sim::Simulator>(options);
    const int sim_port = m_sim->start();
    {
      auto lock = m_sim->state().lock();
      auto &created = m_sim->state().create_repo(owner, repo, "main", gitops_layout());
      created.settings.allow_auto_merge = true;
      // Without a required context a fresh PR is already mergeable and GitHub refuses auto-merge
      // ("clean status"), which apply_plan then leaves off: a gate makes auto-merge observable.
      created.settings.required_contexts = {"kustomization/webshop-dev"};
      m_bare = created.path;
    }
    m_prism = std::make_unique<Prism>(std::filesystem::path(GP_SOURCE_DIR) / spec,
                                      "http://127.0.0.1:" + std::to_string(sim_port),
                                      m_dir.path() / "prism.log", prism_port);
    http::ClientOptions client_options;
    http::RetryOptions retry;
    retry.rate_limit = providers::forge(providers::ProviderKind::github).rate_limit;
    retry.max_attempts = 4;
    retry.base_backoff = 1ms;
    retry.max_backoff = 2ms;
    retry.throttle_wait = 1ms;
    retry.sleep = [](std::chrono::milliseconds) {}; // the simulator needs no real pause
    client_options.secrets = {k_token};
    m_curl = std::make_unique<test::RetryingCurl>(client_options, retry);
    m_validating = std::make_unique<ValidatingHttpClient>(*m_curl);
    m_http = std::make_unique<GraphqlBypass>(*m_validating, m_prism->url() + "/graphql",
                                             "http://127.0.0.1:" + std::to_string(sim_port) +
                                                 "/graphql");
  }

  void TearDown() override {
    if (m_validating) {
      EXPECT_THAT(m_validating->violations(), IsEmpty())
          << "Prism log:\n"
          << (m_prism ? m_prism->log() : std::string());
    }
    m_prism.reset();
    if (m_sim) {
      m_sim->stop();
    }
  }

  // `git clone --depth 1` of the simulator's bare repository, origin then pointed at `origin_url`
  // (never contacted: a shallow clone commits through the API).
  void clone(const std::string &origin_url) {
    m_clone = m_dir.path() / "clone";
    shell("git clone -q --depth 1 " + shell_quote("file://" + m_bare.string()) + " " +
          shell_quote(m_clone.string()));
    git_clone("remote set-url origin " + shell_quote(origin_url));
    ASSERT_EQ(trim(git_clone("rev-parse --is-shallow-repository")), "true");
    m_head = trim(git_clone("rev-parse HEAD"));
  }

  std::string git_clone(const std::string &args) const {
    return shell("git -C " + shell_quote(m_clone.string()) + " " + args);
  }
  std::string git_bare(const std::string &args) const {
    return shell("git --git-dir=" + shell_quote(m_bare.string()) + " " + args);
  }

  // `new --group webshop --app cart --tag <tag>` on the clone through the commands layer, with
  // the provider make_provider builds for origin's URL.
  commands::NewResult run_new(providers::ProviderKind kind, const std::string &api_url,
                              const std::string &tag) {
    const std::string origin = trim(git_clone("remote get-url origin"));
    providers::ProviderOptions options;
    options.api_url = api_url;
    const auto provider = providers::make_provider(kind, origin, k_token, *m_http, options);
    auto repository = git::Repository::open(m_clone);
    std::ostringstream log_stream;
    util::Logger log{log_stream, util::LogLevel::debug};
    commands::Services services{repository, commands::locate_root(repository, m_clone),
                                provider.get(), log};
    services.credentials.token = k_token;
    commands::NewOptions options_new;
    options_new.group = "webshop";
    options_new.app = "cart";
    options_new.tag = tag;
    auto result = commands::run_new(options_new, services);
    EXPECT_EQ(log_stream.str().find(k_token), std::string::npos) << log_stream.str();
    return result;
  }

  void reset_counters() {
    auto lock = m_sim->state().lock();
    m_sim->state().reset_counters();
  }
  [[nodiscard]] std::map<std::string, long> counters() {
    auto lock = m_sim->state().lock();
    return m_sim->state().request_counts().get<std::map<std::string, long>>();
  }

  struct PrView {
    long number = 0;
    std::string title;
    std::string body;
    std::string head_sha;
    bool auto_merge = false;
  };
  // The open PRs of k_branch in the simulator.
  [[nodiscard]] std::vector<PrView> open_prs() {
    auto lock = m_sim->state().lock();
    std::vector<PrView> out;
    for (const auto *pr : m_sim->state().prs_of(m_owner + "/" + m_repo)) {
      if (pr->state == "open" && pr->head_ref == k_branch) {
        out.push_back({pr->number, pr->title, pr->body, pr->head_sha, pr->auto_merge.has_value()});
      }
    }
    return out;
  }

  [[nodiscard]] std::string expected_description() const {
    return "<!-- metadata = "
           "{\"group\":\"webshop\",\"app\":\"cart\",\"tag\":\"1.2.3\",\"env\":\"dev\","
           "\"sha\":\"" +
           m_head +
           "\",\"feature\":\"\",\"type\":\"promote\"} -->\n\tENV: dev\n\tAPP: cart\n\tTAG: 1.2.3";
  }

  // Everything one successful `new` must leave behind; returns the branch's commit.
  std::string expect_promoted(const commands::NewResult &result) {
    EXPECT_FALSE(result.dry_run);
    if (!result.outcome) {
      ADD_FAILURE() << "no outcome";
      return {};
    }
    const auto &outcome = *result.outcome;
    EXPECT_FALSE(outcome.skipped) << outcome.message;
    const std::string sha = outcome.commit.value_or("");
    EXPECT_EQ(sha.size(), 40U) << outcome.message;
    EXPECT_EQ(outcome.branch.value_or(k_branch), k_branch);
    const auto prs = open_prs();
    EXPECT_EQ(prs.size(), 1U) << "exactly one open PR for " << k_branch;
    if (prs.size() != 1) {
      return sha;
    }
    const auto &pr = prs.front();
    EXPECT_EQ(outcome.pr_number, pr.number);
    EXPECT_EQ(outcome.message, "created branch promote/webshop-cart with pull request " +
                                   std::to_string(pr.number) + " on commit " + sha);
    EXPECT_EQ(pr.title, "Promote webshop/cart version 1.2.3 to environment dev");
    EXPECT_EQ(pr.body, expected_description());
    EXPECT_EQ(pr.head_sha, sha);
    EXPECT_TRUE(pr.auto_merge) << "dev is automated: auto-merge must be on";

    // The forge's branch: one commit on the clone's HEAD changing only the dev manifest.
    EXPECT_EQ(trim(git_bare("rev-parse refs/heads/promote/webshop-cart")), sha);
    EXPECT_EQ(trim(git_bare("rev-parse " + sha + "^")), m_head);
    EXPECT_EQ(trim(git_bare("rev-list --count " + m_head + ".." + sha)), "1");
    EXPECT_EQ(git_bare("diff --name-only " + m_head + " " + sha), std::string(k_dev_file) + "\n");
    EXPECT_EQ(git_bare("show " + sha + ":" + k_dev_file), cart_deployment("1.2.3"));
    EXPECT_EQ(trim(git_bare("log -1 --format=%s " + sha)),
              "Promote webshop/cart version 1.2.3 to environment dev");
    EXPECT_EQ(trim(git_bare("rev-parse refs/heads/main")), m_head) << "main is untouched";
    EXPECT_EQ(git_bare("for-each-ref --format='%(refname)' refs/heads"),
              "refs/heads/main\nrefs/heads/promote/webshop-cart\n")
        << "no other branch (e.g. a temporary one) is left behind";

    // The clone: nothing committed, checked out or written.
    EXPECT_EQ(trim(git_clone("rev-parse HEAD")), m_head);
    EXPECT_EQ(trim(git_clone("rev-parse --abbrev-ref HEAD")), "main");
    EXPECT_EQ(git_clone("status --porcelain"), "");
    EXPECT_EQ(git_clone("for-each-ref refs/heads/promote"), "");
    EXPECT_EQ(trim(git_clone("rev-parse --is-shallow-repository")), "true");
    return sha;
  }

  // Commit dates have a one-second resolution: the re-run waits for the next second so that its
  // commit (same tree, parent and message) is a new object, not the same sha by coincidence.
  static void wait_for_next_second() {
    const std::time_t start = std::time(nullptr);
    while (std::time(nullptr) == start) {
      std::this_thread::sleep_for(20ms);
    }
  }

  test::TempDir m_dir{"gp-new-shallow-"};
  http::CurlGlobal m_curl_global;
  std::string m_owner;
  std::string m_repo;
  std::filesystem::path m_bare;
  std::filesystem::path m_clone;
  std::string m_head;
  std::unique_ptr<forge_sim::Simulator> m_sim;
  std::unique_ptr<Prism> m_prism;
  std::unique_ptr<test::RetryingCurl> m_curl;
  std::unique_ptr<ValidatingHttpClient> m_validating;
  std::unique_ptr<GraphqlBypass> m_http;
};

// The requests of `counts` whose key contains `needle`.
long matching(const std::map<std::string, long> &counts, const std::string &needle) {
  long sum = 0;
  for (const auto &[key, n] : counts) {
    sum += key.find(needle) != std::string::npos ? n : 0;
  }
  return sum;
}

// Request budget observed (simulator counters, Prism in front; GraphQL straight to the simulator):
// first `new`: 8 requests = commit through the Git Data API 5 (GET git/commits/{base} for the base
//   tree, POST git/trees with the content inline — no blob call —, POST git/commits, PATCH
//   git/refs/{ref} answering 422 for a missing branch, then POST git/refs) + PR part 3 (GET pulls
//   to find an open PR, POST pulls, POST /graphql enablePullRequestAutoMerge): the PR part is
//   within the issue's ≤ 4.
// re-run: 6 requests = commit 4 (GET commit, POST tree, POST commit, PATCH ref force) + PR part 2
//   (GET pulls finds the PR, PATCH pulls/{n}; auto-merge is already on, so no GraphQL call).
TEST_F(NewFromShallowClone, GitHubCommitsThroughTheGitDataApiAndOpensOnePr) {
  start("tests/data/specs/github/api.github.com.trimmed.json", k_token, true, "o", "r");
  clone("https://github.com/o/r.git");

  reset_counters();
  const auto first = run_new(providers::ProviderKind::github, m_prism->url(), "1.2.3");
  const auto first_counts = counters();
  const std::string sha1 = expect_promoted(first);
  EXPECT_EQ(first_counts, (Counts{{"GET /repos/{owner}/{repo}/git/commits/{commit_sha}", 1},
                                  {"POST /repos/{owner}/{repo}/git/trees", 1},
                                  {"POST /repos/{owner}/{repo}/git/commits", 1},
                                  {"PATCH /repos/{owner}/{repo}/git/refs/{ref}", 1},
                                  {"POST /repos/{owner}/{repo}/git/refs", 1},
                                  {"GET /repos/{owner}/{repo}/pulls", 1},
                                  {"POST /repos/{owner}/{repo}/pulls", 1},
                                  {"POST /graphql", 1}}))
      << describe(first_counts);
  EXPECT_LE(total(first_counts) - matching(first_counts, "/git/"), 4) << describe(first_counts);
  EXPECT_LE(total(first_counts), 8) << describe(first_counts);

  wait_for_next_second();
  reset_counters();
  const auto second = run_new(providers::ProviderKind::github, m_prism->url(), "1.2.3");
  const auto second_counts = counters();
  const std::string sha2 = expect_promoted(second);
  EXPECT_NE(sha2, sha1) << "the re-run moves the branch to a new commit";
  EXPECT_EQ(second.outcome->pr_number, first.outcome->pr_number) << "the PR is reused";
  EXPECT_EQ(second_counts, (Counts{{"GET /repos/{owner}/{repo}/git/commits/{commit_sha}", 1},
                                   {"POST /repos/{owner}/{repo}/git/trees", 1},
                                   {"POST /repos/{owner}/{repo}/git/commits", 1},
                                   {"PATCH /repos/{owner}/{repo}/git/refs/{ref}", 1},
                                   {"GET /repos/{owner}/{repo}/pulls", 1},
                                   {"PATCH /repos/{owner}/{repo}/pulls/{pull_number}", 1}}))
      << describe(second_counts);
  EXPECT_LE(total(second_counts) - matching(second_counts, "/git/"), 4) << describe(second_counts);
}

// Request budget observed (simulator counters, all through Prism):
// first `new`: 7 requests = commit through the Pushes API 4 (GET items: does the file exist at the
//   base — "edit" or "add" —, GET refs: the branch's head, POST refs creating the branch at the
//   base, POST pushes) + PR part 3 (GET pullrequests, POST pullrequests, PATCH pullrequests/{id}
//   setting autoCompleteSetBy).
// re-run: 7 requests = commit 5 (GET items, GET refs, POST refs creating a temporary branch at the
//   base, POST pushes onto it, POST refs moving the branch and deleting the temporary one in one
//   call) + PR part 2 (GET pullrequests finds the PR, one PATCH with title, description and
//   auto-complete).
TEST_F(NewFromShallowClone, AzureDevOpsCommitsThroughThePushesApiAndOpensOnePr) {
  start("tests/data/specs/azdo/git-7.1.prism.json", k_token, false, "org", "webshop");
  clone("https://dev.azure.com/org/proj/_git/webshop");
  const std::string api = "/{org}/{project}/_apis/git/repositories/{repo}";

  reset_counters();
  const auto first = run_new(providers::ProviderKind::azdo, m_prism->url(), "1.2.3");
  const auto first_counts = counters();
  const std::string sha1 = expect_promoted(first);
  EXPECT_EQ(first_counts, (Counts{{"GET " + api + "/items", 1},
                                  {"GET " + api + "/refs", 1},
                                  {"POST " + api + "/refs", 1},
                                  {"POST " + api + "/pushes", 1},
                                  {"GET " + api + "/pullrequests", 1},
                                  {"POST " + api + "/pullrequests", 1},
                                  {"PATCH " + api + "/pullrequests/{id}", 1}}))
      << describe(first_counts);
  EXPECT_LE(matching(first_counts, "/pullrequests"), 4) << describe(first_counts);
  EXPECT_LE(total(first_counts), 7) << describe(first_counts);

  wait_for_next_second();
  reset_counters();
  const auto second = run_new(providers::ProviderKind::azdo, m_prism->url(), "1.2.3");
  const auto second_counts = counters();
  const std::string sha2 = expect_promoted(second);
  EXPECT_NE(sha2, sha1) << "the re-run moves the branch to a new commit";
  EXPECT_EQ(second.outcome->pr_number, first.outcome->pr_number) << "the PR is reused";
  EXPECT_EQ(second_counts, (Counts{{"GET " + api + "/items", 1},
                                   {"GET " + api + "/refs", 1},
                                   {"POST " + api + "/refs", 2},
                                   {"POST " + api + "/pushes", 1},
                                   {"GET " + api + "/pullrequests", 1},
                                   {"PATCH " + api + "/pullrequests/{id}", 1}}))
      << describe(second_counts);
  EXPECT_LE(matching(second_counts, "/pullrequests"), 4) << describe(second_counts);
}

} // namespace
} // namespace gitops::contract
