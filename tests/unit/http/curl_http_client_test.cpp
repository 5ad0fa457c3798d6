#include "local_server.hpp"

#include "gitops/http/curl_http_client.hpp"
#include "gitops/http/retrying_http_client.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace gitops::http {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using testing::DroppingServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::LocalServer;
using ::testing::Not;
using testing::RefusingPort;
using testing::ScopedEnv;

// One canned answer of a scripted handler.
struct Canned {
  // NOLINTNEXTLINE(google-explicit-constructor): scripts read better as {502}, {200, {}, "x"}.
  Canned(int s, std::vector<std::pair<std::string, std::string>> h = {}, std::string b = "ok")
      : status(s), headers(std::move(h)), body(std::move(b)) {}
  int status;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// A handler that answers with `script` in order and repeats the last entry afterwards.
httplib::Server::Handler scripted(std::vector<Canned> script) {
  auto next = std::make_shared<std::size_t>(0);
  auto mutex = std::make_shared<std::mutex>();
  return
      [script = std::move(script), next, mutex](const httplib::Request &, httplib::Response &res) {
        const std::lock_guard lock(*mutex);
        const Canned &canned = script.at(std::min(*next, script.size() - 1));
        ++*next;
        res.status = canned.status;
        for (const auto &[name, value] : canned.headers) {
          res.set_header(name.c_str(), value);
        }
        res.set_content(canned.body, "text/plain");
      };
}

// The transport's and the retry layer's options, set together as each test needs them.
struct Options : ClientOptions, RetryOptions {
  // Both layers redact the same values.
  void set_secrets(const std::vector<std::string> &values) {
    ClientOptions::secrets = values;
    RetryOptions::secrets = values;
  }
};

// The client as the tool composes it: CurlHttpClient (one attempt) under RetryingHttpClient, so
// these tests cover libcurl's classification of failures and the retries over a real wire.
// Rules of one forge's rate limit are tested with the fake (retrying_http_client_test.cpp).
class Client final : public HttpClient {
public:
  explicit Client(const Options &options)
      : m_curl(static_cast<const ClientOptions &>(options)),
        m_retrying(m_curl, static_cast<const RetryOptions &>(options)) {}
  [[nodiscard]] Response send(const Request &request) override { return m_retrying.send(request); }
  void add_secret(const std::string &secret) {
    m_curl.add_secret(secret);
    m_retrying.add_secret(secret);
  }

private:
  CurlHttpClient m_curl;
  RetryingHttpClient m_retrying;
};

class CurlHttpClientTest : public ::testing::Test {
protected:
  void SetUp() override { m_env.clear_proxies(); }

  Options options() {
    Options o;
    o.connect_timeout = 2s;
    o.total_timeout = 10s;
    o.max_attempts = 5;
    o.base_backoff = 100ms;
    o.max_backoff = 10s;
    o.max_rate_limit_wait = 60s;
    o.sleep = [this](milliseconds wait) { m_sleeps.push_back(wait); };
    o.now = [this] { return m_now; };
    o.random = [] { return 1.0; };
    o.log = [this](std::string_view line) { m_logs.emplace_back(line); };
    return o;
  }

  static Request get(const std::string &url) {
    Request request;
    request.url = url;
    return request;
  }

