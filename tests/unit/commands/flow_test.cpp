// new (without --dry-run), promote and status against a fake provider, real temporary repositories
// and the real smart-HTTP git server for pushes and fetches.
#include "fake_provider.hpp"
#include "git_fixture.hpp"
#include "support/git_server.hpp"
#include "support/temp_dir.hpp"

#include "gitops/commands/consistency.hpp"
#include "gitops/commands/new.hpp"
#include "gitops/commands/promote.hpp"
#include "gitops/commands/status.hpp"
#include "gitops/git/repository.hpp"
#include "gitops/util/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

namespace fs = std::filesystem;
using gitops::commands::NewOptions;
using gitops::commands::Outcome;
using gitops::commands::Services;
using gitops::providers::CommitStatus;
using gitops::providers::PullRequest;
using gitops::test::GitRepo;
using gitops::test::GitServer;

namespace {

const gitops::git::LibGit2Session k_session;

bool contains(const std::string &text, const std::string &needle) {
  return text.find(needle) != std::string::npos;
}

std::string trim(std::string s) {
  s.erase(s.find_last_not_of('\n') + 1);
  return s;
}

struct FlowTest : ::testing::Test {
  GitServer server;
  GitRepo repo;
  gitops::test::FakeProvider provider;
  std::ostringstream log_stream;
  gitops::util::Logger log{log_stream, gitops::util::LogLevel::debug};
  std::string base;
  std::map<std::string, std::string> env_vars;
  std::chrono::steady_clock::time_point clock{};
  std::vector<std::chrono::milliseconds> sleeps;

  void SetUp() override {
    server.create_bare_repo("gitops");
    gitops::test::write_sample(repo.path());
    base = repo.commit_all("initial");
    repo.git("remote add origin " + server.url("gitops"));
    push_main();
  }

  void push_main() const {
    repo.git("push -q " + server.url_with_credentials("gitops") + " HEAD:refs/heads/main");
  }

  // The commit the server's branch points to, "" when it has no such branch.
  std::string remote_ref(const std::string &branch) const {
    try {
      return trim(
          gitops::test::shell("git --git-dir=" + gitops::test::quote(server.repo_path("gitops")) +
                              " rev-parse --verify -q refs/heads/" + branch));
    } catch (const std::runtime_error &) {
      return "";
    }
  }

  std::string show(const std::string &revision_and_path) const {
    return gitops::test::shell("git --git-dir=" + gitops::test::quote(server.repo_path("gitops")) +
                               " show " + revision_and_path);
  }

  template <typename F>
  auto with_services(F &&body, const fs::path &dir, const std::string &token) {
    auto r = gitops::git::Repository::open(dir);
    Services services{r, gitops::commands::locate_root(r, dir), &provider, log};
    services.credentials.token = token;
    services.env = gitops::util::fixed_env(env_vars);
    services.now = [this] { return clock; };
    services.sleep = [this](std::chrono::milliseconds d) {
      sleeps.push_back(d);
      clock += d;
    };
    return body(services);
  }
  template <typename F> auto with_services(F &&body) {
    return with_services(std::forward<F>(body), repo.path(), server.password());
  }

  Outcome run_new(const std::string &app, const std::string &tag) {
    NewOptions o;
    o.group = "webshop";
    o.app = app;
    o.tag = tag;
    return with_services([&](Services &s) { return *gitops::commands::run_new(o, s).outcome; });
  }
  Outcome promote() {
    return with_services([](Services &s) { return gitops::commands::run_promote({}, s); });
  }
  Outcome status(std::optional<std::string> branch = std::nullopt) {
    gitops::commands::StatusOptions o;
    o.branch = std::move(branch);
    return with_services([&](Services &s) { return gitops::commands::run_status(o, s); });
  }

  bool called(const std::string &call) const {
    return std::find(provider.calls.begin(), provider.calls.end(), call) != provider.calls.end();
  }

