#include "gitops/util/env.hpp"

#include <cstdlib>
#include <utility>

namespace gitops::util {

EnvLookup system_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const std::string key(name);
    const char *value = std::getenv(key.c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

EnvLookup fixed_env(std::map<std::string, std::string> variables) {
  return [vars = std::move(variables)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

} // namespace gitops::util
