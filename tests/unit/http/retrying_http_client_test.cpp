#include "support/fake_http_client.hpp"

#include "gitops/http/retrying_http_client.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace gitops::http {
namespace {

using namespace std::chrono_literals;
using gitops::test::FakeHttpClient;
using gitops::test::json_response;
using gitops::test::UrlMatcher;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char *k_url = "https://forge.example/api/pulls";

// A forge rule of the shape GitHub's is (quota headers, plus a throttle the body names), kept
// here so the retry layer is tested without the providers; the registry's own rules are tested
// in providers_github/factory_test.cpp.
std::optional<RateLimit> test_rule(const Response &response) {
  auto limit = quota_exhausted(response, "x-quota-remaining", "x-quota-reset");
  if (response.status == 403 && response.body.find("slow down") != std::string::npos) {
    if (!limit) {
      limit.emplace();
    }
    limit->throttled = true;
  }
  return limit;
}

Request request(const std::string &method, std::optional<bool> idempotent = std::nullopt) {
  Request r;
  r.method = method;
  r.url = k_url;
  r.idempotent = idempotent;
  return r;
}

TransportError refused() {
  return {"GET " + std::string(k_url) + " failed: Couldn't connect to server",
          "Couldn't connect to server", true, false};
}

TransportError dropped() {
  return {"POST " + std::string(k_url) + " failed: Empty reply from server",
          "Empty reply from server", true, true};
}

class RetryingHttpClientTest : public ::testing::Test {
protected:
  RetryOptions options() {
    RetryOptions o;
    o.max_attempts = 5;
    o.base_backoff = 100ms;
    o.max_backoff = 10s;
    o.throttle_wait = 60s;
    o.max_rate_limit_wait = 60s;
    o.rate_limit = test_rule;
    o.sleep = [this](milliseconds wait) { m_sleeps.push_back(wait); };
    o.now = [this] { return m_now; };
    o.random = [] { return 1.0; };
    o.log = [this](std::string_view line) { m_logs.emplace_back(line); };
    return o;
  }

  [[nodiscard]] std::string reset_in(std::chrono::seconds delay) const {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(m_now.time_since_epoch() + delay).count());
  }

