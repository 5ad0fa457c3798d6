#pragma once

#include "gitops/util/error.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gitops::http {

// Header names are compared case-insensitively.
struct CaseInsensitiveLess {
  bool operator()(const std::string &a, const std::string &b) const;
};
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;

struct Request {
  std::string method = "GET"; // GET, POST, PATCH, PUT, DELETE
  std::string url;            // absolute URL
  Headers headers;
  std::string body;
  // Whether repeating this request after a dropped connection or 5xx is safe. POST/PATCH that
  // create things are made safe by the caller (look before create), which then sets this
  // explicitly.
  std::optional<bool> idempotent;
};

struct Response {
  long status = 0;
  Headers headers;
  std::string body;
  std::string url; // final URL after redirects

  // First value of a header, or std::nullopt.
  [[nodiscard]] std::optional<std::string> header(const std::string &name) const;
};

// Sends HTTP requests. 4xx/5xx answers are returned, not thrown; transport failures throw HttpError
// after the implementation's retries. Implementations: CurlHttpClient; tests use fakes.
class HttpClient {
public:
  virtual ~HttpClient() = default;
  [[nodiscard]] virtual Response send(const Request &request) = 0;
};

// One attempt that got no answer, as a transport (CurlHttpClient) reports it; RetryingHttpClient
// decides from it whether to try again. what() is the whole message (method, redacted URL, the
// library's text), summary() the library's short text for log lines.
class TransportError final : public HttpError {
public:
  // `transient`: another attempt may succeed (connect/DNS failure, timeout, dropped connection);
  // `sent`: the request may have reached the server, so repeating it may repeat its effect.
  TransportError(const std::string &what, std::string summary, bool transient, bool sent)
      : HttpError(what), m_summary(std::move(summary)), m_transient(transient), m_sent(sent) {}
  [[nodiscard]] const std::string &summary() const noexcept { return m_summary; }
  [[nodiscard]] bool transient() const noexcept { return m_transient; }
  [[nodiscard]] bool sent() const noexcept { return m_sent; }

private:
  std::string m_summary;
  bool m_transient;
  bool m_sent;
};

// The values to redact from any text about `request`: `known`, the value and the credential part
// of each Authorization header, and the URL's password.
[[nodiscard]] std::vector<std::string> request_secrets(const Request &request,
                                                       std::vector<std::string> known);

// `request`'s method, upper-cased; "GET" when empty.
[[nodiscard]] std::string method_of(const Request &request);

// Whether `request` may be repeated after it possibly reached the server: Request::idempotent when
// set, otherwise true for GET, HEAD, PUT, DELETE and OPTIONS and false for everything else.
[[nodiscard]] bool is_idempotent(const Request &request);

// One entry of an RFC 8288 Link header: its target and its relation types (lower-cased).
struct Link {
  std::string url;
  std::vector<std::string> rels;
};

// Every entry of one Link header value, in order. Malformed entries are skipped, never thrown.
[[nodiscard]] std::vector<Link> parse_link_header(std::string_view value);

// The URL of the `rel="next"` entry of a Link header, or std::nullopt. A relative target is
// resolved against Response::url when that is set.
[[nodiscard]] std::optional<std::string> next_link(const Response &response);

// Sends `first`, calls `on_page` with the response, and follows `rel="next"` links (same method,
// headers and flags, no body) until there is none or a response is not 2xx (that response is still
// passed to `on_page`, which decides whether to throw). Throws HttpError when a next link repeats
// an earlier URL or more than `max_pages` pages would be fetched.
void for_each_page(HttpClient &client, const Request &first,
                   const std::function<void(const Response &)> &on_page,
                   std::size_t max_pages = 1000);

// The path and query of an absolute URL ("/repos/o/r?page=2"); "/" when it has none.
[[nodiscard]] std::string path_and_query(std::string_view url);

// The wait a `Retry-After` value asks for (delay-seconds or an HTTP-date, relative to `now`; a date
// in the past gives zero), or std::nullopt when the value is neither.
[[nodiscard]] std::optional<std::chrono::seconds>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);

// The time an HTTP-date names (a `Date` or `Retry-After` value, RFC 9110 §5.6.7), or
// std::nullopt when `value` is not one.
[[nodiscard]] std::optional<std::chrono::system_clock::time_point>
parse_http_date(std::string_view value);

// The time of an ISO 8601 UTC timestamp as format_utc writes it ("2026-11-22T01:00:00Z", the
// form of GitHub's `expires_at`), or std::nullopt for any other text.
[[nodiscard]] std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text);

// `time` as an ISO 8601 UTC timestamp, e.g. "2026-11-22T01:00:00Z".
[[nodiscard]] std::string format_utc(std::chrono::system_clock::time_point time);

} // namespace gitops::http
