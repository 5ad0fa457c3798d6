#include "git_fixture.hpp"
#include "support/temp_dir.hpp"

#include "gitops/commands/set_image.hpp"
#include "gitops/util/error.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <sys/stat.h>

namespace fs = std::filesystem;
using gitops::commands::run_set_image;
using gitops::commands::SetImageOptions;
using gitops::test::read_file;
using gitops::test::TempDir;
using gitops::test::write_file;

namespace {

struct SetImageTest : ::testing::Test {
  TempDir dir{"gp-set-image-"};
  std::ostringstream log_stream;
  gitops::util::Logger log{log_stream, gitops::util::LogLevel::debug};

  SetImageOptions options(const std::string &app, const std::string &tag) const {
    SetImageOptions o;
    o.path = dir.path();
    o.group = "webshop";
    o.app = app;
    o.tag = tag;
    return o;
  }
};

TEST_F(SetImageTest, RewritesMarkersInPlaceAndReportsEachChange) {
  gitops::test::write_sample(dir.path());
  SetImageOptions o = options("cart", "1.1.0");
  o.path = dir.path() / "webshop" / "dev";
  const auto result = run_set_image(o, log);

  ASSERT_EQ(result.changes.size(), 1U);
  const auto &c = result.changes[0];
  EXPECT_EQ(c.file, (dir.path() / "webshop/dev/cart/deployment.yaml").generic_string());
  EXPECT_EQ(c.line, 10);
  EXPECT_EQ(c.old_value, "registry.example.com/webshop/cart:1.0.0");
  EXPECT_EQ(c.new_value, "registry.example.com/webshop/cart:1.1.0");
  EXPECT_EQ(c.setter, gitops::manifest::Setter::image);
  EXPECT_EQ(result.matched, 1);
  EXPECT_EQ(read_file(dir / "webshop/dev/cart/deployment.yaml"),
            gitops::test::cart_deployment("1.1.0"));
  // Other environments and apps are not touched.
  EXPECT_EQ(read_file(dir / "webshop/qa/cart/deployment.yaml"),
            gitops::test::cart_deployment("1.0.0"));
  EXPECT_EQ(read_file(dir / "webshop/dev/webui/kustomization.yaml"),
            gitops::test::webui_kustomization("1.0.0"));
}

// A run killed with -9 between writing its temp file and the rename leaves `.<name>.gp-XXXXXX`,
// which `git add -A` would commit; the next run removes it once it is a minute old (a run writing
// at that moment keeps its own), and a dry run leaves everything as it is.
TEST_F(SetImageTest, TempFilesOfAnInterruptedRunAreRemovedByTheNextRun) {
  gitops::test::write_sample(dir.path());
  const fs::path cart = dir / "webshop/dev/cart";
  const fs::path stale = cart / ".deployment.yaml.gp-Ab12Cd";
  const fs::path fresh = cart / ".deployment.yaml.gp-Zz99Yy";
  const fs::path foreign = cart / ".notes.txt.gp-Ab12Cd"; // not a manifest's temp: not ours
  for (const fs::path &p : {stale, fresh, foreign}) {
    write_file(p, "half-written");
  }
  const auto old = fs::file_time_type::clock::now() - std::chrono::minutes(5);
  fs::last_write_time(stale, old);
  fs::last_write_time(foreign, old);

  SetImageOptions dry = options("cart", "1.1.0");
  dry.dry_run = true;
  (void)run_set_image(dry, log);
  EXPECT_TRUE(fs::exists(stale)) << "a dry run changes nothing";

  (void)run_set_image(options("cart", "1.1.0"), log);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
  EXPECT_TRUE(fs::exists(foreign));
  EXPECT_NE(log_stream.str().find("removed " + stale.string() +
                                  ", a temporary file an interrupted run left"),
            std::string::npos)
      << log_stream.str();
  // And a normal run leaves no temp file of its own.
  for (const auto &entry : fs::directory_iterator(cart)) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(name == "deployment.yaml" || entry.path() == fresh || entry.path() == foreign)
        << name;
  }
}

