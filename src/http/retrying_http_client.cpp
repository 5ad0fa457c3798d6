#include "gitops/http/retrying_http_client.hpp"

#include "gitops/util/deadline.hpp"
#include "gitops/util/output_guard.hpp"
#include "gitops/util/strings.hpp"
#include "gitops/util/url.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <thread>
#include <utility>

namespace gitops::http {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// What to do after an attempt.
struct Decision {
  bool retry = false;
  milliseconds wait{0};
  std::optional<std::string> fail; // throw HttpError with this text instead of returning
};

std::string describe(milliseconds wait) {
  if (wait >= seconds(10)) {
    return std::to_string(std::chrono::duration_cast<seconds>(wait).count()) + " s";
  }
  return std::to_string(wait.count()) + " ms";
}

// The retry rules of one send(): RetryOptions applied to one request.
class Policy {
public:
  Policy(const RetryOptions &options, const Request &request)
      : m_options(options), m_request(request), m_host(util::url_host_port(request.url)) {}

  [[nodiscard]] milliseconds backoff(int attempt) const {
    auto nominal = m_options.base_backoff;
    for (int i = 1; i < attempt && nominal < m_options.max_backoff; ++i) {
      nominal *= 2;
    }
    nominal = std::min(nominal, m_options.max_backoff);
    const double fraction = std::clamp(m_options.random(), 0.0, 1.0);
    const auto half = nominal.count() / 2;
    return milliseconds(
        half + static_cast<std::int64_t>(fraction * static_cast<double>(nominal.count() - half)));
  }

  [[nodiscard]] Decision after_failure(const TransportError &error, int number) const {
    Decision decision;
    if (error.transient() && (!error.sent() || is_idempotent(m_request))) {
      decision.retry = true;
      decision.wait = backoff(number);
    }
    return decision;
  }

  [[nodiscard]] Decision after_answer(const Response &response, int number) const {
    Decision decision;
    const long status = response.status;
    const auto now = m_options.now();
    std::optional<seconds> retry_after;
    if (const auto value = response.header("Retry-After")) {
      retry_after = parse_retry_after(*value, now);
    }
    const std::string limit = std::to_string(m_options.max_rate_limit_wait.count());
    const std::optional<RateLimit> rate =
        m_options.rate_limit != nullptr ? m_options.rate_limit(response) : std::nullopt;
    if (rate && rate->resets_at && !retry_after) {
      const auto wait =
          std::max(std::chrono::duration_cast<seconds>(*rate->resets_at - now), seconds(0)) +
          seconds(1);
      if (wait > m_options.max_rate_limit_wait) {
        decision.fail = "API rate limit of " + m_host + " exhausted (HTTP " +
                        std::to_string(status) + ", " + rate->evidence + "); it resets at " +
                        format_utc(*rate->resets_at) + " (in " + std::to_string(wait.count()) +
                        " s, longer than the " + limit + " s this client waits): retry after that";
        return decision;
      }
      decision.retry = true;
      decision.wait = wait;
      return decision;
    }
    const auto too_long = [&](seconds wait, const std::string &why) {
      decision.fail = why + "; retry after " + format_utc(now + wait) + " (in " +
                      std::to_string(wait.count()) + " s, longer than the " + limit +
                      " s this client waits)";
    };
    const bool throttled = rate && rate->throttled;
    if (status == 429 || throttled) {
      // The server refused without acting on the request, so any method may be repeated.
      if (retry_after) {
        if (*retry_after > m_options.max_rate_limit_wait) {
          too_long(*retry_after,
                   "rate limited by " + m_host + " (HTTP " + std::to_string(status) + ")");
          return decision;
        }
        decision.wait = *retry_after;
      } else if (throttled) {
        decision.wait = std::max(m_options.throttle_wait, backoff(number));
      } else {
        decision.wait = backoff(number);
      }
      decision.retry = true;
      return decision;
    }
    if (status == 502 || status == 503 || status == 504) {
      const bool refused = status == 503 && retry_after.has_value();
      if (!refused && !is_idempotent(m_request)) {
        return decision;
      }
      if (retry_after) {
        if (*retry_after > m_options.max_rate_limit_wait) {
          too_long(*retry_after, m_host + " is unavailable (HTTP " + std::to_string(status) + ")");
          return decision;
        }
        decision.wait = *retry_after;
      } else {
        decision.wait = backoff(number);
      }
      decision.retry = true;
    }
    return decision;
  }

private:
  const RetryOptions &m_options;
  const Request &m_request;
  std::string m_host;
};

} // namespace

