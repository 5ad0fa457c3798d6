#include "support/fake_http_client.hpp"

#include "gitops/providers/factory.hpp"
#include "gitops/providers/github_provider.hpp"
#include "gitops/providers/registry.hpp"
#include "gitops/util/error.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace gitops::providers {
namespace {

using gitops::test::FakeHttpClient;

TEST(ProviderKind, ParsesAndPrintsTheCliNames) {
  EXPECT_EQ(parse_provider_kind("github"), ProviderKind::github);
  EXPECT_EQ(parse_provider_kind("azdo"), ProviderKind::azdo);
  EXPECT_FALSE(parse_provider_kind("GitHub"));
  EXPECT_FALSE(parse_provider_kind(""));
  EXPECT_EQ(to_string(ProviderKind::github), "github");
  EXPECT_EQ(to_string(ProviderKind::azdo), "azdo");
}

TEST(ProviderStates, PrintAndParseTheGateNames) {
  EXPECT_EQ(to_string(PrState::open), "open");
  EXPECT_EQ(to_string(PrState::closed), "closed");
  EXPECT_EQ(to_string(PrState::merged), "merged");
  for (const StatusState state :
       {StatusState::success, StatusState::failure, StatusState::error, StatusState::pending}) {
    EXPECT_EQ(parse_status_state(to_string(state)), state);
  }
  EXPECT_EQ(to_string(StatusState::failure), "failure");
  EXPECT_FALSE(parse_status_state("succeeded"));
  EXPECT_FALSE(parse_status_state("SUCCESS"));
  EXPECT_FALSE(parse_status_state(""));
}

TEST(MakeProvider, BuildsAGitHubProviderWithoutSendingRequests) {
  FakeHttpClient http;
  const auto provider =
      make_provider(ProviderKind::github, "git@github.com:acme/gitops.git", "tok", http);
  ASSERT_NE(provider, nullptr);
  EXPECT_EQ(provider->kind(), ProviderKind::github);
  const auto *github = dynamic_cast<const GitHubProvider *>(provider.get());
  ASSERT_NE(github, nullptr);
  EXPECT_EQ(github->remote().owner, "acme");
  EXPECT_EQ(github->remote().repo, "gitops");
  EXPECT_EQ(github->endpoints().api_url, "https://api.github.com");
  EXPECT_TRUE(http.requests().empty());
}

TEST(MakeProvider, HonoursApiUrlAndUserAgent) {
  FakeHttpClient http;
  http.expect("GET", "http://127.0.0.1:9/repos/acme/gitops", 200, R"({"default_branch":"main"})");
  ProviderOptions options;
  options.api_url = "http://127.0.0.1:9";
  options.user_agent = "ua-test";
  auto provider =
      make_provider(ProviderKind::github, "https://github.com/acme/gitops", "tok", http, options);
  auto *github = dynamic_cast<GitHubProvider *>(provider.get());
  ASSERT_NE(github, nullptr);
  EXPECT_EQ(github->endpoints().graphql_url, "http://127.0.0.1:9/graphql");
  EXPECT_EQ(github->repository_info().default_branch, "main");
  EXPECT_EQ(http.requests().at(0).headers.find("user-agent")->second, "ua-test");
}

TEST(MakeProvider, BuildsAnAzureDevOpsProvider) {
  FakeHttpClient http;
  const auto provider = make_provider(
      ProviderKind::azdo, "https://org@dev.azure.com/org/project/_git/repo", "pat", http);
  ASSERT_NE(provider, nullptr);
  EXPECT_EQ(provider->kind(), ProviderKind::azdo);
  EXPECT_TRUE(http.requests().empty());
  EXPECT_THROW((void)make_provider(ProviderKind::azdo, "https://github.com/o/r", "pat", http),
               ProviderError);
}

TEST(ForgeRegistry, OneEntryPerKindWithItsRules) {
  ASSERT_EQ(forges().size(), 4U);
  EXPECT_EQ(forge(ProviderKind::github).name, "github");
  EXPECT_EQ(forge(ProviderKind::azdo).name, "azdo");
  EXPECT_EQ(forge(ProviderKind::gitea).name, "gitea");
  EXPECT_EQ(forge(ProviderKind::gitlab).name, "gitlab");
  EXPECT_EQ(forge_named("github"), &forge(ProviderKind::github));
  EXPECT_EQ(forge_named("GitHub"), nullptr) << "upstream's values are case-sensitive";
  EXPECT_EQ(forge_names(), "github|azdo|gitea|gitlab");
  for (const auto &[host, kind] : std::vector<std::pair<std::string, ProviderKind>>{
           {"github.com", ProviderKind::github},
           {"GitHub.com.", ProviderKind::github},
           {"acme.ghe.com", ProviderKind::github},
           {"github.example.com", ProviderKind::github},
           {"dev.azure.com", ProviderKind::azdo},
           {"ssh.dev.azure.com", ProviderKind::azdo},
           {"acme.visualstudio.com", ProviderKind::azdo},
           {"codeberg.org", ProviderKind::gitea},
           {"gitea.com", ProviderKind::gitea},
           {"forgejo.example.org", ProviderKind::gitea},
           {"gitlab.com", ProviderKind::gitlab},
           {"gitlab.example.com", ProviderKind::gitlab}}) {
    const Forge *entry = forge_for_host(host);
    ASSERT_NE(entry, nullptr) << host;
    EXPECT_EQ(entry->kind, kind) << host;
  }
  EXPECT_EQ(forge_for_host("git.example.com"), nullptr);
  EXPECT_EQ(forge_for_host("notgithub.com"), nullptr);
  EXPECT_EQ(forge_for_host(""), nullptr);
  EXPECT_EQ(forge(ProviderKind::github).git_user, "x-access-token");
  EXPECT_EQ(all_token_variables(), (std::vector<std::string_view>{
                                       "GITOPS_PROMOTION_TOKEN", "GH_TOKEN", "GITHUB_TOKEN",
                                       "SYSTEM_ACCESSTOKEN", "AZURE_DEVOPS_EXT_PAT", "GITEA_TOKEN",
                                       "FORGEJO_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN"}));
}

TEST(ForgeRegistry, EachForgeReadsItsOwnRateLimitHeaders) {
  using gitops::test::json_response;
  const auto reset = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'060));
  const auto &github = forge(ProviderKind::github).rate_limit;
  ASSERT_NE(github, nullptr);
  // Primary limit: the quota headers.
  auto limit =
      github(json_response(403, R"({"message":"API rate limit exceeded"})",
                           {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "1800000060"}}));
  ASSERT_TRUE(limit.has_value());
  EXPECT_EQ(limit->resets_at, reset);
  EXPECT_FALSE(limit->throttled);
  // Secondary limit: named in the body (any case), or a 403 with Retry-After.
  limit = github(json_response(
      403, R"({"message":"You have exceeded a Secondary Rate Limit. Please wait."})"));
  ASSERT_TRUE(limit.has_value());
  EXPECT_TRUE(limit->throttled);
  EXPECT_FALSE(limit->resets_at.has_value());
  limit = github(json_response(403, "{}", {{"Retry-After", "30"}}));
  ASSERT_TRUE(limit.has_value());
  EXPECT_TRUE(limit->throttled);
  // Neither: a plain permission error, and a 429 (the generic rule's business).
  EXPECT_FALSE(github(json_response(403, R"({"message":"Resource not accessible"})")));
  EXPECT_FALSE(github(json_response(200, "secondary rate limit")));

