// Fuzzes git remote URL parsing for GitHub and Azure DevOps.
//
// Invariants (a violation aborts):
// - split_remote_url, parse_github_remote and parse_azdo_remote throw nothing but gitops::Error;
//   redact_url, is_azdo_remote, encode_path_segment and decode_percent never throw.
// - A token in the userinfo (`https://u:TOKEN@` + input) never shows up in redact_url's output, in
//   an error message or in a parsed part.
// - A parsed GitHub remote, written back as https://HOST/OWNER/REPO, parses to the same remote.
// - A parsed Azure DevOps remote's push URL parses to the same repository, and is_azdo_remote
//   agrees that the URL is an Azure DevOps remote.
// - decode_percent(encode_path_segment(x)) == x.
#include "fuzz_support.hpp"

#include "gitops/providers/azdo_url.hpp"
#include "gitops/providers/remote_url.hpp"
#include "gitops/util/url.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace {

using gitops::fuzz::fail;
namespace gp = gitops::providers;

constexpr std::string_view k_token = "S3cr3tT0k3nXyZ";

bool ends_with_git(const std::string &name) {
  return name.size() >= 4 && name.compare(name.size() - 4, 4, ".git") == 0;
}

bool all_of_chars(std::string_view text, std::string_view extra) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           extra.find(c) != std::string_view::npos;
  });
}

// Every parsed host must be one a DNS name or IP literal can be (with an optional numeric port):
// the parsers refuse others, since a "host" such as `a?` or `h:22m` makes URLs that point
// elsewhere.
bool plausible_host(std::string_view host) {
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    return close != std::string_view::npos && all_of_chars(host.substr(1, close - 1), ":.") &&
           (close + 1 == host.size() ||
            (host[close + 1] == ':' && all_of_chars(host.substr(close + 2), {})));
  }
  const auto colon = host.find(':');
  return all_of_chars(host.substr(0, colon), ".-_") &&
         (colon == std::string_view::npos || all_of_chars(host.substr(colon + 1), {}));
}

std::string describe(const gp::AzdoRepo &r) {
  return "api_base='" + r.api_base + "' organization='" + r.organization + "' project='" +
         r.project + "' repository='" + r.repository + "'";
}

void check_github(std::string_view url) {
  gp::GitHubRemote remote;
  if (!gitops::fuzz::only_gitops_errors("parse_github_remote",
                                        [&] { remote = gp::parse_github_remote(url); })) {
    return;
  }
  if (remote.owner.empty() || remote.repo.empty() || remote.host.empty()) {
    fail("parse_github_remote returned an empty part", url);
  }
  // A name ending in ".git" loses it on every parse (GitHub does not allow such names anyway);
  // only names GitHub allows ([A-Za-z0-9._-]) are expected to survive the round trip.
  if (!plausible_host(remote.host)) {
    fail("parse_github_remote accepted an implausible host", url);
  }
  if (ends_with_git(remote.repo) || !all_of_chars(remote.owner, "._-") ||
      !all_of_chars(remote.repo, "._-")) {
    return;
  }
  const std::string again_url = std::string(remote.secure ? "https://" : "http://") + remote.host +
                                "/" + remote.owner + "/" + remote.repo;
  gp::GitHubRemote again;
  if (!gitops::fuzz::only_gitops_errors("parse_github_remote",
                                        [&] { again = gp::parse_github_remote(again_url); })) {
    fail("a parsed GitHub remote written as a URL does not parse",
         std::string(url) + "\n" + again_url);
  }
  if (again.host != remote.host || again.owner != remote.owner || again.repo != remote.repo ||
      again.secure != remote.secure) {
    fail("a parsed GitHub remote written as a URL parses to another remote",
         std::string(url) + "\n" + again_url + "\nhost='" + again.host + "' owner='" + again.owner +
             "' repo='" + again.repo + "'");
  }
}