std::optional<RateLimit> quota_exhausted(const Response &response,
                                         std::string_view remaining_header,
                                         std::string_view reset_header) {
  if (response.status != 403 && response.status != 429) {
    return std::nullopt;
  }
  const auto remaining = response.header(std::string(remaining_header));
  const auto reset = response.header(std::string(reset_header));
  if (!remaining || util::trim(*remaining) != "0" || !reset) {
    return std::nullopt;
  }
  std::int64_t epoch = 0;
  try {
    std::size_t used = 0;
    const std::string digits(util::trim(*reset));
    epoch = std::stoll(digits, &used);
    if (used != digits.size()) {
      return std::nullopt;
    }
  } catch (const std::exception &) {
    return std::nullopt;
  }
  RateLimit limit;
  limit.resets_at = std::chrono::system_clock::time_point(seconds(epoch));
  limit.evidence = std::string(remaining_header) + ": 0";
  return limit;
}

RetryingHttpClient::RetryingHttpClient(HttpClient &inner, RetryOptions options)
    : m_inner(inner), m_options(std::move(options)) {
  m_options.max_attempts = std::max(m_options.max_attempts, 1);
  if (!m_options.sleep) {
    m_options.sleep = [](milliseconds wait) { std::this_thread::sleep_for(wait); };
  }
  if (!m_options.now) {
    m_options.now = [] { return std::chrono::system_clock::now(); };
  }
  if (!m_options.random) {
    auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
    m_options.random = [rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(*rng); };
  }
}

void RetryingHttpClient::add_secret(std::string secret) {
  if (!secret.empty()) {
    m_options.secrets.push_back(std::move(secret));
  }
}

Response RetryingHttpClient::send(const Request &request) {
  const std::vector<std::string> secrets = request_secrets(request, m_options.secrets);
  const std::string method = method_of(request);
  const std::string shown_url = util::redact(util::redact_url(request.url), secrets);
  const std::string shown_path = util::redact(path_and_query(request.url), secrets);
  const int attempts = m_options.max_attempts;
  const util::ActivityScope activity("an answer to " + method + " " + shown_url);
  const Policy policy(m_options, request);

  for (int number = 1;; ++number) {
    const auto start = std::chrono::steady_clock::now();
    std::optional<Response> response;
    std::optional<TransportError> failure;
    try {
      response = m_inner.send(request);
    } catch (const TransportError &error) {
      failure = error;
    }
    const auto elapsed =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    const Decision decision =
        response ? policy.after_answer(*response, number) : policy.after_failure(*failure, number);
    const bool again = decision.retry && !decision.fail && number < attempts;

    if (m_options.log) {
      std::string line = "http: " + method + " " + shown_path + " -> ";
      line += response ? std::to_string(response->status) : "error: " + failure->summary();
      line += " (" + std::to_string(elapsed.count()) + " ms, attempt " + std::to_string(number) +
              "/" + std::to_string(attempts) + ")";
      if (again) {
        line += "; retrying in " + describe(decision.wait);
      }
      m_options.log(util::redact(line, secrets));
    }

    if (decision.fail) {
      throw HttpError(util::redact(method + " " + shown_url + ": " + *decision.fail, secrets));
    }
    if (!again) {
      if (failure) {
        std::string message = failure->what();
        if (number > 1) {
          message += " (after " + std::to_string(number) + " attempts)";
        } else if (decision.retry) {
          message += " (1 attempt allowed)";
        } else if (failure->sent() && !is_idempotent(request)) {
          message += " (not retried: the request may have reached the server)";
        }
        throw HttpError(util::redact(message, secrets));
      }
      return std::move(*response);
    }
    m_options.sleep(decision.wait);
  }
}

} // namespace gitops::http
