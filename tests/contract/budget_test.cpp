// The GitHub API request budget of the real commands (issue 4): `new` ≤ 4 requests, `promote` ≤ 5,
// `status` ≤ 2 per poll, counted by the forge simulator. Everything is real: the commands layer,
// make_provider's GitHub provider, CurlHttpClient, a full clone pushing and fetching through the
// smart-HTTP git server (lighttpd + git http-backend) over the simulator's own bare repository, and
// Prism (validating proxy with GitHub's REST description) in front of the simulator. GraphQL is not
// in that description, so /graphql goes to the simulator directly; its documents are checked
// against GitHub's GraphQL schema instead.
#include "gp_test_paths.hpp"
#include "server.hpp"
#include "support/git_server.hpp"
#include "support/kit.hpp"
#include "support/prism.hpp"
#include "support/process.hpp"
#include "support/retrying_curl.hpp"
#include "support/temp_dir.hpp"
#include "support/validating_client.hpp"

#include "gitops/commands/new.hpp"
#include "gitops/commands/promote.hpp"
#include "gitops/commands/services.hpp"
#include "gitops/commands/status.hpp"
#include "gitops/git/repository.hpp"
#include "gitops/http/curl_http_client.hpp"
#include "gitops/promotion/pr_state.hpp"
#include "gitops/providers/factory.hpp"
#include "gitops/providers/registry.hpp"
#include "gitops/util/log.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

