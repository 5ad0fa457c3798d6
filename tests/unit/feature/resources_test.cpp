#include "gitops/feature/resources.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gitops::feature {
namespace {

using testing::HasSubstr;

const std::string k_upstream = "resources:\n- ../base\n- existing-feature\nimages:\n- name: nginx\n"
                               "  newTag: app # {\"$imagepolicy\": \"apps:nginx:tag\"}\n";

TEST(Resources, AddKeepsEveryOtherByte) {
  // Upstream's TestDuplicateAndRemoveApplication expectation, byte for byte.
  EXPECT_EQ(add_resource(k_upstream, "nginx-feature", "k.yaml"),
            "resources:\n- ../base\n- existing-feature\n- nginx-feature\nimages:\n- name: nginx\n"
            "  newTag: app # {\"$imagepolicy\": \"apps:nginx:tag\"}\n");
  EXPECT_EQ(add_resource(k_upstream, "existing-feature", "k.yaml"), std::nullopt);
}

TEST(Resources, AddInEveryShape) {
  struct Case {
    std::string before;
    std::string after;
  };
  for (const Case &c : std::vector<Case>{
           {"# top\nresources:\n  - ../base # the base\n\n# next\nimages: []\n",
            "# top\nresources:\n  - ../base # the base\n  - x\n\n# next\nimages: []\n"},
           {"resources: [../base]\nnamespace: a\n", "resources: [../base, x]\nnamespace: a\n"},
           {"resources: []\n", "resources: [x]\n"},
           {"namespace: a\n", "namespace: a\nresources:\n- x\n"},
           {"namespace: a", "namespace: a\nresources:\n- x\n"},
           {"resources:\nnamespace: a\n", "resources:\n- x\nnamespace: a\n"},
           {"resources:\r\n- a\r\n", "resources:\r\n- a\r\n- x\r\n"},
           {"resources:\n- a", "resources:\n- a\n- x\n"},
       }) {
    EXPECT_EQ(add_resource(c.before, "x", "k.yaml"), c.after) << c.before;
  }
}

TEST(Resources, RemoveTakesOnlyItsLine) {
  const std::string with = "resources:\n- ../base\n- 'nginx-f' # review\n- other\nimages: []\n";
  EXPECT_EQ(remove_resource(with, "nginx-f", "k.yaml"),
            "resources:\n- ../base\n- other\nimages: []\n");
  EXPECT_EQ(remove_resource(with, "absent", "k.yaml"), std::nullopt);
  EXPECT_EQ(remove_resource("resources: [a, nginx-f]\n", "nginx-f", "k.yaml"), "resources: [a]\n");
}

TEST(Resources, RefusesWhatItCannotEditSafely) {
  EXPECT_THAT(
      [] { (void)add_resource("resources: ../base\n", "x", "env/k.yaml"); },
      testing::ThrowsMessage<CommandError>(HasSubstr("env/k.yaml: `resources` is not a list")));
  EXPECT_THAT([] { (void)add_resource("resources: [a,\n  b]\n", "x", "k.yaml"); },
              testing::ThrowsMessage<CommandError>(HasSubstr("spans several lines")));
  EXPECT_THAT([] { (void)add_resource("a: [", "x", "k.yaml"); },
              testing::ThrowsMessage<CommandError>(HasSubstr("cannot parse k.yaml")));
  EXPECT_THAT([] { (void)add_resource("- a\n", "x", "k.yaml"); },
              testing::ThrowsMessage<CommandError>(HasSubstr("not a kustomization")));
}

} // namespace
} // namespace gitops::feature
