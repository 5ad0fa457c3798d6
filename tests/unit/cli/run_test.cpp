#include "cli_harness.hpp"
#include "commands/git_fixture.hpp"
#include "support/temp_dir.hpp"

#include "gitops/cli/app.hpp"
#include "gitops/git/repository.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using gitops::test::CliRun;
using gitops::test::execute;
using gitops::test::GitRepo;
using gitops::test::TempDir;
using nlohmann::json;

namespace {

const gitops::git::LibGit2Session k_session;

bool contains(const std::string &text, const std::string &needle) {
  return text.find(needle) != std::string::npos;
}

TEST(CliRun, FeatureCommandsOutsideARepositoryFailWithARealError) {
  TempDir cwd("gp-cli-");
  for (const std::vector<std::string> &args :
       {std::vector<std::string>{"feature", "--group", "g", "--app", "a", "--tag", "t", "--feature",
                                 "f"},
        {"feature-stale"}}) {
    const CliRun r = execute(args, cwd.path());
    SCOPED_TRACE(args.front());
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "Application failed with error: ")) << r.err;
    EXPECT_FALSE(contains(r.err, "not implemented")) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(CliRun, JsonErrorsAreOneObjectOnStdout) {
  TempDir cwd("gp-cli-");
  const CliRun r = execute({"feature-stale", "--output", "json"}, cwd.path());
  EXPECT_EQ(r.code, 1);
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("command"), "feature-stale");
  EXPECT_TRUE(contains(j.at("error").get<std::string>(), "repository")) << j.dump();
}

TEST(CliRun, SetImageTextOutput) {
  TempDir dir("gp-cli-set-");
  gitops::test::write_sample(dir.path());
  const std::string path = (dir.path() / "webshop" / "dev").string();
  const CliRun r = execute(
      {"set-image", "--path", path, "--group", "webshop", "--app", "webui", "--tag", "1.2.0"},
      dir.path());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, path + "/webui/kustomization.yaml:8: 1.0.0 -> 1.2.0 (tag)\n");
  EXPECT_EQ(gitops::test::read_file(dir / "webshop/dev/webui/kustomization.yaml"),
            gitops::test::webui_kustomization("1.2.0"));

  const CliRun again = execute(
      {"set-image", "--path", path, "--group", "webshop", "--app", "webui", "--tag", "1.2.0"},
      dir.path());
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_TRUE(contains(again.out, "already up to date")) << again.out;
}

// In GitHub Actions a step whose summary (or outputs) cannot be written fails: later steps would
// otherwise read empty outputs without a word.
TEST(CliRun, UnwritableStepSummaryFailsTheCommand) {
  TempDir dir("gp-cli-set-");
  gitops::test::write_sample(dir.path());
  const std::string path = (dir.path() / "webshop" / "dev").string();
  const CliRun r = execute(
      {"set-image", "--path", path, "--group", "webshop", "--app", "webui", "--tag", "1.2.0"},
      dir.path(),
      {{"GITHUB_ACTIONS", "true"}, {"GITHUB_STEP_SUMMARY", (dir / "missing/summary").string()}});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "Application failed with error: cannot append the summary to "
                              "$GITHUB_STEP_SUMMARY (" +
                                  (dir / "missing/summary").string() +
                                  "): No such file or directory"))
      << r.err;
  EXPECT_TRUE(contains(r.out, "::error::cannot append the summary")) << r.out;

  const CliRun ok = execute(
      {"set-image", "--path", path, "--group", "webshop", "--app", "webui", "--tag", "1.3.0"},
      dir.path(),
      {{"GITHUB_ACTIONS", "true"}, {"GITHUB_STEP_SUMMARY", (dir / "summary").string()}});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_TRUE(contains(gitops::test::read_file(dir / "summary"), "set-image")) << ok.out;
}

