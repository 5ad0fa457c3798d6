#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gitops::util {

// Parses a Go duration (time.ParseDuration): an optional sign, then one or more decimal numbers
// (fractions allowed) each followed by a unit ns, us, µs, ms, s, m or h — "168h", "1h30m", "1.5s",
// "300ms". "0" alone is zero. std::nullopt when invalid (e.g. "7d", "10", "", "h", overflow).
[[nodiscard]] std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

// Go's Duration.String() for whole-second durations and above: "168h0m0s", "1h30m0s", "45s", "0s";
// shorter durations are shown in ms/us/ns ("300ms").
[[nodiscard]] std::string format_go_duration(std::chrono::nanoseconds duration);

} // namespace gitops::util
