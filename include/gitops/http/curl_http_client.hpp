#pragma once

#include "gitops/http/http_client.hpp"

#include <chrono>
#include <functional>
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

// How CurlHttpClient times out, retries, waits and reports. Every field has a usable default.
struct ClientOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // Limit for one attempt, from connecting to the last byte of the answer.
  std::chrono::milliseconds total_timeout{std::chrono::seconds(60)};
  // Attempts per send(), the first one included; at least 1.
  int max_attempts = 5;
  // Backoff before retry n (n = 1, 2, …) is min(max_backoff, base_backoff * 2^(n-1)), of which a
  // random half is dropped (jitter): wait = nominal/2 + random() * nominal/2.
  std::chrono::milliseconds base_backoff{500};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};
  // Shortest wait after GitHub's secondary rate limit when the answer has no Retry-After.
  std::chrono::milliseconds secondary_rate_limit_wait{std::chrono::seconds(60)};
  // Longest wait this client accepts for a Retry-After or a primary rate-limit reset; a longer one
  // makes send() throw HttpError saying when to retry.
  std::chrono::seconds max_rate_limit_wait{60};
  // Waits between attempts; tests record instead of sleeping. Default: std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Wall clock for `x-ratelimit-reset` and HTTP-date `Retry-After`. Default: system_clock::now.
  std::function<std::chrono::system_clock::time_point()> now;
  // Uniform random number in [0, 1] for the jitter. Default: a seeded std::mt19937.
  std::function<double()> random;
  // Most bytes of one answer's body this client reads: past it the transfer stops and send()
  // throws HttpError saying so (an endless or hostile answer cannot grow memory without bound).
  // The largest answers the tool asks for (a page of 100 statuses or pull requests) are far below.
  std::size_t max_response_bytes = 32U * 1024U * 1024U;
  // Receives one debug line per attempt (see CurlHttpClient). Default: nothing is logged.
  std::function<void(std::string_view)> log;
  std::string user_agent = default_user_agent();
  // Values (tokens) replaced by "***" in every error message and log line.
  std::vector<std::string> secrets;
};

// HttpClient over one reused libcurl easy handle (keep-alive across requests). Not thread-safe:
// use one client per thread.
//
// Each send() makes up to ClientOptions::max_attempts attempts:
// - connect timeout and total timeout per attempt; proxies come from the environment (http_proxy,
//   https_proxy, no_proxy) as libcurl reads them; only http and https are allowed, redirects too.
// - Redirects 301/302/303/307/308 are followed; 307/308 re-send the method and body (PATCH too).
//   The Authorization header is never sent to another host or port after a redirect.
// - A request body without a Content-Type header is sent as application/json.
// - Retried: transport failures (connect failure, DNS failure, timeouts, dropped connections),
//   502/503/504, 429, and 403 that is GitHub's secondary rate limit (body mentions "secondary rate
//   limit") or carries Retry-After. The wait is Retry-After when given (seconds or HTTP-date), at
//   least secondary_rate_limit_wait for the secondary limit, else the jittered backoff.
// - Primary rate limit (403/429 with `x-ratelimit-remaining: 0`): waits until `x-ratelimit-reset`
//   (plus one second) when that is at most max_rate_limit_wait away, else throws HttpError naming
//   the UTC time to retry at. A Retry-After longer than max_rate_limit_wait throws the same way.
// - Non-idempotent requests (see is_idempotent) are retried only when the server cannot have acted
//   on them: connect/DNS failures and timeouts before anything was sent, 429, 503 with Retry-After,
//   and rate-limit 403s. After a 502/504, a 503 without Retry-After, a timeout after sending, or a
//   dropped connection (empty reply, send/receive error, partial body) they are not repeated: the
//   response is returned, or HttpError thrown.
// - When attempts run out, the last response is returned (4xx/5xx are answers, not exceptions) or,
//   after a transport failure, HttpError is thrown with libcurl's error text.
// - Debug line per attempt, e.g. `http: GET /repos/o/r/pulls?page=2 -> 200 (12 ms, attempt 1/5)`,
//   `http: PATCH /x -> 503 (3 ms, attempt 1/5); retrying in 500 ms` or
//   `http: GET /x -> error: Couldn't connect to server (0 ms, attempt 2/5)`. Headers and bodies are
//   never logged; secrets (ClientOptions::secrets, add_secret, and the credential of any
//   Authorization header sent) are redacted from log lines and HttpError messages.
class CurlHttpClient final : public HttpClient {
public:
  explicit CurlHttpClient(ClientOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(CurlHttpClient &&) noexcept;
  CurlHttpClient &operator=(CurlHttpClient &&) noexcept;
  CurlHttpClient(const CurlHttpClient &) = delete;
  CurlHttpClient &operator=(const CurlHttpClient &) = delete;

  // Sends `request` with the retry rules above; throws HttpError when it cannot get an answer.
  [[nodiscard]] Response send(const Request &request) override;

  // Registers one more value to redact from messages and logs (empty values are ignored).
  void add_secret(std::string secret);

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace gitops::http
