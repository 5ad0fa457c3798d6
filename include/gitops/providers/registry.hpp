#pragma once

#include "gitops/http/http_client.hpp"
#include "gitops/http/retrying_http_client.hpp"
#include "gitops/providers/factory.hpp"
#include "gitops/providers/git_provider.hpp"
#include "gitops/util/token_source.hpp"

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gitops::providers {

// Everything the tool knows about one forge, in one place: the CLI's detection, token resolution,
// CI redaction and the factory all read it. Adding a forge is one more entry in forges().
struct Forge {
  ProviderKind kind;
  std::string_view name;  // the --provider value, e.g. "github"
  std::string_view title; // for messages, e.g. "GitHub"
  // Whether a remote on `host` (lower-cased, without port or trailing dot) belongs to this forge.
  bool (*owns_host)(std::string_view host);
  // The token variables read after GITOPS_PROMOTION_TOKEN, in order.
  std::span<const std::string_view> token_variables;
  // What else can stand in for a token, for the "needs an access token" message ("" = nothing).
  std::string_view other_credentials;
  // The user name of the Basic credentials for git over HTTPS (GitHub documents x-access-token).
  std::string_view git_user;
  // How the forge says it is rate limiting, for the retrying HTTP client (nullptr: it says nothing
  // beyond 429 and Retry-After).
  http::RateLimitRule rate_limit;
  // Builds the provider for a remote of this forge; sends no request. Throws ProviderError for a
  // remote this forge cannot parse.
  std::unique_ptr<GitProvider> (*make)(const std::string &remote_url,
                                       std::shared_ptr<util::TokenSource> token,
                                       http::HttpClient &http, const ProviderOptions &options);
};

// The variable any forge's token may come from first.
inline constexpr std::string_view k_tool_token_variable = "GITOPS_PROMOTION_TOKEN";

// Every forge, in detection order.
[[nodiscard]] std::span<const Forge> forges();

// The entry of `kind` (every ProviderKind has one).
[[nodiscard]] const Forge &forge(ProviderKind kind);

// The entry whose name is `name` (case-sensitive, as upstream's --provider), or nullptr.
[[nodiscard]] const Forge *forge_named(std::string_view name);

// The entry that owns `host` (any case, a trailing dot ignored), or nullptr.
[[nodiscard]] const Forge *forge_for_host(std::string_view host);

// "github|azdo|gitea|gitlab": the names, for usage messages.
[[nodiscard]] std::string forge_names(std::string_view separator = "|");

// GITOPS_PROMOTION_TOKEN and every forge's token variables, each once: what CI redaction reads.
[[nodiscard]] std::vector<std::string_view> all_token_variables();

} // namespace gitops::providers
