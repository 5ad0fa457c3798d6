#include "gitops/cli/provider_selection.hpp"

#include "gitops/git/repository.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <array>

namespace gitops::cli {

namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// The lowercased host of a URL or scp-like address, "" when there is none.
std::string host_of(std::string_view url) {
  std::string_view rest = url;
  if (const auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    rest.remove_prefix(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
      rest.remove_prefix(at + 1);
    }
    if (!rest.empty() && rest.front() == '[') {
      return util::to_lower(rest.substr(0, rest.find(']') + 1));
    }
    return util::to_lower(rest.substr(0, rest.find(':')));
  }
  // scp-like: [user@]host:path, where the host part has no slash.
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos ||
      rest.substr(0, colon).find('/') != std::string_view::npos) {
    return "";
  }
  rest = rest.substr(0, colon);
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    rest.remove_prefix(at + 1);
  }
  return util::to_lower(rest);
}

} // namespace

std::optional<providers::ProviderKind> detect_provider(std::string_view remote_url) {
  std::string host = host_of(remote_url);
  if (!host.empty() && host.back() == '.') {
    host.pop_back();
  }
  if (host.empty()) {
    return std::nullopt;
  }
  if (host == "dev.azure.com" || host == "ssh.dev.azure.com" || host == "visualstudio.com" ||
      ends_with(host, ".visualstudio.com") || ends_with(host, ".dev.azure.com")) {
    return providers::ProviderKind::azdo;
  }
  if (host == "github.com" || ends_with(host, ".github.com") || ends_with(host, ".ghe.com") ||
      host.rfind("github", 0) == 0) {
    return providers::ProviderKind::github;
  }
  return std::nullopt;
}

providers::ProviderKind choose_provider(const std::optional<providers::ProviderKind> &flag,
                                        const std::optional<std::string> &remote_url,
                                        std::string_view remote_name) {
  if (flag) {
    return *flag;
  }
  if (!remote_url) {
    throw CommandError("cannot detect the git provider: the repository has no remote \"" +
                       std::string(remote_name) + "\"; pass --provider github|azdo");
  }
  if (auto kind = detect_provider(*remote_url)) {
    return *kind;
  }
  throw CommandError("cannot detect the git provider from the URL of remote \"" +
                     std::string(remote_name) + "\" (" + git::redact_url(*remote_url) +
                     "); pass --provider github|azdo");
}

std::optional<Token> resolve_token(const std::optional<std::string> &flag,
                                   providers::ProviderKind kind, const util::EnvLookup &env) {
  // Surrounding whitespace is never part of a token (a file read with $(cat f) keeps no newline,
  // but `--token "$(< f)"` variants and secrets stores often do); gh trims it too.
  if (flag) {
    if (const std::string_view value = util::trim(*flag); !value.empty()) {
      return Token{std::string(value), "--token"};
    }
  }
  // GH_TOKEN before GITHUB_TOKEN, as gh reads them: in Actions GITHUB_TOKEN is often the workflow's
  // own token, and GH_TOKEN the one a user set on purpose.
  constexpr std::array<std::string_view, 3> k_github = {"GITOPS_PROMOTION_TOKEN", "GH_TOKEN",
                                                        "GITHUB_TOKEN"};
  constexpr std::array<std::string_view, 3> k_azdo = {"GITOPS_PROMOTION_TOKEN",
                                                      "SYSTEM_ACCESSTOKEN", "AZURE_DEVOPS_EXT_PAT"};
  for (std::string_view name : kind == providers::ProviderKind::github ? k_github : k_azdo) {
    if (auto value = env(name); value && !util::trim(*value).empty()) {
      return Token{std::string(util::trim(*value)), std::string(name)};
    }
  }
  return std::nullopt;
}

} // namespace gitops::cli