  CurlGlobal m_global;
  ScopedEnv m_env;
  std::vector<milliseconds> m_sleeps;
  std::vector<std::string> m_logs;
  std::chrono::system_clock::time_point m_now{std::chrono::seconds(1'800'000'000)};
  LocalServer m_server;
};

TEST_F(CurlHttpClientTest, GetReturnsStatusHeadersBodyAndFinalUrl) {
  m_server.on("GET", "/hello", [](const httplib::Request &, httplib::Response &res) {
    res.set_header("X-RateLimit-Remaining", "4999");
    res.set_content("hi there", "text/plain");
  });
  m_server.start();
  Client client(options());
  Request request = get(m_server.url("/hello"));
  request.headers.emplace("x-test", "one");
  request.headers.emplace("Accept", "application/vnd.github+json");

  const Response response = client.send(request);

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hi there");
  EXPECT_EQ(response.url, m_server.url("/hello"));
  // Header names are case-insensitive both ways.
  EXPECT_EQ(response.header("x-ratelimit-remaining"), "4999");
  EXPECT_EQ(response.header("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(response.header("x-absent"), std::nullopt);
  const auto seen = m_server.seen();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].headers.at("x-test"), "one");
  EXPECT_EQ(seen[0].headers.at("accept"), "application/vnd.github+json");
  EXPECT_EQ(seen[0].headers.at("user-agent"), default_user_agent());
  EXPECT_THAT(default_user_agent(), ::testing::StartsWith("gitops-promotion/"));
  EXPECT_EQ(seen[0].body, "");
}

TEST_F(CurlHttpClientTest, SendsMethodsWithBodiesAndContentType) {
  const auto echo = [](const httplib::Request &req, httplib::Response &res) {
    res.status = 201;
    res.set_content(req.method + ":" + req.body, "text/plain");
  };
  for (const char *method : {"POST", "PATCH", "PUT", "DELETE"}) {
    m_server.on(method, "/things", echo);
  }
  m_server.start();
  Client client(options());

  for (const std::string method : {"POST", "PATCH", "PUT", "DELETE"}) {
    SCOPED_TRACE(method);
    Request request;
    request.method = method;
    request.url = m_server.url("/things");
    request.body = R"({"title":")" + method + R"("})";
    const Response response = client.send(request);
    EXPECT_EQ(response.status, 201);
    EXPECT_EQ(response.body, method + ":" + request.body);
  }
  const auto seen = m_server.seen();
  ASSERT_EQ(seen.size(), 4U);
  for (const auto &s : seen) {
    SCOPED_TRACE(s.method);
    EXPECT_EQ(s.headers.at("content-type"), "application/json");
    EXPECT_EQ(s.headers.count("expect"), 0U);
  }
}

TEST_F(CurlHttpClientTest, CallerContentTypeAndEmptyBodies) {
  m_server.on("PUT", "/merge", [](const httplib::Request &req, httplib::Response &res) {
    res.set_content("len=" + req.get_header_value("Content-Length"), "text/plain");
  });
  m_server.on("DELETE", "/ref", [](const httplib::Request &req, httplib::Response &res) {
    res.status = 204;
    (void)req;
  });
  m_server.on("POST", "/form", [](const httplib::Request &req, httplib::Response &res) {
    res.set_content(req.get_header_value("Content-Type") + "|" + req.body, "text/plain");
  });
  m_server.start();
  Client client(options());

  Request put{"PUT", m_server.url("/merge"), {}, "", std::nullopt};
  EXPECT_EQ(client.send(put).body, "len=0");

  Request del{"delete", m_server.url("/ref"), {}, "", std::nullopt};
  const Response deleted = client.send(del);
  EXPECT_EQ(deleted.status, 204);
  EXPECT_EQ(deleted.body, "");

  Request post{
      "POST", m_server.url("/form"), {{"content-type", "text/plain"}}, "a=b", std::nullopt};
  EXPECT_EQ(client.send(post).body, "text/plain|a=b");
  EXPECT_EQ(m_server.seen().at(1).method, "DELETE");
}

TEST_F(CurlHttpClientTest, ReturnsErrorStatusesInsteadOfThrowing) {
  m_server.on("GET", "/missing", [](const httplib::Request &, httplib::Response &res) {
    res.status = 404;
    res.set_content(R"({"message":"Not Found"})", "application/json");
  });
  m_server.on("POST", "/invalid", [](const httplib::Request &, httplib::Response &res) {
    res.status = 422;
    res.set_content(R"({"message":"Validation Failed"})", "application/json");
  });
  m_server.start();
  Client client(options());

  const Response missing = client.send(get(m_server.url("/missing")));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"message":"Not Found"})");
  const Response invalid = client.send({"POST", m_server.url("/invalid"), {}, "{}", std::nullopt});
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(m_server.count(), 2U);
  EXPECT_TRUE(m_sleeps.empty());
}

TEST_F(CurlHttpClientTest, ReusesOneConnection) {
  m_server.on("GET", "/n", [](const httplib::Request &, httplib::Response &res) {
    res.set_content("x", "text/plain");
  });
  m_server.on("POST", "/n", [](const httplib::Request &, httplib::Response &res) {
    res.set_content("y", "text/plain");
  });
  m_server.start();
  Client client(options());

  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(client.send(get(m_server.url("/n"))).status, 200);
    ASSERT_EQ(client.send({"POST", m_server.url("/n"), {}, "{}", std::nullopt}).status, 200);
  }

