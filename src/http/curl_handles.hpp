#pragma once

// Private to src/http: owning handles for libcurl objects. Nothing outside http/ sees
// <curl/curl.h>.

#include <curl/curl.h>

#include <memory>

namespace gitops::http::detail {

// Calls FreeFn on the pointer a unique_ptr owns.
template <auto FreeFn> struct Deleter {
  template <class T> void operator()(T *pointer) const noexcept { FreeFn(pointer); }
};

// An easy handle, cleaned up with curl_easy_cleanup.
using EasyPtr = std::unique_ptr<CURL, Deleter<curl_easy_cleanup>>;
// A header list, freed with curl_slist_free_all.
using SlistPtr = std::unique_ptr<curl_slist, Deleter<curl_slist_free_all>>;

} // namespace gitops::http::detail