TEST_F(SetImageTest, ShownFileNamesAreDirJoinedWithTheRelativePathNormalised) {
  gitops::test::write_sample(dir.path());
  SetImageOptions o = options("webui", "2.0.0");
  o.path = dir.path() / "webshop" / "." / "qa";
  const auto result = run_set_image(o, log);
  ASSERT_EQ(result.changes.size(), 1U);
  EXPECT_EQ(result.changes[0].file,
            (dir.path() / "webshop/qa/webui/kustomization.yaml").generic_string());
  EXPECT_EQ(result.changes[0].setter, gitops::manifest::Setter::tag);
  EXPECT_EQ(result.files, std::vector<std::string>{result.changes[0].file});
}

TEST_F(SetImageTest, ImageFlagServesNameAndTagSetters) {
  gitops::test::write_sample(dir.path());
  SetImageOptions o = options("webui", "");
  o.tag.reset();
  o.image = "ghcr.io/acme/webui:3.0.0";
  o.path = dir.path() / "webshop" / "prod";
  const auto result = run_set_image(o, log);
  ASSERT_EQ(result.changes.size(), 2U);
  const std::string after = read_file(dir / "webshop/prod/webui/kustomization.yaml");
  EXPECT_NE(after.find("newName: ghcr.io/acme/webui # {"), std::string::npos) << after;
  EXPECT_NE(after.find("newTag: 3.0.0 # {"), std::string::npos) << after;
}

TEST_F(SetImageTest, AlreadyRightMarkerIsNotAnErrorAndWritesNothing) {
  gitops::test::write_sample(dir.path(), "1.1.0");
  const fs::path file = dir / "webshop/dev/cart/deployment.yaml";
  const auto before = fs::last_write_time(file);
  SetImageOptions o = options("cart", "1.1.0");
  const auto result = run_set_image(o, log);
  EXPECT_TRUE(result.changes.empty());
  EXPECT_TRUE(result.files.empty());
  EXPECT_EQ(result.matched, 3); // dev, qa, prod
  EXPECT_EQ(fs::last_write_time(file), before);
}

TEST_F(SetImageTest, NoMarkerForGroupAppIsAnErrorNamingTheDirectory) {
  gitops::test::write_sample(dir.path());
  SetImageOptions o = options("checkout", "1.0.0");
  try {
    (void)run_set_image(o, log);
    FAIL() << "expected CommandError";
  } catch (const gitops::CommandError &e) {
    EXPECT_NE(std::string(e.what()).find(dir.path().string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("webshop:checkout"), std::string::npos) << e.what();
  }
}

TEST_F(SetImageTest, MissingDirectoryIsAnError) {
  SetImageOptions o = options("cart", "1.0.0");
  o.path = dir.path() / "nope";
  EXPECT_THROW((void)run_set_image(o, log), gitops::CommandError);
}

TEST_F(SetImageTest, BadFlagsAreUsageErrors) {
  gitops::test::write_sample(dir.path());
  SetImageOptions o = options("cart", "bad tag!");
  EXPECT_THROW((void)run_set_image(o, log), gitops::UsageError);
  o = options("cart", "1.0.0");
  o.image = "x:1";
  EXPECT_THROW((void)run_set_image(o, log), gitops::UsageError);
  o = options("cart", "1.0.0");
  o.tag.reset();
  EXPECT_THROW((void)run_set_image(o, log), gitops::UsageError);
  o = options("../etc", "1.0.0");
  EXPECT_THROW((void)run_set_image(o, log), gitops::UsageError);
}

TEST_F(SetImageTest, AnyFailingFileMeansNothingIsWritten) {
  gitops::test::write_sample(dir.path());
  // A marker for webshop:cart in a file that is not valid YAML: the rewriter refuses it.
  const std::string broken =
      "image: registry.example.com/webshop/cart:1.0.0 # {\"$imagepolicy\": \"webshop:cart\"}\n"
      "bad: [unclosed\n";
  write_file(dir / "webshop/dev/zz-broken.yaml", broken);
  SetImageOptions o = options("cart", "1.1.0");
  EXPECT_THROW((void)run_set_image(o, log), gitops::ManifestError);
  EXPECT_EQ(read_file(dir / "webshop/dev/cart/deployment.yaml"),
            gitops::test::cart_deployment("1.0.0"));
  EXPECT_EQ(read_file(dir / "webshop/qa/cart/deployment.yaml"),
            gitops::test::cart_deployment("1.0.0"));
  EXPECT_EQ(read_file(dir / "webshop/dev/zz-broken.yaml"), broken);
  // No temp files are left behind.
  for (const auto &entry : fs::recursive_directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".gp-"), std::string::npos) << entry.path();
  }
}

