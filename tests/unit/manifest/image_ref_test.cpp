#include "gitops/manifest/image_ref.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace gitops::manifest {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

const std::string k_sha = "sha256:" + std::string(64, 'a');

TEST(ImageRef, ParsesNameTagAndDigest) {
  struct Case {
    std::string text, name, tag;
    std::optional<std::string> digest;
  };
  for (const auto &c : {
           Case{"app:1.0", "app", "1.0", {}},
           Case{"ghcr.io/org/app:v1.2.3", "ghcr.io/org/app", "v1.2.3", {}},
           Case{"localhost:5000/app:1.0", "localhost:5000/app", "1.0", {}},
           Case{"localhost/app:latest", "localhost/app", "latest", {}},
           Case{"registry.example.com:443/a/b/c:_x", "registry.example.com:443/a/b/c", "_x", {}},
           Case{"[::1]:5000/app:1", "[::1]:5000/app", "1", {}},
           Case{"my-registry.io/a__b/c-d/e.f:1", "my-registry.io/a__b/c-d/e.f", "1", {}},
           Case{"a---b:1", "a---b", "1", {}},
           Case{"app:1.0@" + k_sha, "app", "1.0", k_sha},
           Case{"Registry.IO/app:1", "Registry.IO/app", "1", {}},
       }) {
    SCOPED_TRACE(c.text);
    const ImageRef ref = parse_image_ref(c.text);
    EXPECT_EQ(ref.name, c.name);
    EXPECT_EQ(ref.tag, c.tag);
    EXPECT_EQ(ref.digest, c.digest);
    EXPECT_EQ(ref.str(), c.text);
  }
}

TEST(ImageRef, RejectsInvalidReferencesNamingThem) {
  struct Case {
    std::string text, why;
  };
  for (const auto &c : {
           Case{"app", "tag is missing"},
           Case{"localhost:5000/app", "tag is missing"},
           Case{"app:", "tag \"\""},
           Case{"App:1", "lowercase"},
           Case{"org/App:1", "\"App\""},
           Case{":1", "empty"},
           Case{"a//b:1", "empty path component"},
           Case{"a/b/:1", "empty path component"},
           Case{"-a:1", "\"-a\""},
           Case{"a.:1", "\"a.\""},
           Case{"a...b:1", "\"a...b\""},
           Case{"bad_host.io:99999/a:1", "host"},
           Case{"-bad.io/a:1", "host"},
           Case{"app:1.0+build", "1.0+build"},
           Case{"app:.1", "\".1\""},
           Case{"app:" + std::string(129, 'a'), "does not match"},
           Case{"app:1@sha256:abc", "digest"},
           Case{"app:1@sha256:" + std::string(64, 'A'), "digest"},
           Case{"app:1@" + k_sha + "0", "digest"},
           Case{"app:1@md5", "digest"},
           Case{std::string(256, 'a') + ":1", "255"},
       }) {
    SCOPED_TRACE(c.text);
    try {
      (void)parse_image_ref(c.text);
      ADD_FAILURE() << "accepted " << c.text;
    } catch (const ManifestError &e) {
      EXPECT_THAT(e.what(), AllOf(HasSubstr("\"" + c.text + "\""), HasSubstr(c.why)));
    }
  }
}

TEST(ImageRef, Tags) {
  for (const char *ok : {"1", "v1.0.1", "_", "A-b.C_d", "latest"}) {
    EXPECT_TRUE(is_valid_tag(ok)) << ok;
  }
  EXPECT_TRUE(is_valid_tag(std::string(128, 'a')));
  for (const char *bad : {"", ".x", "-x", "a+b", "a/b", "a:b", "a b", "é"}) {
    EXPECT_FALSE(is_valid_tag(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_tag(std::string(129, 'a')));
}

TEST(ImageRef, NamesAndDigests) {
  EXPECT_TRUE(is_valid_name("a"));
  EXPECT_TRUE(is_valid_name("docker.io/library/nginx"));
  EXPECT_TRUE(is_valid_name("localhost:5000/x"));
  EXPECT_FALSE(is_valid_name(""));
  EXPECT_FALSE(is_valid_name("a b"));
  EXPECT_FALSE(is_valid_name("host:port/x")); // a port must be digits
  EXPECT_FALSE(is_valid_name("a/"));
  EXPECT_TRUE(name_problem("UPPER").has_value());
  EXPECT_FALSE(name_problem("lower").has_value());

  EXPECT_TRUE(is_valid_digest(k_sha));
  EXPECT_TRUE(is_valid_digest("sha512:" + std::string(128, 'f')));
  EXPECT_TRUE(is_valid_digest("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"));
  EXPECT_FALSE(is_valid_digest("sha256:" + std::string(63, 'a')));
  EXPECT_FALSE(is_valid_digest("sha256:" + std::string(64, 'g')));
  EXPECT_FALSE(is_valid_digest("sha512:" + std::string(64, 'a')));
  EXPECT_FALSE(is_valid_digest("sha256"));
  EXPECT_FALSE(is_valid_digest(":abc"));
  EXPECT_FALSE(is_valid_digest("SHA256:abc"));
  EXPECT_FALSE(is_valid_digest("x:"));
  EXPECT_FALSE(is_valid_digest("x+:abc"));
}

TEST(ImageRef, StrWithoutName) {
  EXPECT_EQ((ImageRef{"", "1.0", std::nullopt}).str(), "1.0");
  EXPECT_EQ((ImageRef{"a", "1", k_sha}).str(), "a:1@" + k_sha);
}

} // namespace
} // namespace gitops::manifest
