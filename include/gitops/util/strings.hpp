#pragma once

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

// `text` without leading and trailing ASCII whitespace.
[[nodiscard]] std::string_view trim(std::string_view text);

// "1 error" / "2 errors": `count` followed by `noun`, with an "s" unless count is 1.
[[nodiscard]] std::string plural(std::size_t count, std::string_view noun);

} // namespace gitops::util
