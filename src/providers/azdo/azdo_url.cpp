#include "gitops/providers/azdo_url.hpp"

#include "gitops/providers/remote_url.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"
#include "gitops/util/url.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace gitops::providers {

namespace {

struct RemoteParts {
  std::string scheme; // https, http or ssh
  std::string host;   // lower-case
  std::string port;
  std::vector<std::string> segments; // decoded path segments, empty ones dropped
};

bool iequals(std::string_view a, std::string_view b) {
  return util::to_lower(a) == util::to_lower(b);
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

[[noreturn]] void fail(std::string_view url, const std::string &reason) {
  throw ProviderError(
      "cannot read an Azure DevOps repository from remote URL '" + util::redact_url(url) +
      "': " + reason +
      " (expected https://dev.azure.com/<organization>/<project>/_git/<repository>, "
      "git@ssh.dev.azure.com:v3/<organization>/<project>/<repository> or "
      "https://<server>/<collection>/<project>/_git/<repository>)");
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    if (end > start) {
      out.push_back(decode_percent(path.substr(start, end - start)));
    }
    start = end + 1;
  }
  return out;
}

RemoteParts split_remote(std::string_view url) {
  if (url.empty()) {
    fail(url, "the URL is empty");
  }
  RemoteParts parts;
  std::string_view authority;
  std::string_view path;
  const auto scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    parts.scheme = util::to_lower(url.substr(0, scheme_end));
    if (parts.scheme == "git+ssh" || parts.scheme == "ssh+git") {
      parts.scheme = "ssh";
    }
    if (parts.scheme != "https" && parts.scheme != "http" && parts.scheme != "ssh") {
      fail(url, "unsupported scheme '" + parts.scheme + "'");
    }
    const auto rest = url.substr(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?#");
    authority = rest.substr(0, authority_end);
    if (authority_end != std::string_view::npos && rest[authority_end] == '/') {
      path = rest.substr(authority_end);
      path = path.substr(0, path.find_first_of("?#"));
    }
  } else {
    // scp-like `user@host:path`; a '/' before the ':' means a local path, not a remote.
    const auto colon = url.find(':');
    const auto slash = url.find('/');
    if (colon == std::string_view::npos || (slash != std::string_view::npos && slash < colon)) {
      fail(url, "not a URL (local paths are not Azure DevOps remotes)");
    }
    parts.scheme = "ssh";
    authority = url.substr(0, colon);
    path = url.substr(colon + 1);
  }
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      fail(url, "unterminated IPv6 host");
    }
    parts.host = util::to_lower(authority.substr(0, close + 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      parts.port = std::string(authority.substr(close + 2));
    }
  } else {
    const auto colon = authority.find(':');
    parts.host = util::to_lower(authority.substr(0, colon));
    if (colon != std::string_view::npos && scheme_end != std::string_view::npos) {
      parts.port = std::string(authority.substr(colon + 1));
    }
  }
  if (parts.host.empty()) {
    fail(url, "the URL has no host");
  }
  if (!is_valid_host(parts.host)) {
    fail(url, "invalid host '" + parts.host + "' (expected a DNS name or an IP address)");
  }
  if (!parts.port.empty() && !std::all_of(parts.port.begin(), parts.port.end(),
                                          [](unsigned char c) { return std::isdigit(c) != 0; })) {
    fail(url, "invalid port '" + parts.port + "'");
  }
  parts.segments = split_path(path);
  return parts;
}

std::string strip_git_suffix(std::string name) {
  if (name.size() > 4 && ends_with(name, ".git")) {
    name.resize(name.size() - 4);
  }
  return name;
}

bool is_ssh_host(std::string_view host) {
  return host == "ssh.dev.azure.com" || host == "vs-ssh.visualstudio.com";
}

// [o, p, _git, r] or [o, _git, r] after an organization-less prefix was removed.
void take_project_and_repo(std::string_view url, const std::vector<std::string> &segs,
                           std::size_t first, AzdoRepo &repo) {
  const auto n = segs.size() - first;
  if (n == 3 && iequals(segs[first + 1], "_git")) {
    repo.project = segs[first];
    repo.repository = strip_git_suffix(segs[first + 2]);
  } else if (n == 2 && iequals(segs[first], "_git")) {
    repo.repository = strip_git_suffix(segs[first + 1]);
    repo.project = repo.repository;
  } else {
    fail(url, "the path is not <project>/_git/<repository>");
  }
}

std::string last_path_segment(std::string_view api_url) {
  const auto scheme_end = api_url.find("://");
  const auto path_start =
      api_url.find('/', scheme_end == std::string_view::npos ? 0 : scheme_end + 3);
  if (path_start == std::string_view::npos) {
    return {};
  }
  const auto segs = split_path(api_url.substr(path_start));
  return segs.empty() ? std::string() : segs.back();
}

} // namespace

