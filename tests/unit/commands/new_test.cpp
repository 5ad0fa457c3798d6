#include "fake_provider.hpp"
#include "git_fixture.hpp"
#include "support/temp_dir.hpp"

#include "gitops/commands/new.hpp"
#include "gitops/git/repository.hpp"
#include "gitops/util/error.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace fs = std::filesystem;
using gitops::commands::NewOptions;
using gitops::commands::NewResult;
using gitops::test::GitRepo;

namespace {

// libgit2 stays initialised for the whole test binary.
const gitops::git::LibGit2Session k_session;

struct NewTest : ::testing::Test {
  GitRepo repo;
  gitops::test::FakeProvider provider;
  std::ostringstream log_stream;
  gitops::util::Logger log{log_stream, gitops::util::LogLevel::debug};

  void SetUp() override {
    gitops::test::write_sample(repo.path());
    base = repo.commit_all("initial");
  }

  static NewOptions options(const std::string &app, const std::string &tag, bool dry_run = true) {
    NewOptions o;
    o.group = "webshop";
    o.app = app;
    o.tag = tag;
    o.dry_run = dry_run;
    return o;
  }

  NewResult run(const NewOptions &o, const fs::path &sourcedir) {
    auto r = gitops::git::Repository::open(sourcedir);
    gitops::commands::Services services{r, gitops::commands::locate_root(r, sourcedir), &provider,
                                        log};
    return gitops::commands::run_new(o, services);
  }
  NewResult run(const NewOptions &o) { return run(o, repo.path()); }

