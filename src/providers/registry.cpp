#include "gitops/providers/registry.hpp"

#include "gitops/providers/azdo_provider.hpp"
#include "gitops/providers/azdo_url.hpp"
#include "gitops/providers/gitea_provider.hpp"
#include "gitops/providers/github_provider.hpp"
#include "gitops/providers/gitlab_provider.hpp"
#include "gitops/providers/remote_url.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <algorithm>
#include <array>

namespace gitops::providers {

namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// github.com, *.github.com, *.ghe.com (GitHub Enterprise Cloud with data residency) and hosts whose
// first label starts with "github" (GitHub Enterprise Server such as github.example.com).
bool github_host(std::string_view host) {
  return host == "github.com" || ends_with(host, ".github.com") || ends_with(host, ".ghe.com") ||
         host.starts_with("github");
}

// dev.azure.com, ssh.dev.azure.com and *.visualstudio.com.
bool azdo_host(std::string_view host) {
  return host == "dev.azure.com" || host == "ssh.dev.azure.com" || host == "visualstudio.com" ||
         ends_with(host, ".visualstudio.com") || ends_with(host, ".dev.azure.com");
}

// gitea.com, codeberg.org (Forgejo) and hosts whose first label starts with "gitea", "forgejo" or
// "codeberg" (self-hosted servers such as gitea.example.com); any other host needs --provider.
bool gitea_host(std::string_view host) {
  return host == "gitea.com" || host == "codeberg.org" || host.starts_with("gitea") ||
         host.starts_with("forgejo") || host.starts_with("codeberg");
}

// GitHub's primary limit (403/429 with x-ratelimit-remaining 0, reset in x-ratelimit-reset) and its
// secondary limit (403/429 whose body mentions it, or a 403 with Retry-After).
std::optional<http::RateLimit> github_rate_limit(const http::Response &response) {
  if (response.status != 403 && response.status != 429) {
    return std::nullopt;
  }
  std::optional<http::RateLimit> limit =
      http::quota_exhausted(response, "x-ratelimit-remaining", "x-ratelimit-reset");
  const bool throttled = util::contains(util::to_lower(response.body), "secondary rate limit") ||
                         (response.status == 403 && response.header("Retry-After"));
  if (throttled) {
    if (!limit) {
      limit.emplace();
    }
    limit->throttled = true;
  }
  return limit;
}

// Azure DevOps delays or blocks with 429 and Retry-After (the generic rule); X-RateLimit-Remaining
// and X-RateLimit-Reset (epoch seconds) say when a used-up quota comes back.
std::optional<http::RateLimit> azdo_rate_limit(const http::Response &response) {
  return http::quota_exhausted(response, "X-RateLimit-Remaining", "X-RateLimit-Reset");
}

// GitLab answers 429 with Retry-After, RateLimit-Remaining and RateLimit-Reset (epoch seconds).
std::optional<http::RateLimit> gitlab_rate_limit(const http::Response &response) {
  return http::quota_exhausted(response, "RateLimit-Remaining", "RateLimit-Reset");
}

std::unique_ptr<GitProvider> make_gitea(const std::string &remote_url,
                                        std::shared_ptr<util::TokenSource> token,
                                        http::HttpClient &http, const ProviderOptions &options) {
  return std::make_unique<GiteaProvider>(parse_gitea_remote(remote_url, options.api_url),
                                         std::move(token), http, options.user_agent);
}

// gitlab.com and hosts whose first label starts with "gitlab" (gitlab.example.com); any other
// self-managed host needs --provider.
bool gitlab_host(std::string_view host) {
  return host == "gitlab.com" || ends_with(host, ".gitlab.com") || host.starts_with("gitlab");
}

std::unique_ptr<GitProvider> make_gitlab(const std::string &remote_url,
                                         std::shared_ptr<util::TokenSource> token,
                                         http::HttpClient &http, const ProviderOptions &options) {
  return std::make_unique<GitLabProvider>(parse_gitlab_remote(remote_url, options.api_url),
                                          std::move(token), http, options.user_agent);
}

std::unique_ptr<GitProvider> make_github(const std::string &remote_url,
                                         std::shared_ptr<util::TokenSource> token,
                                         http::HttpClient &http, const ProviderOptions &options) {
  GitHubRemote remote = parse_github_remote(remote_url);
  GitHubEndpoints endpoints = github_endpoints(remote, options.api_url);
  return std::make_unique<GitHubProvider>(std::move(remote), std::move(token), http,
                                          std::move(endpoints), options.user_agent);
}

std::unique_ptr<GitProvider> make_azdo(const std::string &remote_url,
                                       std::shared_ptr<util::TokenSource> token,
                                       http::HttpClient &http, const ProviderOptions &options) {
  std::optional<std::string> api_url;
  if (!options.api_url.empty()) {
    api_url = options.api_url;
  }
  return std::make_unique<AzdoProvider>(parse_azdo_remote(remote_url, api_url), token->token(),
                                        http, options.user_agent);
}

// GH_TOKEN before GITHUB_TOKEN, as gh reads them: in Actions GITHUB_TOKEN is often the workflow's
// own token, and GH_TOKEN the one a user set on purpose.
constexpr std::array<std::string_view, 2> k_github_variables = {"GH_TOKEN", "GITHUB_TOKEN"};
constexpr std::array<std::string_view, 2> k_azdo_variables = {"SYSTEM_ACCESSTOKEN",
                                                              "AZURE_DEVOPS_EXT_PAT"};
// Gitea Actions hands its token over as GITEA_TOKEN, Forgejo Actions as FORGEJO_TOKEN.
constexpr std::array<std::string_view, 2> k_gitea_variables = {"GITEA_TOKEN", "FORGEJO_TOKEN"};
// A project or group access token the pipeline was given, else the job's own token (GitLab CI).
constexpr std::array<std::string_view, 2> k_gitlab_variables = {"GITLAB_TOKEN", "CI_JOB_TOKEN"};

const std::array<Forge, 4> k_forges = {{
    {ProviderKind::github, "github", "GitHub", github_host, k_github_variables,
     "authenticate as a GitHub App: --github-app-id and its private key", "x-access-token",
     github_rate_limit, make_github},
    // Azure DevOps takes any user name with a PAT; the tool's name shows in server logs.
    {ProviderKind::azdo, "azdo", "Azure DevOps", azdo_host, k_azdo_variables, "",
     "gitops-promotion", azdo_rate_limit, make_azdo},
    // Gitea and Forgejo take the token as the password whatever the user name; they send no
    // rate-limit headers of their own (a reverse proxy's 429 and Retry-After are the generic rule).
    {ProviderKind::gitea, "gitea", "Gitea/Forgejo", gitea_host, k_gitea_variables, "",
     "gitops-promotion", nullptr, make_gitea},
    // GitLab takes a job token only with this user name, and any other token with it too.
    {ProviderKind::gitlab, "gitlab", "GitLab", gitlab_host, k_gitlab_variables, "",
     "gitlab-ci-token", gitlab_rate_limit, make_gitlab},
}};

} // namespace

