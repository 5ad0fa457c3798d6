#pragma once
// The REST plumbing the providers share (a private header of providers/): building a JSON
// request, describing a failed answer, and following a list's `Link: <…>; rel="next"` pages.

#include "gitops/http/http_client.hpp"
#include "gitops/util/url.hpp"

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace gitops::providers::detail {

// The next page's URL from `response`'s Link header, moved onto `api_url`'s origin so the token
// only ever goes to the configured API host (a proxy in front of the API, or a hostile answer, may
// name another); "" when there is no next page.
[[nodiscard]] inline std::string next_page_on(const http::Response &response,
                                              std::string_view api_url) {
  const auto next = http::next_link(response);
  if (!next) {
    return {};
  }
  const std::string link_origin = util::url_origin(*next);
  if (link_origin.empty()) {
    return *next;
  }
  return util::url_origin(api_url) + next->substr(link_origin.size());
}

// GETs `first` with `get`, hands each answer to `on_page`, and follows `rel="next"` pages (on the
// API's own origin) until there is none, one repeats, or `max_pages` were read.
inline void follow_pages(std::string first, std::string_view api_url, std::size_t max_pages,
                         const std::function<http::Response(const std::string &)> &get,
                         const std::function<void(const http::Response &)> &on_page) {
  std::vector<std::string> seen;
  std::string path = std::move(first);
  for (std::size_t page = 0; page < max_pages && !path.empty(); ++page) {
    const http::Response response = get(path);
    on_page(response);
    std::string next = next_page_on(response, api_url);
    path.clear();
    if (!next.empty() && std::find(seen.begin(), seen.end(), next) == seen.end()) {
      seen.push_back(next);
      path = std::move(next);
    }
  }
}

// A request to `path` (relative to `api_url` unless it is an absolute URL, as a Link page is)
// accepting JSON, with `body` as JSON when not empty and `user_agent`; the caller adds its
// authorization header.
[[nodiscard]] inline http::Request json_request(const std::string &method, const std::string &path,
                                                std::string_view api_url, const std::string &body,
                                                bool idempotent, const std::string &user_agent) {
  const bool absolute = path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0;
  http::Request request;
  request.method = method;
  request.url = absolute ? path : std::string(api_url) + path;
  request.headers.emplace("Accept", "application/json");
  request.headers.emplace("User-Agent", user_agent);
  if (!body.empty()) {
    request.headers.emplace("Content-Type", "application/json");
  }
  request.body = body;
  request.idempotent = idempotent;
  return request;
}

// "WHAT: METHOD PATH answered STATUS (MESSAGE)", PATH relative to `api_url` when it is below it
// (so no credentials or hosts are repeated) and the parenthesis only with a message.
[[nodiscard]] inline std::string answered(std::string_view what, std::string_view method,
                                          std::string_view url, std::string_view api_url,
                                          long status, std::string_view message) {
  std::string_view shown = url;
  if (shown.starts_with(api_url)) {
    shown.remove_prefix(api_url.size());
  }
  std::string text = std::string(what) + ": " + std::string(method) + " " + std::string(shown) +
                     " answered " + std::to_string(status);
  if (!message.empty()) {
    text += " (" + std::string(message) + ")";
  }
  return text;
}

} // namespace gitops::providers::detail
