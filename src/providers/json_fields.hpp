#pragma once
// Reading forge answers and checking the states the status gate knows, shared by the REST
// providers (a private header of providers/).

#include "gitops/http/http_client.hpp"
#include "gitops/providers/git_provider.hpp"
#include "gitops/util/error.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace gitops::providers::detail {

// `object[key]` when it is a string, else "" (absent, null, another type, or not an object).
[[nodiscard]] inline std::string string_or_empty(const nlohmann::json &object, const char *key) {
  if (!object.is_object()) {
    return {};
  }
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// `object[key]` when it is a boolean, else `fallback`.
[[nodiscard]] inline bool bool_or(const nlohmann::json &object, const char *key, bool fallback) {
  if (!object.is_object()) {
    return fallback;
  }
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

// `object[key]` when it is a JSON object, else nullptr.
[[nodiscard]] inline const nlohmann::json *object_at(const nlohmann::json &object,
                                                     const char *key) {
  if (!object.is_object()) {
    return nullptr;
  }
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? &*it : nullptr;
}

// The body of `response` as JSON; ProviderError naming `what` and `forge` when it is not JSON.
[[nodiscard]] inline nlohmann::json parse_body(const http::Response &response,
                                               const std::string &what, std::string_view forge) {
  try {
    return nlohmann::json::parse(response.body);
  } catch (const nlohmann::json::exception &) {
    throw ProviderError(what + ": " + std::string(forge) + " answered " +
                            std::to_string(response.status) + " with a body that is not JSON",
                        response.status);
  }
}

} // namespace gitops::providers::detail
