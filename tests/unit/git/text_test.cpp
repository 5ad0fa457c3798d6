#include "gitops/git/repository.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace {

using gitops::git::redact_url;
using gitops::git::unified_diff;
using gitops::git::validate_branch_name;
using ::testing::HasSubstr;

TEST(ValidateBranchName, AcceptsOrdinaryAndPromotionBranchNames) {
  for (const char *name : {"main", "promote/dev-app", "feature/x_y.z", "intg/dev/app", "a-b"}) {
    SCOPED_TRACE(name);
    EXPECT_NO_THROW(validate_branch_name(name));
  }
}

TEST(ValidateBranchName, RefusesUnsafeNames) {
  for (const char *name :
       {"",     "HEAD", "-rf", "a..b", "a b",    "a~1",  "a^",   "a:b",    "a?", "a*", "a[",
        "a\\b", "/a",   "a/",  "a//b", "a.lock", "a/.b", "@{x}", "a\x01z", "a.", "@"}) {
    SCOPED_TRACE(name);
    try {
      validate_branch_name(name);
      ADD_FAILURE() << "accepted '" << name << "'";
    } catch (const gitops::StateError &e) {
      EXPECT_THAT(e.what(), HasSubstr("invalid branch name '" + std::string(name) + "'"));
    }
  }
}

TEST(ValidateBranchName, RefusesEmbeddedNul) {
  EXPECT_THROW(validate_branch_name(std::string("ma\0in", 5)), gitops::StateError);
}

TEST(RedactUrl, RemovesUserAndPassword) {
  struct Case {
    const char *in;
    const char *out;
  };
  const Case cases[] = {
      {"https://x-access-token:ghp_secret@github.com/o/r.git", "https://github.com/o/r.git"},
      {"https://org@dev.azure.com/org/p/_git/r", "https://dev.azure.com/org/p/_git/r"},
      {"https://u:p@host", "https://host"},
      {"http://u:p%40x@127.0.0.1:8080/git/a.git?x=1", "http://127.0.0.1:8080/git/a.git?x=1"},
      {"https://github.com/o/r.git", "https://github.com/o/r.git"},
      {"https://github.com/o/r@v1.git", "https://github.com/o/r@v1.git"},
      {"git@github.com:o/r.git", "github.com:o/r.git"},
      {"git@ssh.dev.azure.com:v3/o/p/r", "ssh.dev.azure.com:v3/o/p/r"},
      {"/tmp/x@y/repo.git", "/tmp/x@y/repo.git"},
      {"", ""},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(redact_url(c.in), c.out);
  }
}

TEST(UnifiedDiff, EqualContentGivesEmptyDiff) {
  EXPECT_EQ(unified_diff("a.yaml", "x: 1\n", "x: 1\n"), "");
  EXPECT_EQ(unified_diff("a.yaml", "", ""), "");
}

TEST(UnifiedDiff, ShowsChangedLineWithHeaderAndContext) {
  const std::string before = "a: 1\nb: 2\nimage: app:v1 # {\"$imagepolicy\": \"g:app\"}\nc: 3\n";
  const std::string after = "a: 1\nb: 2\nimage: app:v2 # {\"$imagepolicy\": \"g:app\"}\nc: 3\n";
  const std::string diff = unified_diff("dev/app.yaml", before, after);
  EXPECT_EQ(diff, "--- a/dev/app.yaml\n"
                  "+++ b/dev/app.yaml\n"
                  "@@ -1,4 +1,4 @@\n"
                  " a: 1\n"
                  " b: 2\n"
                  "-image: app:v1 # {\"$imagepolicy\": \"g:app\"}\n"
                  "+image: app:v2 # {\"$imagepolicy\": \"g:app\"}\n"
                  " c: 3\n");
}

TEST(UnifiedDiff, MarksMissingFinalNewline) {
  const std::string diff = unified_diff("f", "x\n", "x");
  EXPECT_THAT(diff, HasSubstr("\\ No newline at end of file"));
  EXPECT_THAT(diff, HasSubstr("--- a/f\n+++ b/f\n"));
}

TEST(UnifiedDiff, NewContentFromEmpty) {
  const std::string diff = unified_diff("new.yaml", "", "a: 1\n");
  EXPECT_THAT(diff, HasSubstr("+a: 1\n"));
  EXPECT_THAT(diff, HasSubstr("+++ b/new.yaml\n"));
}

} // namespace