namespace gitops::contract {
namespace {

using namespace std::chrono_literals;
using ::testing::IsEmpty;

constexpr const char *k_token = "budget-contract-token-0123456789";
constexpr const char *k_branch = "promote/webshop-cart";
constexpr const char *k_context = "kustomization/webshop-dev";

const git::LibGit2Session k_session;

// `command`'s output without the trailing newlines; throws when it exits non-zero.
std::string shell_line(const std::string &command) {
  std::string output = shell(command);
  while (!output.empty() && output.back() == '\n') {
    output.pop_back();
  }
  return output;
}

// The simulator and the git server over the same bare repositories, Prism in front of the
// simulator, and a full clone of o/r whose origin is the git server.
class RequestBudget : public ::testing::Test {
protected:
  void SetUp() override {
    const int prism_port = free_port();
    forge_sim::Options options;
    options.repo_root = m_git.repo_path("o/r").parent_path().parent_path();
    options.token = k_token;
    options.public_url = "http://127.0.0.1:" + std::to_string(prism_port);
    m_sim = std::make_unique<forge_sim::Simulator>(options);
    const int sim_port = m_sim->start();
    {
      auto lock = m_sim->state().lock();
      auto &repo = m_sim->state().create_repo(
          "o", "r", "main",
          {{"gitops-promotion.yaml", "environments:\n  - name: dev\n    auto: true\n"
                                     "  - name: qa\n    auto: true\n  - name: prod\n"
                                     "    auto: false\n"},
           {"webshop/dev/cart/deployment.yaml", cart_deployment("1.0.0")},
           {"webshop/qa/cart/deployment.yaml", cart_deployment("1.0.0")},
           {"webshop/prod/cart/deployment.yaml", cart_deployment("1.0.0")}});
      repo.settings.allow_auto_merge = true;
      // A required context keeps fresh PRs from being "clean", so auto-merge can be enabled.
      repo.settings.required_contexts = {"ci/test"};
    }
    m_prism = std::make_unique<Prism>(std::filesystem::path(GP_SOURCE_DIR) /
                                          "tests/data/specs/github/api.github.com.trimmed.json",
                                      "http://127.0.0.1:" + std::to_string(sim_port),
                                      m_dir.path() / "prism.log", prism_port);
    http::ClientOptions client_options;
    http::RetryOptions retry;
    retry.rate_limit = providers::forge(providers::ProviderKind::github).rate_limit;
    retry.max_attempts = 4;
    retry.throttle_wait = 1ms;
    retry.base_backoff = 1ms;
    retry.max_backoff = 2ms;
    retry.sleep = [](std::chrono::milliseconds) {};
    client_options.secrets = {k_token};
    m_curl = std::make_unique<test::RetryingCurl>(client_options, retry);
    m_validating = std::make_unique<ValidatingHttpClient>(*m_curl);
    m_http = std::make_unique<GraphqlBypass>(*m_validating, m_prism->url() + "/graphql",
                                             "http://127.0.0.1:" + std::to_string(sim_port) +
                                                 "/graphql");

    m_clone = m_dir.path() / "clone";
    shell_line("git clone -q " + shell_quote(m_git.url_with_credentials("o/r")) + " " +
               shell_quote(m_clone.string()));
    // Origin without credentials: the commands authenticate with the token themselves.
    git("remote set-url origin " + shell_quote(m_git.url("o/r")));
    git("config user.name budget");
    git("config user.email budget@example.com");
    ASSERT_EQ(git("rev-parse --is-shallow-repository"), "false");
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

  std::string git(const std::string &args) const {
    return shell_line("git -C " + shell_quote(m_clone.string()) + " " + args);
  }

  // The clone at the git server's newest main.
  void pull_main() {
    git("fetch -q " + shell_quote(m_git.url_with_credentials("o/r")) + " main");
    git("reset -q --hard FETCH_HEAD");
  }

  // Runs `body(services)` on the clone with the provider make_provider builds for GitHub.
  template <class Fn> auto with_services(Fn &&body) {
    providers::ProviderOptions options;
    options.api_url = m_prism->url();
    const auto provider = providers::make_provider(
        providers::ProviderKind::github, "https://github.com/o/r.git", k_token, *m_http, options);
    auto repository = git::Repository::open(m_clone);
    util::Logger log{m_log, util::LogLevel::debug};
    commands::Services services{repository, commands::locate_root(repository, m_clone),
                                provider.get(), log};
    services.credentials.token = k_token;
    services.now = [this] { return m_clock; };
    services.sleep = [this](std::chrono::milliseconds d) {
      m_clock += d;
      ++m_sleeps;
      if (m_on_sleep) {
        m_on_sleep();
      }
    };
    auto result = body(services);
    EXPECT_EQ(m_log.str().find(k_token), std::string::npos) << m_log.str();
    return result;
  }

  void reset_counters() {
    auto lock = m_sim->state().lock();
    m_sim->state().reset_counters();
  }
  [[nodiscard]] Counts counters() {
    auto lock = m_sim->state().lock();
    return m_sim->state().request_counts().get<Counts>();
  }

  // The one open PR from k_branch (fails the test when there is not exactly one).
  [[nodiscard]] forge_sim::PullRequest open_pr() {
    auto lock = m_sim->state().lock();
    std::vector<forge_sim::PullRequest> open;
    for (const auto *pr : m_sim->state().prs_of("o/r")) {
      if (pr->state == "open" && pr->head_ref == k_branch) {
        open.push_back(*pr);
      }
    }
    EXPECT_EQ(open.size(), 1U);
    return open.empty() ? forge_sim::PullRequest{} : open.front();
  }

  void merge(long number) {
    auto lock = m_sim->state().lock();
    forge_sim::PullRequest *pr = m_sim->state().find_pr("o/r", number);
    ASSERT_NE(pr, nullptr);
    ASSERT_EQ(m_sim->state().merge_pr(*pr, forge_sim::MergeMethod::merge, std::nullopt,
                                      std::nullopt, std::nullopt, false),
              forge_sim::MergeRefusal::none);
  }

  void add_status(const std::string &sha, const std::string &state) {
    auto lock = m_sim->state().lock();
    forge_sim::Repo *repo = m_sim->state().find_repo("o", "r");
    ASSERT_NE(repo, nullptr);
    (void)m_sim->state().add_status(*repo, sha, state, k_context, "flux " + state, "", "flux");
  }

  // A commit on main that touches no environment (pushed through the git server).
  std::string push_unrelated_commit() {
    std::ofstream(m_clone / "README.md") << "notes\n";
    git("add README.md");
    git("commit -q -m 'docs: notes'");
    git("push -q " + shell_quote(m_git.url_with_credentials("o/r")) + " HEAD:refs/heads/main");
    return git("rev-parse HEAD");
  }

  // `new` (dev PR), merge it, then `promote` on the merge commit: the qa PR's recorded state.
  promotion::PrState promote_to_qa(const std::string &tag) {
    const auto created = with_services([&](commands::Services &s) {
      commands::NewOptions options;
      options.group = "webshop";
      options.app = "cart";
      options.tag = tag;
      return commands::run_new(options, s);
    });
    EXPECT_TRUE(created.outcome);
    merge(open_pr().number);
    pull_main();
    const auto promoted = with_services(
        [](commands::Services &s) { return commands::run_promote(commands::PromoteOptions{}, s); });
    EXPECT_FALSE(promoted.skipped) << promoted.message;
    const auto state = promotion::parse_description(open_pr().body);
    if (!state) {
      ADD_FAILURE() << "the qa PR has no state";
      return {};
    }
    return *state;
  }

  commands::Outcome run_status() {
    return with_services([](commands::Services &s) {
      commands::StatusOptions options;
      options.branch = k_branch;
      return commands::run_status(options, s);
    });
  }

  void add_fault(const nlohmann::json &spec) {
    auto lock = m_sim->state().lock();
    (void)m_sim->state().faults().add(spec);
  }
  [[nodiscard]] int pending_faults() {
    auto lock = m_sim->state().lock();
    int remaining = 0;
    for (const auto &f : m_sim->state().faults().to_json()) {
      remaining += f.value("remaining", 0);
    }
    return remaining;
  }

  // Every GraphQL document sent so far is valid under GitHub's schema.
  void expect_graphql_documents_valid() {
    const auto &documents = m_validating->graphql_documents();
    ASSERT_FALSE(documents.empty());
    std::string files;
    for (std::size_t i = 0; i < documents.size(); ++i) {
      const auto file = m_dir.path() / ("doc" + std::to_string(i) + ".graphql");
      std::ofstream(file) << documents[i];
      files += " " + shell_quote(file.string());
    }
    const auto result = run_shell(
        "node " + shell_quote(std::string(GP_SOURCE_DIR) + "/tools/contract/validate-graphql.mjs") +
        files);
    EXPECT_EQ(result.exit_code, 0) << result.output;
  }

  test::TempDir m_dir{"gp-budget-"};
  test::GitServer m_git{k_token};
  http::CurlGlobal m_curl_global;
  std::unique_ptr<forge_sim::Simulator> m_sim;
  std::unique_ptr<Prism> m_prism;
  std::unique_ptr<test::RetryingCurl> m_curl;
  std::unique_ptr<ValidatingHttpClient> m_validating;
  std::unique_ptr<GraphqlBypass> m_http;
  std::filesystem::path m_clone;
  std::ostringstream m_log;
  std::chrono::steady_clock::time_point m_clock{};
  int m_sleeps = 0;
  std::function<void()> m_on_sleep;
};

// Observed: new 3 (GET pulls, POST pulls, POST /graphql enabling auto-merge; the commit goes
// through git), promote 4 (GET commits/{sha}/pulls, GET pulls, POST pulls, POST /graphql), status
// 1 PR lookup + 1 GraphQL query per commit looked at: 2 polls (pending, then green) cost 4.
TEST_F(RequestBudget, NewPromoteAndStatusStayWithinTheIssuesBudget) {
  // new: the dev PR.
  reset_counters();
  const auto created = with_services([](commands::Services &s) {
    commands::NewOptions options;
    options.group = "webshop";
    options.app = "cart";
    options.tag = "1.2.3";
    return commands::run_new(options, s);
  });
  const Counts new_counts = counters();
  ASSERT_TRUE(created.outcome);
  EXPECT_FALSE(created.outcome->skipped) << created.outcome->message;
  const auto dev_pr = open_pr();
  EXPECT_TRUE(dev_pr.auto_merge.has_value()) << "dev is automated";
  EXPECT_EQ(new_counts, (Counts{{"GET /repos/{owner}/{repo}/pulls", 1},
                                {"POST /repos/{owner}/{repo}/pulls", 1},
                                {"POST /graphql", 1}}))
      << describe(new_counts);
  EXPECT_LE(total(new_counts), 4) << describe(new_counts);

  // promote: after the dev PR merged, on the merge commit.
  merge(dev_pr.number);
  pull_main();
  const std::string merge_commit = git("rev-parse HEAD");
  reset_counters();
  const auto promoted = with_services(
      [](commands::Services &s) { return commands::run_promote(commands::PromoteOptions{}, s); });
  const Counts promote_counts = counters();
  EXPECT_FALSE(promoted.skipped) << promoted.message;
  const auto qa_pr = open_pr();
  const auto state = promotion::parse_description(qa_pr.body);
  ASSERT_TRUE(state) << qa_pr.body;
  EXPECT_EQ(state->env, "qa");
  EXPECT_EQ(state->sha, merge_commit);
  EXPECT_TRUE(qa_pr.auto_merge.has_value()) << "qa is automated";
  EXPECT_EQ(promote_counts, (Counts{{"GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls", 1},
                                    {"GET /repos/{owner}/{repo}/pulls", 1},
                                    {"POST /repos/{owner}/{repo}/pulls", 1},
                                    {"POST /graphql", 1}}))
      << describe(promote_counts);
  EXPECT_LE(total(promote_counts), 5) << describe(promote_counts);

  // status, first run: the recorded sha is pending and main has moved on (an unrelated commit),
  // so the first poll looks at both commits; Flux reports success before the second poll, which
  // then looks at the recorded sha only.
  add_status(state->sha, "pending");
  const std::string newer_main = push_unrelated_commit();
  ASSERT_NE(newer_main, state->sha);
  m_on_sleep = [&] { add_status(state->sha, "success"); };
  reset_counters();
  const auto waited = with_services([](commands::Services &s) {
    commands::StatusOptions options;
    options.branch = k_branch;
    return commands::run_status(options, s);
  });
  const Counts status_counts = counters();
  EXPECT_EQ(waited.message,
            "successful reconciliation for webshop-dev found on \"" + state->sha + "\"");
  const long polls = m_sleeps + 1;
  EXPECT_EQ(polls, 2);
  EXPECT_EQ(status_counts,
            (Counts{{"GET /repos/{owner}/{repo}/pulls", 1}, {"POST /graphql", 2 + 1}}))
      << describe(status_counts);
  EXPECT_LE(status_counts.at("POST /graphql"), 2 * polls) << describe(status_counts);
  EXPECT_LE(total(status_counts), 2 * polls) << "per poll, the one PR lookup included\n"
                                             << describe(status_counts);

  // status, second run: green at once, one poll: the PR lookup and one query.
  m_on_sleep = nullptr;
  m_sleeps = 0;
  reset_counters();
  const auto green = with_services([](commands::Services &s) {
    commands::StatusOptions options;
    options.branch = k_branch;
    return commands::run_status(options, s);
  });
  const Counts green_counts = counters();
  EXPECT_EQ(green.message, waited.message);
  EXPECT_EQ(m_sleeps, 0);
  EXPECT_EQ(green_counts, (Counts{{"GET /repos/{owner}/{repo}/pulls", 1}, {"POST /graphql", 1}}))
      << describe(green_counts);
  EXPECT_LE(total(green_counts), 2) << describe(green_counts);

  expect_graphql_documents_valid();
}

// A failed rollout on the recorded sha and a later green commit on main (upstream #181): one poll
// looks at both commits, still within 2 GraphQL requests, and the green base commit unblocks.
TEST_F(RequestBudget, StatusFallsBackToTheNewestBaseCommitWithinTwoQueriesPerPoll) {
  const auto state = promote_to_qa("2.0.0");
  ASSERT_FALSE(state.sha.empty());
  add_status(state.sha, "failure");
  const std::string fixed = push_unrelated_commit();
  add_status(fixed, "success");

  reset_counters();
  const auto outcome = run_status();
  const Counts counts = counters();
  EXPECT_EQ(outcome.message, "successful reconciliation for webshop-dev found on main at " + fixed);
  EXPECT_EQ(m_sleeps, 0);
  EXPECT_EQ(counts, (Counts{{"GET /repos/{owner}/{repo}/pulls", 1}, {"POST /graphql", 2}}))
      << describe(counts);
}

// Rate limits on the status query (a 429 with Retry-After, then GitHub's secondary rate limit) are
// waited out; the retried requests are what they cost on top of the budget.
TEST_F(RequestBudget, StatusWaitsOutRateLimitsOnTheGraphqlQuery) {
  const auto state = promote_to_qa("3.0.0");
  ASSERT_FALSE(state.sha.empty());
  add_status(state.sha, "success");
  add_fault({{"path_regex", "^/graphql$"}, {"count", 1}, {"action", "429"}, {"retry_after", 1}});
  add_fault({{"path_regex", "^/graphql$"}, {"count", 1}, {"action", "403-secondary"}});

  reset_counters();
  const auto outcome = run_status();
  const Counts counts = counters();
  EXPECT_EQ(outcome.message,
            "successful reconciliation for webshop-dev found on \"" + state.sha + "\"");
  EXPECT_EQ(pending_faults(), 0) << "both faults were hit";
  EXPECT_EQ(counts, (Counts{{"GET /repos/{owner}/{repo}/pulls", 1}, {"POST /graphql", 1 + 2}}))
      << describe(counts);
}

} // namespace
} // namespace gitops::contract
