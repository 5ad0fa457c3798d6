// Free functions of the git layer that work on text: branch names, diffs, URLs.
#include "libgit2.hpp"

#include "gitops/git/repository.hpp"
#include "gitops/util/error.hpp"

#include <git2.h>

namespace gitops::git {

using namespace detail;

void validate_branch_name(const std::string &name) {
  LibGit2Session session;
  auto fail = [&](const std::string &why) {
    throw StateError("invalid branch name '" + name + "': " + why);
  };
  if (name.empty()) {
    fail("it is empty");
  }
  if (name == "HEAD" || name == "@") {
    fail("'" + name + "' is reserved");
  }
  if (name.front() == '-') {
    fail("it starts with '-'");
  }
  if (name.find('\0') != std::string::npos) {
    fail("it contains a NUL byte");
  }
  int valid = 0;
  check(git_reference_name_is_valid(&valid, ("refs/heads/" + name).c_str()),
        "check branch name '" + name + "'");
  if (valid == 0) {
    fail("not a valid git ref name (see git check-ref-format)");
  }
}

std::string unified_diff(const std::string &path, std::string_view old_content,
                         std::string_view new_content) {
  if (old_content == new_content) {
    return "";
  }
  LibGit2Session session;
  git_diff_options options;
  check(git_diff_options_init(&options, GIT_DIFF_OPTIONS_VERSION), "initialise diff options");
  // An empty string_view may have a null data(), which libgit2 would read as "no file".
  static constexpr char k_empty[] = "";
  const char *old_data = old_content.data() != nullptr ? old_content.data() : k_empty;
  const char *new_data = new_content.data() != nullptr ? new_content.data() : k_empty;
  git_patch *raw = nullptr;
  check(git_patch_from_buffers(&raw, old_data, old_content.size(), path.c_str(), new_data,
                               new_content.size(), path.c_str(), &options),
        "diff " + path);
  PatchPtr patch{raw};
  Buf buf;
  check(git_patch_to_buf(&buf.buf, patch.get()), "format the diff of " + path);
  std::string text(buf.view());
  // Drop the `diff --git` and `index` lines: callers print the `---`/`+++` header and the hunks.
  const size_t header = text.starts_with("--- ") ? 0 : text.find("\n--- ");
  if (header != std::string::npos && header != 0) {
    text.erase(0, header + 1);
  }
  return text;
}

std::string redact_url(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    const size_t authority = scheme + 3;
    size_t end = url.find_first_of("/?#", authority);
    if (end == std::string_view::npos) {
      end = url.size();
    }
    const size_t at = url.substr(authority, end - authority).rfind('@');
    if (at == std::string_view::npos) {
      return std::string(url);
    }
    return std::string(url.substr(0, authority)) + std::string(url.substr(authority + at + 1));
  }
  // scp-like syntax `user@host:path`: the user is everything before '@' in the part before ':'.
  const size_t colon = url.find(':');
  if (colon != std::string_view::npos) {
    const std::string_view host_part = url.substr(0, colon);
    const size_t at = host_part.rfind('@');
    if (at != std::string_view::npos && host_part.find('/') == std::string_view::npos) {
      return std::string(url.substr(at + 1));
    }
  }
  return std::string(url);
}

} // namespace gitops::git
