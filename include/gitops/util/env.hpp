#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace gitops::util {

// Looks up an environment variable: its value, or std::nullopt when unset. Injected so tests never
// mutate the real environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The process environment (getenv). An empty value counts as set.
[[nodiscard]] EnvLookup system_env();

// A fixed environment for tests: exactly the given variables are set.
[[nodiscard]] EnvLookup fixed_env(std::map<std::string, std::string> variables);

} // namespace gitops::util
