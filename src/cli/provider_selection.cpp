#include "gitops/cli/provider_selection.hpp"

#include "gitops/git/repository.hpp"
#include "gitops/providers/registry.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"
#include "gitops/util/url.hpp"

#include <vector>

namespace gitops::cli {

std::optional<providers::ProviderKind> detect_provider(std::string_view remote_url) {
  if (const providers::Forge *forge = providers::forge_for_host(util::url_host(remote_url))) {
    return forge->kind;
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
                       std::string(remote_name) + "\"; pass --provider " +
                       providers::forge_names());
  }
  if (auto kind = detect_provider(*remote_url)) {
    return *kind;
  }
  throw CommandError("cannot detect the git provider from the URL of remote \"" +
                     std::string(remote_name) + "\" (" + util::redact_url(*remote_url) +
                     "); pass --provider " + providers::forge_names());
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
  std::vector<std::string_view> names = {providers::k_tool_token_variable};
  const auto &forge_variables = providers::forge(kind).token_variables;
  names.insert(names.end(), forge_variables.begin(), forge_variables.end());
  for (std::string_view name : names) {
    if (auto value = env(name); value && !util::trim(*value).empty()) {
      return Token{std::string(util::trim(*value)), std::string(name)};
    }
  }
  return std::nullopt;
}

} // namespace gitops::cli
