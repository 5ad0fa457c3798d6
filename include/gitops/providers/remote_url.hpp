#pragma once

#include <string>
#include <string_view>

namespace gitops::providers {

// A git remote URL taken apart. Userinfo (`user:password@`) is dropped on purpose: it may hold a
// token.
struct UrlParts {
  std::string scheme; // https, http or ssh (scp-like `git@host:path` is reported as ssh)
  std::string host;   // lower-cased, without port
  std::string port;   // empty when absent
  std::string path;   // without leading '/' and without a trailing ".git" or '/'
};

// Splits `https://[user@]host[:port]/path[.git]`, `http://…`, `ssh://[user@]host[:port]/path[.git]`
// and scp-like `user@host:path[.git]`. Throws ProviderError naming the (redacted) URL for anything
// else (local paths, file://, empty input, a missing host or path).
[[nodiscard]] UrlParts split_remote_url(std::string_view url);

// The web server a remote names: `http://HOST[:PORT]` for an http remote, `https://HOST[:PORT]`
// for https, `https://HOST` for ssh (its port is the ssh daemon's, not the web server's).
[[nodiscard]] std::string web_origin(const UrlParts &parts);

// True for a DNS name or IPv4 address (letters, digits, '.', '-', '_') or a bracketed IPv6
// literal; both remote parsers refuse other hosts, which would make API URLs point elsewhere.
[[nodiscard]] bool is_valid_host(std::string_view host);

// ---- GitHub
// ------------------------------------------------------------------------------------------

// owner/repo on a GitHub host (github.com or a GitHub Enterprise Server).
struct GitHubRemote {
  std::string host; // e.g. github.com, ghes.example.com (with ":port" when the URL had one)
  std::string owner;
  std::string repo;   // without ".git"
  bool secure = true; // false only for an http:// remote (local test servers)
};

// Parses a GitHub remote: `https://github.com/o/r(.git)`, `git@github.com:o/r(.git)`,
// `ssh://git@github.com[:22]/o/r(.git)`, the same on an Enterprise host. The path must be exactly
// owner/repo. `www.github.com` is refused (use github.com). Throws ProviderError otherwise.
[[nodiscard]] GitHubRemote parse_github_remote(std::string_view url);

// Azure DevOps remotes (`dev.azure.com/o/p/_git/r`, `o.visualstudio.com`, `ssh.dev.azure.com:v3/…`)
// are parsed by parse_azdo_remote in gitops/providers/azdo_url.hpp, which keeps path segments
// that split_remote_url folds together and shares is_valid_host with it.

} // namespace gitops::providers
