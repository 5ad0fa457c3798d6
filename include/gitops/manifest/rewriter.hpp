#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gitops::manifest {

// Which Flux setter a marker names: `G:A` (whole ref), `G:A:tag`, `G:A:name`, `G:A:digest`.
enum class Setter { image, tag, name, digest };

// The setter's suffix as written in a marker ("tag", "name", "digest"), or "image" for the bare
// `G:A` form.
[[nodiscard]] std::string_view to_string(Setter setter);

// What to write for one group/app. `name` and `digest` are set only when the user gave a full
// image.
struct ImageUpdate {
  std::string group;
  std::string app;
  std::string tag;
  std::optional<std::string> name;
  std::optional<std::string> digest;
};

// One marked scalar for the group/app that was (or would be) changed.
struct Change {
  int line = 0; // 1-based line of the scalar
  std::string old_value;
  std::string new_value;
  Setter setter = Setter::tag;
};

// A problem with a marker, for `lint` (warnings also from rewrite()).
struct MarkerFinding {
  int line = 0;
  std::string message;
  bool error = true; // false = warning
};

// Result of rewriting one file's bytes.
struct RewriteResult {
  std::string content;         // the new bytes (identical to the input when nothing changed)
  std::vector<Change> changes; // scalars whose value changed
  int matched = 0;             // markers for this group/app that apply, changed or already right
  std::vector<MarkerFinding> warnings; // e.g. a `:tag` marker on a whole image reference
};

// Rewrites the values of applicable markers for `update.group`/`update.app` in one file's bytes,
// preserving every other byte: only the marked scalar changes, in its old quoting style (a plain
// value that would not read back as a string is double-quoted; a non-string tag such as `!!int` is
// dropped). A marker applies where Flux applies it (see flux-marker-grammar.md), except in flow
// context, and only where yaml-cpp reads the same scalar. Files without the literal token
// "$imagepolicy" are returned unchanged. `:name` and `:digest` markers are left alone (but counted
// in `matched`) when the update has no name or digest; a bare marker with only a tag keeps the
// value's registry/repository, and so does a `:tag` marker whose value is a whole image reference
// (whole_reference_in_tag_value; its old digest is replaced by the update's, or dropped, and a
// warning is added). `file` is only used in messages. Throws ManifestError (naming the
// file and line) when the file has a marker for this app but cannot be parsed, when a new value is
// not valid OCI syntax or cannot be written, or when the result would no longer parse as YAML.
[[nodiscard]] RewriteResult rewrite(std::string_view content, const ImageUpdate &update,
                                    std::string_view file);

// A marker that applies (for lint's "app has no marker in env" check).
struct Marker {
  int line = 0;
  std::string group;
  std::string app;
  Setter setter = Setter::tag;
  std::string key; // the mapping key of the marked value, or "" for a sequence item
  std::string value;
};

// Everything `lint` needs from one file: applicable markers and problems with the others.
struct ScanResult {
  std::vector<Marker> markers;
  std::vector<MarkerFinding> findings;
};

// Scans one file's bytes for `$imagepolicy` markers without changing anything: `markers` are
// exactly those `rewrite` would apply (for any group/app); `findings` explain every marker-like
// comment that is malformed, misplaced or suspicious (sorted by line, the marker text quoted), and
// a file that cannot be parsed. Never throws on malformed input.
[[nodiscard]] ScanResult scan(std::string_view content);

// True for names the scanner reads: *.yaml, *.yml and files named exactly `Kustomization`.
[[nodiscard]] bool is_manifest_file_name(std::string_view file_name);

// True when the bytes contain the literal token "$imagepolicy" (with the double quotes), Flux's
// cheap pre-filter.
[[nodiscard]] bool may_contain_marker(std::string_view content);

} // namespace gitops::manifest
