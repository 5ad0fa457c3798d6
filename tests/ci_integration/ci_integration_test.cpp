// The CI integration, run the way the CI systems run it:
// - GitHub Actions: scripts/action-entrypoint.sh with the INPUT_* variables the runner sets
//   (INPUT_API-URL and INPUT_DRY-RUN keep their hyphens), GITHUB_ACTIONS=true, a GITHUB_OUTPUT and
//   a GITHUB_STEP_SUMMARY file, and for `status` a detached-HEAD pull-request checkout with
//   GITHUB_HEAD_REF; against the forge simulator (GitHub API) over a repository the lighttpd git
//   server serves (origin is its http URL).
// - Azure Pipelines: the binary with TF_BUILD=True, SYSTEM_ACCESSTOKEN, BUILD_SOURCEBRANCH,
//   SYSTEM_PULLREQUEST_SOURCEBRANCH and a detached HEAD, checking the ##vso lines.
// Every run also checks that the token appears in no output, file or summary.
#include "gp_test_paths.hpp"
#include "server.hpp"
#include "support/git_sandbox.hpp"
#include "support/git_server.hpp"
#include "support/rsa_keys.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using gitops::test::CommandResult;
using gitops::test::git;
using gitops::test::GitServer;
using gitops::test::read_file;
using gitops::test::run_command;
using gitops::test::TempDir;

constexpr const char *k_token = "ci-integration-token-5f1e2d3c4b";
constexpr const char *k_branch = "promote/webshop-cart";

bool contains(const std::string &text, const std::string &needle) {
  return text.find(needle) != std::string::npos;
}

std::string deployment(const std::string &tag) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cart\nspec:\n  template:\n"
         "    spec:\n      containers:\n        - name: cart\n"
         "          image: registry.example.com/webshop/cart:" +
         tag + " # {\"$imagepolicy\": \"webshop:cart\"}\n";
}

std::map<std::string, std::string> layout() {
  return {{"gitops-promotion.yaml",
           "environments:\n  - name: dev\n    auto: true\n"
           "  - name: qa\n    auto: true\n  - name: prod\n    auto: false\n"
           "status_timeout_minutes: 1\nstatus:\n  poll_interval: 1s\n"},
          {"webshop/dev/cart/deployment.yaml", deployment("1.0.0")},
          {"webshop/qa/cart/deployment.yaml", deployment("1.0.0")},
          {"webshop/prod/cart/deployment.yaml", deployment("1.0.0")}};
}

// Every CI and token variable blanked (empty counts as unset for the tool), so that a test run
// inside a real CI job sees only what the test sets.
std::map<std::string, std::string> clean_env(const std::filesystem::path &home) {
  std::map<std::string, std::string> env;
  for (const char *name : {"GITHUB_ACTIONS",
                           "TF_BUILD",
                           "GITHUB_OUTPUT",
                           "GITHUB_STEP_SUMMARY",
                           "GITHUB_HEAD_REF",
                           "GITHUB_WORKSPACE",
                           "SYSTEM_PULLREQUEST_SOURCEBRANCH",
                           "BUILD_SOURCEBRANCH",
                           "GITHUB_TOKEN",
                           "GH_TOKEN",
                           "GITOPS_PROMOTION_TOKEN",
                           "SYSTEM_ACCESSTOKEN",
                           "AZURE_DEVOPS_EXT_PAT",
                           "INPUT_TOKEN",
                           "INPUT_ACTION",
                           "INPUT_GROUP",
                           "INPUT_APP",
                           "INPUT_TAG",
                           "INPUT_IMAGE",
                           "INPUT_FEATURE",
                           "INPUT_PROVIDER",
                           "INPUT_API-URL",
                           "INPUT_DRY-RUN",
                           "INPUT_SOURCEDIR"}) {
    env[name] = "";
  }
  env["HOME"] = home.string();
  env["GIT_CONFIG_NOSYSTEM"] = "1";
  env["GITOPS_PROMOTION_BIN"] = GP_BINARY;
  return env;
}

