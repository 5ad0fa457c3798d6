#include "gitops/providers/azdo_url.hpp"
#include "gitops/util/error.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gitops::providers {
namespace {

struct Case {
  const char *name;
  const char *url;
  std::optional<std::string> api_url;
  AzdoRepo expected;
};

TEST(AzdoUrl, ParsesEveryRemoteForm) {
  const Case cases[] = {
      {"https",
       "https://dev.azure.com/o/p/_git/r",
       std::nullopt,
       {"https://dev.azure.com/o", "o", "p", "r"}},
      {"https with user",
       "https://o@dev.azure.com/o/p/_git/r",
       std::nullopt,
       {"https://dev.azure.com/o", "o", "p", "r"}},
      {"https with user and PAT",
       "https://u:secretpat@dev.azure.com/o/p/_git/r.git",
       std::nullopt,
       {"https://dev.azure.com/o", "o", "p", "r"}},
      {"project named like repo",
       "https://dev.azure.com/o/_git/r",
       std::nullopt,
       {"https://dev.azure.com/o", "o", "r", "r"}},
      {"visualstudio",
       "https://o.visualstudio.com/p/_git/r",
       std::nullopt,
       {"https://dev.azure.com/o", "o", "p", "r"}},
      {"visualstudio DefaultCollection",
       "https://o.visualstudio.com/DefaultCollection/p/_git/r",
       std::nullopt,
       {"https://dev.azure.com/o", "o", "p", "r"}},
      {"ssh scp-like",
       "git@ssh.dev.azure.com:v3/o/p/r",
       std::nullopt,
       {"https://dev.azure.com/o", "o", "p", "r"}},
      {"ssh url",
       "ssh://git@ssh.dev.azure.com/v3/o/p/r",
       std::nullopt,
       {"https://dev.azure.com/o", "o", "p", "r"}},
      {"old vs-ssh",
       "o@vs-ssh.visualstudio.com:v3/o/p/r",
       std::nullopt,
       {"https://dev.azure.com/o", "o", "p", "r"}},
      {"on-premises",
       "https://host/tfs/Collection/p/_git/r",
       std::nullopt,
       {"https://host/tfs/Collection", "Collection", "p", "r"}},
      {"on-premises with api-url",
       "https://host/tfs/Collection/p/_git/r",
       std::string("https://api.host/tfs/Collection/"),
       {"https://api.host/tfs/Collection", "Collection", "p", "r"}},
      {"on-premises api-url without collection",
       "https://host:8080/tfs/Coll/p/_git/r",
       std::string("https://host:8080/tfs"),
       {"https://host:8080/tfs/Coll", "Coll", "p", "r"}},
      {"simulator root as api-url",
       "http://127.0.0.1:9000/org/proj/_git/repo",
       std::string("http://127.0.0.1:8000"),
       {"http://127.0.0.1:8000/org", "org", "proj", "repo"}},
      {"http on-premises keeps port",
       "http://host:8080/Coll/p/_git/r",
       std::nullopt,
       {"http://host:8080/Coll", "Coll", "p", "r"}},
      {"dev.azure.com with api-url",
       "https://dev.azure.com/o/p/_git/r",
       std::string("http://localhost:1234"),
       {"http://localhost:1234/o", "o", "p", "r"}},
      {"encoded names are decoded",
       "https://dev.azure.com/o/My%20Project/_git/My%20Repo",
       std::nullopt,
       {"https://dev.azure.com/o", "o", "My Project", "My Repo"}},
      {"non-ASCII names",
       "https://dev.azure.com/o/Pr%C3%B6jekt/_git/d%C3%A9p%C3%B4t",
       std::nullopt,
       {"https://dev.azure.com/o", "o", "Pröjekt", "dépôt"}},
      {"query and fragment ignored",
       "https://dev.azure.com/o/p/_git/r?path=/x#frag",
       std::nullopt,
       {"https://dev.azure.com/o", "o", "p", "r"}},
      {"upper-case host",
       "https://DEV.AZURE.COM/o/p/_git/r",
       std::nullopt,
       {"https://dev.azure.com/o", "o", "p", "r"}},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.name);
    const AzdoRepo repo = parse_azdo_remote(c.url, c.api_url);
    EXPECT_EQ(repo.api_base, c.expected.api_base);
    EXPECT_EQ(repo.organization, c.expected.organization);
    EXPECT_EQ(repo.project, c.expected.project);
    EXPECT_EQ(repo.repository, c.expected.repository);
    EXPECT_TRUE(is_azdo_remote(c.url));
  }
}

