#pragma once

#include "gitops/http/http_client.hpp"
#include "gitops/providers/git_provider.hpp"
#include "gitops/util/token_source.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gitops::providers {

// How to reach the forge besides the remote URL.
struct ProviderOptions {
  // Empty: derived from the remote's host. GitHub: the REST base (Enterprise: https://HOST/api/v3).
  // Azure DevOps: the organization/collection URL (see parse_azdo_remote).
  std::string api_url;
  std::string user_agent = "gitops-promotion"; // sent with every request
};

// The kind named `name` (a --provider value of providers/registry.hpp, case-sensitive as
// upstream's), or std::nullopt.
[[nodiscard]] std::optional<ProviderKind> parse_provider_kind(std::string_view name);

// The provider name as the CLI spells it.
[[nodiscard]] std::string_view to_string(ProviderKind kind);

// Builds the provider for `remote_url` (the URL of the remote, e.g. origin). `http` must outlive
// the result. Throws ProviderError for an empty token, an unparsable remote, or a provider that is
// not built in; sends no request.
[[nodiscard]] std::unique_ptr<GitProvider>
make_provider(ProviderKind kind, const std::string &remote_url, const std::string &token,
              http::HttpClient &http, const ProviderOptions &options = {});

// The same, with the token asked of `token` before each request (GitHub; Azure DevOps asks once).
// `token` must not be null.
[[nodiscard]] std::unique_ptr<GitProvider> make_provider(ProviderKind kind,
                                                         const std::string &remote_url,
                                                         std::shared_ptr<util::TokenSource> token,
                                                         http::HttpClient &http,
                                                         const ProviderOptions &options = {});

} // namespace gitops::providers