std::string encode_path_segment(std::string_view segment) {
  static constexpr std::array<char, 16> k_hex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                 '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
  std::string out;
  out.reserve(segment.size());
  for (const char ch : segment) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(k_hex[c >> 4U]);
      out.push_back(k_hex[c & 0x0FU]);
    }
  }
  return out;
}

std::string decode_percent(std::string_view text) {
  const auto hex_value = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

AzdoRepo parse_azdo_remote(std::string_view url, std::optional<std::string> api_url) {
  const RemoteParts parts = split_remote(url);
  const auto &segs = parts.segments;
  AzdoRepo repo;
  bool cloud = true;
  if (is_ssh_host(parts.host)) {
    if (segs.size() != 4 || !iequals(segs[0], "v3")) {
      fail(url, "an SSH remote must be v3/<organization>/<project>/<repository>");
    }
    repo.organization = segs[1];
    repo.project = segs[2];
    repo.repository = strip_git_suffix(segs[3]);
  } else if (parts.host == "dev.azure.com") {
    if (segs.empty()) {
      fail(url, "the path has no organization");
    }
    repo.organization = segs[0];
    take_project_and_repo(url, segs, 1, repo);
  } else if (ends_with(parts.host, ".visualstudio.com")) {
    repo.organization = parts.host.substr(0, parts.host.find('.'));
    const std::size_t first =
        (!segs.empty() && iequals(segs[0], "DefaultCollection") && segs.size() >= 3) ? 1 : 0;
    take_project_and_repo(url, segs, first, repo);
  } else {
    cloud = false;
    std::size_t git_index = segs.size();
    for (std::size_t i = 0; i < segs.size(); ++i) {
      if (iequals(segs[i], "_git")) {
        git_index = i;
      }
    }
    if (git_index == segs.size() || git_index + 2 != segs.size()) {
      fail(url, "the path has no /_git/<repository>");
    }
    // [collection..., project, _git, repo]; [collection, _git, repo] names a project like its repo.
    if (git_index == 0) {
      fail(url, "the path has no collection or project before /_git/");
    }
    const std::size_t collection_end = git_index >= 2 ? git_index - 1 : 1;
    repo.project = git_index >= 2 ? segs[git_index - 1] : segs[git_index + 1];
    repo.repository = strip_git_suffix(segs[git_index + 1]);
    repo.organization = segs[collection_end - 1];
    std::string base = (parts.scheme == "http" ? "http://" : "https://") + parts.host;
    if (!parts.port.empty() && parts.scheme != "ssh") {
      base += ":" + parts.port;
    }
    for (std::size_t i = 0; i < collection_end; ++i) {
      base += "/" + encode_path_segment(segs[i]);
    }
    repo.api_base = base;
  }
  if (repo.organization.empty() || repo.project.empty() || repo.repository.empty()) {
    fail(url, "the organization, project or repository name is empty");
  }
  if (cloud) {
    repo.api_base = "https://dev.azure.com/" + encode_path_segment(repo.organization);
  }
  if (api_url && !api_url->empty()) {
    std::string base = *api_url;
    while (!base.empty() && base.back() == '/') {
      base.pop_back();
    }
    const auto lower = util::to_lower(base);
    if (lower.rfind("http://", 0) != 0 && lower.rfind("https://", 0) != 0) {
      throw ProviderError("--api-url must start with http:// or https://: '" +
                          util::redact_url(base) + "'");
    }
    if (!iequals(last_path_segment(base), repo.organization)) {
      base += "/" + encode_path_segment(repo.organization);
    }
    repo.api_base = base;
  }
  return repo;
}

bool is_azdo_remote(std::string_view url) {
  try {
    const RemoteParts parts = split_remote(url);
    if (parts.host == "dev.azure.com" || is_ssh_host(parts.host) ||
        ends_with(parts.host, ".visualstudio.com")) {
      return true;
    }
    const auto &segs = parts.segments;
    return segs.size() >= 3 && iequals(segs[segs.size() - 2], "_git");
  } catch (const Error &) {
    return false;
  }
}

std::string azdo_repository_api_url(const AzdoRepo &repo) {
  return repo.api_base + "/" + encode_path_segment(repo.project) + "/_apis/git/repositories/" +
         encode_path_segment(repo.repository);
}

std::string azdo_push_url(const AzdoRepo &repo) {
  return repo.api_base + "/" + encode_path_segment(repo.project) + "/_git/" +
         encode_path_segment(repo.repository);
}

} // namespace gitops::providers