// The name → value pairs of a $GITHUB_OUTPUT file written with `name<<DELIMITER` blocks; a line
// in any other form fails the test.
std::map<std::string, std::string> parse_github_output(const std::string &text) {
  std::map<std::string, std::string> values;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto marker = line.find("<<");
    if (marker == std::string::npos) {
      ADD_FAILURE() << "not a heredoc entry: " << line << "\nfile:\n" << text;
      return values;
    }
    const std::string name = line.substr(0, marker);
    const std::string delimiter = line.substr(marker + 2);
    std::string value;
    bool first = true;
    bool closed = false;
    while (std::getline(in, line)) {
      if (line == delimiter) {
        closed = true;
        break;
      }
      value += (first ? "" : "\n") + line;
      first = false;
    }
    EXPECT_TRUE(closed) << "unterminated entry " << name;
    values[name] = value;
  }
  return values;
}

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string &text, const std::string &prefix) {
  std::vector<std::string> found;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      found.push_back(line);
    }
  }
  return found;
}

// The forge simulator (GitHub) over `git/gitops`, served by the git server; a clone of it whose
// origin is the server's http URL.
class GithubAction : public ::testing::Test {
protected:
  void SetUp() override {
    // The GitHub provider reads OWNER/REPO from origin's path, `/git/gitops.git` → git/gitops, and
    // the git server serves <repos>/gitops.git there; the simulator keeps git/gitops at
    // <root>/git/gitops.git, so <root>/git is a link to the server's repository folder.
    const std::filesystem::path sim_root = m_dir.path() / "forge";
    std::filesystem::create_directories(sim_root);
    std::filesystem::create_directory_symlink(m_server.repo_path("gitops").parent_path(),
                                              sim_root / "git");
    forge_sim::Options options;
    options.repo_root = sim_root;
    options.token = k_token;
    options.git_users = m_server.users_file();
    m_sim = std::make_unique<forge_sim::Simulator>(options);
    m_sim->start();
    {
      auto lock = m_sim->state().lock();
      auto &repo = m_sim->state().create_repo("git", "gitops", "main", layout());
      repo.settings.allow_auto_merge = true;
      repo.settings.required_contexts = {"kustomization/webshop-dev"};
      m_bare = repo.path;
    }
    ASSERT_TRUE(std::filesystem::equivalent(m_bare, m_server.repo_path("gitops")));
    m_clone = m_dir.path() / "workspace";
    gitops::test::clone(m_server.url_with_credentials("gitops"), m_clone);
    git(m_clone, {"remote", "set-url", "origin", m_server.url("gitops")});
  }

  void TearDown() override { m_sim->stop(); }

  // The environment of one action step: the runner's variables plus `inputs` as INPUT_<NAME>.
  std::map<std::string, std::string> step_env(const std::map<std::string, std::string> &inputs) {
    std::map<std::string, std::string> env = clean_env(m_dir.path());
    env["GITHUB_ACTIONS"] = "true";
    env["GITHUB_WORKSPACE"] = m_clone.string();
    env["GITHUB_OUTPUT"] = (m_dir.path() / ("output-" + std::to_string(++m_step))).string();
    env["GITHUB_STEP_SUMMARY"] = (m_dir.path() / ("summary-" + std::to_string(m_step))).string();
    gitops::test::write_file(env["GITHUB_OUTPUT"], "");
    gitops::test::write_file(env["GITHUB_STEP_SUMMARY"], "");
    // What action.yml's defaults give the runner.
    env["INPUT_PROVIDER"] = "github";
    env["INPUT_DRY-RUN"] = "false";
    env["INPUT_TOKEN"] = k_token;
    env["INPUT_API-URL"] = m_sim->base_url();
    for (const auto &[name, value] : inputs) {
      env["INPUT_" + name] = value;
    }
    return env;
  }

  struct Step {
    CommandResult result;
    std::map<std::string, std::string> outputs;
    std::string output_file;
    std::string summary;
  };

  Step run_step(const std::map<std::string, std::string> &inputs,
                const std::map<std::string, std::string> &extra = {}) {
    std::map<std::string, std::string> env = step_env(inputs);
    for (const auto &[name, value] : extra) {
      env[name] = value;
    }
    Step step;
    step.result =
        run_command({"bash", GP_SOURCE_DIR "/scripts/action-entrypoint.sh"}, m_dir.path(), env);
    step.output_file = read_file(env["GITHUB_OUTPUT"]);
    step.outputs = parse_github_output(step.output_file);
    step.summary = read_file(env["GITHUB_STEP_SUMMARY"]);
    const std::string everything =
        step.result.out + step.result.err + step.output_file + step.summary;
    EXPECT_FALSE(contains(everything, k_token)) << everything;
    return step;
  }