TEST(CliRun, SetImageJsonAndDryRun) {
  TempDir dir("gp-cli-set-");
  gitops::test::write_sample(dir.path());
  const CliRun r = execute({"set-image", "--path", dir.path().string(), "--group", "webshop",
                            "--app", "cart", "--tag", "2.0.0", "--output", "json", "--dry-run"},
                           dir.path());
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("command"), "set-image");
  EXPECT_EQ(j.at("dry_run"), true);
  EXPECT_EQ(j.at("matched"), 3);
  ASSERT_EQ(j.at("changes").size(), 3U);
  EXPECT_EQ(j.at("changes")[0].at("file"),
            (dir.path() / "webshop/dev/cart/deployment.yaml").generic_string());
  EXPECT_EQ(j.at("changes")[0].at("line"), 10);
  EXPECT_EQ(j.at("changes")[0].at("old"), "registry.example.com/webshop/cart:1.0.0");
  EXPECT_EQ(j.at("changes")[0].at("new"), "registry.example.com/webshop/cart:2.0.0");
  EXPECT_EQ(j.at("changes")[0].at("setter"), "image");
  EXPECT_EQ(gitops::test::read_file(dir / "webshop/dev/cart/deployment.yaml"),
            gitops::test::cart_deployment("1.0.0"));
}

TEST(CliRun, SetImageErrors) {
  TempDir dir("gp-cli-set-");
  gitops::test::write_sample(dir.path());
  const CliRun none = execute({"set-image", "--path", dir.path().string(), "--group", "webshop",
                               "--app", "nope", "--tag", "1"},
                              dir.path());
  EXPECT_EQ(none.code, 1);
  EXPECT_TRUE(contains(none.err, "Application failed with error: no $imagepolicy marker for "
                                 "webshop:nope found under " +
                                     dir.path().string()))
      << none.err;
  const CliRun bad_tag = execute({"set-image", "--path", dir.path().string(), "--group", "webshop",
                                  "--app", "cart", "--tag", "a b"},
                                 dir.path());
  EXPECT_EQ(bad_tag.code, 2);
  EXPECT_TRUE(contains(bad_tag.err, "--tag")) << bad_tag.err;
  EXPECT_TRUE(contains(bad_tag.err, "Run `gitops-promotion set-image --help` for usage."))
      << bad_tag.err;
}

TEST(CliRun, LintExitCodes) {
  TempDir dir("gp-cli-lint-");
  gitops::test::write_sample(dir.path());
  const CliRun clean = execute({"lint"}, dir.path());
  EXPECT_EQ(clean.code, 0) << clean.err;
  EXPECT_EQ(clean.out, "lint: no problems found\n");

  fs::remove_all(dir / "webshop/prod");
  const CliRun bad = execute({"lint", "--sourcedir", dir.path().string()}, "/");
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(bad.out, "webshop: error: group webshop has no directory for environment prod\n"
                     "lint: 1 error, 0 warnings\n");
  EXPECT_EQ(bad.err, "Application failed with error: lint found 1 error\n");

  const CliRun bad_json = execute({"lint", "--output", "json"}, dir.path());
  EXPECT_EQ(bad_json.code, 1);
  const json j = json::parse(bad_json.out); // exactly one object
  EXPECT_EQ(j.at("command"), "lint");
  EXPECT_EQ(j.at("ok"), false);
  EXPECT_EQ(j.at("errors"), 1);
  EXPECT_EQ(j.at("findings")[0].at("file"), "webshop");
  EXPECT_EQ(j.at("findings")[0].at("severity"), "error");
}

TEST(CliRun, LintWarningsAloneExitZero) {
  TempDir dir("gp-cli-lint-");
  gitops::test::write_sample(dir.path());
  gitops::test::write_file(dir / "webshop/dev/other.yaml",
                           "image: example.com/x:1 # {\"$imagepolicy\": \"payments:api\"}\n");
  const CliRun r = execute({"lint"}, dir.path());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "webshop/dev/other.yaml:1: warning: ")) << r.out;
  EXPECT_TRUE(contains(r.out, "lint: 0 errors, 1 warning")) << r.out;
}

struct CliNewTest : ::testing::Test {
  GitRepo repo;
  std::string head;
  void SetUp() override {
    gitops::test::write_sample(repo.path());
    head = repo.commit_all("initial");
  }
};