  const auto &gitlab = forge(ProviderKind::gitlab).rate_limit;
  ASSERT_NE(gitlab, nullptr);
  limit = gitlab(
      json_response(429, "", {{"RateLimit-Remaining", "0"}, {"RateLimit-Reset", "1800000060"}}));
  ASSERT_TRUE(limit.has_value());
  EXPECT_EQ(limit->resets_at, reset);
  EXPECT_FALSE(gitlab(json_response(403, "secondary rate limit")));

  const auto &azdo = forge(ProviderKind::azdo).rate_limit;
  ASSERT_NE(azdo, nullptr);
  limit = azdo(json_response(
      429, "", {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", "1800000060"}}));
  ASSERT_TRUE(limit.has_value());
  EXPECT_EQ(limit->resets_at, reset);

  // Gitea and Forgejo send no rate-limit headers: the generic 429/Retry-After rule covers them.
  EXPECT_EQ(forge(ProviderKind::gitea).rate_limit, nullptr);
}

TEST(MakeProvider, RefusesEmptyTokenAndBadRemoteWithoutLeakingCredentials) {
  FakeHttpClient http;
  EXPECT_THROW((void)make_provider(ProviderKind::github, "https://github.com/o/r", "", http),
               ProviderError);
  try {
    (void)make_provider(ProviderKind::github, "https://u:s3cr3t@github.com/o", "tok", http);
    FAIL() << "accepted";
  } catch (const ProviderError &e) {
    EXPECT_EQ(std::string(e.what()).find("s3cr3t"), std::string::npos) << e.what();
  }
}

} // namespace
} // namespace gitops::providers
