// Wiring of the network commands (new without --dry-run, promote, status): provider and token
// selection, and that the token is never printed.
#include "cli_harness.hpp"
#include "commands/git_fixture.hpp"
#include "support/git_server.hpp"

#include "gitops/git/repository.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

using gitops::test::CliRun;
using gitops::test::execute;
using gitops::test::GitRepo;

namespace {

const gitops::git::LibGit2Session k_session;

bool contains(const std::string &text, const std::string &needle) {
  return text.find(needle) != std::string::npos;
}

struct NetworkCli : ::testing::Test {
  GitRepo repo;
  void SetUp() override {
    gitops::test::write_sample(repo.path());
    (void)repo.commit_all("initial");
  }
};

TEST_F(NetworkCli, MissingGithubTokenNamesTheFlagAndTheVariables) {
  repo.git("remote add origin https://github.com/acme/gitops.git");
  for (const std::vector<std::string> &args :
       {std::vector<std::string>{"promote"},
        {"status"},
        {"new", "--group", "webshop", "--app", "cart", "--tag", "1.1.0"}}) {
    SCOPED_TRACE(args.front());
    const CliRun r = execute(args, repo.path());
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "--token")) << r.err;
    EXPECT_TRUE(contains(r.err, "GITHUB_TOKEN")) << r.err;
    EXPECT_TRUE(contains(r.err, "GITOPS_PROMOTION_TOKEN")) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST_F(NetworkCli, MissingAzureTokenNamesAzureVariables) {
  repo.git("remote add origin https://dev.azure.com/acme/proj/_git/gitops");
  const CliRun r = execute({"promote"}, repo.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "SYSTEM_ACCESSTOKEN")) << r.err;
}

TEST_F(NetworkCli, UndetectableProviderAsksForTheFlag) {
  repo.git("remote add origin https://git.example.com/acme/gitops.git");
  const CliRun r = execute({"promote"}, repo.path(), {{"GITHUB_TOKEN", "t"}});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "--provider")) << r.err;
}

TEST_F(NetworkCli, NewWithAnUnreachableApiFailsBeforePushingAndNeverPrintsTheToken) {
  gitops::test::GitServer server;
  server.create_bare_repo("gitops");
  repo.git("remote add origin " + server.url("gitops"));
  // The forge API is unreachable (a closed loopback port): the look for an open PR, made before
  // anything is pushed, fails, so nothing is left behind.
  const CliRun r =
      execute({"new", "--group", "webshop", "--app", "cart", "--tag", "1.1.0", "--provider",
               "github", "--api-url", "http://127.0.0.1:1", "--log-level", "debug"},
              repo.path(), {{"GITHUB_TOKEN", server.password()}});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_FALSE(contains(r.err, server.password())) << r.err;
  EXPECT_FALSE(contains(r.out, server.password())) << r.out;
  EXPECT_TRUE(contains(r.err, "Application failed with error: ")) << r.err;
  EXPECT_THROW(
      gitops::test::shell("git --git-dir=" + gitops::test::quote(server.repo_path("gitops")) +
                          " rev-parse --verify -q refs/heads/promote/webshop-cart"),
      std::runtime_error);
}

} // namespace

// GitHub App credentials: each wrong combination is a usage error (exit 2) naming what to drop or
// add, before any request, and the key never appears.
TEST_F(NetworkCli, GitHubAppFlagsThatCannotWork) {
  repo.git("remote add origin https://github.com/acme/gitops.git");
  const std::string key_line = "MIIEowIBAAKCAQEAsecretkeymaterialthatmustnotleak0123456789";
  const std::string pem =
      "-----BEGIN RSA PRIVATE KEY-----\n" + key_line + "\n-----END RSA PRIVATE KEY-----\n";
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"promote", "--github-app-id", "123"},
       {{"GITHUB_APP_PRIVATE_KEY", pem}, {"GITHUB_TOKEN", "ghp_token_value_1"}},
       "both a token (GITHUB_TOKEN) and GitHub App credentials (--github-app-id) are given: use "
       "one of them (unset GITHUB_TOKEN to authenticate as the App"},
      {{"promote", "--github-app-id", "123", "--token", "ghp_token_value_2"},
       {{"GITHUB_APP_PRIVATE_KEY", pem}},
       "(drop --token to authenticate as the App, or drop the --github-app-* flags"},
      {{"promote", "--github-app-id", "123"},
       {},
       "--github-app-id needs the App's private key: pass --github-app-private-key-file FILE or "
       "set GITHUB_APP_PRIVATE_KEY"},
      {{"promote", "--github-app-id", "123", "--github-app-private-key-file", "/no/such/key.pem"},
       {},
       "cannot read --github-app-private-key-file /no/such/key.pem: No such file or directory"},
      {{"promote", "--github-app-id", "123", "--provider", "azdo"},
       {{"GITHUB_APP_PRIVATE_KEY", pem}},
       "--github-app-id authenticates with GitHub, but the provider is azdo"},
      {{"promote", "--github-app-id", "123"},
       {{"GITHUB_APP_PRIVATE_KEY", pem}},
       "the GitHub App private key (GITHUB_APP_PRIVATE_KEY) is not a valid PEM private key"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.message);
    const CliRun r = execute(c.args, repo.path(), c.env);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, c.message)) << r.err;
    EXPECT_FALSE(contains(r.err + r.out, key_line)) << r.err;
    EXPECT_FALSE(contains(r.err + r.out, "ghp_token_value")) << r.err;
  }
}
