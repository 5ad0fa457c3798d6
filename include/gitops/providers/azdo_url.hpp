#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gitops::providers {

// Where an Azure DevOps repository lives. Names are stored decoded ("My Project"); encode them with
// encode_path_segment when building a URL.
struct AzdoRepo {
  // The organization (dev.azure.com) or collection (Azure DevOps Server) URL without a trailing
  // '/', already URL-encoded, e.g. https://dev.azure.com/org or https://host/tfs/DefaultCollection.
  std::string api_base;
  std::string organization; // decoded organization or collection name
  std::string project;      // decoded project name
  std::string repository;   // decoded repository name (a trailing ".git" removed)
};

// Parses an Azure DevOps remote: `https://dev.azure.com/o/p/_git/r`,
// `https://user@dev.azure.com/o/…`, `https://dev.azure.com/o/_git/r` (project named like the
// repository), `https://o.visualstudio.com/ [DefaultCollection/]p/_git/r`,
// `git@ssh.dev.azure.com:v3/o/p/r`, `ssh://git@ssh.dev.azure.com/v3/o/p/r`,
// `o@vs-ssh.visualstudio.com:v3/o/p/r`, and Azure DevOps Server
// `https://host[:port]/[tfs/]Coll/p/_git/r`. Percent-encoded names are decoded. dev.azure.com,
// visualstudio.com and the SSH hosts all use `https://dev.azure.com/<o>` as api_base; other hosts
// use the collection URL of the remote. A non-empty `api_url` replaces that base: it is used as is
// when its last path segment is the organization or collection, otherwise `/<organization>` is
// appended (so both `https://host/tfs/Coll` and a local simulator root `http://127.0.0.1:8080`
// work). Throws ProviderError naming the redacted URL.
[[nodiscard]] AzdoRepo parse_azdo_remote(std::string_view url,
                                         std::optional<std::string> api_url = std::nullopt);

// Whether `url` looks like an Azure DevOps remote (its host, or a `/_git/<repo>` path); never
// throws.
[[nodiscard]] bool is_azdo_remote(std::string_view url);

// Percent-encodes one URL path segment: everything but ALPHA / DIGIT / "-._~" becomes %XX of its
// UTF-8 bytes, so spaces, '/', '%' and non-ASCII letters are safe inside a path.
[[nodiscard]] std::string encode_path_segment(std::string_view segment);

// Decodes %XX escapes (invalid escapes are kept verbatim); '+' is left alone.
[[nodiscard]] std::string decode_percent(std::string_view text);

// `<api_base>/<project>/_apis/git/repositories/<repository>` with both names encoded.
[[nodiscard]] std::string azdo_repository_api_url(const AzdoRepo &repo);

// The HTTPS clone/push URL `<api_base>/<project>/_git/<repository>` (no credentials in it).
[[nodiscard]] std::string azdo_push_url(const AzdoRepo &repo);

} // namespace gitops::providers
