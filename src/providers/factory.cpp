#include "gitops/providers/factory.hpp"

#include "gitops/providers/registry.hpp"
#include "gitops/util/error.hpp"

namespace gitops::providers {

std::optional<ProviderKind> parse_provider_kind(std::string_view name) {
  if (const Forge *entry = forge_named(name)) {
    return entry->kind;
  }
  return std::nullopt;
}

std::string_view to_string(ProviderKind kind) {
  return forge(kind).name;
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
  return forge(kind).make(remote_url, std::move(token), http, options);
}

} // namespace gitops::providers