TEST_F(SetImageTest, SymlinkOutOfTheTreeIsNotFollowed) {
  TempDir outside("gp-outside-");
  write_file(outside / "cart.yaml", gitops::test::cart_deployment("1.0.0"));
  write_file(outside / "sub/cart.yaml", gitops::test::cart_deployment("1.0.0"));
  write_file(dir / "app/cart.yaml", gitops::test::cart_deployment("1.0.0"));
  fs::create_symlink(outside / "cart.yaml", dir / "app/linked.yaml");
  fs::create_directory_symlink(outside / "sub", dir / "app/linked-dir");
  SetImageOptions o = options("cart", "1.1.0");
  const auto result = run_set_image(o, log);
  ASSERT_EQ(result.changes.size(), 1U);
  EXPECT_EQ(read_file(dir / "app/cart.yaml"), gitops::test::cart_deployment("1.1.0"));
  EXPECT_EQ(read_file(outside / "cart.yaml"), gitops::test::cart_deployment("1.0.0"));
  EXPECT_EQ(read_file(outside / "sub/cart.yaml"), gitops::test::cart_deployment("1.0.0"));
  EXPECT_TRUE(fs::is_symlink(dir / "app/linked.yaml"));
}

TEST_F(SetImageTest, OnlyManifestFileNamesAreRead) {
  write_file(dir / "notes.txt", gitops::test::cart_deployment("1.0.0"));
  write_file(dir / "cart.yml", gitops::test::cart_deployment("1.0.0"));
  SetImageOptions o = options("cart", "1.1.0");
  const auto result = run_set_image(o, log);
  ASSERT_EQ(result.changes.size(), 1U);
  EXPECT_EQ(read_file(dir / "notes.txt"), gitops::test::cart_deployment("1.0.0"));
  EXPECT_EQ(read_file(dir / "cart.yml"), gitops::test::cart_deployment("1.1.0"));
}

TEST_F(SetImageTest, KeepsPermissionBits) {
  write_file(dir / "cart.yaml", gitops::test::cart_deployment("1.0.0"));
  fs::permissions(dir / "cart.yaml",
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  SetImageOptions o = options("cart", "1.1.0");
  (void)run_set_image(o, log);
  EXPECT_EQ(fs::status(dir / "cart.yaml").permissions() & fs::perms::mask,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
}

TEST_F(SetImageTest, DryRunWritesNothing) {
  write_file(dir / "cart.yaml", gitops::test::cart_deployment("1.0.0"));
  SetImageOptions o = options("cart", "1.1.0");
  o.dry_run = true;
  const auto result = run_set_image(o, log);
  EXPECT_EQ(result.changes.size(), 1U);
  EXPECT_TRUE(result.dry_run);
  EXPECT_EQ(read_file(dir / "cart.yaml"), gitops::test::cart_deployment("1.0.0"));
}

} // namespace
