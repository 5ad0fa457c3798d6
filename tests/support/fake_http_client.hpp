#pragma once

#include "gitops/http/http_client.hpp"

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gitops::test {

using http::Headers;
using http::Request;
using http::Response;

// A mistake in a test's stubs (a request no stub matches, a stub never used). Deliberately not a
// gitops::Error, so no production code path catches it and hides the mistake.
class FakeHttpMisuse final : public std::logic_error {
public:
  using std::logic_error::logic_error;
};

// Decides which request URLs a stub answers; describes itself for failure messages.
class UrlMatcher {
public:
  // The whole URL, exactly.
  [[nodiscard]] static UrlMatcher exact(std::string url);
  // The URL's path, ignoring scheme, host and query ("/repos/o/r/pulls").
  [[nodiscard]] static UrlMatcher path(std::string path);
  // The URL's path and query, exactly ("/repos/o/r/pulls?state=open&page=2").
  [[nodiscard]] static UrlMatcher path_and_query(std::string path_and_query);
  // An ECMAScript regular expression that must match the whole URL.
  [[nodiscard]] static UrlMatcher regex(std::string pattern);
  // Any predicate on the request (headers and body included), with a description.
  [[nodiscard]] static UrlMatcher where(std::function<bool(const Request &)> predicate,
                                        std::string description);

  // Whether this matcher accepts `request` (the method is checked by the stub, not here).
  [[nodiscard]] bool matches(const Request &request) const;
  [[nodiscard]] const std::string &description() const { return m_description; }

private:
  UrlMatcher(std::function<bool(const Request &)> predicate, std::string description);
  std::function<bool(const Request &)> m_predicate;
  std::string m_description;
};

// A JSON answer: the status, `body`, and Content-Type: application/json plus `extra` headers.
[[nodiscard]] Response json_response(long status, std::string body, Headers extra = {});

// The one HTTP test double (tests only, never in the binary): a registry of (method, URL matcher)
// → answer stubs, searched in registration order; the first stub that matches and is not used up
// answers. Every request is recorded. An unmatched request throws FakeHttpMisuse listing the stubs;
// verify() throws it when a stub was not used as often as registered. expect() stubs must also be
// used in the order they were registered. Not thread-safe.
class FakeHttpClient final : public http::HttpClient {
public:
  using Responder = std::function<Response(const Request &)>;

  // Answers `times` matching requests (at least 1) with `response`; Response::url defaults to the
  // request URL.
  FakeHttpClient &on(std::string method, UrlMatcher url, Response response, int times = 1);
  // Answers `times` matching requests with whatever `responder` returns (or throws).
  FakeHttpClient &on(std::string method, UrlMatcher url, Responder responder, int times = 1);
  // Answers any number of matching requests (verify() wants at least one).
  FakeHttpClient &always(std::string method, UrlMatcher url, Response response);
  // Throws HttpError(message) for `times` matching requests, as a transport failure would.
  FakeHttpClient &fail(std::string method, UrlMatcher url, std::string message, int times = 1);
  // Throws `error` (one attempt that got no answer, as CurlHttpClient reports it) for `times`
  // matching requests: what a RetryingHttpClient over this fake decides from.
  FakeHttpClient &fail(std::string method, UrlMatcher url, const http::TransportError &error,
                       int times = 1);
  // The scripted style: the next request of a conversation whose order matters is `method` on
  // exactly `url`, answered once with `status`, `body` (JSON) and `headers`. A request matching a
  // later expect() stub while an earlier one is unused throws FakeHttpMisuse.
  FakeHttpClient &expect(std::string method, std::string url, long status, std::string body,
                         Headers headers = {});
  // How many expect() stubs are not used yet.
  [[nodiscard]] std::size_t pending() const;

  // Answers from the first matching stub; throws FakeHttpMisuse when none matches.
  [[nodiscard]] Response send(const Request &request) override;

  // Every request sent so far, in order.
  [[nodiscard]] const std::vector<Request> &requests() const { return m_requests; }
  // Descriptions of stubs not used as often as registered ("PATCH path /x (used 0 of 1)").
  [[nodiscard]] std::vector<std::string> unused_stubs() const;
  // Throws FakeHttpMisuse naming every unused stub; call it at the end of a test.
  void verify() const;

private:
  struct Stub {
    std::string method;
    UrlMatcher url;
    Responder responder;
    int times = 1; // 0: any number
    int used = 0;
    bool ordered = false; // an expect() stub
  };
  std::vector<Stub> m_stubs;
  std::vector<Request> m_requests;
};

} // namespace gitops::test
