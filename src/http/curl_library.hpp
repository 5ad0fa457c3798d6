#pragma once

// Private to src/http: libcurl, loaded when a request is first made. Nothing outside http/ sees
// <curl/curl.h>.

#include <curl/curl.h>

#include <ctime>

namespace gitops::http::detail {

// The libcurl functions the client calls, resolved from the library opened with dlopen.
struct CurlLibrary {
  CURLcode (*global_init)(long flags);
  void (*global_cleanup)();
  CURL *(*easy_init)();
  void (*easy_cleanup)(CURL *handle);
  void (*easy_reset)(CURL *handle);
  CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
  CURLcode (*easy_perform)(CURL *handle);
  CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
  const char *(*easy_strerror)(CURLcode code);
  curl_slist *(*slist_append)(curl_slist *list, const char *text);
  void (*slist_free_all)(curl_slist *list);
  time_t (*getdate)(const char *text, const time_t *unused);
};

// libcurl (its SONAME, libcurl.so.4, whose ABI curl keeps stable), opened on the first call and
// kept for the life of the process. It and the ~20 libraries it pulls in (TLS, Kerberos, LDAP, …)
// were a quarter of the start-up of every command; now only a command that talks HTTP loads them.
// Throws HttpError naming the library and the loader's reason when it or a function is missing.
[[nodiscard]] const CurlLibrary &curl();

} // namespace gitops::http::detail
