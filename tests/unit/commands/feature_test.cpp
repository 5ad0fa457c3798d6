// `feature` and `feature-stale` against real repositories and the kustomize on PATH
// (scripts/setup.sh installs Debian's kubectl when there is none), with upstream's
// TestDuplicateAndRemoveApplication fixture and expectations.
#include "git_fixture.hpp"
#include "support/temp_dir.hpp"

#include "gitops/commands/feature.hpp"
#include "gitops/git/repository.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <sstream>

namespace fs = std::filesystem;
using gitops::commands::FeatureOptions;
using gitops::commands::FeatureStaleOptions;
using gitops::commands::NewPlan;
using gitops::test::GitRepo;
using testing::HasSubstr;

namespace {

const gitops::git::LibGit2Session k_session;

const std::string k_env_kustomization =
    "resources:\n- ../base\n- existing-feature\nimages:\n- name: nginx\n"
    "  newTag: app # {\"$imagepolicy\": \"apps:nginx:tag\"}\n";

const std::string k_config = "environments:\n- name: dev\n  auto: true\n- name: qa\n  auto: false\n"
                             "groups:\n  apps:\n    applications:\n      nginx:\n"
                             "        featureLabelSelector:\n          app: nginx\n"
                             "      nginx-api:\n        featureLabelSelector:\n"
                             "          app: nginx-api\n";

struct FeatureTest : ::testing::Test {
  GitRepo repo;
  std::ostringstream log_stream;
  gitops::util::Logger log{log_stream, gitops::util::LogLevel::debug};
  std::string path_variable = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";

  void SetUp() override {
    repo.write("gitops-promotion.yaml", k_config);
    repo.write("apps/base/kustomization.yaml", "resources:\n- deployment.yaml\n- service.yaml\n");
    repo.write("apps/base/deployment.yaml",
               "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nginx\n  labels:\n"
               "    app: nginx\nspec:\n  selector:\n    matchLabels:\n      app: nginx\n"
               "  template:\n    metadata:\n      labels:\n        app: nginx\n    spec:\n"
               "      containers:\n      - name: nginx\n        image: ghcr.io/org/nginx:latest\n");
    repo.write("apps/base/service.yaml",
               "apiVersion: v1\nkind: Service\nmetadata:\n  name: nginx\n  labels:\n"
               "    app: nginx\nspec:\n  selector:\n    app: nginx\n  ports:\n  - port: 80\n");
    repo.write("apps/dev/kustomization.yaml", k_env_kustomization);
    repo.write("apps/dev/existing-feature/kustomization.yaml", "resources: []\n");
    repo.write("apps/qa/kustomization.yaml", "resources:\n- ../base\n");
    repo.commit_all("initial");
  }

  gitops::util::EnvLookup env(const std::string &path) const {
    return gitops::util::fixed_env({{"PATH", path}});
  }

  NewPlan plan(const std::string &tag, const std::string &feature = "feature") {
    auto r = gitops::git::Repository::open(repo.path());
    FeatureOptions o{"apps", "nginx", tag, feature, true};
    return gitops::commands::plan_feature(r, gitops::commands::locate_root(r, repo.path()),
                                          r.head_commit(), o, env(path_variable), log);
  }

  // What merging the feature PR does to main.
  void merge(const NewPlan &p, const std::string &date = "") {
    for (const auto &edit : p.edits) {
      repo.write(edit.path, edit.new_content);
    }
    for (const auto &path : p.removals) {
      fs::remove(repo.path() / path);
    }
    repo.git("add -A");
    repo.git("commit -q -m merged" + (date.empty() ? "" : " --date=" + date));
  }

