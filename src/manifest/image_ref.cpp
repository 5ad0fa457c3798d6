#include "gitops/manifest/image_ref.hpp"

#include "gitops/util/error.hpp"

#include <cstddef>

namespace gitops::manifest {

namespace {

constexpr std::size_t k_max_name_length = 255;
constexpr std::size_t k_max_tag_length = 128;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_lower_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f');
}

// path-component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
bool is_path_component(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) {
    return false;
  }
  for (std::size_t i = 0; i < s.size();) {
    if (is_lower_alnum(s[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && !is_lower_alnum(s[j])) {
      ++j;
    }
    const std::string_view sep = s.substr(i, j - i);
    const bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) {
      return false;
    }
    i = j;
  }
  return true;
}

// domain-component: [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_domain_component(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) {
    return false;
  }
  for (char c : s) {
    if (!is_alnum(c) && c != '-') {
      return false;
    }
  }
  return true;
}

bool is_host_port(std::string_view s) {
  std::string_view host = s;
  if (const auto colon = s.rfind(':');
      colon != std::string_view::npos && s.find(']', colon) == std::string_view::npos) {
    const std::string_view port = s.substr(colon + 1);
    if (port.empty() || port.size() > 5) {
      return false;
    }
    for (char c : port) {
      if (!is_digit(c)) {
        return false;
      }
    }
    host = s.substr(0, colon);
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    // IPv6 literal: hex digits and colons only.
    for (char c : host.substr(1, host.size() - 2)) {
      if (!is_alnum(c) && c != ':') {
        return false;
      }
    }
    return true;
  }
  if (host.empty()) {
    return false;
  }
  std::size_t start = 0;
  while (true) {
    const auto dot = host.find('.', start);
    if (!is_domain_component(
            host.substr(start, dot == std::string_view::npos ? host.npos : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

// algorithm-component: [a-z0-9]+, separators [+._-].
bool is_digest_algorithm(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (is_lower_alnum(c)) {
      continue;
    }
    if ((c == '+' || c == '.' || c == '_' || c == '-') && is_lower_alnum(s[i + 1])) {
      continue;
    }
    return false;
  }
  return true;
}

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

} // namespace

std::string ImageRef::str() const {
  std::string out = name.empty() ? tag : name + ":" + tag;
  if (digest) {
    out += "@" + *digest;
  }
  return out;
}

bool is_valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > k_max_tag_length) {
    return false;
  }
  if (!is_alnum(tag.front()) && tag.front() != '_') {
    return false;
  }
  for (char c : tag) {
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

std::optional<std::string> name_problem(std::string_view name) {
  if (name.empty()) {
    return "the image name is empty";
  }
  if (name.size() > k_max_name_length) {
    return "the image name is longer than 255 characters";
  }
  std::string_view rest = name;
  if (const auto slash = name.find('/'); slash != std::string_view::npos) {
    const std::string_view first = name.substr(0, slash);
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost") {
      if (!is_host_port(first)) {
        return "\"" + std::string(first) + "\" is not a valid registry host[:port]";
      }
      rest = name.substr(slash + 1);
    }
  }
  std::size_t start = 0;
  while (true) {
    const auto slash = rest.find('/', start);
    const std::string_view component =
        rest.substr(start, slash == std::string_view::npos ? rest.npos : slash - start);
    if (!is_path_component(component)) {
      if (component.empty()) {
        return std::string("the image name has an empty path component");
      }
      return "path component \"" + std::string(component) +
             "\" must be lowercase letters and digits separated by '.', '_', '__' or '-'";
    }
    if (slash == std::string_view::npos) {
      return std::nullopt;
    }
    start = slash + 1;
  }
}

bool is_valid_name(std::string_view name) {
  return !name_problem(name).has_value();
}

bool is_valid_digest(std::string_view digest) {
  const auto colon = digest.find(':');
  if (colon == std::string_view::npos) {
    return false;
  }
  const std::string_view algorithm = digest.substr(0, colon);
  const std::string_view encoded = digest.substr(colon + 1);
  if (!is_digest_algorithm(algorithm) || encoded.empty()) {
    return false;
  }
  if (algorithm == "sha256" || algorithm == "sha512") {
    const std::size_t want = algorithm == "sha256" ? 64 : 128;
    if (encoded.size() != want) {
      return false;
    }
    for (char c : encoded) {
      if (!is_lower_hex(c)) {
        return false;
      }
    }
    return true;
  }
  for (char c : encoded) {
    if (!is_alnum(c) && c != '=' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

ImageRef parse_image_ref(std::string_view text) {
  const auto fail = [&](const std::string &why) -> ManifestError {
    return ManifestError("invalid image reference " + quoted(text) + ": " + why);
  };
  ImageRef ref;
  std::string_view rest = text;
  if (const auto at = text.find('@'); at != std::string_view::npos) {
    const std::string_view digest = text.substr(at + 1);
    if (!is_valid_digest(digest)) {
      throw fail("digest " + quoted(digest) +
                 " is not algorithm:hex (sha256 needs 64 lowercase hex digits)");
    }
    ref.digest = std::string(digest);
    rest = text.substr(0, at);
  }
  const auto slash = rest.rfind('/');
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash)) {
    throw fail("the tag is missing (expected NAME:TAG)");
  }
  const std::string_view name = rest.substr(0, colon);
  const std::string_view tag = rest.substr(colon + 1);
  if (!is_valid_tag(tag)) {
    throw fail("tag " + quoted(tag) + " does not match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
  }
  if (const auto problem = name_problem(name)) {
    throw fail(*problem);
  }
  ref.name = std::string(name);
  ref.tag = std::string(tag);
  return ref;
}

std::optional<ImageRef> whole_reference_in_tag_value(std::string_view value) {
  const auto at = value.find('@');
  const std::string_view before_digest = value.substr(0, at);
  if (before_digest.find_first_of("/:") == std::string_view::npos) {
    return std::nullopt; // a tag, or tag@digest
  }
  ImageRef ref;
  if (at != std::string_view::npos) {
    const std::string_view digest = value.substr(at + 1);
    if (!is_valid_digest(digest)) {
      return std::nullopt;
    }
    ref.digest = std::string(digest);
  }
  std::string_view name = before_digest;
  const auto slash = before_digest.rfind('/');
  const auto colon = before_digest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    const std::string_view tag = before_digest.substr(colon + 1);
    name = before_digest.substr(0, colon);
    if (!is_valid_tag(tag)) {
      return std::nullopt;
    }
    ref.tag = std::string(tag);
  } else if (!ref.digest) {
    return std::nullopt; // `registry/repo` alone names no image version
  }
  if (name_problem(name)) {
    return std::nullopt;
  }
  ref.name = std::string(name);
  return ref;
}

} // namespace gitops::manifest
