#pragma once

// Internal to the manifest area (exposed for its unit tests): a single-pass, line-oriented reader
// of YAML structure that finds every comment that may be an `$imagepolicy` marker and says where it
// sits. It tracks just enough of YAML (block scalars, multi-line quoted and plain scalars, flow
// collections, documents, the mapping keys above a line) to place a comment; the YAML parser then
// confirms every applicable site before anything is written.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gitops::manifest::detail {

// How the marked scalar is written.
enum class ScalarStyle { plain, single_quoted, double_quoted };

// Where a marker-like comment sits; only the first three are applied.
enum class Place {
  mapping_value,        // `key: value # marker`
  sequence_item,        // `- value # marker`
  head_sequence_item,   // the marker alone on the line directly above `- value`
  key_only,             // `key: # marker` with the value on later lines
  empty_item,           // `- # marker`
  head_mapping_value,   // alone above `key: value`
  head_collection_item, // alone above `- key: value`, `- - x`, `- [x]`
  head_not_single,      // part of a comment block of several lines
  head_misaligned,      // alone above `- value` but at another column than the '-'
  head_detached,        // alone, not directly above a sequence item
  block_scalar_header,  // `key: | # marker`
  block_scalar_text,    // text inside a block scalar
  flow,                 // after a one-line flow collection `[a, b] # marker`
  flow_multi_line,      // inside (or right after) a flow collection spanning several lines
  alias,                // `key: *anchor # marker`
  bare_scalar,          // a scalar alone on its line (not after `key:` or `-`), or a root scalar
  multi_line_scalar,    // the last line of a multi-line plain or quoted scalar
  complex_key,          // `? key` or `: value` lines
  unreadable,           // tabs as indentation, or text the scanner cannot read
};

// The bytes of one scalar node, as absolute offsets into the file's content.
struct ScalarToken {
  std::size_t node_begin = 0;  // start of the node: its first property (tag/anchor) or the scalar
  std::size_t value_begin = 0; // start of the scalar text, opening quote included
  std::size_t value_end = 0;   // one past the scalar text, closing quote included
  std::optional<std::pair<std::size_t, std::size_t>> tag; // [begin, end) of a tag property
  std::string tag_text;                                   // e.g. "!!int"
  ScalarStyle style = ScalarStyle::plain;
  std::optional<std::string> value; // the decoded value; nullopt when an escape is invalid
};

// One comment that mentions "imagepolicy" (or the `$ref` longhand), with its position.
struct MarkerSite {
  int line = 0;                      // 1-based line of the comment
  int value_line = 0;                // 1-based line of the marked value (differs for head comments)
  int column = 0;                    // 0-based column of the comment's '#'
  std::string comment;               // the comment, from its first '#'
  Place place = Place::unreadable;   // where it sits
  std::optional<ScalarToken> scalar; // for the three applicable places
  std::string key;                   // the mapping key of the value; "" for sequence items
  std::string parent_key;            // the nearest mapping key enclosing the value
  std::string item_comment;          // head_sequence_item: the item line's own comment, if any
  int document = 0;                  // 0-based index of the YAML document
};

// Finds every marker-like comment of `content` in one pass. Never throws on malformed input.
[[nodiscard]] std::vector<MarkerSite> find_marker_sites(std::string_view content);

// Length of a UTF-8 byte order mark at the start of `content` (0 or 3).
[[nodiscard]] std::size_t bom_length(std::string_view content);

} // namespace gitops::manifest::detail