  std::string base;
};

std::string expected_description(const std::string &sha) {
  return "<!-- metadata = "
         "{\"group\":\"webshop\",\"app\":\"cart\",\"tag\":\"1.1.0\",\"env\":\"dev\","
         "\"sha\":\"" +
         sha +
         "\",\"feature\":\"\",\"type\":\"promote\"} -->\n\tENV: dev\n\tAPP: cart\n\tTAG: 1.1.0";
}

TEST_F(NewTest, DryRunPlansBranchTitleBodyAndDiffAndChangesNothing) {
  const std::string before = repo.snapshot();
  const NewResult r = run(options("cart", "1.1.0"));
  const auto &p = r.plan;
  EXPECT_TRUE(r.dry_run);
  EXPECT_FALSE(r.outcome.has_value());
  EXPECT_EQ(p.base_commit, base);
  EXPECT_EQ(p.directory, "webshop/dev");
  EXPECT_EQ(p.branch, "promote/webshop-cart");
  EXPECT_EQ(p.title, "Promote webshop/cart version 1.1.0 to environment dev");
  EXPECT_EQ(p.description, expected_description(base));
  EXPECT_EQ(p.base_branch, "main");
  EXPECT_TRUE(p.auto_merge);
  EXPECT_EQ(p.matched, 1);
  ASSERT_EQ(p.changes.size(), 1U);
  EXPECT_EQ(p.changes[0].file, "webshop/dev/cart/deployment.yaml");
  EXPECT_EQ(p.changes[0].line, 10);
  EXPECT_EQ(p.changes[0].old_value, "registry.example.com/webshop/cart:1.0.0");
  EXPECT_EQ(p.changes[0].new_value, "registry.example.com/webshop/cart:1.1.0");
  ASSERT_EQ(p.edits.size(), 1U);
  EXPECT_EQ(p.edits[0].new_content, gitops::test::cart_deployment("1.1.0"));

  // The diff is a real patch: applied to the old files it yields exactly the new bytes.
  EXPECT_NE(p.diff.find("--- a/webshop/dev/cart/deployment.yaml"), std::string::npos) << p.diff;
  EXPECT_NE(p.diff.find("+++ b/webshop/dev/cart/deployment.yaml"), std::string::npos) << p.diff;
  EXPECT_NE(p.diff.find("-          image: registry.example.com/webshop/cart:1.0.0"),
            std::string::npos)
      << p.diff;
  EXPECT_NE(p.diff.find("+          image: registry.example.com/webshop/cart:1.1.0"),
            std::string::npos)
      << p.diff;
  gitops::test::TempDir scratch("gp-apply-");
  gitops::test::write_file(scratch / "webshop/dev/cart/deployment.yaml",
                           gitops::test::cart_deployment("1.0.0"));
  gitops::test::write_file(scratch / "change.patch", p.diff);
  gitops::test::shell("cd " + gitops::test::quote(scratch.path()) + " && git apply change.patch");
  EXPECT_EQ(gitops::test::read_file(scratch / "webshop/dev/cart/deployment.yaml"),
            gitops::test::cart_deployment("1.1.0"));

  EXPECT_EQ(repo.snapshot(), before);
  EXPECT_EQ(gitops::test::read_file(repo.path() / "webshop/dev/cart/deployment.yaml"),
            gitops::test::cart_deployment("1.0.0"));
  EXPECT_TRUE(provider.calls.empty());
}

TEST_F(NewTest, ReadsHeadNotTheWorkTree) {
  repo.write("webshop/dev/cart/deployment.yaml", gitops::test::cart_deployment("9.9.9"));
  repo.write("gitops-promotion.yaml", "environments:\n  - name: qa\n    auto: false\n");
  const NewResult r = run(options("cart", "1.1.0"));
  ASSERT_EQ(r.plan.changes.size(), 1U);
  EXPECT_EQ(r.plan.changes[0].old_value, "registry.example.com/webshop/cart:1.0.0");
  EXPECT_EQ(r.plan.environment.name, "dev");
  // The uncommitted edits survive untouched.
  EXPECT_EQ(gitops::test::read_file(repo.path() / "webshop/dev/cart/deployment.yaml"),
            gitops::test::cart_deployment("9.9.9"));
}

TEST_F(NewTest, PerEnvFlowPutsTheEnvironmentInTheBranch) {
  repo.write("gitops-promotion.yaml", std::string(gitops::test::k_config) + "prflow: per-env\n");
  repo.commit_all("per-env");
  EXPECT_EQ(run(options("cart", "1.1.0")).plan.branch, "promote/dev/webshop-cart");
}

TEST_F(NewTest, ManualFirstEnvironmentDoesNotAutoMerge) {
  repo.write("gitops-promotion.yaml",
             "environments:\n  - name: dev\n    auto: false\n  - name: prod\n    auto: false\n");
  repo.commit_all("manual");
  EXPECT_FALSE(run(options("cart", "1.1.0")).plan.auto_merge);
}

TEST_F(NewTest, KustomizationSettersWithImage) {
  NewOptions o = options("webui", "");
  o.tag.reset();
  o.image = "ghcr.io/acme/webui:2.0.0";
  const NewResult r = run(o);
  ASSERT_EQ(r.plan.changes.size(), 2U);
  EXPECT_EQ(r.plan.state.tag, "2.0.0");
  EXPECT_EQ(r.plan.changes[0].file, "webshop/dev/webui/kustomization.yaml");
  EXPECT_EQ(r.plan.changes[0].new_value, "ghcr.io/acme/webui");
  EXPECT_EQ(r.plan.changes[1].new_value, "2.0.0");
}

TEST_F(NewTest, AlreadyAtTheTagPlansNoChanges) {
  const NewResult r = run(options("cart", "1.0.0"));
  EXPECT_TRUE(r.plan.changes.empty());
  EXPECT_TRUE(r.plan.edits.empty());
  EXPECT_EQ(r.plan.diff, "");
  EXPECT_EQ(r.plan.matched, 1);
}

TEST_F(NewTest, MissingGroupDirectoryIsAnErrorNamingIt) {
  NewOptions o = options("cart", "1.1.0");
  o.group = "payments";
  try {
    (void)run(o);
    FAIL() << "expected CommandError";
  } catch (const gitops::CommandError &e) {
    EXPECT_NE(std::string(e.what()).find("payments/dev"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}

TEST_F(NewTest, NoMarkerIsAnErrorNamingTheDirectorySearched) {
  try {
    (void)run(options("checkout", "1.1.0"));
    FAIL() << "expected CommandError";
  } catch (const gitops::CommandError &e) {
    EXPECT_NE(std::string(e.what()).find("webshop:checkout"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("webshop/dev"), std::string::npos) << e.what();
  }
}

TEST_F(NewTest, NamesAreValidatedBeforeAnythingIsRead) {
  repo.git("rm -q gitops-promotion.yaml");
  repo.commit_all("no config");
  NewOptions o = options("cart", "1.1.0");
  o.group = "../etc";
  EXPECT_THROW((void)run(o), gitops::UsageError);
  o = options("cart", "not a tag");
  EXPECT_THROW((void)run(o), gitops::UsageError);
  EXPECT_THROW((void)run(options("cart", "1.1.0")), gitops::ConfigError);
}

TEST_F(NewTest, SourcedirBelowTheWorkTreeIsTheGitOpsRoot) {
  GitRepo mono;
  gitops::test::write_sample(mono.path() / "deploy");
  mono.write("README.md", "hello\n");
  mono.commit_all("mono");
  const NewResult r = run(options("cart", "1.1.0"), mono.path() / "deploy");
  EXPECT_EQ(r.plan.directory, "deploy/webshop/dev");
  ASSERT_EQ(r.plan.changes.size(), 1U);
  EXPECT_EQ(r.plan.changes[0].file, "deploy/webshop/dev/cart/deployment.yaml");
  EXPECT_NE(r.plan.diff.find("a/deploy/webshop/dev/cart/deployment.yaml"), std::string::npos);
}

TEST_F(NewTest, WithoutDryRunAnUnchangedTagIsSkippedAndTouchesNothing) {
  const std::string before = repo.snapshot();
  const NewResult r = run(options("cart", "1.0.0", false));
  ASSERT_TRUE(r.outcome);
  EXPECT_TRUE(r.outcome->skipped);
  EXPECT_NE(r.outcome->message.find("already at 1.0.0"), std::string::npos) << r.outcome->message;
  EXPECT_TRUE(provider.calls.empty());
  EXPECT_EQ(repo.snapshot(), before);
}

TEST_F(NewTest, WithoutDryRunAndWithoutARemoteThePushFailsBeforeAnyPr) {
  EXPECT_THROW((void)run(options("cart", "1.1.0", false)), gitops::GitError);
  // Only the look at an existing PR happened: nothing was opened or changed.
  EXPECT_EQ(provider.calls, (std::vector<std::string>{"find_open_pr promote/webshop-cart main"}));
}

// The seed README's own example: a `:tag` marker on a whole image reference keeps its registry.
TEST_F(NewTest, SeedReadmeExampleKeepsTheRegistryAndWarns) {
  const std::string pod =
      "apiVersion: apps/v1\nkind: Pod\nmetadata:\n  name: webui\nspec:\n"
      "  containers:\n    - name: webui\n      image: ghcr.io/my-org/webui:1234567 "
      "# {\"$imagepolicy\": \"webshop:ui:tag\"}\n";
  repo.write("webshop/dev/webui.yaml", pod);
  repo.commit_all("seed example");
  NewOptions o = options("ui", "26f50d84db02");
  const NewResult result = run(o);
  ASSERT_EQ(result.plan.edits.size(), 1U);
  EXPECT_EQ(result.plan.edits[0].path, "webshop/dev/webui.yaml");
  EXPECT_NE(result.plan.edits[0].new_content.find(
                "      image: ghcr.io/my-org/webui:26f50d84db02 # {\"$imagepolicy\": "
                "\"webshop:ui:tag\"}\n"),
            std::string::npos)
      << result.plan.edits[0].new_content;
  ASSERT_EQ(result.plan.warnings.size(), 1U);
  EXPECT_EQ(result.plan.warnings[0].rfind("webshop/dev/webui.yaml:8: sets only the tag", 0), 0U)
      << result.plan.warnings[0];
}

TEST(LocateRoot, RejectsADirectoryOutsideTheWorkTree) {
  GitRepo repo;
  repo.write("a.txt", "a\n");
  repo.commit_all();
  gitops::test::TempDir other("gp-other-");
  auto r = gitops::git::Repository::open(repo.path());
  EXPECT_THROW((void)gitops::commands::locate_root(r, other.path()), gitops::CommandError);
  EXPECT_EQ(gitops::commands::locate_root(r, repo.path()).prefix, "");
  EXPECT_EQ(gitops::commands::locate_root(r, repo.path() / "x" / "y").prefix, "x/y/");
}

} // namespace
