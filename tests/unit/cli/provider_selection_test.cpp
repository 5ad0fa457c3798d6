#include "gitops/cli/provider_selection.hpp"
#include "gitops/util/error.hpp"

#include <gtest/gtest.h>

using gitops::cli::choose_provider;
using gitops::cli::detect_provider;
using gitops::cli::resolve_token;
using gitops::providers::ProviderKind;
using gitops::util::fixed_env;

namespace {

TEST(DetectProvider, FromRemoteUrls) {
  struct Case {
    const char *url;
    std::optional<ProviderKind> kind;
  };
  const Case cases[] = {
      {"https://github.com/org/repo.git", ProviderKind::github},
      {"https://x-access-token:abc@github.com/org/repo", ProviderKind::github},
      {"git@github.com:org/repo.git", ProviderKind::github},
      {"ssh://git@ssh.github.com:443/org/repo.git", ProviderKind::github},
      {"https://GitHub.com/Org/Repo", ProviderKind::github},
      {"https://github.example.com/org/repo.git", ProviderKind::github},
      {"https://github-enterprise.corp.local:8443/org/repo", ProviderKind::github},
      {"https://acme.ghe.com/org/repo", ProviderKind::github},
      {"https://dev.azure.com/org/project/_git/repo", ProviderKind::azdo},
      {"https://org@dev.azure.com/org/project/_git/repo", ProviderKind::azdo},
      {"https://org.visualstudio.com/project/_git/repo", ProviderKind::azdo},
      {"https://org.visualstudio.com/DefaultCollection/project/_git/repo", ProviderKind::azdo},
      {"git@ssh.dev.azure.com:v3/org/project/repo", ProviderKind::azdo},
      {"org@vs-ssh.visualstudio.com:v3/org/project/repo", ProviderKind::azdo},
      {"https://gitlab.com/org/repo.git", ProviderKind::gitlab},
      {"git@gitlab.example.com:grp/sub/repo.git", ProviderKind::gitlab},
      {"https://codeberg.org/org/repo.git", ProviderKind::gitea},
      {"https://gitea.example.com/org/repo", ProviderKind::gitea},
      {"https://git.example.com/org/repo.git", std::nullopt},
      {"https://example.com/github.com/repo.git", std::nullopt},
      {"https://notgithub.com/org/repo", std::nullopt},
      {"https://dev.azure.com.evil.example/org/p/_git/r", std::nullopt},
      {"/srv/git/repo.git", std::nullopt},
      {"../origin.git", std::nullopt},
      {"", std::nullopt},
  };
  for (const Case &c : cases) {
    EXPECT_EQ(detect_provider(c.url), c.kind) << c.url;
  }
}

TEST(ChooseProvider, FlagWinsOverTheUrl) {
  EXPECT_EQ(choose_provider(ProviderKind::azdo, std::string("https://github.com/o/r"), "origin"),
            ProviderKind::azdo);
  EXPECT_EQ(choose_provider(std::nullopt, std::string("https://github.com/o/r"), "origin"),
            ProviderKind::github);
}

TEST(ChooseProvider, UndetectableUrlIsAnErrorNamingTheUrlWithoutCredentials) {
  try {
    (void)choose_provider(std::nullopt, std::string("https://user:hunter2@git.example.com/o/r.git"),
                          "origin");
    FAIL() << "expected CommandError";
  } catch (const gitops::CommandError &e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("git.example.com/o/r.git"), std::string::npos) << what;
    EXPECT_NE(what.find("--provider"), std::string::npos) << what;
    EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
  }
  try {
    (void)choose_provider(std::nullopt, std::nullopt, "origin");
    FAIL() << "expected CommandError";
  } catch (const gitops::CommandError &e) {
    EXPECT_NE(std::string(e.what()).find("origin"), std::string::npos) << e.what();
  }
}