  std::set<int> ports;
  for (const auto &seen : m_server.seen()) {
    ports.insert(seen.remote_port);
  }
  EXPECT_EQ(m_server.count(), 6U);
  EXPECT_EQ(ports.size(), 1U) << "every request should use the same keep-alive connection";
}

TEST_F(CurlHttpClientTest, TwoClientsUseTwoConnections) {
  // The control for ReusesOneConnection: the remote port does tell connections apart.
  m_server.on("GET", "/n", [](const httplib::Request &, httplib::Response &res) {
    res.set_content("x", "text/plain");
  });
  m_server.start();
  Client first(options());
  Client second(options());
  ASSERT_EQ(first.send(get(m_server.url("/n"))).status, 200);
  ASSERT_EQ(second.send(get(m_server.url("/n"))).status, 200);
  const auto seen = m_server.seen();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_NE(seen[0].remote_port, seen[1].remote_port);
}

TEST_F(CurlHttpClientTest, RetriesGatewayErrorsAndTooManyRequestsWithBackoff) {
  m_server.on("GET", "/flaky", scripted({{502}, {503}, {504}, {429}, {200, {}, "finally"}}));
  m_server.start();
  Client client(options());

  const Response response = client.send(get(m_server.url("/flaky")));

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "finally");
  EXPECT_EQ(m_server.count(), 5U);
  EXPECT_THAT(m_sleeps, ElementsAre(100ms, 200ms, 400ms, 800ms));
}

TEST_F(CurlHttpClientTest, ReturnsLastResponseWhenAttemptsRunOut) {
  m_server.on("GET", "/down", scripted({{503, {}, "down"}}));
  m_server.start();
  auto o = options();
  o.max_attempts = 3;
  Client client(o);

  const Response response = client.send(get(m_server.url("/down")));

  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "down");
  EXPECT_EQ(m_server.count(), 3U);
  EXPECT_EQ(m_sleeps.size(), 2U);
}

TEST_F(CurlHttpClientTest, JitterAndBackoffCap) {
  m_server.on("GET", "/down", scripted({{502}}));
  m_server.start();
  auto o = options();
  o.max_attempts = 6;
  o.base_backoff = 1000ms;
  o.max_backoff = 3000ms;
  o.random = [] { return 0.0; }; // the smallest jitter: half of the nominal backoff
  Client client(o);

  EXPECT_EQ(client.send(get(m_server.url("/down"))).status, 502);
  EXPECT_THAT(m_sleeps, ElementsAre(500ms, 1000ms, 1500ms, 1500ms, 1500ms));
}

TEST_F(CurlHttpClientTest, DoesNotRetryOtherClientErrors) {
  m_server.on("GET", "/forbidden",
              scripted({{403, {}, R"({"message":"Resource not accessible"})"}}));
  m_server.on("GET", "/error", scripted({{500}}));
  m_server.start();
  Client client(options());

  EXPECT_EQ(client.send(get(m_server.url("/forbidden"))).status, 403);
  EXPECT_EQ(client.send(get(m_server.url("/error"))).status, 500);
  EXPECT_EQ(m_server.count(), 2U);
  EXPECT_TRUE(m_sleeps.empty());
}

TEST_F(CurlHttpClientTest, HonoursRetryAfterSeconds) {
  m_server.on("GET", "/busy", scripted({{503, {{"Retry-After", "3"}}}, {200}}));
  m_server.start();
  Client client(options());

  EXPECT_EQ(client.send(get(m_server.url("/busy"))).status, 200);
  EXPECT_THAT(m_sleeps, ElementsAre(3000ms));
}

TEST_F(CurlHttpClientTest, HonoursRetryAfterHttpDate) {
  // m_now is 2027-01-15T08:00:00Z; the server asks for seven seconds later.
  m_server.on("GET", "/busy",
              scripted({{429, {{"Retry-After", "Fri, 15 Jan 2027 08:00:07 GMT"}}}, {200}}));
  m_server.start();
  Client client(options());

  EXPECT_EQ(client.send(get(m_server.url("/busy"))).status, 200);
  EXPECT_THAT(m_sleeps, ElementsAre(7000ms));
}

