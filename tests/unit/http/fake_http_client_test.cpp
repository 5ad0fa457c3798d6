#include "support/fake_http_client.hpp"

#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace gitops::http {
namespace {

using gitops::test::FakeHttpClient;
using gitops::test::FakeHttpMisuse;
using gitops::test::json_response;
using gitops::test::UrlMatcher;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Request request(const std::string &method, const std::string &url, const std::string &body = "") {
  Request r;
  r.method = method;
  r.url = url;
  r.body = body;
  return r;
}

TEST(FakeHttpClient, AnswersMatchingStubsAndRecordsRequests) {
  FakeHttpClient fake;
  fake.on("GET", UrlMatcher::path("/repos/o/r/pulls"), json_response(200, "[]"))
      .on("post", UrlMatcher::exact("https://api.github.com/repos/o/r/pulls"),
          json_response(201, R"({"number":7})"));

  const Response list =
      fake.send(request("GET", "https://api.github.com/repos/o/r/pulls?state=open"));
  const Response created =
      fake.send(request("POST", "https://api.github.com/repos/o/r/pulls", R"({"title":"t"})"));

  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.body, "[]");
  EXPECT_EQ(list.header("content-type"), "application/json");
  EXPECT_EQ(list.url, "https://api.github.com/repos/o/r/pulls?state=open");
  EXPECT_EQ(created.status, 201);
  ASSERT_EQ(fake.requests().size(), 2U);
  EXPECT_EQ(fake.requests()[1].body, R"({"title":"t"})");
  EXPECT_NO_THROW(fake.verify());
}

TEST(FakeHttpClient, StubsAreUsedInOrderAndUpToTheirCount) {
  FakeHttpClient fake;
  fake.on("GET", UrlMatcher::path("/x"), json_response(503, ""), 2)
      .on("GET", UrlMatcher::path("/x"), json_response(200, "ok"));

  EXPECT_EQ(fake.send(request("GET", "https://h/x")).status, 503);
  EXPECT_EQ(fake.send(request("GET", "https://h/x")).status, 503);
  EXPECT_EQ(fake.send(request("GET", "https://h/x")).status, 200);
  EXPECT_THROW((void)fake.send(request("GET", "https://h/x")), FakeHttpMisuse);
  EXPECT_NO_THROW(fake.verify());
}

TEST(FakeHttpClient, UnmatchedRequestThrowsAndListsStubs) {
  FakeHttpClient fake;
  try {
    (void)fake.send(request("GET", "https://h/none"));
    FAIL() << "expected FakeHttpMisuse";
  } catch (const FakeHttpMisuse &e) {
    EXPECT_THAT(e.what(), HasSubstr("no stub for GET https://h/none (no stubs registered)"));
  }

  fake.on("PATCH", UrlMatcher::path("/pulls/1"), json_response(200, "{}"));
  try {
    (void)fake.send(request("GET", "https://h/pulls/1"));
    FAIL() << "expected FakeHttpMisuse";
  } catch (const FakeHttpMisuse &e) {
    EXPECT_THAT(e.what(), HasSubstr("stub PATCH path /pulls/1 (used 0 of 1)"));
  }
  // The unmatched requests are still recorded, for the failure message of the test.
  EXPECT_EQ(fake.requests().size(), 2U);
}

TEST(FakeHttpClient, MisuseIsNotAProjectError) {
  // Production code catches gitops::Error; a stub mistake must never be swallowed that way.
  FakeHttpClient fake;
  bool caught_as_project_error = false;
  try {
    (void)fake.send(request("GET", "https://h/x"));
  } catch (const Error &) {
    caught_as_project_error = true;
  } catch (const std::logic_error &) {
  }
  EXPECT_FALSE(caught_as_project_error);
}

TEST(FakeHttpClient, VerifyNamesUnusedStubs) {
  FakeHttpClient fake;
  fake.on("GET", UrlMatcher::path("/used"), json_response(200, ""))
      .on("DELETE", UrlMatcher::path("/refs/heads/x"), json_response(204, ""))
      .on("GET", UrlMatcher::path("/twice"), json_response(200, ""), 2)
      .always("GET", UrlMatcher::path("/any"), json_response(200, ""));
  (void)fake.send(request("GET", "https://h/used"));
  (void)fake.send(request("GET", "https://h/twice"));

  EXPECT_THAT(fake.unused_stubs(),
              ElementsAre("DELETE path /refs/heads/x (used 0 of 1)",
                          "GET path /twice (used 1 of 2)", "GET path /any (used 0 of any)"));
  try {
    fake.verify();
    FAIL() << "expected FakeHttpMisuse";
  } catch (const FakeHttpMisuse &e) {
    EXPECT_THAT(e.what(), HasSubstr("DELETE path /refs/heads/x"));
  }

  (void)fake.send(request("DELETE", "https://h/refs/heads/x"));
  (void)fake.send(request("GET", "https://h/twice"));
  for (int i = 0; i < 3; ++i) {
    (void)fake.send(request("GET", "https://h/any"));
  }
  EXPECT_THAT(fake.unused_stubs(), IsEmpty());
  EXPECT_NO_THROW(fake.verify());
}

