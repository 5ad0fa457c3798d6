#include "gitops/promotion/pr_state.hpp"
#include "gitops/util/error.hpp"

#include <gtest/gtest.h>

namespace gitops::promotion {
namespace {

std::string validation_error(std::string_view what, std::string_view name) {
  try {
    validate_name(what, name);
  } catch (const StateError &e) {
    return e.what();
  }
  return "<no error>";
}

TEST(ValidateName, AcceptsOrdinaryNames) {
  for (std::string_view name : {"apps", "podinfo", "dev", "prod-eu", "team_a", "v1.2"}) {
    EXPECT_NO_THROW(validate_name("group", name)) << name;
  }
}

TEST(ValidateName, MessageNamesWhatAndValue) {
  EXPECT_EQ(validation_error("group", "a/b"), "invalid group name \"a/b\": must not contain '/'");
  EXPECT_EQ(validation_error("app", ""), "invalid app name \"\": must not be empty");
  EXPECT_EQ(validation_error("env", ".."), "invalid env name \"..\": must not be \".\" or \"..\"");
  EXPECT_EQ(validation_error("env", "-rf"), "invalid env name \"-rf\": must not start with '-'");
  EXPECT_EQ(validation_error("env", ".x"), "invalid env name \".x\": must not start with '.'");
  EXPECT_EQ(validation_error("app", "a\\b"), "invalid app name \"a\\\\b\": must not contain '\\'");
  EXPECT_EQ(validation_error("app", "a\nb"),
            "invalid app name \"a\\nb\": must not contain control characters");
  EXPECT_EQ(validation_error("app", "a b"),
            "invalid app name \"a b\": must not contain whitespace");
  EXPECT_EQ(validation_error("app", "a@{1}"),
            "invalid app name \"a@{1}\": must not contain \"@{\"");
  EXPECT_EQ(validation_error("app", "a..b"), "invalid app name \"a..b\": must not contain \"..\"");
  EXPECT_EQ(validation_error("app", "a.lock"),
            "invalid app name \"a.lock\": must not end with \".lock\"");
  EXPECT_EQ(validation_error("app", "a."), "invalid app name \"a.\": must not end with '.'");
  for (char c : std::string_view("~^:?*[")) {
    const std::string name = std::string("a") + c + "b";
    EXPECT_EQ(validation_error("group", name),
              "invalid group name \"" + name + "\": must not contain '" + c + "'");
  }
  const std::string long_name(300, 'x');
  EXPECT_EQ(validation_error("group", long_name), "invalid group name \"" + std::string(100, 'x') +
                                                      "...\": must not be longer than 255 bytes");
}

TEST(SanitizeFeature, UpstreamRule) {
  EXPECT_EQ(sanitize_feature("Feature/ABC_1"), "featureabc1");
  EXPECT_EQ(sanitize_feature("my-feat"), "my-feat");
  EXPECT_EQ(sanitize_feature("a--b"), "a--b");
  EXPECT_EQ(sanitize_feature("feature/JIRA-123 fix bug!"), "featurejira-123fixbug");
  EXPECT_EQ(sanitize_feature("\xc3\x85sa"), "sa"); // non-ASCII letters are dropped
  EXPECT_EQ(sanitize_feature("../.."), "");
  EXPECT_EQ(sanitize_feature(""), "");
}

} // namespace
} // namespace gitops::promotion