  std::string bare_rev(const std::string &rev) {
    return git(m_bare, {"rev-parse", "--verify", rev});
  }

  // Posts a commit status as Flux would.
  void post_status(const std::string &sha, const std::string &state) {
    httplib::Client client("127.0.0.1", m_sim->port());
    const httplib::Headers headers{{"Authorization", std::string("Bearer ") + k_token}};
    const nlohmann::json body{{"state", state}, {"context", "kustomization/webshop-dev"}};
    auto res =
        client.Post("/repos/git/gitops/statuses/" + sha, headers, body.dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 201) << res->body;
  }

  // The workspace as actions/checkout leaves it for a pull_request event: detached at `sha`.
  void checkout_detached(const std::string &sha) {
    git(m_clone, {"fetch", "-q", m_server.url_with_credentials("gitops"),
                  "+refs/heads/*:refs/remotes/origin/*"});
    git(m_clone, {"checkout", "-q", "--detach", sha});
  }

  TempDir m_dir{"gp-ci-integration-"};
  GitServer m_server{k_token};
  std::unique_ptr<forge_sim::Simulator> m_sim;
  std::filesystem::path m_bare;
  std::filesystem::path m_clone;
  int m_step = 0;
};

TEST_F(GithubAction, NewWritesOutputsAndSummary) {
  const Step step = run_step({{"ACTION", "new"},
                              {"GROUP", "webshop"},
                              {"APP", "cart"},
                              {"TAG", "1.1.0"},
                              {"SOURCEDIR", ""}});
  ASSERT_EQ(step.result.exit_code, 0) << step.result.out << step.result.err;
  EXPECT_TRUE(lines_starting(step.result.out, "::error::").empty()) << step.result.out;
  EXPECT_EQ(step.outputs.at("branch"), k_branch);
  EXPECT_EQ(step.outputs.at("pr-number"), "1");
  EXPECT_TRUE(contains(step.outputs.at("pr-url"), "1")) << step.outputs.at("pr-url");
  EXPECT_EQ(step.outputs.at("commit"), bare_rev(std::string("refs/heads/") + k_branch));
  EXPECT_EQ(step.outputs.size(), 4U) << step.output_file;
  EXPECT_TRUE(contains(step.summary, "### gitops-promotion new")) << step.summary;
  EXPECT_TRUE(contains(step.summary, "| Branch | `promote/webshop-cart` |")) << step.summary;
  EXPECT_TRUE(contains(step.summary, "[#1](")) << step.summary;
}

// app-id and app-private-key: the tool authenticates as the App (the token input, the workflow's
// own token by default, is left out), pushes and opens the PR with an installation token, and no
// line of the key or the token reaches the log, the outputs or the summary.
TEST_F(GithubAction, AppInputsAuthenticateAsTheApp) {
  const gitops::test::RsaKeyPair key = gitops::test::make_rsa_key_pair(2048);
  {
    auto lock = m_sim->state().lock();
    forge_sim::GitHubApps &apps = m_sim->state().apps();
    apps.apps[4711] = forge_sim::GitHubApp{4711, "gitops-promotion", key.public_pem};
    forge_sim::AppInstallation installation;
    installation.id = 815;
    installation.app_id = 4711;
    installation.account = "git";
    installation.permissions = {{"contents", "write"},
                                {"pull_requests", "write"},
                                {"statuses", "read"},
                                {"checks", "read"}};
    apps.installations[815] = installation;
  }
  const Step step = run_step({{"ACTION", "new"},
                              {"GROUP", "webshop"},
                              {"APP", "cart"},
                              {"TAG", "1.1.0"},
                              {"APP-ID", "4711"},
                              {"APP-PRIVATE-KEY", key.private_pem}});
  ASSERT_EQ(step.result.exit_code, 0) << step.result.out << step.result.err;
  EXPECT_TRUE(contains(step.result.err, "authenticated as GitHub App 4711 (installation 815)"))
      << step.result.err;
  EXPECT_EQ(step.outputs.at("pr-number"), "1");
  EXPECT_EQ(step.outputs.at("commit"), bare_rev(std::string("refs/heads/") + k_branch));
  std::vector<std::string> secrets;
  {
    auto lock = m_sim->state().lock();
    EXPECT_EQ(m_sim->state().apps().minted, 1);
    for (const auto &[token, info] : m_sim->state().apps().tokens) {
      secrets.push_back(token);
    }
  }
  std::istringstream pem(key.private_pem);
  for (std::string line; std::getline(pem, line);) {
    if (line.find("-----") == std::string::npos) {
      secrets.push_back(line);
    }
  }
  const std::string everything = step.result.out + step.result.err + step.output_file +
                                 step.summary + read_file(m_clone / ".git" / "config");
  for (const std::string &secret : secrets) {
    EXPECT_FALSE(contains(everything, secret)) << secret;
  }

  // app-id without the key: a usage error naming the missing input.
  const Step missing = run_step({{"ACTION", "promote"}, {"APP-ID", "4711"}});
  EXPECT_EQ(missing.result.exit_code, 2);
  EXPECT_TRUE(contains(missing.result.out, "::error::input 'app-private-key' is required"))
      << missing.result.out;
}

