#include "support/fake_http_client.hpp"

#include "gitops/http/http_client.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace gitops::http {
namespace {

using gitops::test::FakeHttpClient;
using gitops::test::FakeHttpMisuse;
using gitops::test::json_response;
using gitops::test::UrlMatcher;

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(Headers, LookUpIgnoresCase) {
  Response response;
  response.headers.emplace("Content-Type", "application/json");
  response.headers.emplace("x-ratelimit-remaining", "0");
  response.headers.emplace("LINK", "<a>; rel=next");

  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(response.header("X-RateLimit-Remaining"), "0");
  EXPECT_EQ(response.header("Link"), "<a>; rel=next");
  EXPECT_EQ(response.header("Content-Length"), std::nullopt);
  EXPECT_EQ(response.header(""), std::nullopt);
}

TEST(Headers, CaseInsensitiveLessOrdersWithoutCase) {
  const CaseInsensitiveLess less;
  EXPECT_FALSE(less("ABC", "abc"));
  EXPECT_FALSE(less("abc", "ABC"));
  EXPECT_TRUE(less("abc", "ABD"));
  EXPECT_TRUE(less("ab", "ABC"));
  EXPECT_FALSE(less("b", "A"));
}

TEST(Headers, RepeatedHeadersKeepEveryValueInOrder) {
  Response response;
  response.headers.emplace("Set-Cookie", "a");
  response.headers.emplace("set-cookie", "b");
  EXPECT_EQ(response.headers.count("SET-COOKIE"), 2U);
  EXPECT_EQ(response.header("Set-Cookie"), "a");
}

TEST(IsIdempotent, FollowsMethodUnlessTheCallerSays) {
  struct Case {
    std::string method;
    std::optional<bool> flag;
    bool expected;
  };
  const std::vector<Case> cases = {
      {"GET", std::nullopt, true},    {"get", std::nullopt, true},
      {"HEAD", std::nullopt, true},   {"PUT", std::nullopt, true},
      {"DELETE", std::nullopt, true}, {"OPTIONS", std::nullopt, true},
      {"POST", std::nullopt, false},  {"PATCH", std::nullopt, false},
      {"POST", true, true},           {"PATCH", true, true},
      {"GET", false, false},          {"BREW", std::nullopt, false},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.method);
    Request request;
    request.method = c.method;
    request.idempotent = c.flag;
    EXPECT_EQ(is_idempotent(request), c.expected);
  }
}

TEST(LinkHeader, ParsesGitHubStyle) {
  const auto links =
      parse_link_header(R"(<https://api.github.com/repositories/1/pulls?page=2>; rel="next", )"
                        R"(<https://api.github.com/repositories/1/pulls?page=5>; rel="last")");
  ASSERT_EQ(links.size(), 2U);
  EXPECT_EQ(links[0].url, "https://api.github.com/repositories/1/pulls?page=2");
  EXPECT_THAT(links[0].rels, ElementsAre("next"));
  EXPECT_EQ(links[1].url, "https://api.github.com/repositories/1/pulls?page=5");
  EXPECT_THAT(links[1].rels, ElementsAre("last"));
}

TEST(LinkHeader, HandlesSpacesTokensCaseAndRelLists) {
  const auto links =
      parse_link_header("  < /a?x=1,2 >  ;  REL = Next ;title=\"a, b; c\" ,"
                        "</b>;rel=\"prev   FIRST\";rel=\"ignored\",</c>;title=\"only\"");
  ASSERT_EQ(links.size(), 3U);
  EXPECT_EQ(links[0].url, "/a?x=1,2");
  EXPECT_THAT(links[0].rels, ElementsAre("next"));
  EXPECT_EQ(links[1].url, "/b");
  EXPECT_THAT(links[1].rels, ElementsAre("prev", "first"));
  EXPECT_EQ(links[2].url, "/c");
  EXPECT_THAT(links[2].rels, IsEmpty());
}

TEST(LinkHeader, EscapesInQuotedStrings) {
  const auto links = parse_link_header(R"(</x>; title="say \"hi\", ok"; rel="next")");
  ASSERT_EQ(links.size(), 1U);
  EXPECT_THAT(links[0].rels, ElementsAre("next"));
}