  // A merged promotion PR whose metadata says `env` (and `type`).
  static PullRequest merged(const std::string &env, const std::string &sha,
                            gitops::promotion::PrType type = gitops::promotion::PrType::promote) {
    gitops::promotion::PrState state;
    state.group = "webshop";
    state.app = "cart";
    state.tag = "1.1.0";
    state.env = env;
    state.sha = sha;
    state.type = type;
    if (type == gitops::promotion::PrType::feature) {
      state.feature = "x";
      state.sha = "";
    }
    PullRequest pr;
    pr.number = 41;
    pr.description = state.description();
    pr.state = gitops::providers::PrState::merged;
    pr.head_branch = "promote/webshop-cart";
    pr.base_branch = "main";
    return pr;
  }

  // What merging a promotion of cart `tag` into `env` leaves on main: the new HEAD (and `base`).
  void merge_on_main(const std::string &env, const std::string &tag) {
    repo.write("webshop/" + env + "/cart/deployment.yaml", gitops::test::cart_deployment(tag));
    base = repo.commit_all("merged " + tag + " into " + env);
    push_main();
  }

  // An open promotion PR into `env` recorded on `sha`, with its branch on the server holding what
  // it describes (webshop/cart 1.1.0 in `env`).
  void open_pr(const std::string &env, const std::string &sha) {
    PullRequest pr = merged(env, sha);
    pr.state = gitops::providers::PrState::open;
    pr.number = 7;
    pr.head_sha = push_promotion_branch(env, "1.1.0");
    provider.open_pr = pr;
  }

