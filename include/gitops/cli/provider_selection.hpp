#pragma once

#include "gitops/providers/git_provider.hpp"
#include "gitops/util/env.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace gitops::cli {

// The provider a remote URL belongs to, by the host rules of providers/registry.hpp (e.g.
// dev.azure.com and *.visualstudio.com are Azure DevOps; github.com, *.ghe.com and hosts whose
// first label starts with "github" are GitHub). Accepts https/http/ssh/git URLs and scp-like
// `user@host:path`. std::nullopt when the host says nothing.
[[nodiscard]] std::optional<providers::ProviderKind> detect_provider(std::string_view remote_url);

// The provider to use: `flag` when given, else detected from `remote_url` (the `origin` remote).
// Throws CommandError naming the (redacted) URL, or saying there is no such remote, and asking for
// --provider when it cannot be detected.
[[nodiscard]] providers::ProviderKind
choose_provider(const std::optional<providers::ProviderKind> &flag,
                const std::optional<std::string> &remote_url, std::string_view remote_name);

// A token and where it came from ("--token", "GITHUB_TOKEN", ...); the source is safe to print.
struct Token {
  std::string value;
  std::string source;
};

// The token to use, first non-empty of: `flag`, GITOPS_PROMOTION_TOKEN, then the forge's token
// variables (providers/registry.hpp: GH_TOKEN, GITHUB_TOKEN in gh's order for GitHub;
// SYSTEM_ACCESSTOKEN, AZURE_DEVOPS_EXT_PAT for Azure DevOps), with surrounding whitespace trimmed
// (only whitespace does not count). std::nullopt when none is set.
[[nodiscard]] std::optional<Token> resolve_token(const std::optional<std::string> &flag,
                                                 providers::ProviderKind kind,
                                                 const util::EnvLookup &env);

} // namespace gitops::cli
