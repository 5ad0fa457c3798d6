#include "curl_library.hpp"

#include "gitops/util/error.hpp"
#include "gitops/util/shared_library.hpp"

#include <string>

namespace gitops::http::detail {

namespace {

constexpr const char *k_soname = "libcurl.so.4";

CurlLibrary load() {
  void *library = util::open_library<HttpError>(
      k_soname, "install libcurl 7.85 or newer (Debian: apt-get install libcurl4)");
  CurlLibrary api{};
  const auto resolve = [&](const char *name, auto &slot) {
    util::resolve<HttpError>(library, k_soname, name, slot);
  };
  resolve("curl_global_init", api.global_init);
  resolve("curl_global_cleanup", api.global_cleanup);
  resolve("curl_easy_init", api.easy_init);
  resolve("curl_easy_cleanup", api.easy_cleanup);
  resolve("curl_easy_reset", api.easy_reset);
  resolve("curl_easy_setopt", api.easy_setopt);
  resolve("curl_easy_perform", api.easy_perform);
  resolve("curl_easy_getinfo", api.easy_getinfo);
  resolve("curl_easy_strerror", api.easy_strerror);
  resolve("curl_slist_append", api.slist_append);
  resolve("curl_slist_free_all", api.slist_free_all);
  resolve("curl_getdate", api.getdate);
  return api;
}

} // namespace

const CurlLibrary &curl() {
  // Thread-safe once (a function-local static); a failure is thrown again on the next call.
  static const CurlLibrary api = load();
  return api;
}

} // namespace gitops::http::detail