  gitops::commands::FeatureStaleResult stale(std::chrono::nanoseconds max_age) {
    auto r = gitops::git::Repository::open(repo.path());
    gitops::commands::Services services{r, gitops::commands::locate_root(r, repo.path()), nullptr,
                                        log};
    return gitops::commands::run_feature_stale(FeatureStaleOptions{max_age, true}, services);
  }
};

TEST_F(FeatureTest, UpstreamDuplicateExpectationsHoldOverRepeatedRuns) {
  for (const char *tag : {"1234", "abcd", "12ab"}) {
    SCOPED_TRACE(tag);
    const NewPlan p = plan(tag);
    EXPECT_EQ(p.branch, "feature/apps-nginx-feature");
    EXPECT_EQ(p.title, "Review apps/nginx feature feature in environment dev");
    EXPECT_EQ(p.state.type, gitops::promotion::PrType::feature);
    EXPECT_EQ(p.state.sha, "");
    merge(p);
    // Upstream's expected environment kustomization, byte for byte, never a second entry.
    EXPECT_EQ(gitops::test::read_file(repo.path() / "apps/dev/kustomization.yaml"),
              "resources:\n- ../base\n- existing-feature\n- nginx-feature\nimages:\n- name: nginx\n"
              "  newTag: app # {\"$imagepolicy\": \"apps:nginx:tag\"}\n");
    std::vector<std::string> listing;
    for (const auto &entry : fs::directory_iterator(repo.path() / "apps/dev/nginx-feature")) {
      listing.push_back(entry.path().filename().string());
    }
    std::sort(listing.begin(), listing.end());
    EXPECT_EQ(listing,
              (std::vector<std::string>{"apps_v1_Deployment--nginx.yaml", "kustomization.yaml",
                                        "~G_v1_Service--nginx.yaml"}));
    const YAML::Node kustomization =
        YAML::LoadFile((repo.path() / "apps/dev/nginx-feature/kustomization.yaml").string());
    EXPECT_EQ(kustomization["commonLabels"]["app"].as<std::string>(), "nginx-feature");
    EXPECT_EQ(kustomization["commonLabels"]["gitops-promotion.xenit.io/feature"].as<std::string>(),
              "feature");
    EXPECT_EQ(kustomization["nameSuffix"].as<std::string>(), "-feature");
    EXPECT_EQ(
        kustomization["resources"].as<std::vector<std::string>>(),
        (std::vector<std::string>{"apps_v1_Deployment--nginx.yaml", "~G_v1_Service--nginx.yaml"}));
    const YAML::Node deployment = YAML::LoadFile(
        (repo.path() / "apps/dev/nginx-feature/apps_v1_Deployment--nginx.yaml").string());
    EXPECT_EQ(deployment["spec"]["template"]["spec"]["containers"][0]["image"].as<std::string>(),
              std::string("ghcr.io/org/nginx:") + tag);
  }
  // The copy renders, and no later copy takes this one's resources again.
  EXPECT_EQ(plan("12ab").edits.size(), 0U);
}

TEST_F(FeatureTest, StaleCopiesAreRemovedWithTheirResourcesEntry) {
  merge(plan("1234"), "2020-01-01T00:00:00Z");
  EXPECT_EQ(stale(std::chrono::hours(24 * 365 * 100)).outcome.message,
            "No stale application to remove, exiting early.");
  const auto result = stale(std::chrono::hours(168));
  ASSERT_EQ(result.stale.size(), 1U);
  EXPECT_EQ(result.stale[0].directory, "apps/dev/nginx-feature");
  EXPECT_EQ(result.stale[0].feature, "feature");
  ASSERT_TRUE(result.plan);
  EXPECT_EQ(result.plan->branch, "remove/stale-feature");
  EXPECT_EQ(result.plan->title, "Remove stale review features");
  EXPECT_EQ(result.plan->removals.size(), 3U);
  ASSERT_EQ(result.plan->edits.size(), 1U);
  EXPECT_EQ(result.plan->edits[0].new_content, k_env_kustomization);
}

TEST_F(FeatureTest, StaleNeverTakesAnotherAppsCopyOrAPlainDirectory) {
  // nginx-api's copy starts with "nginx-", and a directory without the label is the user's.
  repo.write("apps/dev/nginx-api-x/kustomization.yaml",
             "commonLabels:\n  gitops-promotion.xenit.io/feature: x\nresources: []\n");
  repo.write("apps/dev/nginx-old/kustomization.yaml", "resources: []\n");
  repo.write("apps/dev/nginx-file", "not a directory\n");
  repo.git("add -A");
  repo.git("commit -q -m old --date=2020-01-01T00:00:00Z");
  const auto result = stale(std::chrono::hours(1));
  ASSERT_EQ(result.stale.size(), 1U);
  EXPECT_EQ(result.stale[0].app, "nginx-api");
  EXPECT_EQ(result.stale[0].feature, "x");
}

TEST_F(FeatureTest, ClearErrorsForBadInput) {
  EXPECT_THAT([&] { (void)plan("1", "!!!"); },
              testing::ThrowsMessage<gitops::UsageError>(HasSubstr("it is empty")));
  EXPECT_THAT([&] { (void)plan("bad tag"); },
              testing::ThrowsMessage<gitops::UsageError>(HasSubstr("--tag \"bad tag\"")));
  path_variable = "/nonexistent";
  EXPECT_THAT([&] { (void)plan("1"); }, testing::ThrowsMessage<gitops::CommandError>(
                                            HasSubstr("neither kustomize nor kubectl is on PATH")));
}

TEST_F(FeatureTest, MissingSelectorAndMissingResourcesKey) {
  repo.write("gitops-promotion.yaml", "environments:\n- name: dev\ngroups:\n  apps:\n"
                                      "    applications:\n      nginx: {}\n");
  repo.commit_all("no selector");
  EXPECT_THAT([&] { (void)plan("1"); },
              testing::ThrowsMessage<gitops::ConfigError>(
                  HasSubstr("groups.apps.applications.nginx.featureLabelSelector is empty")));
  repo.write("gitops-promotion.yaml", k_config);
  repo.write("apps/dev/kustomization.yaml", "bases:\n- ../base\n");
  repo.commit_all("bases, no resources");
  const NewPlan p = plan("1");
  const auto env = std::find_if(p.edits.begin(), p.edits.end(), [](const auto &e) {
    return e.path == "apps/dev/kustomization.yaml";
  });
  ASSERT_NE(env, p.edits.end());
  EXPECT_EQ(env->new_content, "bases:\n- ../base\nresources:\n- nginx-feature\n");
}

TEST_F(FeatureTest, OverwriteRewritesTheFirstEnvironmentsMarkers) {
  repo.write("gitops-promotion.yaml",
             "environments:\n- name: dev\n  auto: true\nprflow: per-env\ngroups:\n  apps:\n"
             "    applications:\n      nginx:\n        featureOverwrite: true\n");
  repo.commit_all("overwrite");
  const NewPlan p = plan("9.9.9", "My_Feature");
  EXPECT_EQ(p.branch, "feature/dev/apps-nginx-myfeature");
  ASSERT_EQ(p.edits.size(), 1U);
  EXPECT_THAT(p.edits[0].new_content, HasSubstr("newTag: 9.9.9 # "));
  EXPECT_EQ(p.state.feature, "myfeature");
}

// Debian 12's kubernetes-client (kubectl 1.20, kustomize v2.0.3) is the oldest kustomize the set-up
// offers; scripts/setup.sh unpacks it into this cache for the test.
TEST_F(FeatureTest, OldestSupportedKustomize) {
  const fs::path oldest = "/var/cache/gitops-promotion/kubectl-debian12/usr/bin";
  if (!fs::exists(oldest / "kubectl")) {
    GTEST_SKIP() << "scripts/setup.sh has not unpacked Debian 12's kubectl into " << oldest;
  }
  path_variable = oldest.string();
  // It cannot read a directory in resources: the error says so and what to do.
  EXPECT_THAT([&] { (void)plan("1"); }, testing::ThrowsMessage<gitops::CommandError>(
                                            HasSubstr("too old to read a directory")));
  // With the directory under bases:, it renders the copy.
  repo.write("apps/dev/kustomization.yaml", "bases:\n- ../base\n- existing-feature\n");
  repo.commit_all("bases");
  const NewPlan p = plan("1");
  EXPECT_EQ(p.edits.size(), 4U);
}

} // namespace
