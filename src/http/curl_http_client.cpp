#include "gitops/http/curl_http_client.hpp"

#include "curl_handles.hpp"

#include "gitops/util/deadline.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/output_guard.hpp"
#include "gitops/util/strings.hpp"
#include "gitops/util/url.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <random>
#include <thread>
#include <utility>

namespace gitops::http {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// What one attempt produced: a response, or a libcurl failure.
struct Attempt {
  CURLcode code = CURLE_OK;
  std::string error; // libcurl's text when code != CURLE_OK
  bool sent = false; // the request may have reached the server
  Response response;
};

// What to do after an attempt.
struct Decision {
  bool retry = false;
  milliseconds wait{0};
  std::optional<std::string> fail; // throw HttpError with this text instead of returning
};

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  return out;
}

std::string describe(milliseconds wait) {
  if (wait >= seconds(10)) {
    return std::to_string(std::chrono::duration_cast<seconds>(wait).count()) + " s";
  }
  return std::to_string(wait.count()) + " ms";
}

// Where libcurl writes an answer's body: into the response, up to `limit` bytes.
struct BodySink {
  Response *response;
  std::size_t limit;
  bool over = false;
};

size_t on_body(char *data, size_t size, size_t count, void *user) {
  auto *sink = static_cast<BodySink *>(user);
  const std::size_t bytes = size * count;
  if (sink->response->body.size() + bytes > sink->limit) {
    sink->over = true;
    return 0; // anything but `bytes` makes libcurl stop with CURLE_WRITE_ERROR
  }
  sink->response->body.append(data, bytes);
  return bytes;
}

size_t on_header(char *data, size_t size, size_t count, void *user) {
  auto *response = static_cast<Response *>(user);
  const std::string_view line(data, size * count);
  if (line.substr(0, 5) == "HTTP/") {
    // Each response of a redirect chain (and any 1xx) starts a new header block: keep the last.
    response->headers.clear();
    response->body.clear();
    return size * count;
  }
  const auto stripped = util::trim(line);
  if (stripped.empty()) {
    return size * count;
  }
  if ((line.front() == ' ' || line.front() == '\t') && !response->headers.empty()) {
    // Obsolete line folding: the line continues the previous header's value.
    auto last = std::prev(response->headers.end());
    last->second += " " + std::string(stripped);
    return size * count;
  }
  const auto colon = stripped.find(':');
  if (colon != std::string_view::npos) {
    response->headers.emplace(std::string(util::trim(stripped.substr(0, colon))),
                              std::string(util::trim(stripped.substr(colon + 1))));
  }
  return size * count;
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != text.npos;
}

} // namespace

CurlGlobal::CurlGlobal() {
  const CURLcode code = detail::curl().global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) {
    throw HttpError(std::string("could not initialise libcurl: ") +
                    detail::curl().easy_strerror(code));
  }
}

CurlGlobal::~CurlGlobal() {
  detail::curl().global_cleanup();
}

std::string default_user_agent() {
  // GP_VERSION comes from project(VERSION) in the top-level CMakeLists.txt.
  return std::string("gitops-promotion/") + GP_VERSION;
}

struct CurlHttpClient::Impl {
  // libcurl's global state lives as long as some client does (curl_global_init counts, and is
  // thread-safe since 7.84): a command that never talks HTTP never pays for TLS set-up.
  CurlGlobal global;
  ClientOptions options;
  detail::EasyPtr easy;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  std::mt19937_64 rng{std::random_device{}()};