TEST_F(GithubAction, DryRunInputChangesNothing) {
  const Step step = run_step({{"ACTION", "new"},
                              {"GROUP", "webshop"},
                              {"APP", "cart"},
                              {"TAG", "1.1.0"},
                              {"DRY-RUN", "true"}});
  ASSERT_EQ(step.result.exit_code, 0) << step.result.err;
  EXPECT_EQ(step.outputs.at("branch"), k_branch);
  EXPECT_EQ(step.outputs.at("pr-number"), "");
  EXPECT_THROW(bare_rev(std::string("refs/heads/") + k_branch), std::runtime_error);
  EXPECT_TRUE(contains(step.summary, "(dry run)")) << step.summary;
}

// new → the dev PR merges when Flux reports dev healthy → promote opens the qa PR → status, on
// the PR's detached checkout with GITHUB_HEAD_REF, fails while dev is unhealthy and passes once it
// is healthy.
TEST_F(GithubAction, StatusGatesOnADetachedPullRequestCheckout) {
  ASSERT_EQ(run_step({{"ACTION", "new"}, {"GROUP", "webshop"}, {"APP", "cart"}, {"TAG", "1.1.0"}})
                .result.exit_code,
            0);
  post_status(bare_rev(std::string("refs/heads/") + k_branch), "success"); // auto-merge merges
  const std::string merged = bare_rev("refs/heads/main");
  ASSERT_NE(git(m_bare, {"show", "main:webshop/dev/cart/deployment.yaml"}).find("cart:1.1.0"),
            std::string::npos);

  checkout_detached(merged); // a push to main checks out the merge commit
  const Step promote = run_step({{"ACTION", "promote"}});
  ASSERT_EQ(promote.result.exit_code, 0) << promote.result.out << promote.result.err;
  EXPECT_EQ(promote.outputs.at("pr-number"), "2") << promote.result.out;
  EXPECT_EQ(promote.outputs.at("branch"), k_branch);
  const std::string head = bare_rev(std::string("refs/heads/") + k_branch);
  EXPECT_EQ(promote.outputs.at("commit"), head);

  // Dev is unhealthy on the merge commit: the gate fails with an error annotation.
  post_status(merged, "failure");
  checkout_detached(head);
  const std::map<std::string, std::string> pr_event{{"GITHUB_HEAD_REF", k_branch},
                                                    {"GITHUB_REF", "refs/pull/2/merge"}};
  const Step failed = run_step({{"ACTION", "status"}}, pr_event);
  EXPECT_EQ(failed.result.exit_code, 1) << failed.result.out << failed.result.err;
  const std::vector<std::string> errors = lines_starting(failed.result.out, "::error::");
  ASSERT_EQ(errors.size(), 1U) << failed.result.out;
  EXPECT_TRUE(contains(errors[0], "webshop-dev")) << errors[0];
  EXPECT_FALSE(contains(errors[0].substr(9), "\n"));
  EXPECT_TRUE(failed.outputs.empty()) << failed.output_file;
  EXPECT_TRUE(contains(failed.summary, "### gitops-promotion status failed")) << failed.summary;

  post_status(merged, "success");
  const Step passed = run_step({{"ACTION", "status"}}, pr_event);
  EXPECT_EQ(passed.result.exit_code, 0) << passed.result.out << passed.result.err;
  EXPECT_TRUE(lines_starting(passed.result.out, "::error::").empty()) << passed.result.out;
  EXPECT_EQ(passed.outputs.at("branch"), k_branch);
}

