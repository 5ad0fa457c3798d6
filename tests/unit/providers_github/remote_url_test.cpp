#include "gitops/providers/github_provider.hpp"
#include "gitops/providers/remote_url.hpp"
#include "gitops/util/error.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gitops::providers {
namespace {

struct GoodCase {
  std::string url;
  std::string host;
  std::string owner;
  std::string repo;
  bool secure;
};

TEST(ParseGitHubRemote, AcceptsHttpsSshAndScpForms) {
  const std::vector<GoodCase> cases = {
      {"https://github.com/XenitAB/gitops-promotion.git", "github.com", "XenitAB",
       "gitops-promotion", true},
      {"https://github.com/XenitAB/gitops-promotion", "github.com", "XenitAB", "gitops-promotion",
       true},
      {"https://github.com/o/r/", "github.com", "o", "r", true},
      {"https://x-access-token:ghs_secret@github.com/o/r.git", "github.com", "o", "r", true},
      {"https://user@GitHub.com/o/r", "github.com", "o", "r", true},
      {"git@github.com:o/r.git", "github.com", "o", "r", true},
      {"git@github.com:o/r", "github.com", "o", "r", true},
      {"ssh://git@github.com/o/r", "github.com", "o", "r", true},
      {"ssh://git@github.com:22/o/r.git", "github.com", "o", "r", true},
      {"  https://github.com/o/r.git\n", "github.com", "o", "r", true},
      {"https://ghes.example.com/team/app.git", "ghes.example.com", "team", "app", true},
      {"https://ghes.example.com:8443/team/app", "ghes.example.com:8443", "team", "app", true},
      {"git@ghes.example.com:team/app.git", "ghes.example.com", "team", "app", true},
      {"http://127.0.0.1:8080/o/r.git", "127.0.0.1:8080", "o", "r", false},
      {"https://github.com/o/r.with.dots.git", "github.com", "o", "r.with.dots", true},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.url);
    const auto remote = parse_github_remote(c.url);
    EXPECT_EQ(remote.host, c.host);
    EXPECT_EQ(remote.owner, c.owner);
    EXPECT_EQ(remote.repo, c.repo);
    EXPECT_EQ(remote.secure, c.secure);
  }
}

TEST(ParseGitHubRemote, RefusesEverythingElseWithTheUrlInTheMessage) {
  const std::vector<std::string> bad = {
      "",
      "   ",
      "https://github.com/",
      "https://github.com/o",
      "https://github.com/o/r/extra",
      "https://github.com/o//r",
      "https://www.github.com/o/r",
      "ftp://github.com/o/r",
      "file:///tmp/o/r.git",
      "/tmp/o/r.git",
      "./relative/repo",
      "github.com/o/r",
      "https:///o/r",
      "https://github.com:abc/o/r",
      "git@github.com:",
      ":o/r",
      // Hosts that are not a DNS name or an IP literal (found by fuzzing: the first would have
      // made API calls to "githv3:22m").
      "ssh://git@githv3:22m:22/owner/repo",
      "https://git hub.com/o/r",
      "https://evil.com?x/o/r",
      "a?:o/r",
      "https://[::1/o/r",
  };
  for (const auto &url : bad) {
    SCOPED_TRACE(url);
    try {
      (void)parse_github_remote(url);
      ADD_FAILURE() << "accepted";
    } catch (const ProviderError &e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("remote URL"), std::string::npos) << what;
    }
  }
}

TEST(ParseGitHubRemote, NeverPrintsTheCredentialOfARejectedUrl) {
  try {
    (void)parse_github_remote("https://x-access-token:ghp_topsecret@github.com/only-owner");
    FAIL() << "accepted";
  } catch (const ProviderError &e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find("ghp_topsecret"), std::string::npos) << what;
    EXPECT_NE(what.find("\"https://github.com/only-owner\""), std::string::npos) << what;
  }
}

TEST(ParseGitHubRemote, AcceptsIpLiteralsAndPorts) {
  EXPECT_EQ(parse_github_remote("http://127.0.0.1:8080/o/r").host, "127.0.0.1:8080");
  EXPECT_EQ(parse_github_remote("http://[::1]:8080/o/r.git").host, "[::1]:8080");
  EXPECT_EQ(parse_github_remote("https://[::1]/o/r").host, "[::1]");
  EXPECT_EQ(parse_github_remote("https://git_internal.corp/o/r").host, "git_internal.corp");
}

TEST(SplitRemoteUrl, KeepsDeepPathsForOtherForges) {
  const auto parts = split_remote_url("https://org@dev.azure.com/org/project/_git/repo");
  EXPECT_EQ(parts.scheme, "https");
  EXPECT_EQ(parts.host, "dev.azure.com");
  EXPECT_EQ(parts.port, "");
  EXPECT_EQ(parts.path, "org/project/_git/repo");
  const auto scp = split_remote_url("git@ssh.dev.azure.com:v3/org/project/repo");
  EXPECT_EQ(scp.scheme, "ssh");
  EXPECT_EQ(scp.host, "ssh.dev.azure.com");
  EXPECT_EQ(scp.path, "v3/org/project/repo");
}

TEST(GitHubEndpoints, DerivesRestAndGraphqlUrls) {
  const auto dotcom = github_endpoints(parse_github_remote("git@github.com:o/r.git"));
  EXPECT_EQ(dotcom.api_url, "https://api.github.com");
  EXPECT_EQ(dotcom.graphql_url, "https://api.github.com/graphql");

  const auto ghes = github_endpoints(parse_github_remote("https://ghes.example.com/o/r"));
  EXPECT_EQ(ghes.api_url, "https://ghes.example.com/api/v3");
  EXPECT_EQ(ghes.graphql_url, "https://ghes.example.com/api/graphql");

  const auto ghes_ssh =
      github_endpoints(parse_github_remote("ssh://git@ghes.example.com:2222/o/r"));
  EXPECT_EQ(ghes_ssh.api_url, "https://ghes.example.com/api/v3");

  const auto custom =
      github_endpoints(parse_github_remote("https://github.com/o/r"), "http://127.0.0.1:4010/");
  EXPECT_EQ(custom.api_url, "http://127.0.0.1:4010");
  EXPECT_EQ(custom.graphql_url, "http://127.0.0.1:4010/graphql");

  const auto custom_v3 = github_endpoints(parse_github_remote("https://github.com/o/r"),
                                          "https://ghes.example.com/api/v3");
  EXPECT_EQ(custom_v3.api_url, "https://ghes.example.com/api/v3");
  EXPECT_EQ(custom_v3.graphql_url, "https://ghes.example.com/api/graphql");
}

} // namespace
} // namespace gitops::providers
