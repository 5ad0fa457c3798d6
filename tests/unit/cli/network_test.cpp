// Wiring of the network commands (new without --dry-run, promote, status): provider and token
// selection, and that the token is never printed.
#include "cli_harness.hpp"
#include "commands/git_fixture.hpp"
#include "support/git_server.hpp"

#include "gitops/git/repository.hpp"

#include <gtest/gtest.h>

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
