#pragma once

#include "gitops/http/http_client.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gitops::http {

// What a forge's answer says about its rate limit, as a forge's RateLimitRule reads it.
struct RateLimit {
  // The request quota is used up until then (GitHub's primary limit): waited for when near.
  std::optional<std::chrono::system_clock::time_point> resets_at;
  // The header that said so, for messages, e.g. "x-ratelimit-remaining: 0".
  std::string evidence;
  // A throttle rather than a quota (GitHub's secondary limit): the server refused without acting,
  // so any method is repeated, after Retry-After or at least RetryOptions::throttle_wait.
  bool throttled = false;
};

// A forge's reading of its rate-limit answers; std::nullopt when `response` is not one. Generic
// rules (429, Retry-After, 502/503/504) need no rule; a forge adds what its headers say.
using RateLimitRule = std::optional<RateLimit> (*)(const Response &response);

// The quota rule shared by forges that send a remaining count and a reset time in epoch seconds:
// 403 or 429 with `remaining_header` "0" and a numeric `reset_header` is a used-up quota.
[[nodiscard]] std::optional<RateLimit> quota_exhausted(const Response &response,
                                                       std::string_view remaining_header,
                                                       std::string_view reset_header);

// How RetryingHttpClient retries, waits and reports. Every field has a usable default.
struct RetryOptions {
  // Attempts per send(), the first one included; at least 1.
  int max_attempts = 5;
  // Backoff before retry n (n = 1, 2, …) is min(max_backoff, base_backoff * 2^(n-1)), of which a
  // random half is dropped (jitter): wait = nominal/2 + random() * nominal/2.
  std::chrono::milliseconds base_backoff{500};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};
  // Shortest wait after a throttled answer (RateLimit::throttled) without Retry-After.
  std::chrono::milliseconds throttle_wait{std::chrono::seconds(60)};
  // Longest wait accepted for a Retry-After or a quota reset; a longer one makes send() throw
  // HttpError saying when to retry.
  std::chrono::seconds max_rate_limit_wait{60};
  // The forge's rate-limit rule (providers::Forge::rate_limit); nullptr: generic rules only.
  RateLimitRule rate_limit = nullptr;
  // Waits between attempts; tests record instead of sleeping. Default: std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Wall clock for quota resets and HTTP-date `Retry-After`. Default: system_clock::now.
  std::function<std::chrono::system_clock::time_point()> now;
  // Uniform random number in [0, 1] for the jitter. Default: a seeded std::mt19937.
  std::function<double()> random;
  // Receives one debug line per attempt. Default: nothing is logged.
  std::function<void(std::string_view)> log;
  // Values (tokens) replaced by "***" in every error message and log line.
  std::vector<std::string> secrets;
};

// An HttpClient that sends through `inner` (one attempt per inner send()) and repeats what is safe
// to repeat. Each send() makes up to RetryOptions::max_attempts attempts:
// - Retried: transient TransportErrors, 502/503/504, 429, and what the forge's rule calls a
//   throttle. The wait is Retry-After when given (seconds or HTTP-date), at least throttle_wait
//   for a throttle, else the jittered backoff.
// - A used-up quota (RateLimit::resets_at) without Retry-After is waited for until the reset (plus
//   one second) when that is at most max_rate_limit_wait away; otherwise, and for a Retry-After
//   longer than that, send() throws HttpError naming the UTC time to retry at.
// - Non-idempotent requests (see is_idempotent) are repeated only when the server cannot have
//   acted on them: a TransportError that was not sent, 429, 503 with Retry-After, and rate-limit
//   answers. After a 502/504, a 503 without Retry-After or a TransportError that may have been
//   sent, the response is returned or HttpError thrown.
// - When attempts run out, the last response is returned (4xx/5xx are answers, not exceptions) or
//   HttpError thrown with the transport's text.
// - Debug line per attempt, e.g. `http: GET /repos/o/r/pulls?page=2 -> 200 (12 ms, attempt 1/5)`,
//   `http: PATCH /x -> 503 (3 ms, attempt 1/5); retrying in 500 ms` or
//   `http: GET /x -> error: Couldn't connect to server (0 ms, attempt 2/5)`. Headers and bodies are
//   never logged; secrets (RetryOptions::secrets, add_secret, the credential of any Authorization
//   header sent, the URL's password) are redacted from log lines and HttpError messages.
// Not thread-safe, like the transports it wraps.
class RetryingHttpClient final : public HttpClient {
public:
  // `inner` must outlive this client.
  RetryingHttpClient(HttpClient &inner, RetryOptions options = {});

  // Sends `request` through the inner client with the rules above.
  [[nodiscard]] Response send(const Request &request) override;

  // Registers one more value to redact from messages and logs (empty values are ignored).
  void add_secret(std::string secret);

private:
  HttpClient &m_inner;
  RetryOptions m_options;
};

} // namespace gitops::http
