#include "openapi_check.hpp"

#include <gtest/gtest.h>

namespace forge_sim::test {
namespace {

// The checker the other tests rely on must itself reject bad shapes.
TEST(OpenApiCheck, RejectsMissingRequiredWrongTypesEnumsAndNulls) {
  auto spec = OpenApiCheck::load_github();
  ASSERT_TRUE(spec.has_value())
      << "GitHub OpenAPI description not found under tests/data/specs/github";
  EXPECT_FALSE(spec->check_schema("pull-request", nlohmann::json::object()).empty());
  nlohmann::json ref = {{"ref", "refs/heads/main"},
                        {"node_id", "x"},
                        {"url", "http://x"},
                        {"object", {{"type", "commit"}, {"sha", "abc"}, {"url", "http://x"}}}};
  EXPECT_TRUE(spec->check_schema("git-ref", ref).empty());
  auto no_sha = ref;
  no_sha["object"].erase("sha");
  EXPECT_FALSE(spec->check_schema("git-ref", no_sha).empty());
  auto number_as_string = ref;
  number_as_string["ref"] = 5;
  EXPECT_FALSE(spec->check_schema("git-ref", number_as_string).empty());
  nlohmann::json merge = {{"sha", "a"}, {"merged", true}, {"message", "m"}};
  EXPECT_TRUE(spec->check_schema("pull-request-merge-result", merge).empty());
  merge["merged"] = nullptr;
  EXPECT_FALSE(spec->check_schema("pull-request-merge-result", merge).empty());
  nlohmann::json am = {{"enabled_by", nullptr},
                       {"merge_method", "fast"},
                       {"commit_title", "t"},
                       {"commit_message", "m"}};
  EXPECT_FALSE(spec->check_schema("auto-merge", am).empty());
  EXPECT_FALSE(spec->check_response("/repos/{owner}/{repo}/pulls", "post", 200, {}).empty());
}

} // namespace
} // namespace forge_sim::test
