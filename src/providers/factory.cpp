#include "gitops/providers/factory.hpp"

#include "gitops/providers/azdo_provider.hpp"
#include "gitops/providers/azdo_url.hpp"
#include "gitops/providers/github_provider.hpp"
#include "gitops/providers/remote_url.hpp"
#include "gitops/util/error.hpp"

namespace gitops::providers {

std::optional<ProviderKind> parse_provider_kind(std::string_view name) {
  if (name == "github") {
    return ProviderKind::github;
  }
  if (name == "azdo") {
    return ProviderKind::azdo;
  }
  return std::nullopt;
}

std::string_view to_string(ProviderKind kind) {
  return kind == ProviderKind::github ? "github" : "azdo";
}

std::optional<ProviderKind> guess_provider_kind(std::string_view remote_url) {
  if (is_azdo_remote(remote_url)) {
    return ProviderKind::azdo;
  }
  try {
    (void)parse_github_remote(remote_url);
    return ProviderKind::github;
  } catch (const ProviderError &) {
    return std::nullopt;
  }
}

std::unique_ptr<GitProvider> make_provider(ProviderKind kind, const std::string &remote_url,
                                           const std::string &token, http::HttpClient &http,
                                           const ProviderOptions &options) {
  if (token.empty()) {
    throw ProviderError(std::string("the ") + std::string(to_string(kind)) +
                        " token is empty (give --token)");
  }
  return make_provider(kind, remote_url, std::make_shared<util::FixedToken>(token), http, options);
}

std::unique_ptr<GitProvider> make_provider(ProviderKind kind, const std::string &remote_url,
                                           std::shared_ptr<util::TokenSource> token,
                                           http::HttpClient &http, const ProviderOptions &options) {
  if (!token) {
    throw ProviderError(std::string("no ") + std::string(to_string(kind)) + " token source");
  }
  switch (kind) {
  case ProviderKind::github: {
    GitHubRemote remote = parse_github_remote(remote_url);
    GitHubEndpoints endpoints = github_endpoints(remote, options.api_url);
    return std::make_unique<GitHubProvider>(std::move(remote), std::move(token), http,
                                            std::move(endpoints), options.user_agent);
  }
  case ProviderKind::azdo: {
    std::optional<std::string> api_url;
    if (!options.api_url.empty()) {
      api_url = options.api_url;
    }
    return std::make_unique<AzdoProvider>(parse_azdo_remote(remote_url, api_url), token->token(),
                                          http, options.user_agent);
  }
  }
  throw ProviderError("provider " + std::string(to_string(kind)) +
                      " is not available in this build (remote " + redact_url(remote_url) + ")");
}

} // namespace gitops::providers
