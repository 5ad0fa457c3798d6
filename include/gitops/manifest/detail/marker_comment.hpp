#pragma once

// Internal helper of the manifest area, exposed for its unit tests: the strict reading of
// `$imagepolicy` marker comments (Go's json.Unmarshal of one object of strings, as kyaml does).

#include <string>
#include <string_view>

namespace gitops::manifest::detail {

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