TEST_F(GithubAction, UnreachableApiIsAnErrorAnnotation) {
  const Step step = run_step(
      {{"ACTION", "promote"},
       {"API-URL", "http://127.0.0.1:" + std::to_string(gitops::test::closed_loopback_port())}});
  EXPECT_EQ(step.result.exit_code, 1) << step.result.out << step.result.err;
  EXPECT_EQ(lines_starting(step.result.out, "::error::").size(), 1U) << step.result.out;
  EXPECT_TRUE(contains(step.result.err, "Application failed with error: ")) << step.result.err;
  EXPECT_TRUE(step.outputs.empty()) << step.output_file;
}

TEST_F(GithubAction, BadInputsAreUsageErrors) {
  const Step missing = run_step({{"ACTION", "new"}, {"GROUP", "webshop"}, {"APP", "cart"}});
  EXPECT_EQ(missing.result.exit_code, 2) << missing.result.err;
  const std::vector<std::string> errors = lines_starting(missing.result.out, "::error::");
  ASSERT_EQ(errors.size(), 1U) << missing.result.out;
  EXPECT_TRUE(contains(errors[0], "--tag")) << errors[0];

  const Step unknown = run_step({{"ACTION", "deploy;rm -rf /"}});
  EXPECT_EQ(unknown.result.exit_code, 2);
  EXPECT_EQ(lines_starting(unknown.result.out, "::error::").size(), 1U) << unknown.result.out;

  const Step dry = run_step({{"ACTION", "promote"}, {"DRY-RUN", "maybe"}});
  EXPECT_EQ(dry.result.exit_code, 2);
  EXPECT_TRUE(contains(dry.result.out, "dry-run")) << dry.result.out;
}

// Input values are single arguments: spaces, quotes and $(…) reach the tool verbatim.
TEST_F(GithubAction, InputValuesAreNeverInterpreted) {
  const std::string marker = (m_dir.path() / "pwned").string();
  const Step step = run_step({{"ACTION", "new"},
                              {"GROUP", "webshop"},
                              {"APP", "cart $(touch " + marker + ")"},
                              {"TAG", "1.1.0"}});
  EXPECT_NE(step.result.exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(marker));
  EXPECT_TRUE(contains(step.result.err, "cart $(touch")) << step.result.err;
}

// Azure Pipelines: the binary itself with the agent's variables.
class AzurePipelines : public ::testing::Test {
protected:
  void SetUp() override {
    gitops::test::init_repo(m_repo);
    gitops::test::write_files(m_repo, layout());
    m_head = gitops::test::commit_all(m_repo, "initial");
    git(m_repo, {"remote", "add", "origin", "https://dev.azure.com/acme/platform/_git/gitops"});
    git(m_repo, {"checkout", "-q", "--detach", m_head});
  }