TEST_F(CurlHttpClientTest, RetryAfterLongerThanLimitThrowsWithTime) {
  m_server.on("GET", "/busy", scripted({{429, {{"Retry-After", "3600"}}}, {200}}));
  m_server.start();
  Client client(options());

  try {
    (void)client.send(get(m_server.url("/busy")));
    FAIL() << "expected HttpError";
  } catch (const HttpError &e) {
    EXPECT_THAT(e.what(), HasSubstr("retry after 2027-01-15T09:00:00Z"));
    EXPECT_THAT(e.what(), HasSubstr("HTTP 429"));
  }
  EXPECT_EQ(m_server.count(), 1U);
  EXPECT_TRUE(m_sleeps.empty());
}

TEST_F(CurlHttpClientTest, NonIdempotentRequestsAreNotRetriedAfterTheServerMayHaveActed) {
  m_server.on("POST", "/pulls", scripted({{502}, {201}}));
  m_server.on("PATCH", "/pulls/1", scripted({{504}, {200}}));
  m_server.on("POST", "/unavailable", scripted({{503}, {201}}));
  m_server.start();
  Client client(options());

  EXPECT_EQ(client.send({"POST", m_server.url("/pulls"), {}, "{}", std::nullopt}).status, 502);
  EXPECT_EQ(client.send({"PATCH", m_server.url("/pulls/1"), {}, "{}", std::nullopt}).status, 504);
  EXPECT_EQ(client.send({"POST", m_server.url("/unavailable"), {}, "{}", std::nullopt}).status,
            503);
  EXPECT_EQ(m_server.count(), 3U);
  EXPECT_TRUE(m_sleeps.empty());
}

TEST_F(CurlHttpClientTest, NonIdempotentRequestsAreRetriedWhenRefusedOrMarkedSafe) {
  m_server.on("POST", "/limited", scripted({{429}, {201}}));
  m_server.on("POST", "/maintenance", scripted({{503, {{"Retry-After", "1"}}}, {201}}));
  m_server.on("PATCH", "/safe", scripted({{502}, {200}}));
  m_server.start();
  Client client(options());

  EXPECT_EQ(client.send({"POST", m_server.url("/limited"), {}, "{}", std::nullopt}).status, 201);
  EXPECT_EQ(client.send({"POST", m_server.url("/maintenance"), {}, "{}", std::nullopt}).status,
            201);
  EXPECT_EQ(client.send({"PATCH", m_server.url("/safe"), {}, "{}", true}).status, 200);
  EXPECT_EQ(m_server.count(), 6U);
  EXPECT_THAT(m_sleeps, ElementsAre(100ms, 1000ms, 100ms));
}

TEST_F(CurlHttpClientTest, ConnectionRefusedIsRetriedThenThrows) {
  const RefusingPort refusing;
  auto o = options();
  o.max_attempts = 3;
  Client client(o);

  for (const std::string method : {"GET", "POST"}) {
    SCOPED_TRACE(method);
    m_sleeps.clear();
    try {
      (void)client.send({method, refusing.url("/repos"), {}, "", std::nullopt});
      FAIL() << "expected HttpError";
    } catch (const HttpError &e) {
      EXPECT_THAT(e.what(), HasSubstr(method + " " + refusing.url("/repos") + " failed: "));
      EXPECT_THAT(e.what(), HasSubstr("Couldn't connect to server"));
      EXPECT_THAT(e.what(), HasSubstr("after 3 attempts"));
    }
    // Connect failures are retried for POST too: nothing reached the server.
    EXPECT_THAT(m_sleeps, ElementsAre(100ms, 200ms));
  }
}

TEST_F(CurlHttpClientTest, DroppedConnectionIsRetriedOnlyForIdempotentRequests) {
  const DroppingServer dropping;
  auto o = options();
  o.max_attempts = 3;
  Client client(o);

  EXPECT_THROW((void)client.send(get(dropping.url("/x"))), HttpError);
  EXPECT_EQ(dropping.connections(), 3);
  EXPECT_EQ(m_sleeps.size(), 2U);

  m_sleeps.clear();
  try {
    (void)client.send({"POST", dropping.url("/pulls"), {}, R"({"title":"t"})", std::nullopt});
    FAIL() << "expected HttpError";
  } catch (const HttpError &e) {
    EXPECT_THAT(e.what(), HasSubstr("not retried: the request may have reached the server"));
  }
  EXPECT_EQ(dropping.connections(), 4);
  EXPECT_TRUE(m_sleeps.empty());
}

