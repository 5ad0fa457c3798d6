#include "gitops/providers/remote_url.hpp"

#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"
#include "gitops/util/url.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace gitops::providers {

namespace {

[[noreturn]] void fail(std::string_view url, const std::string &why) {
  throw ProviderError("remote URL \"" + util::redact_url(url) + "\": " + why);
}

std::string clean_path(std::string_view path) {
  const auto cut = path.find_first_of("?#");
  if (cut != std::string_view::npos) {
    path = path.substr(0, cut);
  }
  while (!path.empty() && path.front() == '/') {
    path.remove_prefix(1);
  }
  while (!path.empty() && path.back() == '/') {
    path.remove_suffix(1);
  }
  if (path.size() > 4 && path.substr(path.size() - 4) == ".git") {
    path.remove_suffix(4);
  }
  return std::string(path);
}

std::vector<std::string> split(const std::string &text, char separator) {
  std::vector<std::string> parts;
  std::string::size_type start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) {
      return parts;
    }
    start = end + 1;
  }
}

} // namespace

// '_' is not valid in DNS host names but some internal names carry it. Anything else would make the
// API and push URLs built from the host point somewhere the user did not name.
bool is_valid_host(std::string_view host) {
  const auto name_char = [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_';
  };
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    const auto inner = host.substr(1, host.size() - 2);
    return std::all_of(inner.begin(), inner.end(), [](unsigned char c) {
      return std::isxdigit(c) != 0 || c == ':' || c == '.';
    });
  }
  return !host.empty() && std::all_of(host.begin(), host.end(), name_char);
}

UrlParts split_remote_url(std::string_view raw) {
  const auto url = util::trim(raw);
  if (url.empty()) {
    throw ProviderError("remote URL is empty (is the git remote configured?)");
  }
  UrlParts parts;
  std::string_view authority;
  std::string_view path;
  const auto scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    parts.scheme = util::to_lower(url.substr(0, scheme_end));
    if (parts.scheme != "https" && parts.scheme != "http" && parts.scheme != "ssh") {
      fail(url, "unsupported scheme \"" + parts.scheme + "\" (expected https, http or ssh)");
    }
    const auto rest = url.substr(scheme_end + 3);
    const auto slash = rest.find('/');
    authority = rest.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  } else {
    // scp-like syntax: [user@]host:path, where the host part holds no '/'.
    const auto colon = url.find(':');
    const auto slash = url.find('/');
    if (colon == std::string_view::npos || (slash != std::string_view::npos && slash < colon) ||
        colon == 0) {
      fail(url, "not a remote URL (expected https://HOST/OWNER/REPO or git@HOST:OWNER/REPO)");
    }
    parts.scheme = "ssh";
    authority = url.substr(0, colon);
    path = url.substr(colon + 1);
    if (authority.find(':') != std::string_view::npos) {
      fail(url, "not a remote URL");
    }
  }
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  const auto port_colon = authority.rfind(':');
  // The colons inside a bracketed IPv6 literal are not a port separator.
  if (port_colon != std::string_view::npos &&
      authority.find(']', port_colon) == std::string_view::npos) {
    parts.port = std::string(authority.substr(port_colon + 1));
    authority = authority.substr(0, port_colon);
    if (parts.port.empty() || !std::all_of(parts.port.begin(), parts.port.end(),
                                           [](unsigned char c) { return std::isdigit(c) != 0; })) {
      fail(url, "invalid port \"" + parts.port + "\"");
    }
  }
  parts.host = util::to_lower(authority);
  if (parts.host.empty()) {
    fail(url, "no host");
  }
  if (!is_valid_host(parts.host)) {
    fail(url, "invalid host \"" + parts.host + "\" (expected a DNS name or an IP address)");
  }
  parts.path = clean_path(path);
  if (parts.path.empty()) {
    fail(url, "no repository path");
  }
  return parts;
}

std::string web_origin(const UrlParts &parts) {
  const bool web = parts.scheme == "https" || parts.scheme == "http";
  return (parts.scheme == "http" ? "http://" : "https://") + parts.host +
         (web && !parts.port.empty() ? ":" + parts.port : "");
}

GitHubRemote parse_github_remote(std::string_view url) {
  const UrlParts parts = split_remote_url(url);
  if (parts.host == "www.github.com") {
    fail(url, "use github.com, not www.github.com");
  }
  const auto segments = split(parts.path, '/');
  if (segments.size() != 2 || segments[0].empty() || segments[1].empty()) {
    fail(url, "a GitHub repository path must be OWNER/REPO, got \"" + parts.path + "\"");
  }
  GitHubRemote remote;
  remote.host = parts.host;
  // An ssh port belongs to the ssh daemon, not to the API server.
  if (!parts.port.empty() && parts.scheme != "ssh") {
    remote.host += ":" + parts.port;
  }
  remote.owner = segments[0];
  remote.repo = segments[1];
  remote.secure = parts.scheme != "http";
  return remote;
}

} // namespace gitops::providers
