#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gitops::util {

// `text` split at every `separator`; empty pieces are kept ("a//b" → {"a", "", "b"}).
[[nodiscard]] std::vector<std::string> split(std::string_view text, char separator);

// `parts` joined with `separator` between them.
[[nodiscard]] std::string join(const std::vector<std::string> &parts, std::string_view separator);

// `text` lowercased (ASCII only).
[[nodiscard]] std::string to_lower(std::string_view text);

// Whether `needle` occurs in `haystack` (std::string_view::contains is C++23).
[[nodiscard]] inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// `text` without leading and trailing ASCII whitespace.
[[nodiscard]] std::string_view trim(std::string_view text);

// "1 error" / "2 errors": `count` followed by `noun`, with an "s" unless count is 1.
[[nodiscard]] std::string plural(std::size_t count, std::string_view noun);

// Standard base64 (RFC 4648 §4, with padding) of `data`.
[[nodiscard]] std::string base64_encode(std::string_view data);

// One decoded UTF-8 sequence: its code point and how many bytes it took.
struct CodePoint {
  long value = 0;
  std::size_t length = 0;
};

// Decodes the UTF-8 sequence at `pos` with Go's rules (no overlong forms, no surrogates, nothing
// above U+10FFFF); std::nullopt when the bytes there are not valid UTF-8 (including ASCII-free
// truncation).
[[nodiscard]] std::optional<CodePoint> decode_utf8(std::string_view text, std::size_t pos);

// Whether all of `text` is valid UTF-8 by decode_utf8's rules (what JSON strings must be;
// nlohmann's dump() refuses anything else).
[[nodiscard]] bool is_valid_utf8(std::string_view text);

// `value` as messages show it: double-quoted, `"` and `\` escaped, newline/tab/CR as \n \t \r,
// other control bytes as \xNN, cut after 100 bytes with "...".
[[nodiscard]] std::string quote_for_message(std::string_view value);

// `text` with every occurrence of `from` replaced by `to`, left to right without rescanning what
// was put in; an empty `from` changes nothing.
[[nodiscard]] std::string replace_all(std::string text, std::string_view from, std::string_view to);

// The word of `known` that `word` was probably meant to be (a mistyped config key, flag or
// command): the closest within a few edits (ignoring case; a swapped pair counts as one), else
// one that starts with `word` or `word` with it, both at least four characters long; nullopt
// when none is close.
[[nodiscard]] std::optional<std::string> suggest(std::string_view word,
                                                 std::span<const std::string_view> known);

} // namespace gitops::util