  explicit Impl(ClientOptions opts) : options(std::move(opts)) {
    options.max_attempts = std::max(options.max_attempts, 1);
    if (!options.sleep) {
      options.sleep = [](milliseconds wait) { std::this_thread::sleep_for(wait); };
    }
    if (!options.now) {
      options.now = [] { return std::chrono::system_clock::now(); };
    }
    if (!options.random) {
      options.random = [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); };
    }
    easy.reset(detail::curl().easy_init());
    if (!easy) {
      throw HttpError("could not create a libcurl handle (curl_easy_init failed)");
    }
  }

  Impl(const Impl &) = delete;
  Impl &operator=(const Impl &) = delete;
  ~Impl() = default;

  template <class T> void set(CURLoption option, T value, const char *name) {
    const CURLcode code = detail::curl().easy_setopt(easy.get(), option, value);
    if (code != CURLE_OK) {
      throw HttpError(std::string("could not set libcurl option ") + name + ": " +
                      detail::curl().easy_strerror(code));
    }
  }

  // Builds the header list; the caller keeps it alive until the transfer is done.
  static detail::SlistPtr header_list(const Request &request) {
    detail::SlistPtr list;
    const auto append = [&list](const std::string &line) {
      curl_slist *grown = detail::curl().slist_append(list.get(), line.c_str());
      if (grown == nullptr) {
        throw HttpError("could not build the request headers (out of memory)");
      }
      // curl_slist_append returns the same head once the list exists; own the first one.
      if (!list) {
        list.reset(grown);
      }
    };
    bool content_type = false;
    for (const auto &[name, value] : request.headers) {
      if (name.empty() || has_line_break(name) || has_line_break(value) ||
          name.find(':') != std::string::npos) {
        throw HttpError("invalid header name or value for " + upper(request.method) + " " +
                        util::redact_url(request.url) + ": header \"" +
                        (has_line_break(name) ? std::string("(contains a line break)") : name) +
                        "\"");
      }
      content_type = content_type || util::to_lower(name) == "content-type";
      // "Name;" is libcurl's spelling of a header with an empty value.
      append(value.empty() ? name + ";" : name + ": " + value);
    }
    if (!request.body.empty() && !content_type) {
      append("Content-Type: application/json");
    }
    // No "Expect: 100-continue" round trip for large bodies.
    append("Expect:");
    return list;
  }

  Attempt perform(const Request &request) {
    Attempt attempt;
    CURL *handle = easy.get();
    // Reset drops every option of the previous request but keeps the connection cache (keep-alive).
    detail::curl().easy_reset(handle);
    error_buffer.fill('\0');
    set(CURLOPT_ERRORBUFFER, error_buffer.data(), "CURLOPT_ERRORBUFFER");
    set(CURLOPT_URL, request.url.c_str(), "CURLOPT_URL");
    set(CURLOPT_NOSIGNAL, 1L, "CURLOPT_NOSIGNAL");
    set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()),
        "CURLOPT_CONNECTTIMEOUT_MS");
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()), "CURLOPT_TIMEOUT_MS");
    set(CURLOPT_PROTOCOLS_STR, "http,https", "CURLOPT_PROTOCOLS_STR");
    set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https", "CURLOPT_REDIR_PROTOCOLS_STR");
    set(CURLOPT_FOLLOWLOCATION, 1L, "CURLOPT_FOLLOWLOCATION");
    set(CURLOPT_MAXREDIRS, 10L, "CURLOPT_MAXREDIRS");
    // 301/302 keep POST (GitHub answers moved repositories that way); 303 turns into GET as
    // specified; 307/308 always keep the method and body in libcurl.
    set(CURLOPT_POSTREDIR, static_cast<long>(CURL_REDIR_POST_301 | CURL_REDIR_POST_302),
        "CURLOPT_POSTREDIR");
    // CURLOPT_UNRESTRICTED_AUTH stays off: Authorization is dropped when a redirect changes host
    // or port. CURLOPT_PROXY stays unset so libcurl reads the proxy environment variables.
    set(CURLOPT_ACCEPT_ENCODING, "", "CURLOPT_ACCEPT_ENCODING");
    set(CURLOPT_TCP_KEEPALIVE, 1L, "CURLOPT_TCP_KEEPALIVE");
    set(CURLOPT_USERAGENT, options.user_agent.c_str(), "CURLOPT_USERAGENT");
    BodySink sink{&attempt.response, options.max_response_bytes};
    set(CURLOPT_WRITEFUNCTION, &on_body, "CURLOPT_WRITEFUNCTION");
    set(CURLOPT_WRITEDATA, static_cast<void *>(&sink), "CURLOPT_WRITEDATA");
    set(CURLOPT_HEADERFUNCTION, &on_header, "CURLOPT_HEADERFUNCTION");
    set(CURLOPT_HEADERDATA, static_cast<void *>(&attempt.response), "CURLOPT_HEADERDATA");

    const std::string method = request.method.empty() ? std::string("GET") : upper(request.method);
    const bool sends_body =
        !request.body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
    if (method == "HEAD") {
      set(CURLOPT_NOBODY, 1L, "CURLOPT_NOBODY");
    } else if (sends_body) {
      // POSTFIELDS (not COPYPOSTFIELDS): `request` outlives the transfer, and libcurl re-sends
      // the same bytes on a 307/308.
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()),
          "CURLOPT_POSTFIELDSIZE_LARGE");
      set(CURLOPT_POSTFIELDS, request.body.c_str(), "CURLOPT_POSTFIELDS");
      if (method != "POST") {
        set(CURLOPT_CUSTOMREQUEST, method.c_str(), "CURLOPT_CUSTOMREQUEST");
      }
    } else {
      set(CURLOPT_HTTPGET, 1L, "CURLOPT_HTTPGET");
      if (method != "GET") {
        set(CURLOPT_CUSTOMREQUEST, method.c_str(), "CURLOPT_CUSTOMREQUEST");
      }
    }
    const detail::SlistPtr headers = header_list(request);
    set(CURLOPT_HTTPHEADER, headers.get(), "CURLOPT_HTTPHEADER");

    attempt.code = detail::curl().easy_perform(handle);

    long status = 0;
    detail::curl().easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    attempt.response.status = status;
    char *effective = nullptr;
    if (detail::curl().easy_getinfo(handle, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK &&
        effective != nullptr) {
      attempt.response.url = effective;
    } else {
      attempt.response.url = request.url;
    }
    if (attempt.code != CURLE_OK && sink.over) {
      attempt.error = "the answer is larger than " + std::to_string(options.max_response_bytes) +
                      " bytes, the most this client reads; stopped reading it";
      attempt.sent = true;
    } else if (attempt.code != CURLE_OK) {
      attempt.error = detail::curl().easy_strerror(attempt.code);
      const std::string detail(error_buffer.data());
      if (!detail.empty() && detail != attempt.error) {
        attempt.error += ": " + detail;
      }
      // Nothing reached the server if libcurl never got to the point of sending (the pre-transfer
      // timer is reset per transfer) and no request bytes or redirects were counted.
      curl_off_t pretransfer = 0;
      long request_size = 0;
      long redirects = 0;
      detail::curl().easy_getinfo(handle, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
      detail::curl().easy_getinfo(handle, CURLINFO_REQUEST_SIZE, &request_size);
      detail::curl().easy_getinfo(handle, CURLINFO_REDIRECT_COUNT, &redirects);
      attempt.sent = pretransfer > 0 || request_size > 0 || redirects > 0;
    }
    return attempt;
  }

  milliseconds backoff(int attempt) {
    auto nominal = options.base_backoff;
    for (int i = 1; i < attempt && nominal < options.max_backoff; ++i) {
      nominal *= 2;
    }
    nominal = std::min(nominal, options.max_backoff);
    const double fraction = std::clamp(options.random(), 0.0, 1.0);
    const auto half = nominal.count() / 2;
    return milliseconds(
        half + static_cast<std::int64_t>(fraction * static_cast<double>(nominal.count() - half)));
  }

  Decision decide_transport(const Attempt &attempt, const Request &request, int number) {
    Decision decision;
    const bool never_sent = attempt.code == CURLE_COULDNT_CONNECT ||
                            attempt.code == CURLE_COULDNT_RESOLVE_HOST ||
                            attempt.code == CURLE_COULDNT_RESOLVE_PROXY || !attempt.sent;
    const bool transient =
        attempt.code == CURLE_COULDNT_CONNECT || attempt.code == CURLE_COULDNT_RESOLVE_HOST ||
        attempt.code == CURLE_COULDNT_RESOLVE_PROXY || attempt.code == CURLE_OPERATION_TIMEDOUT ||
        attempt.code == CURLE_GOT_NOTHING || attempt.code == CURLE_RECV_ERROR ||
        attempt.code == CURLE_SEND_ERROR || attempt.code == CURLE_PARTIAL_FILE;
    if (transient && (never_sent || is_idempotent(request))) {
      decision.retry = true;
      decision.wait = backoff(number);
    }
    return decision;
  }

  Decision decide_response(const Response &response, const Request &request, int number) {
    Decision decision;
    const long status = response.status;
    const auto now = options.now();
    std::optional<seconds> retry_after;
    if (const auto value = response.header("Retry-After")) {
      retry_after = parse_retry_after(*value, now);
    }
    const auto too_long = [&](seconds wait, const std::string &why) {
      decision.fail = why + "; retry after " + format_utc(now + wait) + " (in " +
                      std::to_string(wait.count()) + " s, longer than the " +
                      std::to_string(options.max_rate_limit_wait.count()) + " s this client waits)";
    };
    const auto remaining = response.header("x-ratelimit-remaining");
    const bool rate_status = status == 403 || status == 429;
    if (rate_status && !retry_after && remaining && util::trim(*remaining) == "0") {
      const auto reset = response.header("x-ratelimit-reset");
      std::optional<std::int64_t> reset_epoch;
      if (reset) {
        try {
          reset_epoch = std::stoll(std::string(util::trim(*reset)));
        } catch (const std::exception &) {
          reset_epoch.reset();
        }
      }
      if (reset_epoch) {
        const auto reset_time =
            std::chrono::system_clock::time_point(std::chrono::seconds(*reset_epoch));
        const auto wait =
            std::max(std::chrono::duration_cast<seconds>(reset_time - now), seconds(0)) +
            seconds(1);
        if (wait > options.max_rate_limit_wait) {
          decision.fail = "API rate limit of " + util::url_host_port(request.url) +
                          " exhausted (HTTP " + std::to_string(status) +
                          ", x-ratelimit-remaining: 0); it resets at " + format_utc(reset_time) +
                          " (in " + std::to_string(wait.count()) + " s, longer than the " +
                          std::to_string(options.max_rate_limit_wait.count()) +
                          " s this client waits): retry after that";
          return decision;
        }
        decision.retry = true;
        decision.wait = wait;
        return decision;
      }
    }
    const bool secondary =
        rate_status &&
        (util::to_lower(response.body).find("secondary rate limit") != std::string::npos ||
         (status == 403 && retry_after));
    if (status == 429 || secondary) {
      // The server refused without acting on the request, so any method may be repeated.
      if (retry_after) {
        if (*retry_after > options.max_rate_limit_wait) {
          too_long(*retry_after, "rate limited by " + util::url_host_port(request.url) + " (HTTP " +
                                     std::to_string(status) + ")");
          return decision;
        }
        decision.wait = *retry_after;
      } else if (secondary) {
        decision.wait = std::max(options.secondary_rate_limit_wait, backoff(number));
      } else {
        decision.wait = backoff(number);
      }
      decision.retry = true;
      return decision;
    }
    if (status == 502 || status == 503 || status == 504) {
      const bool refused = status == 503 && retry_after.has_value();
      if (!refused && !is_idempotent(request)) {
        return decision;
      }
      if (retry_after) {
        if (*retry_after > options.max_rate_limit_wait) {
          too_long(*retry_after, util::url_host_port(request.url) + " is unavailable (HTTP " +
                                     std::to_string(status) + ")");
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

  Response send(const Request &request) {
    std::vector<std::string> secrets = options.secrets;
    const auto [first, last] = request.headers.equal_range("Authorization");
    for (auto it = first; it != last; ++it) {
      const auto value = util::trim(it->second);
      secrets.emplace_back(value);
      const auto space = value.find(' ');
      if (space != std::string_view::npos) {
        secrets.emplace_back(util::trim(value.substr(space + 1)));
      }
    }
    if (auto password = util::url_password(request.url)) {
      secrets.push_back(std::move(*password));
    }
    const std::string method = request.method.empty() ? std::string("GET") : upper(request.method);
    const std::string shown_url = util::redact(util::redact_url(request.url), secrets);
    const std::string shown_path = util::redact(path_and_query(request.url), secrets);
    const int attempts = options.max_attempts;
    const util::ActivityScope activity("an answer to " + method + " " + shown_url);

    for (int number = 1;; ++number) {
      const auto start = std::chrono::steady_clock::now();
      Attempt attempt = perform(request);
      const auto elapsed =
          std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
      const Decision decision = attempt.code == CURLE_OK
                                    ? decide_response(attempt.response, request, number)
                                    : decide_transport(attempt, request, number);
      const bool again = decision.retry && !decision.fail && number < attempts;

      if (options.log) {
        std::string line = "http: " + method + " " + shown_path + " -> ";
        line += attempt.code == CURLE_OK
                    ? std::to_string(attempt.response.status)
                    : "error: " + std::string(detail::curl().easy_strerror(attempt.code));
        line += " (" + std::to_string(elapsed.count()) + " ms, attempt " + std::to_string(number) +
                "/" + std::to_string(attempts) + ")";
        if (again) {
          line += "; retrying in " + describe(decision.wait);
        }
        options.log(util::redact(line, secrets));
      }

      if (decision.fail) {
        throw HttpError(util::redact(method + " " + shown_url + ": " + *decision.fail, secrets));
      }
      if (!again) {
        if (attempt.code != CURLE_OK) {
          std::string message = method + " " + shown_url + " failed: " + attempt.error;
          if (number > 1) {
            message += " (after " + std::to_string(number) + " attempts)";
          } else if (decision.retry) {
            message += " (1 attempt allowed)";
          } else if (attempt.sent && !is_idempotent(request)) {
            message += " (not retried: the request may have reached the server)";
          }
          throw HttpError(util::redact(message, secrets));
        }
        return std::move(attempt.response);
      }
      options.sleep(decision.wait);
    }
  }
};

CurlHttpClient::CurlHttpClient(ClientOptions options)
    : m_impl(std::make_unique<Impl>(std::move(options))) {}

CurlHttpClient::~CurlHttpClient() = default;
CurlHttpClient::CurlHttpClient(CurlHttpClient &&) noexcept = default;
CurlHttpClient &CurlHttpClient::operator=(CurlHttpClient &&) noexcept = default;

Response CurlHttpClient::send(const Request &request) {
  return m_impl->send(request);
}

void CurlHttpClient::add_secret(std::string secret) {
  if (!secret.empty()) {
    m_impl->options.secrets.push_back(std::move(secret));
  }
}

} // namespace gitops::http
