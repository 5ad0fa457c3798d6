#pragma once

// The shape every request to GitHub's REST API has, shared by the provider and the GitHub App
// token exchange (a private header of providers/github/).
#include "gitops/http/http_client.hpp"

#include <string>
#include <string_view>

namespace gitops::providers::detail {

// The REST API version the tool is written against.
inline constexpr std::string_view k_github_api_version = "2022-11-28";

// A request to `url` with `Authorization: Bearer <bearer>` (a token or an App's JWT), GitHub's
// JSON media type, the API version and `user_agent`, and `body` as JSON when not empty.
[[nodiscard]] inline http::Request github_request(const std::string &method, const std::string &url,
                                                  const std::string &bearer,
                                                  const std::string &user_agent,
                                                  const std::string &body, bool idempotent) {
  http::Request request;
  request.method = method;
  request.url = url;
  request.headers.emplace("Authorization", "Bearer " + bearer);
  request.headers.emplace("Accept", "application/vnd.github+json");
  request.headers.emplace("X-GitHub-Api-Version", std::string(k_github_api_version));
  request.headers.emplace("User-Agent", user_agent);
  if (!body.empty()) {
    request.headers.emplace("Content-Type", "application/json");
  }
  request.body = body;
  request.idempotent = idempotent;
  return request;
}

} // namespace gitops::providers::detail
