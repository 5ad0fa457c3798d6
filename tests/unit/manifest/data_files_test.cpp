#include "gp_test_paths.hpp"

#include "gitops/manifest/rewriter.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace gitops::manifest {
namespace {

std::string read(const std::string &name) {
  const auto path = std::filesystem::path(GP_SOURCE_DIR) / "tests/data/manifest" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct FileCase {
  std::string stem;
  ImageUpdate update;
  int matched;
  std::size_t changes;
};

// tests/data/manifest/<stem>.before.yaml rewritten must equal <stem>.after.yaml byte for byte,
// parse, and rewriting the result again must change nothing.
TEST(DataFiles, BeforeAndAfter) {
  const std::string sha_b = "sha256:" + std::string(64, 'b');
  for (const auto &c : {
           FileCase{"deployment-crlf-bom", {"apps", "podinfo", "5.1.0", {}, {}}, 2, 2},
           FileCase{"kustomization",
                    {"flux-system", "podinfo", "6.0.0", "registry.example.com:5000/mirror/podinfo",
                     sha_b},
                    3,
                    3},
           FileCase{"helm-values", {"team", "app", "2024", "ghcr.io/org/app", {}}, 2, 1},
           FileCase{"otherns", {"apps", "app", "2.0", {}, {}}, 0, 0},
       }) {
    SCOPED_TRACE(c.stem);
    const std::string before = read(c.stem + ".before.yaml");
    const std::string after = read(c.stem + ".after.yaml");
    ASSERT_FALSE(before.empty());
    const RewriteResult r = rewrite(before, c.update, c.stem + ".before.yaml");
    EXPECT_EQ(r.content, after);
    EXPECT_EQ(r.matched, c.matched);
    EXPECT_EQ(r.changes.size(), c.changes);
    EXPECT_NO_THROW((void)YAML::LoadAll(r.content));
    const RewriteResult again = rewrite(r.content, c.update, c.stem + ".after.yaml");
    EXPECT_EQ(again.content, r.content);
    EXPECT_TRUE(again.changes.empty());
    EXPECT_EQ(again.matched, c.matched);
    // scan() sees the same applicable markers before and after.
    EXPECT_EQ(scan(before).markers.size(), scan(after).markers.size());
  }
}

} // namespace
} // namespace gitops::manifest
