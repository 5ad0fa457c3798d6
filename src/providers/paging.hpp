#pragma once
// Following a REST list's `Link: <…>; rel="next"` pages, shared by the providers (a private header
// of providers/).

#include "gitops/http/http_client.hpp"
#include "gitops/util/url.hpp"

#include <string>
#include <string_view>

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

} // namespace gitops::providers::detail