TEST_F(CurlHttpClientTest, TotalTimeoutThrows) {
  m_server.on("GET", "/slow", [this](const httplib::Request &, httplib::Response &res) {
    m_server.hold(2s);
    res.set_content("late", "text/plain");
  });
  m_server.on("POST", "/slow", [this](const httplib::Request &, httplib::Response &res) {
    m_server.hold(2s);
    res.set_content("late", "text/plain");
  });
  m_server.start();
  auto o = options();
  o.total_timeout = 300ms;
  o.max_attempts = 2;
  Client client(o);

  try {
    (void)client.send(get(m_server.url("/slow")));
    FAIL() << "expected HttpError";
  } catch (const HttpError &e) {
    EXPECT_THAT(e.what(), HasSubstr("Timeout was reached"));
    EXPECT_THAT(e.what(), HasSubstr("after 2 attempts"));
  }
  // A POST that timed out after it was sent is not repeated.
  try {
    (void)client.send({"POST", m_server.url("/slow"), {}, "{}", std::nullopt});
    FAIL() << "expected HttpError";
  } catch (const HttpError &e) {
    EXPECT_THAT(e.what(), HasSubstr("Timeout was reached"));
    EXPECT_THAT(e.what(), HasSubstr("not retried"));
  }
  m_server.release();
  EXPECT_EQ(m_server.count(), 3U);
  EXPECT_EQ(m_sleeps.size(), 1U);
}

// An answer larger than max_response_bytes stops the transfer with an error that says so, and is
// not retried (the same answer would come again); one at the limit is read whole.
TEST_F(CurlHttpClientTest, AnswersOverTheSizeLimitStopWithAClearError) {
  m_server.on("GET", "/big", scripted({{200, {}, std::string(4096, 'x')}}));
  m_server.on("GET", "/fits", scripted({{200, {}, std::string(1024, 'y')}}));
  m_server.start();
  auto o = options();
  o.max_response_bytes = 1024;
  Client client(o);
  try {
    (void)client.send(get(m_server.url("/big")));
    FAIL() << "expected HttpError";
  } catch (const HttpError &e) {
    EXPECT_THAT(e.what(), HasSubstr("the answer is larger than 1024 bytes, the most this client "
                                    "reads; stopped reading it"));
  }
  EXPECT_TRUE(m_sleeps.empty());
  const Response fits = client.send(get(m_server.url("/fits")));
  EXPECT_EQ(fits.status, 200);
  EXPECT_EQ(fits.body.size(), 1024U);
}

TEST_F(CurlHttpClientTest, TemporaryRedirectResendsPatchWithBody) {
  m_server.on("PATCH", "/repos/old/pulls/1",
              [this](const httplib::Request &, httplib::Response &res) {
                res.status = 307;
                res.set_header("Location", m_server.url("/repos/new/pulls/1"));
              });
  m_server.on("PATCH", "/repos/new/pulls/1",
              [](const httplib::Request &req, httplib::Response &res) {
                res.set_content("patched:" + req.body, "application/json");
              });
  m_server.start();
  Client client(options());

  const Response response = client.send(
      {"PATCH", m_server.url("/repos/old/pulls/1"), {}, R"({"title":"new"})", std::nullopt});

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"(patched:{"title":"new"})");
  EXPECT_EQ(response.url, m_server.url("/repos/new/pulls/1"));
  const auto seen = m_server.seen();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[1].method, "PATCH");
  EXPECT_EQ(seen[1].body, R"({"title":"new"})");
}

TEST_F(CurlHttpClientTest, FollowsPermanentRedirectsForGetAndPost) {
  m_server.on("GET", "/moved", [](const httplib::Request &, httplib::Response &res) {
    res.status = 301;
    res.set_header("Location", "/here");
  });
  m_server.on("GET", "/here", [](const httplib::Request &, httplib::Response &res) {
    res.set_content("here", "text/plain");
  });
  m_server.on("POST", "/old-statuses", [](const httplib::Request &, httplib::Response &res) {
    res.status = 308;
    res.set_header("Location", "/statuses");
  });
  m_server.on("POST", "/statuses", [](const httplib::Request &req, httplib::Response &res) {
    res.status = 201;
    res.set_content(req.body, "application/json");
  });
  m_server.start();
  Client client(options());

  const Response moved = client.send(get(m_server.url("/moved")));
  EXPECT_EQ(moved.body, "here");
  EXPECT_EQ(moved.url, m_server.url("/here"));
  // Only the final response's headers are kept.
  EXPECT_EQ(moved.header("Location"), std::nullopt);
  const Response posted =
      client.send({"POST", m_server.url("/old-statuses"), {}, R"({"state":"success"})", false});
  EXPECT_EQ(posted.status, 201);
  EXPECT_EQ(posted.body, R"({"state":"success"})");
}

