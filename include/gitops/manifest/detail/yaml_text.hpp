#pragma once

// Internal helpers of the manifest area, exposed for its unit tests: YAML scalar resolution and
// quoting, and the strict reading of `$imagepolicy` marker comments.

#include <optional>
#include <string>
#include <string_view>

namespace gitops::manifest::detail {

// True when a plain (unquoted) scalar with this text would be read as something other than a string
// by a YAML 1.1 or 1.2 resolver (null, bool, int, float, sexagesimal, timestamp, `=`, `<<`), or by
// Go's lenient number parsing (hex floats, `+inf`).
[[nodiscard]] bool is_non_string_plain(std::string_view text);

// True when `text` can be written as a plain scalar in block context and reads back as that string.
[[nodiscard]] bool is_safe_plain(std::string_view text);

// `text` as a YAML double-quoted scalar (with the quotes), escaping `\`, `"` and control
// characters.
[[nodiscard]] std::string double_quoted(std::string_view text);

// `text` as a YAML single-quoted scalar (with the quotes), or nullopt when it contains characters a
// single-quoted scalar cannot hold on one line (control characters).
[[nodiscard]] std::optional<std::string> single_quoted(std::string_view text);

// The value of a one-line double-quoted scalar token (with its quotes), or nullopt when an escape
// is invalid.
[[nodiscard]] std::optional<std::string> decode_double_quoted(std::string_view token);

// The value of a one-line single-quoted scalar token (with its quotes).
[[nodiscard]] std::string decode_single_quoted(std::string_view token);

// How a comment reads as a marker.
enum class CommentKind {
  not_marker, // prose or unrelated (may mention "$imagepolicy" in passing)
  malformed,  // meant as a marker but Flux would ignore it; `problem` says why
  marker,     // a JSON object of strings with "$imagepolicy" (or the `$ref` longhand)
};

// The reading of one comment.
struct MarkerComment {
  CommentKind kind = CommentKind::not_marker;
  std::string setter; // the "$imagepolicy" value (or the longhand's setter name)
  bool longhand = false;
  bool both_forms = false; // both "$imagepolicy" and "$ref" were given
  std::string problem;     // for malformed
};

// Reads a comment (the text from its first '#', inclusive) the way kyaml does: every leading '#' is
// trimmed and the rest must be exactly one JSON object whose values are all strings.
[[nodiscard]] MarkerComment read_marker_comment(std::string_view comment);

// True when the bytes contain "imagepolicy" in any letter case (scan's cheap pre-filter, wider than
// Flux's so that misspelt markers are reported).
[[nodiscard]] bool mentions_imagepolicy(std::string_view text);

} // namespace gitops::manifest::detail
