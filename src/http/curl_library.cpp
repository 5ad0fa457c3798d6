#include "curl_library.hpp"

#include "gitops/util/error.hpp"

#include <dlfcn.h>
#include <string>

namespace gitops::http::detail {

namespace {

constexpr const char *k_soname = "libcurl.so.4";

// Resolves `name` into `slot`; the pointer types of CurlLibrary are the ones curl.h declares.
template <class Function> void resolve(void *library, const char *name, Function &slot) {
  dlerror();
  void *symbol = dlsym(library, name);
  if (symbol == nullptr) {
    const char *why = dlerror();
    throw HttpError(std::string(k_soname) + " has no " + name + (why != nullptr ? ": " : "") +
                    (why != nullptr ? why : "") + " (libcurl 7.85 or newer is needed)");
  }
  slot = reinterpret_cast<Function>(symbol);
}

CurlLibrary load() {
  // Never closed: libcurl's global state and handles may live until exit.
  void *library = dlopen(k_soname, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char *why = dlerror();
    throw HttpError(std::string("cannot load ") + k_soname + " (" + (why != nullptr ? why : "") +
                    "); install libcurl (Debian: apt-get install libcurl4)");
  }
  CurlLibrary api{};
  resolve(library, "curl_global_init", api.global_init);
  resolve(library, "curl_global_cleanup", api.global_cleanup);
  resolve(library, "curl_easy_init", api.easy_init);
  resolve(library, "curl_easy_cleanup", api.easy_cleanup);
  resolve(library, "curl_easy_reset", api.easy_reset);
  resolve(library, "curl_easy_setopt", api.easy_setopt);
  resolve(library, "curl_easy_perform", api.easy_perform);
  resolve(library, "curl_easy_getinfo", api.easy_getinfo);
  resolve(library, "curl_easy_strerror", api.easy_strerror);
  resolve(library, "curl_slist_append", api.slist_append);
  resolve(library, "curl_slist_free_all", api.slist_free_all);
  resolve(library, "curl_getdate", api.getdate);
  return api;
}

} // namespace

const CurlLibrary &curl() {
  // Thread-safe once (a function-local static); a failure is thrown again on the next call.
  static const CurlLibrary api = load();
  return api;
}

} // namespace gitops::http::detail