TEST_F(CurlHttpClientTest, SeeOtherTurnsPostIntoGet) {
  m_server.on("POST", "/create", [](const httplib::Request &, httplib::Response &res) {
    res.status = 303;
    res.set_header("Location", "/result");
  });
  m_server.on("GET", "/result", [](const httplib::Request &req, httplib::Response &res) {
    res.set_content(req.method + ":" + req.body, "text/plain");
  });
  m_server.start();
  Client client(options());

  EXPECT_EQ(client.send({"POST", m_server.url("/create"), {}, R"({"a":1})", std::nullopt}).body,
            "GET:");
}

TEST_F(CurlHttpClientTest, HeadReturnsHeadersWithoutBody) {
  m_server.on("GET", "/file", [](const httplib::Request &, httplib::Response &res) {
    res.set_header("ETag", "\"abc\"");
    res.set_content("body that HEAD must not return", "text/plain");
  });
  m_server.start();
  Client client(options());

  const Response response = client.send({"HEAD", m_server.url("/file"), {}, "", std::nullopt});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("etag"), "\"abc\"");
  EXPECT_EQ(response.body, "");
  // The handle is reset between requests: a GET after a HEAD has its body again.
  EXPECT_EQ(client.send(get(m_server.url("/file"))).body, "body that HEAD must not return");
}

TEST_F(CurlHttpClientTest, AuthorizationIsNotSentToAnotherPortAfterRedirect) {
  LocalServer other;
  other.on("GET", "/target", [](const httplib::Request &, httplib::Response &res) {
    res.set_content("other", "text/plain");
  });
  other.start();
  m_server.on("GET", "/elsewhere", [&other](const httplib::Request &, httplib::Response &res) {
    res.status = 307;
    res.set_header("Location", other.url("/target"));
  });
  m_server.on("GET", "/same", [](const httplib::Request &, httplib::Response &res) {
    res.status = 302;
    res.set_header("Location", "/target");
  });
  m_server.on("GET", "/target", [](const httplib::Request &, httplib::Response &res) {
    res.set_content("same", "text/plain");
  });
  m_server.start();
  Client client(options());

  Request elsewhere = get(m_server.url("/elsewhere"));
  elsewhere.headers.emplace("Authorization", "Bearer ghp_secret");
  EXPECT_EQ(client.send(elsewhere).body, "other");
  Request same = get(m_server.url("/same"));
  same.headers.emplace("Authorization", "Bearer ghp_secret");
  EXPECT_EQ(client.send(same).body, "same");

  const auto there = other.seen();
  ASSERT_EQ(there.size(), 1U);
  EXPECT_EQ(there[0].headers.count("authorization"), 0U);
  // The control: a redirect on the same host and port keeps the header.
  const auto here = m_server.seen();
  ASSERT_EQ(here.size(), 3U);
  EXPECT_EQ(here[0].headers.at("authorization"), "Bearer ghp_secret");
  EXPECT_EQ(here[2].path, "/target");
  EXPECT_EQ(here[2].headers.at("authorization"), "Bearer ghp_secret");
}

TEST_F(CurlHttpClientTest, UsesHttpProxyFromEnvironment) {
  m_server.on("GET", ".*", [](const httplib::Request &, httplib::Response &res) {
    res.set_content("via proxy", "text/plain");
  });
  m_server.start();
  m_env.set("http_proxy", m_server.url(""));
  Client client(options());

  // promotion.test never resolves: only the proxy can answer.
  const Response response = client.send(get("http://promotion.test/repos/o/r?page=1"));

  EXPECT_EQ(response.body, "via proxy");
  const auto seen = m_server.seen();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].target, "http://promotion.test/repos/o/r?page=1");
  EXPECT_EQ(seen[0].headers.at("host"), "promotion.test");
}

