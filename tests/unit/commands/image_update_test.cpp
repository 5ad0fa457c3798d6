#include "gitops/commands/image_update.hpp"
#include "gitops/util/error.hpp"

#include <gtest/gtest.h>

using gitops::commands::describe;
using gitops::commands::make_image_update;

namespace {

TEST(ImageUpdate, TagOnly) {
  const auto u = make_image_update("webshop", "cart", std::string("1.2.3"), std::nullopt);
  EXPECT_EQ(u.group, "webshop");
  EXPECT_EQ(u.app, "cart");
  EXPECT_EQ(u.tag, "1.2.3");
  EXPECT_FALSE(u.name.has_value());
  EXPECT_FALSE(u.digest.has_value());
  EXPECT_EQ(describe(u), "1.2.3");
}

TEST(ImageUpdate, ImageWithRegistryPortAndDigest) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  const auto u = make_image_update("g", "a", std::nullopt,
                                   std::string("localhost:5000/team/app:v2@" + digest));
  EXPECT_EQ(u.name.value_or(""), "localhost:5000/team/app");
  EXPECT_EQ(u.tag, "v2");
  EXPECT_EQ(u.digest.value_or(""), digest);
  EXPECT_EQ(describe(u), "localhost:5000/team/app:v2@" + digest);
}

TEST(ImageUpdate, UsageErrors) {
  EXPECT_THROW((void)make_image_update("g", "a", std::nullopt, std::nullopt), gitops::UsageError);
  EXPECT_THROW((void)make_image_update("g", "a", std::string("1"), std::string("x:1")),
               gitops::UsageError);
  EXPECT_THROW((void)make_image_update("g", "a", std::string(""), std::nullopt),
               gitops::UsageError);
  EXPECT_THROW((void)make_image_update("g", "a", std::string(".hidden"), std::nullopt),
               gitops::UsageError);
  EXPECT_THROW((void)make_image_update("g", "a", std::nullopt, std::string("noTag")),
               gitops::UsageError);
  EXPECT_THROW((void)make_image_update("", "a", std::string("1"), std::nullopt),
               gitops::UsageError);
  EXPECT_THROW((void)make_image_update("g", "a/b", std::string("1"), std::nullopt),
               gitops::UsageError);
  EXPECT_THROW((void)make_image_update("..", "a", std::string("1"), std::nullopt),
               gitops::UsageError);
}

} // namespace