TEST(LinkHeader, SkipsMalformedEntries) {
  EXPECT_THAT(parse_link_header(""), IsEmpty());
  EXPECT_THAT(parse_link_header("   ,  , "), IsEmpty());
  EXPECT_THAT(parse_link_header("https://no-brackets; rel=next"), IsEmpty());
  EXPECT_THAT(parse_link_header("<https://unterminated; rel=next"), IsEmpty());
  EXPECT_THAT(parse_link_header("<>; rel=next"), IsEmpty());
  EXPECT_THAT(parse_link_header(R"(</x>; rel="next)"), IsEmpty());

  const auto links = parse_link_header(R"(garbage, </x> junk; rel=next, </y>; rel="next")");
  ASSERT_EQ(links.size(), 1U);
  EXPECT_EQ(links[0].url, "/y");
}

TEST(NextLink, FindsNextAmongSeveralHeadersAndEntries) {
  Response response;
  response.url = "https://api.github.com/repos/o/r/pulls";
  response.headers.emplace("Link", R"(<https://api.github.com/x?page=1>; rel="first")");
  response.headers.emplace("link", R"(<https://api.github.com/x?page=9>; rel="last", )"
                                   R"(<https://api.github.com/x?page=3>; rel="next last")");
  EXPECT_EQ(next_link(response), "https://api.github.com/x?page=3");
}

TEST(NextLink, AbsentWithoutNext) {
  Response response;
  EXPECT_EQ(next_link(response), std::nullopt);
  response.headers.emplace("Link",
                           R"(<https://a/x?page=1>; rel="prev", <https://a/x>; rel="nextish")");
  EXPECT_EQ(next_link(response), std::nullopt);
}

TEST(NextLink, ResolvesRelativeTargets) {
  struct Case {
    std::string base;
    std::string target;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"https://h:8443/api/v3/items?page=1", "/api/v3/items?page=2",
       "https://h:8443/api/v3/items?page=2"},
      {"https://h/api/v3/items?page=1", "?page=2", "https://h/api/v3/items?page=2"},
      {"https://h/api/v3/items?page=1", "other?page=2", "https://h/api/v3/other?page=2"},
      {"https://h/api/items", "//mirror/items?page=2", "https://mirror/items?page=2"},
      {"https://h/api/items", "http://elsewhere/x", "http://elsewhere/x"},
      {"", "/relative", "/relative"},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.base + " + " + c.target);
    Response response;
    response.url = c.base;
    response.headers.emplace("Link", "<" + c.target + ">; rel=\"next\"");
    EXPECT_EQ(next_link(response), c.expected);
  }
}

TEST(Urls, PathAndQuery) {
  EXPECT_EQ(path_and_query("https://api.github.com/repos/o/r/pulls?state=open#frag"),
            "/repos/o/r/pulls?state=open");
  EXPECT_EQ(path_and_query("https://api.github.com"), "/");
  EXPECT_EQ(path_and_query("http://h:80?x=1"), "/?x=1");
  EXPECT_EQ(path_and_query("https://u:p@h/x"), "/x");
}

