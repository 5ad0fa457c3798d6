#include "gitops/http/curl_http_client.hpp"

#include "curl_handles.hpp"

#include "gitops/util/error.hpp"
#include "gitops/util/output_guard.hpp"
#include "gitops/util/strings.hpp"
#include "gitops/util/url.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <utility>

namespace gitops::http {

namespace {

// What one attempt produced: a response, or a libcurl failure.
struct Attempt {
  CURLcode code = CURLE_OK;
  std::string error;       // libcurl's text when code != CURLE_OK
  bool sent = false;       // the request may have reached the server
  bool over_limit = false; // the answer was longer than max_response_bytes
  Response response;
};

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

  explicit Impl(ClientOptions opts) : options(std::move(opts)) {
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
        throw HttpError("invalid header name or value for " + method_of(request) + " " +
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

    const std::string method = method_of(request);
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
      attempt.over_limit = true;
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

  // One attempt: the answer, or TransportError saying whether another attempt may help.
  Response send(const Request &request) {
    const std::vector<std::string> secrets = request_secrets(request, options.secrets);
    Attempt attempt = perform(request);
    if (attempt.code == CURLE_OK) {
      return std::move(attempt.response);
    }
    const CURLcode code = attempt.code;
    const bool never_sent = code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
                            code == CURLE_COULDNT_RESOLVE_PROXY || !attempt.sent;
    const bool transient = code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
                           code == CURLE_COULDNT_RESOLVE_PROXY ||
                           code == CURLE_OPERATION_TIMEDOUT || code == CURLE_GOT_NOTHING ||
                           code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR ||
                           code == CURLE_PARTIAL_FILE;
    const std::string message =
        method_of(request) + " " + util::redact_url(request.url) + " failed: " + attempt.error;
    throw TransportError(util::redact(message, secrets),
                         util::redact(detail::curl().easy_strerror(code), secrets),
                         transient && !attempt.over_limit, !never_sent);
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
