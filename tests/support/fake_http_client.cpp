#include "support/fake_http_client.hpp"

#include "gitops/util/error.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <utility>

namespace gitops::test {

namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  return out;
}

std::string path_only(std::string_view url) {
  std::string path = http::path_and_query(url);
  return path.substr(0, std::min(path.find('?'), path.size()));
}

} // namespace

UrlMatcher::UrlMatcher(std::function<bool(const Request &)> predicate, std::string description)
    : m_predicate(std::move(predicate)), m_description(std::move(description)) {}

UrlMatcher UrlMatcher::exact(std::string url) {
  auto description = "url " + url;
  return {[url = std::move(url)](const Request &r) { return r.url == url; },
          std::move(description)};
}

UrlMatcher UrlMatcher::path(std::string path) {
  auto description = "path " + path;
  return {[path = std::move(path)](const Request &r) { return path_only(r.url) == path; },
          std::move(description)};
}

UrlMatcher UrlMatcher::path_and_query(std::string path_and_query) {
  auto description = "path+query " + path_and_query;
  return {[expected = std::move(path_and_query)](const Request &r) {
            return http::path_and_query(r.url) == expected;
          },
          std::move(description)};
}

UrlMatcher UrlMatcher::regex(std::string pattern) {
  auto description = "regex " + pattern;
  // Compiled once here, so a bad pattern fails where the stub is registered.
  std::regex compiled;
  try {
    compiled = std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error &e) {
    throw FakeHttpMisuse("invalid URL regex " + pattern + ": " + e.what());
  }
  return {[compiled = std::move(compiled)](const Request &r) {
            return std::regex_match(r.url, compiled);
          },
          std::move(description)};
}

UrlMatcher UrlMatcher::where(std::function<bool(const Request &)> predicate,
                             std::string description) {
  return {std::move(predicate), std::move(description)};
}

bool UrlMatcher::matches(const Request &request) const {
  return m_predicate(request);
}

Response json_response(long status, std::string body, Headers extra) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(extra);
  if (response.headers.find("Content-Type") == response.headers.end()) {
    response.headers.emplace("Content-Type", "application/json");
  }
  return response;
}

FakeHttpClient &FakeHttpClient::on(std::string method, UrlMatcher url, Response response,
                                   int times) {
  return on(std::move(method), std::move(url),
            Responder([response = std::move(response)](const Request &) { return response; }),
            times);
}

FakeHttpClient &FakeHttpClient::on(std::string method, UrlMatcher url, Responder responder,
                                   int times) {
  if (times < 1) {
    throw FakeHttpMisuse("stub " + upper(method) + " " + url.description() +
                         ": times must be at least 1 (use always() for any number)");
  }
  m_stubs.push_back(Stub{upper(method), std::move(url), std::move(responder), times, 0});
  return *this;
}

FakeHttpClient &FakeHttpClient::always(std::string method, UrlMatcher url, Response response) {
  on(std::move(method), std::move(url), std::move(response), 1);
  m_stubs.back().times = 0;
  return *this;
}

FakeHttpClient &FakeHttpClient::fail(std::string method, UrlMatcher url, std::string message,
                                     int times) {
  return on(std::move(method), std::move(url),
            Responder([message = std::move(message)](const Request &) -> Response {
              throw HttpError(message);
            }),
            times);
}

FakeHttpClient &FakeHttpClient::fail(std::string method, UrlMatcher url,
                                     const http::TransportError &error, int times) {
  return on(std::move(method), std::move(url),
            Responder([error](const Request &) -> Response { throw error; }), times);
}

FakeHttpClient &FakeHttpClient::expect(std::string method, std::string url, long status,
                                       std::string body, Headers headers) {
  on(std::move(method), UrlMatcher::exact(std::move(url)),
     json_response(status, std::move(body), std::move(headers)));
  m_stubs.back().ordered = true;
  return *this;
}

std::size_t FakeHttpClient::pending() const {
  return static_cast<std::size_t>(std::count_if(
      m_stubs.begin(), m_stubs.end(), [](const Stub &s) { return s.ordered && s.used < s.times; }));
}

Response FakeHttpClient::send(const Request &request) {
  m_requests.push_back(request);
  const std::string method = request.method.empty() ? std::string("GET") : upper(request.method);
  for (auto &stub : m_stubs) {
    if (stub.times != 0 && stub.used >= stub.times) {
      continue;
    }
    if (stub.method != method || !stub.url.matches(request)) {
      continue;
    }
    if (stub.ordered) {
      for (const auto &earlier : m_stubs) {
        if (&earlier == &stub) {
          break;
        }
        if (earlier.ordered && earlier.used < earlier.times) {
          throw FakeHttpMisuse("FakeHttpClient: " + method + " " + request.url +
                               " came before the expected " + earlier.method + " " +
                               earlier.url.description());
        }
      }
    }
    ++stub.used;
    Response response = stub.responder(request);
    if (response.url.empty()) {
      response.url = request.url;
    }
    return response;
  }
  std::string message = "FakeHttpClient: no stub for " + method + " " + request.url;
  if (m_stubs.empty()) {
    message += " (no stubs registered)";
  }
  for (const auto &stub : m_stubs) {
    message += "\n  stub " + stub.method + " " + stub.url.description() + " (used " +
               std::to_string(stub.used) + " of " +
               (stub.times == 0 ? std::string("any") : std::to_string(stub.times)) + ")";
  }
  throw FakeHttpMisuse(message);
}

std::vector<std::string> FakeHttpClient::unused_stubs() const {
  std::vector<std::string> unused;
  for (const auto &stub : m_stubs) {
    const bool done = stub.times == 0 ? stub.used > 0 : stub.used == stub.times;
    if (!done) {
      unused.push_back(stub.method + " " + stub.url.description() + " (used " +
                       std::to_string(stub.used) + " of " +
                       (stub.times == 0 ? std::string("any") : std::to_string(stub.times)) + ")");
    }
  }
  return unused;
}

void FakeHttpClient::verify() const {
  const auto unused = unused_stubs();
  if (unused.empty()) {
    return;
  }
  std::string message = "FakeHttpClient: stubs not used as registered:";
  for (const auto &line : unused) {
    message += "\n  " + line;
  }
  throw FakeHttpMisuse(message);
}

} // namespace gitops::test