  CommandResult run(const std::vector<std::string> &args,
                    const std::map<std::string, std::string> &extra = {}) {
    std::map<std::string, std::string> env = clean_env(m_dir.path());
    env["TF_BUILD"] = "True";
    env["SYSTEM_ACCESSTOKEN"] = k_token;
    env["BUILD_SOURCEBRANCH"] = "refs/pull/17/merge";
    for (const auto &[name, value] : extra) {
      env[name] = value;
    }
    std::vector<std::string> argv{GP_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = run_command(argv, m_repo, env);
    EXPECT_FALSE(contains(r.out + r.err, k_token)) << r.out << r.err;
    return r;
  }

  TempDir m_dir{"gp-ci-azure-"};
  std::filesystem::path m_repo = m_dir.path() / "s";
  std::string m_head;
};

// The PR validation build checks out a merge commit (detached HEAD): the PR's branch comes from
// SYSTEM_PULLREQUEST_SOURCEBRANCH. A non-promotion branch is skipped without any request; a
// promotion branch goes to the forge (here a closed port, so it fails).
TEST_F(AzurePipelines, StatusTakesTheBranchFromThePullRequestVariable) {
  const std::string api =
      "http://127.0.0.1:" + std::to_string(gitops::test::closed_loopback_port());
  const CommandResult skipped =
      run({"status", "--api-url", api},
          {{"SYSTEM_PULLREQUEST_SOURCEBRANCH", "refs/heads/feature/login"}});
  ASSERT_EQ(skipped.exit_code, 0) << skipped.out << skipped.err;
  EXPECT_TRUE(lines_starting(skipped.out, "##vso[task.logissue").empty()) << skipped.out;
  const std::vector<std::string> vars = lines_starting(skipped.out, "##vso[task.setvariable ");
  ASSERT_EQ(vars.size(), 4U) << skipped.out;
  EXPECT_EQ(vars[0], "##vso[task.setvariable variable=prNumber;isOutput=true]");
  EXPECT_EQ(vars[3], "##vso[task.setvariable variable=commit;isOutput=true]");

  const CommandResult gated =
      run({"status", "--api-url", api},
          {{"SYSTEM_PULLREQUEST_SOURCEBRANCH", "refs/heads/promote/webshop-cart"}});
  EXPECT_EQ(gated.exit_code, 1) << gated.out << gated.err;
  EXPECT_EQ(lines_starting(gated.out, "##vso[task.logissue type=error]").size(), 1U) << gated.out;
}

TEST_F(AzurePipelines, JsonSkipIsExitZeroWithTheReason) {
  const std::string api =
      "http://127.0.0.1:" + std::to_string(gitops::test::closed_loopback_port());
  const CommandResult r = run({"status", "--output", "json", "--api-url", api},
                              {{"SYSTEM_PULLREQUEST_SOURCEBRANCH", "refs/heads/feature/login"}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("command"), "status");
  EXPECT_EQ(j.at("skipped"), true);
  EXPECT_TRUE(j.at("reason").is_string());
  EXPECT_TRUE(j.at("error").is_null());
  EXPECT_TRUE(j.at("changes").is_array());
  EXPECT_EQ(lines_starting(r.err, "##vso[task.setvariable ").size(), 4U) << r.err;
}

TEST_F(AzurePipelines, NewDryRunSetsTheBranchVariable) {
  const CommandResult r =
      run({"new", "--dry-run", "--group", "webshop", "--app", "cart", "--tag", "2.0.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_starting(r.out, "##vso[task.setvariable variable=branch;isOutput=true]"),
            std::vector<std::string>{
                "##vso[task.setvariable variable=branch;isOutput=true]promote/webshop-cart"});
}

TEST_F(AzurePipelines, FailureIsALogIssueWithoutTheToken) {
  const CommandResult r =
      run({"promote", "--api-url",
           "http://127.0.0.1:" + std::to_string(gitops::test::closed_loopback_port())});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::vector<std::string> issues = lines_starting(r.out, "##vso[task.logissue type=error]");
  ASSERT_EQ(issues.size(), 1U) << r.out;
  EXPECT_TRUE(lines_starting(r.out, "##vso[task.setvariable").empty()) << r.out;
}

TEST_F(AzurePipelines, JsonOutputKeepsStdoutOneObject) {
  const CommandResult r =
      run({"promote", "--output", "json", "--api-url",
           "http://127.0.0.1:" + std::to_string(gitops::test::closed_loopback_port())});
  EXPECT_EQ(r.exit_code, 1);
  const nlohmann::json j = nlohmann::json::parse(r.out); // throws when stdout is not one object
  EXPECT_EQ(j.at("command"), "promote");
  EXPECT_TRUE(j.at("error").is_string());
  EXPECT_EQ(lines_starting(r.err, "##vso[task.logissue type=error]").size(), 1U) << r.err;
}

TEST_F(AzurePipelines, UsageErrorIsALogIssueAndExitTwo) {
  const CommandResult r = run({"new", "--group", "webshop", "--token", "flag-token-123456"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines_starting(r.out, "##vso[task.logissue type=error]").size(), 1U) << r.out;
  EXPECT_FALSE(contains(r.out + r.err, "flag-token-123456"));
}

} // namespace