TEST(AzdoUrl, RejectsWhatIsNotAnAzureRepository) {
  const char *bad[] = {
      "",
      "/tmp/organization/project/_git/repository.git",
      "file:///tmp/o/p/_git/r",
      "https://dev.azure.com/o/p/r",
      "https://dev.azure.com/o",
      "https://dev.azure.com/o/p/_git/r/extra",
      "git@ssh.dev.azure.com:v3/o/p",
      "git@ssh.dev.azure.com:v2/o/p/r",
      "https://o.visualstudio.com/a/b/p/_git/r",
      "https://host/_git/r",
      "ftp://dev.azure.com/o/p/_git/r",
      "https://tfs host/c/p/_git/r",
      "https://tfs.corp:80x/c/p/_git/r",
      "https://tfs.corp?:80/c/p/_git/r",
  };
  for (const char *url : bad) {
    SCOPED_TRACE(url);
    EXPECT_THROW((void)parse_azdo_remote(url), ProviderError);
  }
}

TEST(AzdoUrl, ErrorsNeverShowCredentials) {
  try {
    (void)parse_azdo_remote("https://user:s3cr3t-pat@dev.azure.com/o/p/r");
    FAIL() << "expected ProviderError";
  } catch (const ProviderError &error) {
    const std::string what = error.what();
    EXPECT_EQ(what.find("s3cr3t-pat"), std::string::npos) << what;
    EXPECT_NE(what.find("'https://dev.azure.com/o/p/r'"), std::string::npos) << what;
  }
}

TEST(AzdoUrl, BadApiUrlIsRefused) {
  EXPECT_THROW(
      (void)parse_azdo_remote("https://dev.azure.com/o/p/_git/r", std::string("dev.azure.com")),
      ProviderError);
}

TEST(AzdoUrl, OnPremisesProjectNamedLikeItsRepository) {
  const auto repo = parse_azdo_remote("https://host/Coll/_git/r");
  EXPECT_EQ(repo.api_base, "https://host/Coll");
  EXPECT_EQ(repo.organization, "Coll");
  EXPECT_EQ(repo.project, "r");
  EXPECT_EQ(repo.repository, "r");
  const auto via_api =
      parse_azdo_remote("https://host/Coll/_git/r", std::string("https://h2/Coll"));
  EXPECT_EQ(via_api.api_base, "https://h2/Coll");
}

TEST(AzdoUrl, DetectsAzureRemotes) {
  EXPECT_TRUE(is_azdo_remote("https://myorg.visualstudio.com/p/_git/r"));
  EXPECT_TRUE(is_azdo_remote("https://tfs.example.com/tfs/Coll/p/_git/r"));
  EXPECT_FALSE(is_azdo_remote("https://github.com/o/r.git"));
  EXPECT_FALSE(is_azdo_remote("git@github.com:o/r.git"));
  EXPECT_FALSE(is_azdo_remote("/srv/git/o/p/_git/r"));
  EXPECT_FALSE(is_azdo_remote(""));
  EXPECT_FALSE(is_azdo_remote("not a url"));
}

TEST(AzdoUrl, EncodesPathSegments) {
  EXPECT_EQ(encode_path_segment("My Project"), "My%20Project");
  EXPECT_EQ(encode_path_segment("a/b%c"), "a%2Fb%25c");
  EXPECT_EQ(encode_path_segment("Pröjekt"), "Pr%C3%B6jekt");
  EXPECT_EQ(encode_path_segment("safe-._~AZaz09"), "safe-._~AZaz09");
  EXPECT_EQ(encode_path_segment(""), "");
}

TEST(AzdoUrl, DecodesPercentEscapes) {
  EXPECT_EQ(decode_percent("My%20Project"), "My Project");
  EXPECT_EQ(decode_percent("%c3%b6"), "ö");
  EXPECT_EQ(decode_percent("100%"), "100%");
  EXPECT_EQ(decode_percent("%zz%2"), "%zz%2");
  EXPECT_EQ(decode_percent("a+b"), "a+b");
}

TEST(AzdoUrl, BuildsApiAndPushUrlsWithoutDoubleEncoding) {
  const auto repo = parse_azdo_remote("https://dev.azure.com/o/My%20Project/_git/R%C3%A9po");
  EXPECT_EQ(azdo_repository_api_url(repo),
            "https://dev.azure.com/o/My%20Project/_apis/git/repositories/R%C3%A9po");
  EXPECT_EQ(azdo_push_url(repo), "https://dev.azure.com/o/My%20Project/_git/R%C3%A9po");
  const auto spaced = parse_azdo_remote("https://dev.azure.com/o/My Project/_git/r");
  EXPECT_EQ(azdo_push_url(spaced), "https://dev.azure.com/o/My%20Project/_git/r");
}

} // namespace
} // namespace gitops::providers