  // Pushes promote/webshop-cart as the tool would for cart `tag` in `env`; returns the commit.
  std::string push_promotion_branch(const std::string &env, const std::string &tag) {
    return with_services([&](Services &s) {
      const gitops::config::Config cfg = gitops::commands::read_config(s.repository, s.root, base);
      gitops::manifest::ImageUpdate update;
      update.group = "webshop";
      update.app = "cart";
      update.tag = tag;
      const auto plan = gitops::commands::plan_promotion(s.repository, s.root, cfg, base, update,
                                                         *cfg.find_environment(env));
      std::map<std::string, std::string> changes;
      for (const auto &edit : plan.edits) {
        changes[edit.path] = edit.new_content;
      }
      const std::string sha = s.repository.create_commit(
          base, changes, gitops::commands::promotion_commit_message(plan.title, plan.description),
          {"t", "t@example.com"});
      s.repository.stage_branch(plan.branch, sha);
      s.repository.push("origin", plan.branch, s.credentials);
      return sha;
    });
  }
};

// ---------------------------------------------------------------------------------------- new

TEST_F(FlowTest, NewCommitsPushesAndOpensAnAutoMergePr) {
  const Outcome o = run_new("cart", "1.1.0");
  const std::string sha = remote_ref("promote/webshop-cart");
  ASSERT_EQ(sha.size(), 40U);
  EXPECT_FALSE(o.skipped);
  EXPECT_EQ(o.message, "created branch promote/webshop-cart with pull request 1 on commit " + sha);
  EXPECT_EQ(o.commit, sha);
  EXPECT_EQ(o.pr_number, 1);
  EXPECT_TRUE(contains(show(sha + ":webshop/dev/cart/deployment.yaml"), "cart:1.1.0 #"));
  EXPECT_TRUE(contains(show(sha + ":webshop/qa/cart/deployment.yaml"), "cart:1.0.0 #"));
  // The commit carries its own promotion state: the PR's title and description.
  ASSERT_TRUE(provider.open_pr);
  EXPECT_EQ(trim(show("-s --format=%P%n%B%n%an " + sha)),
            base + "\nPromote webshop/cart version 1.1.0 to environment dev\n\n" +
                provider.open_pr->description + "\n\ngitops-promotion");
  EXPECT_EQ(provider.calls, (std::vector<std::string>{"find_open_pr promote/webshop-cart main",
                                                      "create_pr promote/webshop-cart main",
                                                      "set_auto_merge 1 on"}));
  EXPECT_EQ(provider.open_pr->title, "Promote webshop/cart version 1.1.0 to environment dev");
  EXPECT_TRUE(contains(provider.open_pr->description, "\"sha\":\"" + base + "\""));
  // The user's checkout and branches are untouched.
  EXPECT_EQ(repo.head(), base);
  EXPECT_EQ(repo.git("status --porcelain"), "");
  EXPECT_EQ(trim(repo.git("branch --list")), "* main");
  EXPECT_EQ(remote_ref("main"), base);
}

TEST_F(FlowTest, NewPerEnvUsesTheEnvironmentInTheBranch) {
  repo.write("gitops-promotion.yaml", std::string(gitops::test::k_config) + "prflow: per-env\n");
  base = repo.commit_all("per-env");
  const Outcome o = run_new("webui", "2.0.0");
  EXPECT_EQ(o.branch, "promote/dev/webshop-webui");
  EXPECT_EQ(remote_ref("promote/dev/webshop-webui").size(), 40U);
  EXPECT_EQ(remote_ref("promote/webshop-webui"), "");
}

TEST_F(FlowTest, NewSkipsWhenTheTagIsAlreadyThere) {
  const Outcome o = run_new("cart", "1.0.0");
  EXPECT_TRUE(o.skipped);
  EXPECT_TRUE(contains(o.message, "skipping:")) << o.message;
  EXPECT_TRUE(contains(o.message, "already at 1.0.0")) << o.message;
  EXPECT_TRUE(provider.calls.empty());
  EXPECT_EQ(remote_ref("promote/webshop-cart"), "");
}

TEST_F(FlowTest, NewWithoutAMarkerNamesTheDirectory) {
  try {
    (void)run_new("nosuch", "1.1.0");
    FAIL() << "expected CommandError";
  } catch (const gitops::CommandError &e) {
    EXPECT_TRUE(contains(e.what(), "webshop/dev")) << e.what();
  }
  EXPECT_TRUE(provider.calls.empty());
}

TEST_F(FlowTest, NewRerunConvergesOnOnePr) {
  const Outcome first = run_new("cart", "1.1.0");
  const Outcome second = run_new("cart", "1.2.0");
  EXPECT_EQ(first.pr_number, second.pr_number);
  EXPECT_EQ(provider.next_number, 2);
  EXPECT_TRUE(contains(show(*second.commit + ":webshop/dev/cart/deployment.yaml"), "cart:1.2.0"));
  EXPECT_EQ(remote_ref("promote/webshop-cart"), *second.commit);
  // The branch changed what the PR describes: auto-merge went off before the push and on again
  // only once the PR described the new commit.
  const auto at = [&](const std::string &call) {
    return std::find(provider.calls.begin(), provider.calls.end(), call) - provider.calls.begin();
  };
  EXPECT_LT(at("set_auto_merge 1 off"), at("update_pr 1"));
  EXPECT_EQ(provider.calls.back(), "set_auto_merge 1 on");
  // The same version again changes nothing about auto-merge.
  provider.calls.clear();
  (void)run_new("cart", "1.2.0");
  EXPECT_FALSE(called("set_auto_merge 1 off"));
  EXPECT_FALSE(called("set_auto_merge 1 on"));
}

TEST_F(FlowTest, NewFailingOnThePrUpdateLeavesAutoMergeOffAndTheGateRed) {
  // A PR for 2.0.0 with auto-merge; `new --tag 3.0.0` pushes, then the PR update fails.
  (void)run_new("cart", "2.0.0");
  ASSERT_TRUE(provider.open_pr && provider.open_pr->auto_merge);
  provider.update_fails = true;
  EXPECT_THROW((void)run_new("cart", "3.0.0"), gitops::ProviderError);
  const std::string pushed = remote_ref("promote/webshop-cart");
  EXPECT_TRUE(contains(show(pushed + ":webshop/dev/cart/deployment.yaml"), "cart:3.0.0"));
  EXPECT_TRUE(contains(provider.open_pr->title, "version 2.0.0"));
  // Nothing can merge 3.0.0 under 2.0.0's name: auto-merge is off and the required check fails,
  // even in the first environment, which has no health gate.
  EXPECT_FALSE(provider.open_pr->auto_merge);
  try {
    (void)status("promote/webshop-cart");
    FAIL() << "expected GateError";
  } catch (const gitops::GateError &e) {
    EXPECT_TRUE(contains(e.what(), "does not describe what it would merge")) << e.what();
    EXPECT_TRUE(contains(e.what(), "made for webshop/cart version 3.0.0")) << e.what();
  }
  // The re-run converges: the PR describes 3.0.0, auto-merge is back, the check passes.
  provider.update_fails = false;
  const Outcome rerun = run_new("cart", "3.0.0");
  EXPECT_FALSE(rerun.skipped);
  EXPECT_TRUE(contains(provider.open_pr->title, "version 3.0.0"));
  EXPECT_TRUE(provider.open_pr->auto_merge);
  EXPECT_TRUE(contains(status("promote/webshop-cart").message, "first environment"));
}

TEST_F(FlowTest, NewThatLosesARaceMakesThePrDescribeTheWinner) {
  (void)run_new("cart", "2.0.0");
  // Run B pushes 4.0.0 while run A (3.0.0) is between its push and its PR update.
  std::string winner;
  provider.before_update = [&] { winner = push_promotion_branch("dev", "4.0.0"); };
  const Outcome a = run_new("cart", "3.0.0");
  EXPECT_TRUE(a.skipped);
  EXPECT_EQ(a.commit, winner);
  EXPECT_TRUE(contains(a.message, "superseded")) << a.message;
  EXPECT_EQ(remote_ref("promote/webshop-cart"), winner);
  // The PR describes what its branch holds, and so the gate agrees.
  EXPECT_EQ(provider.open_pr->title, "Promote webshop/cart version 4.0.0 to environment dev");
  EXPECT_TRUE(provider.open_pr->auto_merge);
  EXPECT_TRUE(contains(log_stream.str(), "another run pushed " + winner)) << log_stream.str();
  EXPECT_NO_THROW((void)status("promote/webshop-cart"));
}

TEST_F(FlowTest, NewWhoseAutoMergeIsRefusedAfterLosingARaceConvergesOnTheWinner) {
  (void)run_new("cart", "2.0.0");
  // Run B pushes 4.0.0 after run A (3.0.0) updated the PR, and the forge then refuses A's merge
  // request for the head A read.
  std::string winner;
  provider.refuse_auto_merge = [&] { winner = push_promotion_branch("dev", "4.0.0"); };
  const Outcome a = run_new("cart", "3.0.0");
  EXPECT_TRUE(a.skipped);
  EXPECT_EQ(a.commit, winner);
  EXPECT_TRUE(contains(a.message, "superseded")) << a.message;
  EXPECT_TRUE(called("update_auto_merge 1 refused"));
  EXPECT_EQ(provider.open_pr->title, "Promote webshop/cart version 4.0.0 to environment dev");
  EXPECT_TRUE(provider.open_pr->auto_merge);
  EXPECT_NO_THROW((void)status("promote/webshop-cart"));
}

TEST_F(FlowTest, AutoMergeIsAskedForThePushedCommitWhenTheForgeShowsAnOlderHead) {
  // GitLab updates a merge request's sha some time after a push: the PR's answer shows the old one.
  provider.head_sha = std::string(40, 'a');
  const Outcome first = run_new("cart", "2.0.0");
  ASSERT_TRUE(first.commit.has_value());
  EXPECT_EQ(provider.auto_merge_head, *first.commit);
}

TEST_F(FlowTest, NewReportsARefusedAutoMergeWhenNoOtherRunPushed) {
  provider.refuse_auto_merge = [] {};
  try {
    (void)run_new("cart", "2.0.0");
    FAIL() << "expected ProviderError";
  } catch (const gitops::ProviderError &e) {
    EXPECT_TRUE(contains(e.what(), "head out of date")) << e.what();
  }
  EXPECT_FALSE(provider.open_pr->auto_merge);
}

TEST_F(FlowTest, StatusFailsWhenTheBranchHoldsAnotherVersionThanThePrSays) {
  open_pr("qa", base);
  provider.statuses[base] = {
      {{"kustomization/webshop-dev", gitops::providers::StatusState::success, "applied"}}};
  EXPECT_NO_THROW((void)status("promote/webshop-cart"));
  (void)push_promotion_branch("qa", "9.9.9");
  try {
    (void)status("promote/webshop-cart");
    FAIL() << "expected GateError";
  } catch (const gitops::GateError &e) {
    EXPECT_TRUE(contains(e.what(), "was made for webshop/cart version 9.9.9")) << e.what();
  }
}

TEST_F(FlowTest, NewIntoABaseBranchTheRemoteLacksPushesNothing) {
  repo.write("gitops-promotion.yaml",
             gitops::test::k_config + std::string("base_branch: release\n"));
  base = repo.commit_all("release as base");
  push_main();
  try {
    (void)run_new("cart", "1.1.0");
    FAIL() << "expected CommandError";
  } catch (const gitops::CommandError &e) {
    EXPECT_TRUE(contains(e.what(), "the base branch \"release\" does not exist on remote "
                                   "\"origin\""))
        << e.what();
  }
  EXPECT_EQ(remote_ref("promote/webshop-cart"), "");
  EXPECT_FALSE(called("create_pr promote/webshop-cart release"));
}

TEST_F(FlowTest, NewLeavesAnAlreadyMergeablePrAlone) {
  provider.already_mergeable = true;
  const Outcome o = run_new("cart", "1.1.0");
  EXPECT_FALSE(o.skipped);
  EXPECT_TRUE(called("update_auto_merge 1 already mergeable"));
  for (const std::string &c : provider.calls) {
    EXPECT_FALSE(c.starts_with("merge_pr")) << c;
  }
  EXPECT_TRUE(contains(log_stream.str(), "already mergeable")) << log_stream.str();
}

TEST_F(FlowTest, NewWithAWrongTokenFailsBeforeAnyPr) {
  NewOptions o;
  o.group = "webshop";
  o.app = "cart";
  o.tag = "1.1.0";
  EXPECT_THROW(with_services([&](Services &s) { return gitops::commands::run_new(o, s); },
                             repo.path(), "wrong-token"),
               gitops::GitError);
  EXPECT_EQ(provider.calls, (std::vector<std::string>{"find_open_pr promote/webshop-cart main"}));
  EXPECT_EQ(remote_ref("promote/webshop-cart"), "");
  EXPECT_FALSE(contains(log_stream.str(), "wrong-token"));
}

TEST_F(FlowTest, NewFromAShallowCloneCommitsThroughTheApi) {
  gitops::test::TempDir dir("gp-shallow-");
  const fs::path clone = dir.path() / "clone";
  gitops::test::shell("git clone -q --depth 1 file://" + server.repo_path("gitops").string() + " " +
                      gitops::test::quote(clone));
  NewOptions o;
  o.group = "webshop";
  o.app = "cart";
  o.tag = "1.1.0";
  const Outcome out =
      with_services([&](Services &s) { return *gitops::commands::run_new(o, s).outcome; }, clone,
                    server.password());
  EXPECT_TRUE(called("commit_via_api promote/webshop-cart " + base));
  EXPECT_EQ(out.commit, std::string(40, 'f'));
  EXPECT_EQ(remote_ref("promote/webshop-cart"), "");
}

// ------------------------------------------------------------------------------------ promote

TEST_F(FlowTest, PromoteSkipsACommitWithoutPr) {
  const Outcome o = promote();
  EXPECT_TRUE(o.skipped);
  EXPECT_EQ(o.message, "skipping promotion as commit does not originate from PR");
}

TEST_F(FlowTest, PromoteFailsWhenTheLookupFails) {
  provider.merged_lookup_fails = true;
  EXPECT_THROW((void)promote(), gitops::ProviderError);
}

TEST_F(FlowTest, PromoteSkipsPrsItDidNotMake) {
  PullRequest pr = merged("dev", base);
  pr.description = "a human wrote this";
  provider.merged_pr = pr;
  EXPECT_EQ(promote().message, "skipping promotion as PR is not created by gitops-promotion");
}

TEST_F(FlowTest, PromoteSkipsFeatures) {
  provider.merged_pr = merged("dev", base, gitops::promotion::PrType::feature);
  EXPECT_EQ(promote().message, "skipping promotion of feature");
}

TEST_F(FlowTest, PromoteStopsAtTheLastEnvironment) {
  provider.merged_pr = merged("prod", base);
  EXPECT_EQ(promote().message, "no next environment to promote to");
  EXPECT_EQ(remote_ref("promote/webshop-cart"), "");
}

TEST_F(FlowTest, PromotePromotesWhatWasMergedNotWhatThePrSays) {
  // The PR said 1.1.0, but the commit that merged set dev to 3.0.0 (a run failed between its push
  // and its PR update): qa gets what dev runs.
  merge_on_main("dev", "3.0.0");
  provider.merged_pr = merged("dev", base);
  const Outcome o = promote();
  ASSERT_TRUE(o.commit);
  EXPECT_TRUE(contains(show(*o.commit + ":webshop/qa/cart/deployment.yaml"), "cart:3.0.0 #"));
  ASSERT_TRUE(provider.open_pr);
  EXPECT_EQ(provider.open_pr->title, "Promote webshop/cart version 3.0.0 to environment qa");
  EXPECT_TRUE(contains(log_stream.str(), "pull request 41 says webshop/cart version 1.1.0 for "
                                         "dev, but what was merged"))
      << log_stream.str();
}

TEST_F(FlowTest, PromoteRefusesWhenTheMergedMarkersDisagreeWithEachOtherAndThePr) {
  repo.write("webshop/dev/cart/other.yaml", gitops::test::cart_deployment("2.0.0"));
  merge_on_main("dev", "3.0.0");
  provider.merged_pr = merged("dev", base);
  try {
    (void)promote();
    FAIL() << "expected CommandError";
  } catch (const gitops::CommandError &e) {
    EXPECT_TRUE(contains(e.what(), "cannot tell which version was merged")) << e.what();
  }
  EXPECT_EQ(remote_ref("promote/webshop-cart"), "");
}

TEST_F(FlowTest, PromoteRejectsAnUnknownEnvironment) {
  provider.merged_pr = merged("staging", base);
  EXPECT_THROW((void)promote(), gitops::ConfigError);
}

TEST_F(FlowTest, PromoteOpensTheNextEnvironmentsPr) {
  merge_on_main("dev", "1.1.0");
  provider.merged_pr = merged("dev", "0123456789012345678901234567890123456789");
  const Outcome o = promote();
  const std::string sha = remote_ref("promote/webshop-cart");
  EXPECT_EQ(o.message, "created branch promote/webshop-cart with pull request 1 on commit " + sha);
  EXPECT_TRUE(contains(show(sha + ":webshop/qa/cart/deployment.yaml"), "cart:1.1.0 #"));
  EXPECT_TRUE(contains(show(sha + ":webshop/prod/cart/deployment.yaml"), "cart:1.0.0 #"));
  ASSERT_TRUE(provider.open_pr);
  EXPECT_EQ(provider.open_pr->title, "Promote webshop/cart version 1.1.0 to environment qa");
  // The new state records HEAD, not the previous PR's sha.
  EXPECT_TRUE(contains(provider.open_pr->description, "\"sha\":\"" + base + "\""));
  EXPECT_TRUE(called("set_auto_merge 1 on"));
  // The change it made, for --output json and the CI summary.
  ASSERT_EQ(o.changes.size(), 1U);
  EXPECT_EQ(o.changes[0].file, "webshop/qa/cart/deployment.yaml");
  EXPECT_EQ(o.changes[0].old_value, "registry.example.com/webshop/cart:1.0.0");
  EXPECT_EQ(o.changes[0].new_value, "registry.example.com/webshop/cart:1.1.0");
}

TEST_F(FlowTest, PromoteToAManualEnvironmentTurnsAutoMergeOff) {
  merge_on_main("qa", "1.1.0");
  provider.merged_pr = merged("qa", base);
  PullRequest existing;
  existing.number = 9;
  existing.head_branch = "promote/webshop-cart";
  existing.auto_merge = true;
  provider.open_pr = existing;
  const Outcome o = promote();
  EXPECT_EQ(o.pr_number, 9);
  EXPECT_TRUE(called("set_auto_merge 9 off"));
  EXPECT_TRUE(contains(show(*o.commit + ":webshop/prod/cart/deployment.yaml"), "cart:1.1.0 #"));
}

// ------------------------------------------------------------------------------------- status

TEST_F(FlowTest, StatusSkipsManualBranches) {
  EXPECT_EQ(status("feature/x").message, "Promotion was manual, skipping check");
  EXPECT_EQ(status("promotefoo").message, "Promotion was manual, skipping check");
  // No flag, no CI variable: the current branch (main).
  EXPECT_EQ(status().message, "Promotion was manual, skipping check");
  EXPECT_FALSE(called("find_open_pr main main"));
}

TEST_F(FlowTest, StatusSkipsPrsWithoutMetadata) {
  PullRequest pr;
  pr.number = 3;
  pr.head_branch = "promote/webshop-cart";
  pr.description = "hand-made";
  provider.open_pr = pr;
  const Outcome o = status("promote/webshop-cart");
  EXPECT_EQ(o.message, "Promotion was manual, skipping check");
  EXPECT_TRUE(o.skipped);
  // A skip still names the branch and PR it looked at.
  EXPECT_EQ(o.branch, "promote/webshop-cart");
  EXPECT_EQ(o.pr_number, 3);
}

TEST_F(FlowTest, StatusAllowsFeatureAndFirstEnvironmentPrs) {
  PullRequest pr = merged("dev", base, gitops::promotion::PrType::feature);
  provider.open_pr = pr;
  EXPECT_EQ(status("promote/webshop-cart").message, "Automatically allowing feature branch PR");
  open_pr("dev", base);
  EXPECT_EQ(status("promote/webshop-cart").message,
            "\"dev\" is the first environment so status check is skipped");
}

TEST_F(FlowTest, StatusWithoutAnOpenPrFails) {
  EXPECT_THROW((void)status("promote/webshop-cart"), gitops::CommandError);
}

TEST_F(FlowTest, StatusSucceedsOnTheRecordedSha) {
  const std::string recorded(40, 'a');
  open_pr("qa", recorded);
  provider.statuses[recorded] = {
      {{"kustomization/webshop-dev/0a1b", gitops::providers::StatusState::success, "applied"}}};
  const Outcome o = status("promote/webshop-cart");
  EXPECT_EQ(o.message, "successful reconciliation for webshop-dev found on \"" + recorded + "\"");
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(FlowTest, StatusFailsAtOnceOnAFailure) {
  const std::string recorded(40, 'a');
  open_pr("qa", recorded);
  provider.statuses[recorded] = {
      {{"kustomization/webshop-dev", gitops::providers::StatusState::failure,
        "health check failed"},
       {"kustomization/webshop-dev", gitops::providers::StatusState::success, "older"}}};
  try {
    (void)status("promote/webshop-cart");
    FAIL() << "expected GateError";
  } catch (const gitops::GateError &e) {
    EXPECT_TRUE(contains(e.what(), "failed reconciliation for webshop-dev found on \"" + recorded))
        << e.what();
    EXPECT_TRUE(contains(e.what(), "kustomization/webshop-dev: failure (health check failed)"))
        << e.what();
  }
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(FlowTest, StatusSuccessOnTheNewestBaseCommitWinsOverAFailure) {
  const std::string recorded = base;
  repo.write("README", "fix\n");
  const std::string fixed = repo.commit_all("fix on main");
  push_main();
  open_pr("qa", recorded);
  provider.statuses[recorded] = {
      {{"kustomization/webshop-dev", gitops::providers::StatusState::failure, "broken"}}};
  provider.statuses[fixed] = {
      {{"kustomization/webshop-dev", gitops::providers::StatusState::success, "fixed"}}};
  EXPECT_EQ(status("promote/webshop-cart").message,
            "successful reconciliation for webshop-dev found on main at " + fixed);
}

TEST_F(FlowTest, StatusWaitsForPendingThenSucceeds) {
  const std::string recorded(40, 'b');
  open_pr("qa", recorded);
  provider.statuses[recorded] = {
      {},
      {{"kustomization/webshop-dev", gitops::providers::StatusState::pending, "progressing"}},
      {{"kustomization/webshop-dev", gitops::providers::StatusState::success, "ok"}}};
  EXPECT_TRUE(contains(status("promote/webshop-cart").message, "successful reconciliation"));
  EXPECT_EQ(sleeps, (std::vector<std::chrono::milliseconds>{std::chrono::seconds(5),
                                                            std::chrono::seconds(5)}));
}

TEST_F(FlowTest, StatusTimesOutIgnoringUnrelatedContexts) {
  repo.write("gitops-promotion.yaml",
             std::string(gitops::test::k_config) +
                 "status_timeout_minutes: 1\nstatus:\n  poll_interval: 20s\n");
  base = repo.commit_all("timeout");
  const std::string recorded(40, 'c');
  open_pr("qa", recorded);
  provider.statuses[recorded] = {
      {{"Vercel", gitops::providers::StatusState::success, ""},
       {"kustomization/webshop-qa", gitops::providers::StatusState::success, ""},
       {"kustomization/other-dev", gitops::providers::StatusState::failure, ""}}};
  try {
    (void)status("promote/webshop-cart");
    FAIL() << "expected GateError";
  } catch (const gitops::GateError &e) {
    EXPECT_TRUE(contains(e.what(),
                         "commit status check for webshop-dev has timed out \"" + recorded + "\""))
        << e.what();
    EXPECT_TRUE(contains(e.what(), "none")) << e.what();
  }
  EXPECT_EQ(sleeps.size(), 3U); // 0s, 20s, 40s, then 60s is the deadline
  // Every poll says how long it has waited, against which limit and for what.
  const std::string progress = log_stream.str();
  for (const char *elapsed : {"(0s of 1m0s)", "(20s of 1m0s)", "(40s of 1m0s)"}) {
    EXPECT_TRUE(contains(progress, std::string("retrying status check for webshop-dev ") + elapsed +
                                       ": waiting for a success status whose context names "
                                       "webshop-dev (e.g. kustomization/webshop-dev) on \"" +
                                       recorded + "\" or main; statuses seen"))
        << progress;
  }
}

// The CI system's pull-request branch arrives as options.branch (cli resolves the variables).
TEST_F(FlowTest, StatusOnADetachedHeadUsesTheBranchItIsGiven) {
  repo.git("checkout -q --detach");
  open_pr("dev", base);
  EXPECT_EQ(status("promote/webshop-cart").message,
            "\"dev\" is the first environment so status check is skipped");
  EXPECT_TRUE(called("find_open_pr promote/webshop-cart main"));
}

TEST_F(FlowTest, StatusOnADetachedHeadAsksTheForge) {
  repo.git("checkout -q --detach");
  EXPECT_THROW((void)status(), gitops::CommandError);
  PullRequest pr;
  pr.head_branch = "promote/webshop-cart";
  pr.base_branch = "main";
  provider.open_prs_for_commit = {pr};
  open_pr("dev", base);
  (void)status();
  EXPECT_TRUE(called("find_open_prs_for_commit " + base));
  EXPECT_TRUE(called("find_open_pr promote/webshop-cart main"));
}

} // namespace