  FakeHttpClient m_fake;
  std::vector<milliseconds> m_sleeps;
  std::vector<std::string> m_logs;
  // 2027-01-15T08:00:00Z
  std::chrono::system_clock::time_point m_now{std::chrono::seconds(1'800'000'000)};
};

TEST_F(RetryingHttpClientTest, RepeatsGatewayErrorsAndTooManyRequestsWithDoublingBackoff) {
  for (const long status : {502L, 503L, 504L, 429L}) {
    m_fake.on("GET", UrlMatcher::exact(k_url), json_response(status, ""));
  }
  m_fake.on("GET", UrlMatcher::exact(k_url), json_response(200, "finally"));
  RetryingHttpClient client(m_fake, options());

  EXPECT_EQ(client.send(request("GET")).body, "finally");
  EXPECT_THAT(m_sleeps, ElementsAre(100ms, 200ms, 400ms, 800ms));
  m_fake.verify();
}

TEST_F(RetryingHttpClientTest, ReturnsTheLastAnswerWhenAttemptsRunOutAndLeavesOtherErrors) {
  m_fake.on("GET", UrlMatcher::exact(k_url), json_response(503, "down"), 3)
      .on("PUT", UrlMatcher::exact(k_url), json_response(500, "bug"))
      .on("DELETE", UrlMatcher::exact(k_url), json_response(403, "no"));
  auto o = options();
  o.max_attempts = 3;
  RetryingHttpClient client(m_fake, o);

  EXPECT_EQ(client.send(request("GET")).body, "down");
  EXPECT_EQ(m_sleeps.size(), 2U);
  m_sleeps.clear();
  EXPECT_EQ(client.send(request("PUT")).status, 500);
  EXPECT_EQ(client.send(request("DELETE")).status, 403);
  EXPECT_TRUE(m_sleeps.empty());
  m_fake.verify();
}

TEST_F(RetryingHttpClientTest, JitterTakesAtMostHalfAndTheCapHolds) {
  m_fake.always("GET", UrlMatcher::exact(k_url), json_response(502, ""));
  auto o = options();
  o.max_attempts = 6;
  o.base_backoff = 1000ms;
  o.max_backoff = 3000ms;
  o.random = [] { return 0.0; };
  RetryingHttpClient client(m_fake, o);

  EXPECT_EQ(client.send(request("GET")).status, 502);
  EXPECT_THAT(m_sleeps, ElementsAre(500ms, 1000ms, 1500ms, 1500ms, 1500ms));
  EXPECT_EQ(m_fake.requests().size(), 6U);
}

TEST_F(RetryingHttpClientTest, RetryAfterInSecondsOrAsDateAndTooLongThrowsWithTheTime) {
  m_fake.on("GET", UrlMatcher::exact(k_url), json_response(503, "", {{"Retry-After", "3"}}))
      .on("GET", UrlMatcher::exact(k_url),
          json_response(429, "", {{"Retry-After", "Fri, 15 Jan 2027 08:00:07 GMT"}}))
      .on("GET", UrlMatcher::exact(k_url), json_response(200, "ok"))
      .on("POST", UrlMatcher::exact(k_url), json_response(429, "", {{"Retry-After", "3600"}}));
  RetryingHttpClient client(m_fake, options());

  EXPECT_EQ(client.send(request("GET")).body, "ok");
  EXPECT_THAT(m_sleeps, ElementsAre(3000ms, 7000ms));
  try {
    (void)client.send(request("POST"));
    FAIL() << "expected HttpError";
  } catch (const HttpError &e) {
    EXPECT_THAT(e.what(), HasSubstr("rate limited by forge.example (HTTP 429)"));
    EXPECT_THAT(e.what(), HasSubstr("retry after 2027-01-15T09:00:00Z"));
  }
  EXPECT_EQ(m_sleeps.size(), 2U);
  m_fake.verify();
}

TEST_F(RetryingHttpClientTest, AThrottleWaitsAtLeastTheMinimumAndRepeatsAnyMethod) {
  m_fake.on("POST", UrlMatcher::exact(k_url), json_response(403, "slow down"))
      .on("POST", UrlMatcher::exact(k_url), json_response(201, "done"))
      .on("PATCH", UrlMatcher::exact(k_url),
          json_response(403, "slow down", {{"Retry-After", "2"}}))
      .on("PATCH", UrlMatcher::exact(k_url), json_response(200, "patched"));
  auto o = options();
  o.throttle_wait = 5s;
  RetryingHttpClient client(m_fake, o);

  EXPECT_EQ(client.send(request("POST")).body, "done");
  EXPECT_EQ(client.send(request("PATCH")).body, "patched");
  EXPECT_THAT(m_sleeps, ElementsAre(5000ms, 2000ms));
  m_fake.verify();
}

TEST_F(RetryingHttpClientTest, AUsedUpQuotaIsWaitedForUntilItsResetWhenNear) {
  m_fake
      .on("GET", UrlMatcher::exact(k_url),
          json_response(403, "", {{"x-quota-remaining", "0"}, {"x-quota-reset", reset_in(10s)}}))
      .on("GET", UrlMatcher::exact(k_url), json_response(200, "after reset"))
      .on("PUT", UrlMatcher::exact(k_url),
          json_response(403, "", {{"x-quota-remaining", "0"}, {"x-quota-reset", reset_in(100s)}}))
      .on("PUT", UrlMatcher::exact(k_url), json_response(200, "later"));
  RetryingHttpClient client(m_fake, options());
  EXPECT_EQ(client.send(request("GET")).body, "after reset");
  EXPECT_THAT(m_sleeps, ElementsAre(11000ms));

  auto patient = options();
  patient.max_rate_limit_wait = 120s;
  RetryingHttpClient waiting(m_fake, patient);
  EXPECT_EQ(waiting.send(request("PUT")).body, "later");
  EXPECT_THAT(m_sleeps, ElementsAre(11000ms, 101000ms));
  m_fake.verify();
}

TEST_F(RetryingHttpClientTest, AQuotaResettingTooLateThrowsNamingTheHostTheHeaderAndTheTime) {
  m_fake.on(
      "GET", UrlMatcher::exact(k_url),
      json_response(429, "", {{"X-Quota-Remaining", "0"}, {"X-Quota-Reset", reset_in(3600s)}}));
  RetryingHttpClient client(m_fake, options());

  try {
    (void)client.send(request("GET"));
    FAIL() << "expected HttpError";
  } catch (const HttpError &e) {
    const std::string what = e.what();
    EXPECT_THAT(what, HasSubstr("API rate limit of forge.example exhausted (HTTP 429, "
                                "x-quota-remaining: 0)"));
    EXPECT_THAT(what, HasSubstr("resets at 2027-01-15T09:00:00Z"));
    EXPECT_THAT(what, HasSubstr("retry after that"));
  }
  EXPECT_TRUE(m_sleeps.empty());
}

TEST_F(RetryingHttpClientTest, WithoutARuleOnlyTheGenericSignsCount) {
  m_fake.on("GET", UrlMatcher::exact(k_url),
            json_response(403, "slow down",
                          {{"x-quota-remaining", "0"}, {"x-quota-reset", reset_in(10s)}}));
  auto o = options();
  o.rate_limit = nullptr;
  RetryingHttpClient client(m_fake, o);

  EXPECT_EQ(client.send(request("GET")).status, 403);
  EXPECT_TRUE(m_sleeps.empty());
}

TEST_F(RetryingHttpClientTest, NonIdempotentRequestsAreRepeatedOnlyWhenTheServerCannotHaveActed) {
  m_fake.on("POST", UrlMatcher::exact(k_url), json_response(502, ""))
      .on("PATCH", UrlMatcher::exact(k_url), json_response(504, ""))
      .on("POST", UrlMatcher::exact(k_url), json_response(503, ""))
      .on("POST", UrlMatcher::exact(k_url), json_response(429, ""))
      .on("POST", UrlMatcher::exact(k_url), json_response(201, "created"))
      .on("POST", UrlMatcher::exact(k_url), json_response(503, "", {{"Retry-After", "1"}}))
      .on("POST", UrlMatcher::exact(k_url), json_response(201, "created again"))
      .on("PATCH", UrlMatcher::exact(k_url), json_response(502, ""))
      .on("PATCH", UrlMatcher::exact(k_url), json_response(200, "safe"));
  RetryingHttpClient client(m_fake, options());

  EXPECT_EQ(client.send(request("POST")).status, 502);
  EXPECT_EQ(client.send(request("PATCH")).status, 504);
  EXPECT_EQ(client.send(request("POST")).status, 503);
  EXPECT_TRUE(m_sleeps.empty());
  EXPECT_EQ(client.send(request("POST")).body, "created");
  EXPECT_EQ(client.send(request("POST")).body, "created again");
  EXPECT_EQ(client.send(request("PATCH", true)).body, "safe");
  EXPECT_THAT(m_sleeps, ElementsAre(100ms, 1000ms, 100ms));
  m_fake.verify();
}

TEST_F(RetryingHttpClientTest, TransportFailuresAreRepeatedWhenSafeThenReported) {
  m_fake.fail("GET", UrlMatcher::exact(k_url), refused(), 3)
      .fail("POST", UrlMatcher::exact(k_url), refused())
      .on("POST", UrlMatcher::exact(k_url), json_response(201, "created"))
      .fail("POST", UrlMatcher::exact(k_url), dropped());
  auto o = options();
  o.max_attempts = 3;
  RetryingHttpClient client(m_fake, o);

  try {
    (void)client.send(request("GET"));
    FAIL() << "expected HttpError";
  } catch (const HttpError &e) {
    EXPECT_THAT(e.what(), HasSubstr("Couldn't connect to server (after 3 attempts)"));
  }
  EXPECT_THAT(m_sleeps, ElementsAre(100ms, 200ms));
  // Refused: nothing reached the server, so a POST is repeated too.
  EXPECT_EQ(client.send(request("POST")).body, "created");
  // Dropped after sending: a POST may have been acted on.
  try {
    (void)client.send(request("POST"));
    FAIL() << "expected HttpError";
  } catch (const HttpError &e) {
    EXPECT_THAT(e.what(), HasSubstr("not retried: the request may have reached the server"));
  }
  EXPECT_THAT(m_sleeps, ElementsAre(100ms, 200ms, 100ms));
  m_fake.verify();
}

TEST_F(RetryingHttpClientTest, OtherErrorsPassThroughUntouched) {
  m_fake.fail("GET", UrlMatcher::exact(k_url), "invalid header");
  RetryingHttpClient client(m_fake, options());
  EXPECT_THROW((void)client.send(request("GET")), HttpError);
  EXPECT_EQ(m_fake.requests().size(), 1U);
  EXPECT_TRUE(m_logs.empty());
}

TEST_F(RetryingHttpClientTest, LogsOneRedactedLinePerAttempt) {
  m_fake.on("GET", UrlMatcher::path("/api/pulls"), json_response(502, ""))
      .fail("GET", UrlMatcher::path("/api/pulls"), refused())
      .on("GET", UrlMatcher::path("/api/pulls"), json_response(200, "ok"));
  auto o = options();
  o.secrets = {"tok-registered"};
  RetryingHttpClient client(m_fake, o);
  client.add_secret("tok-added");
  Request r = request("get");
  r.url = "https://forge.example/api/pulls?a=tok-registered&b=tok-added&c=tok-header";
  r.headers.emplace("Authorization", "Bearer tok-header");

  EXPECT_EQ(client.send(r).body, "ok");
  ASSERT_EQ(m_logs.size(), 3U);
  EXPECT_EQ(m_logs[0].substr(0, 38), "http: GET /api/pulls?a=***&b=***&c=***");
  EXPECT_THAT(m_logs[0], HasSubstr("-> 502 ("));
  EXPECT_THAT(m_logs[0], HasSubstr("attempt 1/5); retrying in 100 ms"));
  EXPECT_THAT(m_logs[1], HasSubstr("-> error: Couldn't connect to server ("));
  EXPECT_THAT(m_logs[2], HasSubstr("-> 200 ("));
  EXPECT_THAT(m_logs[2], Not(HasSubstr("retrying")));
  for (const std::string &line : m_logs) {
    EXPECT_THAT(line, Not(HasSubstr("tok-")));
  }
}

TEST(QuotaExhausted, NeedsARefusalANoughtAndANumericReset) {
  const auto answer = [](long status, Headers headers) {
    return json_response(status, "", std::move(headers));
  };
  const Headers used_up = {{"Remaining", "0"}, {"Reset", "1800000060"}};
  const auto limit = quota_exhausted(answer(429, used_up), "remaining", "reset");
  ASSERT_TRUE(limit.has_value());
  EXPECT_EQ(limit->resets_at, std::chrono::system_clock::time_point(1'800'000'060s));
  EXPECT_EQ(limit->evidence, "remaining: 0");
  EXPECT_FALSE(limit->throttled);
  EXPECT_TRUE(quota_exhausted(answer(403, used_up), "Remaining", "Reset").has_value());
  EXPECT_FALSE(quota_exhausted(answer(200, used_up), "Remaining", "Reset").has_value());
  EXPECT_FALSE(
      quota_exhausted(answer(429, {{"Remaining", "3"}, {"Reset", "1"}}), "Remaining", "Reset"));
  EXPECT_FALSE(
      quota_exhausted(answer(429, {{"Remaining", "0"}, {"Reset", "soon"}}), "Remaining", "Reset"));
  EXPECT_FALSE(quota_exhausted(answer(429, {{"Remaining", "0"}}), "Remaining", "Reset"));
}

} // namespace
} // namespace gitops::http
