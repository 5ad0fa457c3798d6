#include "gitops/util/url.hpp"

#include "gitops/util/strings.hpp"

namespace gitops::util {

namespace {

// Where the authority of a scheme URL starts and ends (it ends at the first '/', '?' or '#').
struct Authority {
  std::size_t start = std::string_view::npos;
  std::size_t end = std::string_view::npos;
};

Authority authority_of(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) {
    return {};
  }
  Authority a;
  a.start = scheme + 3;
  a.end = url.find_first_of("/?#", a.start);
  if (a.end == std::string_view::npos) {
    a.end = url.size();
  }
  return a;
}

// The `[user@]host` part of an scp-like address, or std::nullopt when `url` is not one.
std::optional<std::string_view> scp_host_part(std::string_view url) {
  const std::size_t colon = url.find(':');
  if (colon == std::string_view::npos || url.find("://") != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view host_part = url.substr(0, colon);
  if (host_part.empty() || host_part.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  return host_part;
}

} // namespace

std::string redact_url(std::string_view url) {
  if (const Authority a = authority_of(url); a.start != std::string_view::npos) {
    const std::size_t at = url.substr(a.start, a.end - a.start).rfind('@');
    if (at == std::string_view::npos) {
      return std::string(url);
    }
    return std::string(url.substr(0, a.start)) + std::string(url.substr(a.start + at + 1));
  }
  if (const auto host_part = scp_host_part(url)) {
    if (const std::size_t at = host_part->rfind('@'); at != std::string_view::npos) {
      return std::string(url.substr(at + 1));
    }
  }
  return std::string(url);
}

std::string url_host(std::string_view url) {
  std::string_view host;
  if (const Authority a = authority_of(url); a.start != std::string_view::npos) {
    host = url.substr(a.start, a.end - a.start);
  } else if (const auto host_part = scp_host_part(url)) {
    host = *host_part;
  } else {
    return "";
  }
  if (const std::size_t at = host.rfind('@'); at != std::string_view::npos) {
    host.remove_prefix(at + 1);
  }
  if (!host.empty() && host.front() == '[') {
    return to_lower(host.substr(0, host.find(']') + 1));
  }
  return to_lower(host.substr(0, host.find(':')));
}

std::string url_host_port(std::string_view url) {
  const Authority a = authority_of(url);
  if (a.start == std::string_view::npos) {
    return std::string(url);
  }
  std::string_view authority = url.substr(a.start, a.end - a.start);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  return std::string(authority);
}

std::string url_origin(std::string_view url) {
  const Authority a = authority_of(url);
  return a.start == std::string_view::npos ? std::string() : std::string(url.substr(0, a.end));
}

std::optional<std::string> url_password(std::string_view url) {
  const Authority a = authority_of(url);
  if (a.start == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view authority = url.substr(a.start, a.end - a.start);
  const std::size_t at = authority.rfind('@');
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view userinfo = authority.substr(0, at);
  const std::size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos || colon + 1 == userinfo.size()) {
    return std::nullopt;
  }
  return std::string(userinfo.substr(colon + 1));
}

std::string percent_encode(std::string_view text, std::string_view keep) {
  static constexpr std::string_view k_hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || keep.find(ch) != std::string_view::npos) {
      out += ch;
    } else {
      out += '%';
      out += k_hex[c >> 4U];
      out += k_hex[c & 0x0FU];
    }
  }
  return out;
}

} // namespace gitops::util
