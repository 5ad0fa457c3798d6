// Free functions of the git layer that work on text: branch names, diffs, URLs.
#include "libgit2.hpp"

#include "gitops/git/repository.hpp"
#include "gitops/util/error.hpp"

#include <git2.h>

#include <algorithm>

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
  check(libgit2().git_reference_name_is_valid(&valid, ("refs/heads/" + name).c_str()),
        "check branch name '" + name + "'");
  if (valid == 0) {
    fail("not a valid git ref name (see git check-ref-format)");
  }
}

namespace {

constexpr std::size_t k_context_lines = 3;

// The line a diff shows after `@@` as the hunk's "function" (git's and libgit2's default rule).
bool is_function_line(std::string_view text, std::size_t line_begin) {
  if (line_begin >= text.size()) {
    return false;
  }
  const char c = text[line_begin];
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}

// Start of the line before the one starting at `line_begin` (which must be > 0).
std::size_t previous_line(std::string_view text, std::size_t line_begin) {
  const std::size_t nl =
      line_begin >= 2 ? text.rfind('\n', line_begin - 2) : std::string_view::npos;
  return nl == std::string_view::npos ? 0 : nl + 1;
}

// The parts of two texts a diff needs: the common leading and trailing lines are cut, except the
// context lines around the first and last difference and, above, the nearest function line, so
// the hunks and their headers come out as for the whole texts. A one-value edit of a 50 MB file
// then diffs a few lines instead of indexing two million.
struct Trimmed {
  std::string_view old_text;
  std::string_view new_text;
  std::size_t lines_cut = 0; // lines cut from the start of both
};

Trimmed trim_common_lines(std::string_view a, std::string_view b) {
  std::size_t prefix = 0;
  const std::size_t shorter = std::min(a.size(), b.size());
  while (prefix < shorter && a[prefix] == b[prefix]) {
    ++prefix;
  }
  // Back to the start of the line before the one holding the first difference (an insertion at a
  // line start may be shown against either), then the context lines above. Keeping more equal
  // lines than needed never changes the hunks; keeping fewer would.
  std::size_t begin = prefix == 0 ? 0 : a.rfind('\n', prefix - 1);
  begin = begin == std::string_view::npos || prefix == 0 ? 0 : begin + 1;
  if (begin > 0) {
    begin = previous_line(a, begin);
  }
  for (std::size_t i = 0; i < k_context_lines && begin > 0; ++i) {
    begin = previous_line(a, begin);
  }
  // The hunk header names the nearest function line above the context; keep it. Without one,
  // nothing above is cut.
  while (begin > 0) {
    begin = previous_line(a, begin);
    if (is_function_line(a, begin)) {
      break;
    }
  }

  std::size_t suffix = 0;
  const std::size_t suffix_room = shorter - prefix;
  while (suffix < suffix_room && a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  // Forward to the end of the line holding the last difference, then the context lines below.
  // The cut lands after a newline inside the common suffix, so it is a line boundary in both.
  // The differing bytes of `a` may be none (an insertion at `prefix`): the line holding `prefix`
  // is then the last one touched. One more line is kept, as above.
  std::size_t end_a = std::max(a.size() - suffix, prefix + 1);
  {
    const std::size_t nl = a.find('\n', end_a - 1);
    end_a = nl == std::string_view::npos ? a.size() : nl + 1;
  }
  for (std::size_t i = 0; i < k_context_lines + 1 && end_a < a.size(); ++i) {
    const std::size_t next = a.find('\n', end_a);
    end_a = next == std::string_view::npos ? a.size() : next + 1;
  }
  const std::size_t tail = a.size() - end_a;
  Trimmed trimmed;
  trimmed.old_text = a.substr(begin, end_a - begin);
  trimmed.new_text = b.substr(begin, b.size() - tail - begin);
  trimmed.lines_cut = static_cast<std::size_t>(
      std::count(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(begin), '\n'));
  return trimmed;
}

// Adds `lines` to the old and new start of every `@@ -a,b +c,d @@` header of `text`.
std::string shift_hunks(const std::string &text, std::size_t lines) {
  if (lines == 0) {
    return text;
  }
  std::string out;
  out.reserve(text.size() + 64);
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    nl = nl == std::string::npos ? text.size() : nl + 1;
    const std::string_view line(text.data() + pos, nl - pos);
    pos = nl;
    if (!line.starts_with("@@ -")) {
      out.append(line); // hunk lines start with ' ', '+', '-' or '\\'
      continue;
    }
    std::size_t i = 0;
    for (const char sign : {'-', '+'}) {
      const std::size_t at = line.find(sign, i);
      out.append(line.substr(i, at + 1 - i));
      std::size_t end = at + 1;
      std::size_t start = 0;
      while (end < line.size() && line[end] >= '0' && line[end] <= '9') {
        start = start * 10 + static_cast<std::size_t>(line[end] - '0');
        ++end;
      }
      out += std::to_string(start + lines);
      i = end;
    }
    out.append(line.substr(i));
  }
  return out;
}

PatchPtr patch_of(const std::string &path, std::string_view a, std::string_view b) {
  git_diff_options options;
  check(libgit2().git_diff_options_init(&options, GIT_DIFF_OPTIONS_VERSION),
        "initialise diff options");
  // An empty string_view may have a null data(), which libgit2 would read as "no file".
  static constexpr char k_empty[] = "";
  git_patch *raw = nullptr;
  check(libgit2().git_patch_from_buffers(&raw, a.empty() ? k_empty : a.data(), a.size(),
                                         path.c_str(), b.empty() ? k_empty : b.data(), b.size(),
                                         path.c_str(), &options),
        "diff " + path);
  return PatchPtr{raw};
}

std::size_t count_lines(std::string_view text) {
  const auto newlines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  return newlines + (text.empty() || text.back() == '\n' ? 0 : 1);
}

// True when a hunk of `patch` reaches the first or last line of the trimmed old text while more
// lines were cut there: the diff may have slid a change across equal lines (a line repeated many
// times) further than the trimmed text allowed, so only the whole texts give the right hunks.
bool touches_a_cut(git_patch *patch, const Trimmed &trimmed, bool cut_at_end) {
  const std::size_t hunks = libgit2().git_patch_num_hunks(patch);
  const std::size_t last_line = count_lines(trimmed.old_text);
  for (std::size_t i = 0; i < hunks; ++i) {
    const git_diff_hunk *hunk = nullptr;
    check(libgit2().git_patch_get_hunk(&hunk, nullptr, patch, i), "read a hunk of the diff");
    const auto start = static_cast<std::size_t>(hunk->old_start);
    const auto lines = static_cast<std::size_t>(hunk->old_lines);
    if (trimmed.lines_cut > 0 && start <= 1) {
      return true;
    }
    if (cut_at_end && start + lines > last_line) {
      return true;
    }
  }
  return false;
}

} // namespace

std::string unified_diff(const std::string &path, std::string_view old_content,
                         std::string_view new_content) {
  if (old_content == new_content) {
    return "";
  }
  LibGit2Session session;
  Trimmed trimmed = trim_common_lines(old_content, new_content);
  PatchPtr patch = patch_of(path, trimmed.old_text, trimmed.new_text);
  const bool cut_at_end =
      trimmed.old_text.data() + trimmed.old_text.size() != old_content.data() + old_content.size();
  if ((trimmed.lines_cut > 0 || cut_at_end) && touches_a_cut(patch.get(), trimmed, cut_at_end)) {
    trimmed = Trimmed{old_content, new_content, 0};
    patch = patch_of(path, old_content, new_content);
  }
  Buf buf;
  check(libgit2().git_patch_to_buf(&buf.buf, patch.get()), "format the diff of " + path);
  std::string text(buf.view());
  // Drop the `diff --git` and `index` lines: callers print the `---`/`+++` header and the hunks.
  const size_t header = text.starts_with("--- ") ? 0 : text.find("\n--- ");
  if (header != std::string::npos && header != 0) {
    text.erase(0, header + 1);
  }
  return shift_hunks(text, trimmed.lines_cut);
}

} // namespace gitops::git