TEST_F(CurlHttpClientTest, NoProxySkipsTheProxy) {
  LocalServer proxy;
  proxy.on("GET", ".*", [](const httplib::Request &, httplib::Response &res) {
    res.set_content("via proxy", "text/plain");
  });
  proxy.start();
  m_server.on("GET", "/direct", [](const httplib::Request &, httplib::Response &res) {
    res.set_content("direct", "text/plain");
  });
  m_server.start();
  m_env.set("http_proxy", proxy.url(""));
  m_env.set("no_proxy", "127.0.0.1");
  Client client(options());

  EXPECT_EQ(client.send(get(m_server.url("/direct"))).body, "direct");
  EXPECT_EQ(proxy.count(), 0U);
}

TEST_F(CurlHttpClientTest, LogsOneLinePerAttempt) {
  m_server.on("GET", "/repos/o/r/pulls", scripted({{503}, {200}}));
  m_server.start();
  Client client(options());

  (void)client.send(get(m_server.url("/repos/o/r/pulls?state=open&page=2")));

  ASSERT_EQ(m_logs.size(), 2U);
  const std::regex first(
      R"(http: GET /repos/o/r/pulls\?state=open&page=2 -> 503 \(\d+ ms, attempt 1/5\); retrying in 100 ms)");
  const std::regex second(
      R"(http: GET /repos/o/r/pulls\?state=open&page=2 -> 200 \(\d+ ms, attempt 2/5\))");
  EXPECT_TRUE(std::regex_match(m_logs[0], first)) << m_logs[0];
  EXPECT_TRUE(std::regex_match(m_logs[1], second)) << m_logs[1];
}

TEST_F(CurlHttpClientTest, LogsTransportErrors) {
  const RefusingPort refusing;
  auto o = options();
  o.max_attempts = 2;
  Client client(o);

  EXPECT_THROW((void)client.send({"PATCH", refusing.url("/p"), {}, "{}", std::nullopt}), HttpError);
  ASSERT_EQ(m_logs.size(), 2U);
  EXPECT_TRUE(std::regex_match(
      m_logs[0],
      std::regex(
          R"(http: PATCH /p -> error: Couldn't connect to server \(\d+ ms, attempt 1/2\); retrying in 100 ms)")))
      << m_logs[0];
  EXPECT_TRUE(std::regex_match(
      m_logs[1],
      std::regex(R"(http: PATCH /p -> error: Couldn't connect to server \(\d+ ms, attempt 2/2\))")))
      << m_logs[1];
}

TEST_F(CurlHttpClientTest, TokenNeverAppearsInErrorsOrLogs) {
  const RefusingPort refusing;
  auto o = options();
  o.max_attempts = 2;
  o.set_secrets({"ghp_registered"});
  Client client(o);
  client.add_secret("pat-added-later");
  client.add_secret("");

  const std::vector<std::string> urls = {
      refusing.url("/x?token=ghp_registered"),
      refusing.url("/y?key=pat-added-later"),
      refusing.url("/z?auth=ghp_header_token"),
      "http://user:url_password@" + refusing.url("/w").substr(7),
  };
  for (const auto &url : urls) {
    SCOPED_TRACE(url);
    Request request = get(url);
    request.headers.emplace("Authorization", "Bearer ghp_header_token");
    try {
      (void)client.send(request);
      FAIL() << "expected HttpError";
    } catch (const HttpError &e) {
      const std::string what = e.what();
      EXPECT_THAT(what, HasSubstr("Couldn't connect"));
      for (const char *secret :
           {"ghp_registered", "pat-added-later", "ghp_header_token", "url_password"}) {
        EXPECT_THAT(what, Not(HasSubstr(secret)));
      }
    }
  }
  EXPECT_THAT(m_logs.at(0), HasSubstr("/x?token=***"));
  ASSERT_EQ(m_logs.size(), 8U);
  for (const auto &line : m_logs) {
    for (const char *secret :
         {"ghp_registered", "pat-added-later", "ghp_header_token", "url_password"}) {
      EXPECT_THAT(line, Not(HasSubstr(secret)));
    }
  }
}

TEST_F(CurlHttpClientTest, RejectsHeaderInjection) {
  m_server.on("GET", "/x", scripted({{200}}));
  m_server.start();
  Client client(options());

  Request request = get(m_server.url("/x"));
  request.headers.emplace("X-Evil", "a\r\nAuthorization: Bearer stolen");
  EXPECT_THROW((void)client.send(request), HttpError);
  Request bad_name = get(m_server.url("/x"));
  bad_name.headers.emplace("X-Evil: injected", "b");
  EXPECT_THROW((void)client.send(bad_name), HttpError);
  EXPECT_EQ(m_server.count(), 0U);
  // The handle is still usable afterwards.
  EXPECT_EQ(client.send(get(m_server.url("/x"))).status, 200);
}

