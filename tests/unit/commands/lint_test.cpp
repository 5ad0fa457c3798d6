#include "git_fixture.hpp"
#include "support/temp_dir.hpp"

#include "gitops/commands/lint.hpp"
#include "gitops/util/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace fs = std::filesystem;
using gitops::commands::LintFinding;
using gitops::commands::LintResult;
using gitops::commands::run_lint;
using gitops::commands::Severity;
using gitops::test::TempDir;
using gitops::test::write_file;

namespace {

struct LintTest : ::testing::Test {
  TempDir dir{"gp-lint-"};

  LintResult lint() const { return run_lint({dir.path()}); }

  static std::string dump(const LintResult &r) {
    std::string out;
    for (const auto &f : r.findings) {
      out += f.file + ":" + std::to_string(f.line) + ": " +
             (f.severity == Severity::error ? "error: " : "warning: ") + f.message + "\n";
    }
    return out;
  }

  static const LintFinding *find(const LintResult &r, const std::string &file,
                                 const std::string &needle) {
    for (const auto &f : r.findings) {
      if (f.file == file && f.message.find(needle) != std::string::npos) {
        return &f;
      }
    }
    return nullptr;
  }
};

TEST_F(LintTest, SampleRepositoryIsClean) {
  gitops::test::write_sample(dir.path());
  write_file(dir / "docs/readme.yaml", "a: b\n"); // not a group: no environment directory
  const auto r = lint();
  EXPECT_TRUE(r.findings.empty()) << dump(r);
  EXPECT_EQ(r.errors(), 0U);
}

TEST_F(LintTest, GroupMissingAnEnvironmentDirectoryIsAnError) {
  gitops::test::write_sample(dir.path());
  fs::remove_all(dir / "webshop/prod");
  const auto r = lint();
  const LintFinding *f = find(r, "webshop", "environment prod");
  ASSERT_NE(f, nullptr) << dump(r);
  EXPECT_EQ(f->severity, Severity::error);
  EXPECT_EQ(f->line, 0);
  EXPECT_EQ(r.errors(), 1U) << dump(r);
}

TEST_F(LintTest, AppWithoutMarkerInOneEnvironmentIsAnError) {
  gitops::test::write_sample(dir.path());
  write_file(dir / "webshop/qa/cart/deployment.yaml", "kind: Deployment\n");
  const auto r = lint();
  const LintFinding *f = find(r, "webshop/qa", "app cart");
  ASSERT_NE(f, nullptr) << dump(r);
  EXPECT_EQ(f->severity, Severity::error);
  EXPECT_NE(f->message.find("dev, prod"), std::string::npos) << f->message;
  EXPECT_EQ(r.errors(), 1U) << dump(r);
}

TEST_F(LintTest, MarkerProblemsAreReportedWithFileAndLine) {
  gitops::test::write_sample(dir.path());
  write_file(dir / "webshop/dev/extra.yaml",
             "a: 1\n"
             "image: example.com/x:1 # {\"$imagepolicy\": \"webshop:cart:version\"}\n");
  const auto r = lint();
  const auto it = std::find_if(r.findings.begin(), r.findings.end(), [](const LintFinding &f) {
    return f.file == "webshop/dev/extra.yaml";
  });
  ASSERT_NE(it, r.findings.end()) << dump(r);
  EXPECT_EQ(it->line, 2) << dump(r);
}

TEST_F(LintTest, MarkerForAnotherGroupIsAWarning) {
  gitops::test::write_sample(dir.path());
  write_file(dir / "webshop/dev/other.yaml",
             "image: example.com/x:1 # {\"$imagepolicy\": \"payments:api\"}\n");
  const auto r = lint();
  const LintFinding *f = find(r, "webshop/dev/other.yaml", "payments:api");
  ASSERT_NE(f, nullptr) << dump(r);
  EXPECT_EQ(f->severity, Severity::warning);
  EXPECT_EQ(f->line, 1);
  EXPECT_EQ(r.errors(), 0U) << dump(r);
}

TEST_F(LintTest, ConfigWarningsAreWarningsOnly) {
  gitops::test::write_sample(dir.path());
  write_file(dir / "gitops-promotion.yaml",
             std::string(gitops::test::k_config) + "prflw: per-env\n");
  const auto r = lint();
  ASSERT_GE(r.warnings(), 1U) << dump(r);
  EXPECT_EQ(r.errors(), 0U) << dump(r);
  EXPECT_EQ(r.findings.front().file, "gitops-promotion.yaml") << dump(r);
  EXPECT_GT(r.findings.front().line, 0) << dump(r);
}

TEST_F(LintTest, InvalidConfigIsOneErrorFinding) {
  gitops::test::write_sample(dir.path());
  write_file(dir / "gitops-promotion.yaml", "environments: []\n");
  const auto r = lint();
  ASSERT_EQ(r.findings.size(), 1U) << dump(r);
  EXPECT_EQ(r.findings[0].file, "gitops-promotion.yaml");
  EXPECT_EQ(r.errors(), 1U);
  // The file is named once (relative), with the loader's line split off the message.
  EXPECT_EQ(r.findings[0].line, 1) << dump(r);
  EXPECT_EQ(r.findings[0].message.find(dir.path().string()), std::string::npos) << dump(r);
  EXPECT_NE(r.findings[0].message.find("environments list cannot be empty"), std::string::npos)
      << dump(r);
}

TEST_F(LintTest, EmptyConfigNamesTheFileOnce) {
  gitops::test::write_sample(dir.path());
  write_file(dir / "gitops-promotion.yaml", "");
  const auto r = lint();
  ASSERT_EQ(r.findings.size(), 1U) << dump(r);
  EXPECT_EQ(r.findings[0].line, 0) << dump(r);
  EXPECT_EQ(r.findings[0].message.find(dir.path().string()), std::string::npos) << dump(r);
  EXPECT_EQ(r.findings[0].message.rfind("the file is empty", 0), 0U) << dump(r);
}

TEST_F(LintTest, MissingConfigIsAnError) {
  write_file(dir / "webshop/dev/a.yaml", "a: b\n");
  const auto r = lint();
  EXPECT_EQ(r.errors(), 1U) << dump(r);
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].line, 0);
  EXPECT_NE(r.findings[0].message.find("does not exist"), std::string::npos) << dump(r);
}

TEST_F(LintTest, NoGroupsIsAnError) {
  write_file(dir / "gitops-promotion.yaml", gitops::test::k_config);
  const auto r = lint();
  EXPECT_EQ(r.errors(), 1U) << dump(r);
}

TEST_F(LintTest, RootMustBeADirectory) {
  EXPECT_THROW((void)run_lint({dir / "missing"}), gitops::CommandError);
}

TEST_F(LintTest, FindingsAreSortedByFileThenLine) {
  gitops::test::write_sample(dir.path());
  fs::remove_all(dir / "webshop/qa");
  write_file(dir / "webshop/dev/other.yaml",
             "x: 1\nimage: example.com/x:1 # {\"$imagepolicy\": \"payments:api\"}\n"
             "image2: example.com/x:1 # {\"$imagepolicy\": \"payments:web\"}\n");
  const auto r = lint();
  ASSERT_GE(r.findings.size(), 3U) << dump(r);
  EXPECT_TRUE(std::is_sorted(r.findings.begin(), r.findings.end(),
                             [](const LintFinding &a, const LintFinding &b) {
                               return std::tie(a.file, a.line) < std::tie(b.file, b.line);
                             }))
      << dump(r);
}

} // namespace
