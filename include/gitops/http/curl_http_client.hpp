#pragma once

#include "gitops/http/http_client.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gitops::http {

// libcurl's global set-up, counted: every CurlHttpClient holds one, so a process that makes no
// request never initialises TLS. Throws HttpError when curl_global_init fails.
class CurlGlobal {
public:
  CurlGlobal();
  ~CurlGlobal();
  CurlGlobal(const CurlGlobal &) = delete;
  CurlGlobal &operator=(const CurlGlobal &) = delete;
};

// "gitops-promotion/<version>", the User-Agent sent unless a request sets its own.
[[nodiscard]] std::string default_user_agent();

// How CurlHttpClient connects, times out and reads. Every field has a usable default.
struct ClientOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // Limit for one attempt, from connecting to the last byte of the answer.
  std::chrono::milliseconds total_timeout{std::chrono::seconds(60)};
  // Most bytes of one answer's body this client reads: past it the transfer stops and send()
  // throws HttpError saying so (an endless or hostile answer cannot grow memory without bound).
  // The largest answers the tool asks for (a page of 100 statuses or pull requests) are far below.
  std::size_t max_response_bytes = 32U * 1024U * 1024U;
  std::string user_agent = default_user_agent();
  // Values (tokens) replaced by "***" in every error message.
  std::vector<std::string> secrets;
};

// The transport: one attempt per send() over one reused libcurl easy handle (keep-alive across
// requests). Retries are RetryingHttpClient's, layered over it. Not thread-safe: use one client
// per thread.
// - connect timeout and total timeout per attempt; proxies come from the environment (http_proxy,
//   https_proxy, no_proxy) as libcurl reads them; only http and https are allowed, redirects too.
// - Redirects 301/302/303/307/308 are followed; 307/308 re-send the method and body (PATCH too).
//   The Authorization header is never sent to another host or port after a redirect.
// - A request body without a Content-Type header is sent as application/json.
// - A failure to get an answer throws TransportError with libcurl's text, saying whether it is
//   transient (connect/DNS failure, timeout, empty reply, send/receive error, partial body) and
//   whether the request may have reached the server; an answer over max_response_bytes or a scheme
//   other than http(s) too, as not transient. A header name or value with a line break throws
//   HttpError before anything is sent.
// - Secrets (ClientOptions::secrets, add_secret, the credential of any Authorization header sent,
//   the URL's password) are redacted from every message.
class CurlHttpClient final : public HttpClient {
public:
  explicit CurlHttpClient(ClientOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(CurlHttpClient &&) noexcept;
  CurlHttpClient &operator=(CurlHttpClient &&) noexcept;
  CurlHttpClient(const CurlHttpClient &) = delete;
  CurlHttpClient &operator=(const CurlHttpClient &) = delete;

  // Sends `request` once; throws TransportError when it gets no answer (4xx/5xx are answers).
  [[nodiscard]] Response send(const Request &request) override;

  // Registers one more value to redact from messages and logs (empty values are ignored).
  void add_secret(std::string secret);

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace gitops::http