TEST_F(CurlHttpClientTest, RequestUserAgentOverridesTheDefault) {
  m_server.on("GET", "/ua", [](const httplib::Request &req, httplib::Response &res) {
    res.set_content(req.get_header_value("User-Agent"), "text/plain");
  });
  m_server.start();
  auto o = options();
  o.user_agent = "gitops-promotion/9.9.9";
  Client client(o);

  EXPECT_EQ(client.send(get(m_server.url("/ua"))).body, "gitops-promotion/9.9.9");
  Request custom = get(m_server.url("/ua"));
  custom.headers.emplace("user-agent", "other/1");
  EXPECT_EQ(client.send(custom).body, "other/1");
}

TEST_F(CurlHttpClientTest, RejectsNonHttpSchemes) {
  Client client(options());
  EXPECT_THROW((void)client.send(get("file:///etc/passwd")), HttpError);
  EXPECT_TRUE(m_sleeps.empty());
}

TEST_F(CurlHttpClientTest, PaginatesOverTheWire) {
  m_server.on("GET", "/items", [this](const httplib::Request &req, httplib::Response &res) {
    const int page = req.has_param("page") ? std::stoi(req.get_param_value("page")) : 1;
    if (page < 3) {
      res.set_header("Link", "<" + m_server.url("/items?page=" + std::to_string(page + 1)) +
                                 ">; rel=\"next\", <" + m_server.url("/items?page=3") +
                                 ">; rel=\"last\"");
    }
    res.set_content("[" + std::to_string(page) + "]", "application/json");
  });
  m_server.start();
  Client client(options());

  std::vector<std::string> bodies;
  for_each_page(client, get(m_server.url("/items")),
                [&bodies](const Response &page) { bodies.push_back(page.body); });

  EXPECT_THAT(bodies, ElementsAre("[1]", "[2]", "[3]"));
  std::set<int> ports;
  for (const auto &seen : m_server.seen()) {
    ports.insert(seen.remote_port);
  }
  EXPECT_EQ(ports.size(), 1U);
}

TEST_F(CurlHttpClientTest, MovedClientKeepsWorking) {
  m_server.on("GET", "/x", scripted({{200, {}, "moved"}}));
  m_server.start();
  CurlHttpClient original(options());
  CurlHttpClient moved(std::move(original));
  EXPECT_EQ(moved.send(get(m_server.url("/x"))).body, "moved");
}

TEST_F(CurlHttpClientTest, TransportAloneMakesOneAttemptAndSaysWhatFailed) {
  m_server.on("GET", "/down", scripted({{503}}));
  m_server.start();
  CurlHttpClient client(options());
  EXPECT_EQ(client.send(get(m_server.url("/down"))).status, 503);
  EXPECT_EQ(m_server.count(), 1U);

  // Refused: nothing reached the server, so even a POST may be tried again.
  const RefusingPort refusing;
  try {
    (void)client.send({"POST", refusing.url("/pulls"), {}, "{}", std::nullopt});
    FAIL() << "expected TransportError";
  } catch (const TransportError &e) {
    EXPECT_TRUE(e.transient());
    EXPECT_FALSE(e.sent());
    EXPECT_THAT(e.what(), HasSubstr("POST " + refusing.url("/pulls") + " failed: "));
    EXPECT_EQ(e.summary(), "Couldn't connect to server");
  }

  // Dropped after the request went out: transient, but it may have been acted on.
  const DroppingServer dropping;
  try {
    (void)client.send({"POST", dropping.url("/pulls"), {}, "{}", std::nullopt});
    FAIL() << "expected TransportError";
  } catch (const TransportError &e) {
    EXPECT_TRUE(e.transient());
    EXPECT_TRUE(e.sent());
  }
  EXPECT_EQ(dropping.connections(), 1);

  // Not http(s): no attempt can cure that.
  try {
    (void)client.send(get("file:///etc/passwd"));
    FAIL() << "expected TransportError";
  } catch (const TransportError &e) {
    EXPECT_FALSE(e.transient());
  }
  EXPECT_TRUE(m_sleeps.empty());
}

} // namespace
} // namespace gitops::http