TEST(FakeHttpClient, ResponderSeesTheRequest) {
  FakeHttpClient fake;
  fake.on("PUT", UrlMatcher::path("/merge"), [](const Request &r) {
    return json_response(200, "echo:" + r.body + ":" + r.headers.find("authorization")->second);
  });
  Request put = request("PUT", "https://h/merge", R"({"sha":"abc"})");
  put.headers.emplace("Authorization", "Bearer t");
  EXPECT_EQ(fake.send(put).body, R"(echo:{"sha":"abc"}:Bearer t)");
}

TEST(FakeHttpClient, FailSimulatesTransportErrors) {
  FakeHttpClient fake;
  fake.fail("GET", UrlMatcher::path("/x"), "Couldn't connect to server")
      .on("GET", UrlMatcher::path("/x"), json_response(200, "ok"));
  EXPECT_THROW((void)fake.send(request("GET", "https://h/x")), HttpError);
  EXPECT_EQ(fake.send(request("GET", "https://h/x")).body, "ok");
  EXPECT_NO_THROW(fake.verify());
}

TEST(FakeHttpClient, MatchersAndMethods) {
  FakeHttpClient fake;
  fake.on("get", UrlMatcher::regex(R"(https://h/repos/[^/]+/r/commits/[0-9a-f]{6}/pulls)"),
          json_response(200, "regex"))
      .on("GET", UrlMatcher::path_and_query("/items?page=2"), json_response(200, "page2"))
      .on("POST",
          UrlMatcher::where([](const Request &r) { return r.body.find("mutation") != r.body.npos; },
                            "graphql mutation"),
          json_response(200, "mutation"));

  EXPECT_EQ(fake.send(request("GET", "https://h/repos/o/r/commits/abc123/pulls")).body, "regex");
  EXPECT_THROW((void)fake.send(request("GET", "https://h/repos/o/r/commits/xyz/pulls")),
               FakeHttpMisuse);
  EXPECT_THROW((void)fake.send(request("GET", "https://h/items?page=3")), FakeHttpMisuse);
  EXPECT_EQ(fake.send(request("GET", "https://other/items?page=2")).body, "page2");
  EXPECT_THROW((void)fake.send(request("POST", "https://h/graphql", "query { x }")),
               FakeHttpMisuse);
  EXPECT_EQ(fake.send(request("POST", "https://h/graphql", "mutation { x }")).body, "mutation");
  // An empty method means GET.
  FakeHttpClient plain;
  plain.on("GET", UrlMatcher::exact("https://h/"), json_response(200, "root"));
  EXPECT_EQ(plain.send(request("", "https://h/")).body, "root");
}

TEST(FakeHttpClient, RejectsBadStubs) {
  FakeHttpClient fake;
  EXPECT_THROW(fake.on("GET", UrlMatcher::path("/x"), json_response(200, ""), 0), FakeHttpMisuse);
  EXPECT_THROW((void)UrlMatcher::regex("(unclosed"), FakeHttpMisuse);
}

TEST(FakeHttpClient, JsonResponseKeepsCallerContentType) {
  const Response r = json_response(200, "x", {{"content-type", "text/plain"}, {"X-A", "1"}});
  EXPECT_EQ(r.headers.count("Content-Type"), 1U);
  EXPECT_EQ(r.header("Content-Type"), "text/plain");
  EXPECT_EQ(r.header("x-a"), "1");
}

// expect(): the scripted style, exact URLs answered once each and in the order registered.
TEST(FakeHttpClient, ExpectStubsAreUsedInOrder) {
  FakeHttpClient fake;
  fake.expect("GET", "https://api/a", 200, R"({"n":1})")
      .expect("POST", "https://api/b", 201, "{}", {{"Date", "x"}});
  EXPECT_EQ(fake.pending(), 2U);
  Request b;
  b.method = "POST";
  b.url = "https://api/b";
  EXPECT_THROW((void)fake.send(b), FakeHttpMisuse) << "b came before a";
  Request a;
  a.url = "https://api/a";
  EXPECT_EQ(fake.send(a).body, R"({"n":1})");
  const Response answer = fake.send(b);
  EXPECT_EQ(answer.status, 201);
  EXPECT_EQ(answer.header("Date").value_or(""), "x");
  EXPECT_EQ(fake.pending(), 0U);
  EXPECT_THROW((void)fake.send(a), FakeHttpMisuse) << "each expect() answers once";
}

} // namespace
} // namespace gitops::http
