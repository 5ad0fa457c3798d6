// Validates every GraphQL document the GitHub provider sends against GitHub's published schema
// (@octokit/graphql-schema), with tools/contract/validate-graphql.mjs. The npm packages are
// installed by scripts/setup.sh, so their absence is a failure, not a skip.
#include "gp_test_paths.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include "gitops/providers/github_provider.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <sys/wait.h>

namespace gitops::providers {
namespace {

namespace fs = std::filesystem;

const fs::path k_tools = fs::path(GP_SOURCE_DIR) / "tools" / "contract";

using Result = gitops::test::ShellResult;

Result validate(const std::string &document) {
  gitops::test::TempDir dir;
  const auto file = dir.path() / "document.graphql";
  std::ofstream(file) << document;
  return gitops::test::run_shell("node '" + (k_tools / "validate-graphql.mjs").string() + "' '" +
                                 file.string() + "'");
}

class GraphqlSchema : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(
        fs::exists(k_tools / "node_modules" / "@octokit" / "graphql-schema" / "schema.json"))
        << "npm packages missing: run scripts/setup.sh (npm ci --prefix tools/contract)";
  }
};

TEST_F(GraphqlSchema, EnableAutoMergeMutationIsValid) {
  const auto result = validate(std::string(k_enable_auto_merge_mutation));
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(GraphqlSchema, DisableAutoMergeMutationIsValid) {
  const auto result = validate(std::string(k_disable_auto_merge_mutation));
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(GraphqlSchema, CommitStatusesQueryIsValid) {
  const auto result = validate(std::string(k_commit_statuses_query));
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

// The oracle itself must be able to say no, or the two tests above prove nothing.
TEST_F(GraphqlSchema, ValidatorRejectsWrongEnumsAndFields) {
  auto result = validate("mutation($id: ID!) { enablePullRequestAutoMerge(input: {pullRequestId: "
                         "$id, mergeMethod: FAST_FORWARD}) { pullRequest { id } } }");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("FAST_FORWARD"), std::string::npos) << result.output;
  result = validate("query { repository(owner: \"o\", name: \"r\") { autoMerge } }");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("autoMerge"), std::string::npos) << result.output;
  // A field the rollup's contexts do not have on StatusContext.
  result = validate("query($o: GitObjectID!) { repository(owner: \"o\", name: \"r\") { object(oid: "
                    "$o) { ... on Commit { statusCheckRollup { contexts(first: 1) { nodes { ... on "
                    "StatusContext { conclusion } } } } } } } }");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("conclusion"), std::string::npos) << result.output;
  result = validate("");
  EXPECT_EQ(result.exit_code, 1);
}

} // namespace
} // namespace gitops::providers