void check_azdo(std::string_view url) {
  bool looks_azdo = false;
  gitops::fuzz::never_throws("is_azdo_remote", [&] { looks_azdo = gp::is_azdo_remote(url); });
  gp::AzdoRepo repo;
  if (!gitops::fuzz::only_gitops_errors("parse_azdo_remote",
                                        [&] { repo = gp::parse_azdo_remote(url); })) {
    return;
  }
  if (!looks_azdo) {
    fail("parse_azdo_remote accepts a URL that is_azdo_remote rejects", url);
  }
  if (repo.organization.empty() || repo.project.empty() || repo.repository.empty() ||
      repo.api_base.empty() || repo.api_base.back() == '/') {
    fail("parse_azdo_remote returned an empty part or a base with a trailing '/'",
         std::string(url) + "\n" + describe(repo));
  }
  (void)gp::azdo_repository_api_url(repo);
  const auto scheme_end = repo.api_base.find("://");
  const auto host =
      std::string_view(repo.api_base)
          .substr(scheme_end + 3, repo.api_base.find('/', scheme_end + 3) - (scheme_end + 3));
  if (!plausible_host(host)) {
    fail("parse_azdo_remote accepted an implausible host",
         std::string(url) + "\n" + describe(repo));
  }
  if (ends_with_git(repo.repository)) {
    return;
  }
  const std::string push = gp::azdo_push_url(repo);
  gp::AzdoRepo again;
  if (!gitops::fuzz::only_gitops_errors("parse_azdo_remote(push url)",
                                        [&] { again = gp::parse_azdo_remote(push); })) {
    fail("the push URL of a parsed Azure DevOps remote does not parse",
         std::string(url) + "\n" + push + "\n" + describe(repo));
  }
  if (again.api_base != repo.api_base || again.organization != repo.organization ||
      again.project != repo.project || again.repository != repo.repository) {
    fail("the push URL of a parsed Azure DevOps remote parses to another repository",
         std::string(url) + "\n" + push + "\n" + describe(repo) + "\n" + describe(again));
  }
}

void check_api_url(std::string_view url, std::string_view api_url) {
  gp::AzdoRepo repo;
  (void)gitops::fuzz::only_gitops_errors("parse_azdo_remote(api_url)", [&] {
    repo = gp::parse_azdo_remote(url, std::string(api_url));
  });
}

// Everything a caller might print for `url`: the redacted URL, error messages and parsed parts.
void check_no_token(std::string_view url) {
  const auto leaks = [](std::string_view text) {
    return text.find(k_token) != std::string_view::npos;
  };
  std::string redacted;
  gitops::fuzz::never_throws("redact_url", [&] { redacted = gitops::util::redact_url(url); });
  if (leaks(redacted)) {
    fail("redact_url kept the token", std::string(url) + "\n" + redacted);
  }
  const auto check_error = [&](std::string_view call, auto &&fn) {
    try {
      fn();
    } catch (const gitops::Error &e) {
      if (leaks(e.what())) {
        fail(std::string(call) + " put the token into its error message",
             std::string(url) + "\n" + e.what());
      }
    }
  };
  check_error("split_remote_url", [&] {
    const auto parts = gp::split_remote_url(url);
    if (leaks(parts.scheme) || leaks(parts.host) || leaks(parts.port) || leaks(parts.path)) {
      fail("split_remote_url kept the token in a part", url);
    }
  });
  check_error("parse_github_remote", [&] {
    const auto remote = gp::parse_github_remote(url);
    if (leaks(remote.host) || leaks(remote.owner) || leaks(remote.repo)) {
      fail("parse_github_remote kept the token in a part", url);
    }
  });
  check_error("parse_azdo_remote", [&] {
    const auto repo = gp::parse_azdo_remote(url);
    if (leaks(describe(repo))) {
      fail("parse_azdo_remote kept the token in a part", url);
    }
  });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view input = gitops::fuzz::as_text(data, size);

  // The input as a whole URL; after a newline, the rest is an --api-url for Azure DevOps.
  const auto nl = input.find('\n');
  const std::string_view url = input.substr(0, nl);
  (void)gitops::fuzz::only_gitops_errors("split_remote_url",
                                         [&] { (void)gp::split_remote_url(url); });
  gitops::fuzz::never_throws("redact_url", [&] { (void)gitops::util::redact_url(url); });
  check_github(url);
  check_azdo(url);
  if (nl != std::string_view::npos) {
    check_api_url(url, input.substr(nl + 1));
  }

  // The input after a userinfo that holds a token (the input itself must not contain it).
  if (url.find(k_token) == std::string_view::npos) {
    for (const std::string_view prefix : {"https://user:", "http://", "ssh://git:"}) {
      check_no_token(std::string(prefix) + std::string(k_token) + "@" + std::string(url));
    }
  }

  std::string decoded;
  gitops::fuzz::never_throws("encode/decode",
                             [&] { decoded = gp::decode_percent(gp::encode_path_segment(input)); });
  if (decoded != input) {
    fail("decode_percent(encode_path_segment(x)) != x", input);
  }
  gitops::fuzz::never_throws("decode_percent", [&] { (void)gp::decode_percent(input); });
  return 0;
}