TEST(ResolveToken, FallbackOrderForGithub) {
  const auto all = fixed_env({{"GITOPS_PROMOTION_TOKEN", "gp"},
                              {"GITHUB_TOKEN", "gh1"},
                              {"GH_TOKEN", "gh2"},
                              {"SYSTEM_ACCESSTOKEN", "az1"}});
  EXPECT_EQ(resolve_token(std::string("flag"), ProviderKind::github, all)->value, "flag");
  EXPECT_EQ(resolve_token(std::string("flag"), ProviderKind::github, all)->source, "--token");
  EXPECT_EQ(resolve_token(std::nullopt, ProviderKind::github, all)->source,
            "GITOPS_PROMOTION_TOKEN");
  // An empty flag or variable does not count.
  EXPECT_EQ(resolve_token(std::string(""), ProviderKind::github, all)->value, "gp");
  const auto no_gp = fixed_env({{"GITOPS_PROMOTION_TOKEN", ""},
                                {"GITHUB_TOKEN", "gh1"},
                                {"GH_TOKEN", "gh2"},
                                {"SYSTEM_ACCESSTOKEN", "az1"}});
  // GH_TOKEN before GITHUB_TOKEN, as gh reads them.
  EXPECT_EQ(resolve_token(std::nullopt, ProviderKind::github, no_gp)->value, "gh2");
  EXPECT_EQ(resolve_token(std::nullopt, ProviderKind::github, no_gp)->source, "GH_TOKEN");
  EXPECT_EQ(resolve_token(std::nullopt, ProviderKind::github, fixed_env({{"GITHUB_TOKEN", "gh1"}}))
                ->source,
            "GITHUB_TOKEN");
  EXPECT_FALSE(
      resolve_token(std::nullopt, ProviderKind::github, fixed_env({{"SYSTEM_ACCESSTOKEN", "az"}})));
}

// A token read from a file or a secret store often carries a newline; it is never part of the
// token.
TEST(ResolveToken, SurroundingWhitespaceIsTrimmed) {
  EXPECT_EQ(resolve_token(std::string(" ghp_flag\n"), ProviderKind::github, fixed_env({}))->value,
            "ghp_flag");
  const auto newline = fixed_env({{"GITHUB_TOKEN", "ghp_env\r\n"}});
  EXPECT_EQ(resolve_token(std::nullopt, ProviderKind::github, newline)->value, "ghp_env");
  // Only whitespace does not count: the next source is used.
  const auto blank = fixed_env({{"GITOPS_PROMOTION_TOKEN", " \n"}, {"SYSTEM_ACCESSTOKEN", "az\n"}});
  EXPECT_EQ(resolve_token(std::string("\t"), ProviderKind::azdo, blank)->value, "az");
  EXPECT_EQ(resolve_token(std::string("\t"), ProviderKind::azdo, blank)->source,
            "SYSTEM_ACCESSTOKEN");
}

TEST(ResolveToken, FallbackOrderForAzdo) {
  const auto env = fixed_env(
      {{"GITHUB_TOKEN", "gh"}, {"SYSTEM_ACCESSTOKEN", "az1"}, {"AZURE_DEVOPS_EXT_PAT", "az2"}});
  EXPECT_EQ(resolve_token(std::nullopt, ProviderKind::azdo, env)->value, "az1");
  EXPECT_EQ(resolve_token(std::nullopt, ProviderKind::azdo,
                          fixed_env({{"GITHUB_TOKEN", "gh"}, {"AZURE_DEVOPS_EXT_PAT", "az2"}}))
                ->value,
            "az2");
  EXPECT_EQ(
      resolve_token(std::nullopt, ProviderKind::azdo,
                    fixed_env({{"GITOPS_PROMOTION_TOKEN", "gp"}, {"SYSTEM_ACCESSTOKEN", "a"}}))
          ->value,
      "gp");
  EXPECT_FALSE(resolve_token(std::nullopt, ProviderKind::azdo, fixed_env({{"GH_TOKEN", "gh"}})));
}

} // namespace