TEST_F(CliNewTest, DryRunTextShowsDiffBranchAndPr) {
  const std::string before = repo.snapshot();
  const CliRun r = execute({"new", "--dry-run", "--group", "webshop", "--app", "cart", "--tag",
                            "1.1.0", "--token", "ghp_secret"},
                           repo.path(), {{"GITHUB_TOKEN", "ghp_env_secret"}});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "--- a/webshop/dev/cart/deployment.yaml\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "+          image: registry.example.com/webshop/cart:1.1.0 #"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "branch:       promote/webshop-cart (one commit on " + head + ")\n"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "pull request: promote/webshop-cart -> main\n")) << r.out;
  EXPECT_TRUE(
      contains(r.out, "title:        Promote webshop/cart version 1.1.0 to environment dev\n"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "auto-merge:   yes (environment dev is automated)\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "\tENV: dev\n\tAPP: cart\n\tTAG: 1.1.0\n")) << r.out;
  EXPECT_FALSE(contains(r.out + r.err, "secret")) << r.out << r.err;
  EXPECT_EQ(repo.snapshot(), before);
}

TEST_F(CliNewTest, DryRunJson) {
  repo.git("remote add origin https://x-access-token:hunter2@github.com/acme/gitops.git");
  const std::string before = repo.snapshot();
  const CliRun r = execute({"--output", "json", "new", "--dry-run", "--group", "webshop", "--app",
                            "cart", "--tag", "1.1.0", "--sourcedir", repo.path().string()},
                           "/", {{"GITHUB_TOKEN", "ghp_env_secret"}});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("command"), "new");
  EXPECT_EQ(j.at("dry_run"), true);
  EXPECT_EQ(j.at("branch"), "promote/webshop-cart");
  EXPECT_EQ(j.at("title"), "Promote webshop/cart version 1.1.0 to environment dev");
  EXPECT_EQ(j.at("body"), "<!-- metadata = {\"group\":\"webshop\",\"app\":\"cart\",\"tag\":"
                          "\"1.1.0\",\"env\":\"dev\",\"sha\":\"" +
                              head +
                              "\",\"feature\":\"\",\"type\":\"promote\"} -->\n\tENV: "
                              "dev\n\tAPP: cart\n\tTAG: 1.1.0");
  EXPECT_EQ(j.at("auto_merge"), true);
  EXPECT_EQ(j.at("base"), "main");
  EXPECT_EQ(j.at("provider"), "github");
  ASSERT_EQ(j.at("changes").size(), 1U);
  EXPECT_EQ(j.at("changes")[0].at("file"), "webshop/dev/cart/deployment.yaml");
  EXPECT_EQ(j.at("changes")[0].at("line"), 10);
  EXPECT_EQ(j.at("changes")[0].at("setter"), "image");
  EXPECT_TRUE(contains(j.at("diff").get<std::string>(), "+++ b/webshop/dev/cart/deployment.yaml"));
  EXPECT_FALSE(contains(r.out, "hunter2")) << r.out;
  EXPECT_FALSE(contains(r.out, "secret")) << r.out;
  EXPECT_EQ(repo.snapshot(), before);
}

TEST_F(CliNewTest, DryRunErrors) {
  const CliRun no_marker = execute(
      {"new", "--dry-run", "--group", "webshop", "--app", "nope", "--tag", "1"}, repo.path());
  EXPECT_EQ(no_marker.code, 1);
  EXPECT_TRUE(contains(no_marker.err, "webshop/dev")) << no_marker.err;

  const CliRun no_dir =
      execute({"new", "--dry-run", "--group", "shop", "--app", "cart", "--tag", "1"}, repo.path());
  EXPECT_EQ(no_dir.code, 1);
  EXPECT_TRUE(contains(no_dir.err, "directory shop/dev does not exist")) << no_dir.err;

  const CliRun bad_name = execute(
      {"new", "--dry-run", "--group", "web shop", "--app", "cart", "--tag", "1"}, repo.path());
  EXPECT_EQ(bad_name.code, 2) << bad_name.err;

  TempDir not_a_repo("gp-cli-norepo-");
  const CliRun no_repo = execute(
      {"new", "--dry-run", "--group", "webshop", "--app", "cart", "--tag", "1"}, not_a_repo.path());
  EXPECT_EQ(no_repo.code, 1);
  EXPECT_TRUE(contains(no_repo.err, "Application failed with error: ")) << no_repo.err;
}

} // namespace
