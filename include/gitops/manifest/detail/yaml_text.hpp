#pragma once

// Internal helpers of the manifest area, exposed for its unit tests: YAML scalar resolution and
// quoting (the strict reading of `$imagepolicy` marker comments is in marker_comment.hpp).

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

} // namespace gitops::manifest::detail