std::span<const Forge> forges() {
  return k_forges;
}

const Forge &forge(ProviderKind kind) {
  for (const Forge &entry : k_forges) {
    if (entry.kind == kind) {
      return entry;
    }
  }
  throw ProviderError("no forge entry for provider kind " + std::to_string(static_cast<int>(kind)));
}

const Forge *forge_named(std::string_view name) {
  for (const Forge &entry : k_forges) {
    if (entry.name == name) {
      return &entry;
    }
  }
  return nullptr;
}

const Forge *forge_for_host(std::string_view host) {
  std::string lower = util::to_lower(host);
  if (!lower.empty() && lower.back() == '.') {
    lower.pop_back();
  }
  if (lower.empty()) {
    return nullptr;
  }
  for (const Forge &entry : k_forges) {
    if (entry.owns_host(lower)) {
      return &entry;
    }
  }
  return nullptr;
}

std::string forge_names(std::string_view separator) {
  std::string names;
  for (const Forge &entry : k_forges) {
    names += (names.empty() ? "" : std::string(separator)) + std::string(entry.name);
  }
  return names;
}

std::vector<std::string_view> all_token_variables() {
  std::vector<std::string_view> names = {k_tool_token_variable};
  for (const Forge &entry : k_forges) {
    for (std::string_view name : entry.token_variables) {
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(name);
      }
    }
  }
  return names;
}

} // namespace gitops::providers