TEST(RetryAfter, ParsesSecondsAndDates) {
  const std::chrono::system_clock::time_point now{std::chrono::seconds(1'800'000'000)};
  EXPECT_EQ(parse_retry_after("120", now), 120s);
  EXPECT_EQ(parse_retry_after(" 0 ", now), 0s);
  EXPECT_EQ(parse_retry_after("12345678901234567890", now), 999'999'999s);
  EXPECT_EQ(parse_retry_after("Fri, 15 Jan 2027 08:01:00 GMT", now), 60s);
  EXPECT_EQ(parse_retry_after("Friday, 15-Jan-27 08:00:30 GMT", now), 30s);
  EXPECT_EQ(parse_retry_after("Fri Jan 15 08:00:05 2027", now), 5s);
  // A date in the past means "now".
  EXPECT_EQ(parse_retry_after("Thu, 14 Jan 2027 08:00:00 GMT", now), 0s);
}

TEST(RetryAfter, RejectsGarbage) {
  const std::chrono::system_clock::time_point now{std::chrono::seconds(1'800'000'000)};
  EXPECT_EQ(parse_retry_after("", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("   ", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("soon", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("-5", now), std::nullopt);
}

TEST(FormatUtc, Iso8601) {
  EXPECT_EQ(format_utc(std::chrono::system_clock::time_point{std::chrono::seconds(1'800'000'000)}),
            "2027-01-15T08:00:00Z");
  EXPECT_EQ(format_utc(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00Z");
}

Response page(const std::string &body, const std::string &next) {
  Headers headers;
  if (!next.empty()) {
    headers.emplace("Link", "<" + next + R"(>; rel="next")");
  }
  return json_response(200, body, headers);
}

TEST(ForEachPage, FollowsNextLinksWithTheSameHeaders) {
  FakeHttpClient fake;
  fake.on("GET", UrlMatcher::exact("https://h/items"), page("[1]", "https://h/items?page=2"))
      .on("GET", UrlMatcher::exact("https://h/items?page=2"), page("[2]", "/items?page=3"))
      .on("GET", UrlMatcher::exact("https://h/items?page=3"), page("[3]", ""));
  Request first;
  first.url = "https://h/items";
  first.headers.emplace("Authorization", "Bearer t");

  std::vector<std::string> bodies;
  for_each_page(fake, first, [&bodies](const Response &r) { bodies.push_back(r.body); });

  EXPECT_THAT(bodies, ElementsAre("[1]", "[2]", "[3]"));
  fake.verify();
  ASSERT_EQ(fake.requests().size(), 3U);
  for (const auto &request : fake.requests()) {
    EXPECT_EQ(request.headers.count("authorization"), 1U);
    EXPECT_EQ(request.method, "GET");
  }
}

TEST(ForEachPage, StopsAtAnErrorAndHandsItOver) {
  FakeHttpClient fake;
  fake.on("GET", UrlMatcher::path("/items"), page("[1]", "https://h/items?page=2"))
      .on("GET", UrlMatcher::path_and_query("/items?page=2"),
          json_response(500, R"({"message":"boom"})", {{"Link", "<https://h/x>; rel=next"}}));
  Request first;
  first.url = "https://h/items";
  std::vector<long> statuses;
  for_each_page(fake, first, [&statuses](const Response &r) { statuses.push_back(r.status); });
  EXPECT_THAT(statuses, ElementsAre(200, 500));
  fake.verify();
}

TEST(ForEachPage, CallbackExceptionsPropagate) {
  FakeHttpClient fake;
  fake.on("GET", UrlMatcher::path("/items"), page("[1]", "https://h/items?page=2"));
  Request first;
  first.url = "https://h/items";
  EXPECT_THROW(
      for_each_page(fake, first, [](const Response &) { throw ProviderError("bad page", 200); }),
      ProviderError);
  EXPECT_EQ(fake.requests().size(), 1U);
}

TEST(ForEachPage, DetectsLoopsAndLimits) {
  FakeHttpClient fake;
  fake.on("GET", UrlMatcher::exact("https://u:p@h/a"), page("a", "https://u:p@h/b"))
      .on("GET", UrlMatcher::exact("https://u:p@h/b"), page("b", "https://u:p@h/a"));
  Request first;
  first.url = "https://u:p@h/a";
  try {
    for_each_page(fake, first, [](const Response &) {});
    FAIL() << "expected HttpError";
  } catch (const HttpError &e) {
    EXPECT_THAT(e.what(), HasSubstr("loops: page 2 links back to https://h/a"));
    EXPECT_THAT(std::string(e.what()), ::testing::Not(HasSubstr("u:p")));
  }

  FakeHttpClient endless;
  endless.on(
      "GET", UrlMatcher::regex("https://h/p\\?n=\\d+"),
      [](const Request &r) {
        const auto n = std::stoi(r.url.substr(r.url.find('=') + 1));
        return page("", "https://h/p?n=" + std::to_string(n + 1));
      },
      3);
  first.url = "https://h/p?n=1";
  int pages = 0;
  try {
    for_each_page(
        endless, first, [&pages](const Response &) { ++pages; }, 3);
    FAIL() << "expected HttpError";
  } catch (const HttpError &e) {
    EXPECT_THAT(e.what(), HasSubstr("more than 3 pages"));
  }
  EXPECT_EQ(pages, 3);
}

} // namespace
} // namespace gitops::http
