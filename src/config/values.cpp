// Stand-alone value rules of the config: durations, names, status-context patterns.
#include "gitops/config/config.hpp"
#include "gitops/util/strings.hpp"

#include <cstdint>

namespace gitops::config {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Unicode spaces, C1 controls and invisible format characters: they make names that look equal
// but are not, in branch lists and directory listings alike.
bool is_unsafe_code_point(long cp) {
  return (cp >= 0x80 && cp <= 0xa0) || cp == 0xad || cp == 0x1680 || cp == 0x180e ||
         (cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f) ||
         (cp >= 0x205f && cp <= 0x206f) || cp == 0x3000 || cp == 0xfeff;
}

// Glob match where '*' matches any run of characters; iterative with one backtrack point.
bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

} // namespace

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  // Large enough for any sane timeout, small enough that the arithmetic below cannot overflow.
  constexpr std::int64_t k_max_ms = std::int64_t{1000} * 60 * 60 * 24 * 366 * 10;
  bool all_digits = true;
  for (char c : text) {
    all_digits = all_digits && is_digit(c);
  }
  if (all_digits) {
    if (text.size() > 9) {
      return std::nullopt;
    }
    return std::chrono::minutes(std::stoll(std::string(text)));
  }
  std::int64_t total_ms = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t whole = 0;
    std::size_t digits = 0;
    while (i < text.size() && is_digit(text[i])) {
      if (++digits > 9) {
        return std::nullopt;
      }
      whole = whole * 10 + (text[i++] - '0');
    }
    // Up to three fraction digits: enough for `1.5h` or `0.5s`, and it keeps to milliseconds.
    std::int64_t frac_ms = 0;
    std::size_t frac_digits = 0;
    if (i < text.size() && text[i] == '.') {
      ++i;
      std::int64_t scale = 100;
      while (i < text.size() && is_digit(text[i])) {
        if (++frac_digits > 3) {
          return std::nullopt;
        }
        frac_ms += (text[i++] - '0') * scale;
        scale /= 10;
      }
      if (frac_digits == 0) {
        return std::nullopt;
      }
    }
    if (digits == 0 || i >= text.size()) {
      return std::nullopt;
    }
    std::int64_t unit_ms = 0;
    switch (text[i++]) {
    case 'h':
      unit_ms = 3'600'000;
      break;
    case 'm':
      unit_ms = 60'000;
      break;
    case 's':
      unit_ms = 1'000;
      break;
    default:
      return std::nullopt;
    }
    total_ms += whole * unit_ms + frac_ms * unit_ms / 1000;
    if (total_ms > k_max_ms) {
      return std::nullopt;
    }
  }
  if (total_ms % 1000 != 0) {
    return std::nullopt;
  }
  return std::chrono::seconds(total_ms / 1000);
}

std::optional<std::string> name_problem(std::string_view name) {
  if (name.empty()) {
    return "must not be empty";
  }
  if (name.size() > 255) {
    return "must not be longer than 255 bytes";
  }
  std::size_t pos = 0;
  while (pos < name.size()) {
    const auto c = static_cast<unsigned char>(name[pos]);
    if (c >= 0x80) {
      const auto cp = util::decode_utf8(name, pos);
      if (!cp) {
        return "is not valid UTF-8";
      }
      if (is_unsafe_code_point(cp->value)) {
        return "must not contain Unicode spaces, control or invisible characters";
      }
      pos += cp->length;
      continue;
    }
    ++pos;
    if (c < 0x20 || c == 0x7f) {
      return "must not contain control characters";
    }
    switch (c) {
    case ' ':
      return "must not contain whitespace";
    case '/':
      return "must not contain '/'";
    case '\\':
      return "must not contain '\\'";
    case '~':
    case '^':
    case ':':
    case '?':
    case '*':
    case '[':
    case '"':
    case '<':
    case '>':
    case '|':
      return std::string("must not contain '") + static_cast<char>(c) + "'";
    default:
      break;
    }
  }
  if (name == "." || name == "..") {
    return "must not be \".\" or \"..\"";
  }
  if (name == "@") {
    return "must not be \"@\"";
  }
  if (name.front() == '-') {
    return "must not start with '-'";
  }
  if (name.front() == '.') {
    return "must not start with '.'";
  }
  if (name.back() == '.') {
    return "must not end with '.'";
  }
  if (name.ends_with(".lock")) {
    return "must not end with \".lock\"";
  }
  if (name.find("..") != std::string_view::npos) {
    return "must not contain \"..\"";
  }
  if (name.find("@{") != std::string_view::npos) {
    return "must not contain \"@{\"";
  }
  return std::nullopt;
}

bool status_context_matches(const std::vector<std::string> &patterns, std::string_view group,
                            std::string_view env, std::string_view context) {
  if (patterns.empty()) {
    const auto first = context.find('/');
    if (first == std::string_view::npos) {
      return false;
    }
    auto segment = context.substr(first + 1);
    segment = segment.substr(0, segment.find('/'));
    return segment.size() == group.size() + 1 + env.size() && segment.starts_with(group) &&
           segment[group.size()] == '-' && segment.ends_with(env);
  }
  for (const auto &pattern : patterns) {
    const auto expanded =
        util::replace_all(util::replace_all(pattern, "{group}", group), "{env}", env);
    if (glob_match(expanded, context)) {
      return true;
    }
  }
  return false;
}

std::string_view to_string(PrFlow flow) {
  return flow == PrFlow::per_env ? "per-env" : "per-app";
}

std::string_view to_string(MergeMethod method) {
  switch (method) {
  case MergeMethod::squash:
    return "squash";
  case MergeMethod::rebase:
    return "rebase";
  case MergeMethod::merge:
    break;
  }
  return "merge";
}

std::string to_string(const Diagnostic &diagnostic) {
  std::string out = diagnostic.file;
  if (diagnostic.line > 0) {
    out += ':' + std::to_string(diagnostic.line);
  }
  return out + ": " + diagnostic.message;
}

} // namespace gitops::config
