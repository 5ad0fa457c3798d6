#pragma once

// Private to src/http: owning handles for libcurl objects. Nothing outside http/ sees
// <curl/curl.h>.

#include "curl_library.hpp"

#include <memory>

namespace gitops::http::detail {

// Cleans up an easy handle with curl_easy_cleanup (a handle exists only once libcurl is loaded).
struct EasyDeleter {
  void operator()(CURL *handle) const noexcept { curl().easy_cleanup(handle); }
};
// Frees a header list with curl_slist_free_all.
struct SlistDeleter {
  void operator()(curl_slist *list) const noexcept { curl().slist_free_all(list); }
};

// An easy handle.
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
// A header list.
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

} // namespace gitops::http::detail
