#include "support/fake_http_client.hpp"

#include "gitops/providers/azdo_provider.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace gitops::providers {
namespace {

using nlohmann::json;
using test::FakeHttpClient;
using test::json_response;
using test::UrlMatcher;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char *k_token = "s3cret-pat";
// base64(":s3cret-pat")
constexpr const char *k_basic = "Basic OnMzY3JldC1wYXQ=";
constexpr const char *k_repo =
    "https://dev.azure.com/org/My%20Project/_apis/git/repositories/web%20shop";
constexpr const char *k_sha = "1111111111111111111111111111111111111111";
constexpr const char *k_base = "2222222222222222222222222222222222222222";
constexpr const char *k_old = "3333333333333333333333333333333333333333";
constexpr const char *k_new = "4444444444444444444444444444444444444444";
constexpr const char *k_creator = "d6245f20-2af8-44f4-9451-8107cb2767db";

std::string api(const std::string &path_and_query) {
  const bool has_query = path_and_query.find('?') != std::string::npos;
  return std::string(k_repo) + path_and_query + (has_query ? "&" : "?") + "api-version=7.1";
}

json pr_json(long id, const std::string &head, const std::string &base = "main",
             const std::string &status = "active") {
  return json{{"pullRequestId", id},
              {"title", "Promote apps/web version 1.2 to environment dev"},
              {"description", "<!-- metadata = {} -->"},
              {"sourceRefName", "refs/heads/" + head},
              {"targetRefName", "refs/heads/" + base},
              {"status", status},
              {"createdBy", {{"id", k_creator}, {"displayName", "Build Service"}}},
              {"lastMergeSourceCommit", {{"commitId", k_sha}}}};
}

std::string list(const json &items) {
  return json{{"count", items.size()}, {"value", items}}.dump();
}

class AzdoProviderTest : public ::testing::Test {
protected:
  void TearDown() override {
    if (!HasFailure()) {
      EXPECT_NO_THROW(m_http.verify());
    }
    for (const auto &request : m_http.requests()) {
      SCOPED_TRACE(request.method + " " + request.url);
      const auto auth = request.headers.find("Authorization");
      ASSERT_NE(auth, request.headers.end());
      EXPECT_EQ(auth->second, k_basic);
      EXPECT_EQ(request.url.find(k_token), std::string::npos);
      if (!request.body.empty()) {
        const auto type = request.headers.find("Content-Type");
        ASSERT_NE(type, request.headers.end());
        EXPECT_EQ(type->second, "application/json");
      }
    }
  }

  json body(std::size_t index) const { return json::parse(m_http.requests().at(index).body); }

  const http::Request &request(std::size_t index) const { return m_http.requests().at(index); }

  void expect_search(const std::string &head, const json &items, int skip = 0, int top = 100) {
    m_http.on(
        "GET",
        UrlMatcher::exact(api("/pullrequests?searchCriteria.sourceRefName=refs/heads/" + head +
                              "&searchCriteria.targetRefName=refs/heads/main"
                              "&searchCriteria.status=active&$top=" +
                              std::to_string(top) + "&$skip=" + std::to_string(skip))),
        json_response(200, list(items)));
  }

  FakeHttpClient m_http;
  AzdoProvider m_provider{
      parse_azdo_remote("https://dev.azure.com/org/My%20Project/_git/web%20shop"), k_token, m_http};
};

TEST_F(AzdoProviderTest, RefusesAnEmptyToken) {
  EXPECT_THROW(AzdoProvider(parse_azdo_remote("https://dev.azure.com/o/p/_git/r"), "", m_http),
               ProviderError);
}

TEST_F(AzdoProviderTest, FindOpenPrReturnsNothingWhenNoneIsActive) {
  expect_search("promote/apps-web", json::array());
  EXPECT_EQ(m_provider.find_open_pr("promote/apps-web", "main"), std::nullopt);
  EXPECT_EQ(request(0).method, "GET");
  EXPECT_TRUE(request(0).idempotent.value_or(false));
}

TEST_F(AzdoProviderTest, FindOpenPrReadsEveryPage) {
  m_provider.set_page_size(2);
  // A lenient server might hand back PRs for other branches; they must be filtered out.
  expect_search("promote/apps-web",
                json::array({pr_json(1, "promote/other"), pr_json(2, "promote/other2")}), 0, 2);
  expect_search("promote/apps-web", json::array({pr_json(7, "promote/apps-web")}), 2, 2);
  const auto pr = m_provider.find_open_pr("promote/apps-web", "main");
  ASSERT_TRUE(pr.has_value());
  EXPECT_EQ(pr->number, 7);
  EXPECT_EQ(pr->id, "7");
  EXPECT_EQ(pr->head_branch, "promote/apps-web");
  EXPECT_EQ(pr->base_branch, "main");
  EXPECT_EQ(pr->head_sha, k_sha);
  EXPECT_EQ(pr->state, PrState::open);
  EXPECT_FALSE(pr->auto_merge);
  EXPECT_EQ(pr->url, "https://dev.azure.com/org/My%20Project/_git/web%20shop/pullrequest/7");
}

TEST_F(AzdoProviderTest, BranchNamesAreQueryEncoded) {
  expect_search("promote/a%2Bb%20c", json::array());
  EXPECT_EQ(m_provider.find_open_pr("promote/a+b c", "main"), std::nullopt);
}

TEST_F(AzdoProviderTest, CreatesAPrWhenNoneIsOpen) {
  expect_search("promote/apps-web", json::array());
  json created = pr_json(42, "promote/apps-web");
  created["repository"] = {{"webUrl", "https://dev.azure.com/org/My%20Project/_git/web%20shop"}};
  m_http.on("POST", UrlMatcher::exact(api("/pullrequests")), json_response(201, created.dump()));
  const auto pr = m_provider.create_or_update_pr("promote/apps-web", "main", "T", "D\n\tENV: dev");
  EXPECT_EQ(pr.number, 42);
  EXPECT_EQ(pr.url, "https://dev.azure.com/org/My%20Project/_git/web%20shop/pullrequest/42");
  EXPECT_EQ(body(1), (json{{"sourceRefName", "refs/heads/promote/apps-web"},
                           {"targetRefName", "refs/heads/main"},
                           {"title", "T"},
                           {"description", "D\n\tENV: dev"}}));
  EXPECT_FALSE(request(1).idempotent.value_or(true));
}

TEST_F(AzdoProviderTest, UpdatesTheOpenPrInsteadOfCreatingAnother) {
  expect_search("promote/apps-web", json::array({pr_json(5, "promote/apps-web")}));
  json updated = pr_json(5, "promote/apps-web");
  updated["title"] = "New";
  m_http.on("PATCH", UrlMatcher::exact(api("/pullrequests/5")), json_response(200, updated.dump()));
  const auto pr = m_provider.create_or_update_pr("promote/apps-web", "main", "New", "Body");
  EXPECT_EQ(pr.number, 5);
  EXPECT_EQ(pr.title, "New");
  EXPECT_EQ(body(1), (json{{"title", "New"}, {"description", "Body"}}));
}

TEST_F(AzdoProviderTest, AConflictingCreateLooksAgainAndUpdates) {
  expect_search("promote/apps-web", json::array());
  m_http.on("POST", UrlMatcher::exact(api("/pullrequests")),
            json_response(409, json{{"$id", "1"},
                                    {"message", "TF401179: An active pull request for the source "
                                                "and target branch already exists."},
                                    {"typeKey", "GitPullRequestExistsException"},
                                    {"errorCode", 0}}
                                   .dump()));
  expect_search("promote/apps-web", json::array({pr_json(9, "promote/apps-web")}));
  m_http.on("PATCH", UrlMatcher::exact(api("/pullrequests/9")),
            json_response(200, pr_json(9, "promote/apps-web").dump()));
  const auto pr = m_provider.create_or_update_pr("promote/apps-web", "main", "T", "D");
  EXPECT_EQ(pr.number, 9);
  int posts = 0;
  for (const auto &r : m_http.requests()) {
    posts += r.method == "POST" ? 1 : 0;
  }
  EXPECT_EQ(posts, 1);
}

TEST_F(AzdoProviderTest, ATransportFailureOnCreateLooksAgainBeforeGivingUp) {
  expect_search("promote/apps-web", json::array());
  m_http.fail("POST", UrlMatcher::exact(api("/pullrequests")), "connection reset");
  expect_search("promote/apps-web", json::array({pr_json(3, "promote/apps-web")}));
  m_http.on("PATCH", UrlMatcher::exact(api("/pullrequests/3")),
            json_response(200, pr_json(3, "promote/apps-web").dump()));
  EXPECT_EQ(m_provider.create_or_update_pr("promote/apps-web", "main", "T", "D").number, 3);
}

TEST_F(AzdoProviderTest, ATransportFailureWithNoPrIsRethrown) {
  expect_search("promote/apps-web", json::array());
  m_http.fail("POST", UrlMatcher::exact(api("/pullrequests")), "connection reset");
  expect_search("promote/apps-web", json::array());
  EXPECT_THROW((void)m_provider.create_or_update_pr("promote/apps-web", "main", "T", "D"),
               HttpError);
}

TEST_F(AzdoProviderTest, AConflictWithNoPrFoundIsReported) {
  expect_search("promote/apps-web", json::array());
  m_http.on("POST", UrlMatcher::exact(api("/pullrequests")),
            json_response(409, R"({"message":"TF401179: exists"})"));
  expect_search("promote/apps-web", json::array());
  try {
    (void)m_provider.create_or_update_pr("promote/apps-web", "main", "T", "D");
    FAIL() << "expected ProviderError";
  } catch (const ProviderError &error) {
    EXPECT_EQ(error.status(), 409);
    EXPECT_THAT(error.what(), HasSubstr("TF401179"));
  }
}

TEST_F(AzdoProviderTest, AutoCompleteUsesTheCreatorAndTheMergeStrategy) {
  const struct {
    config::MergeMethod method;
    const char *strategy;
  } cases[] = {{config::MergeMethod::merge, "noFastForward"},
               {config::MergeMethod::squash, "squash"},
               {config::MergeMethod::rebase, "rebase"}};
  expect_search("promote/apps-web", json::array({pr_json(5, "promote/apps-web")}));
  const auto pr = m_provider.find_open_pr("promote/apps-web", "main");
  ASSERT_TRUE(pr);
  std::size_t index = 1;
  for (const auto &c : cases) {
    SCOPED_TRACE(c.strategy);
    m_http.on("PATCH", UrlMatcher::exact(api("/pullrequests/5")),
              json_response(200, pr_json(5, "promote/apps-web").dump()));
    m_provider.set_auto_merge(*pr, true, c.method);
    EXPECT_EQ(body(index), (json{{"autoCompleteSetBy", {{"id", k_creator}}},
                                 {"completionOptions",
                                  {{"mergeStrategy", c.strategy}, {"deleteSourceBranch", true}}}}));
    ++index;
  }
}

TEST_F(AzdoProviderTest, AutoCompleteReadsTheCreatorWhenItIsNotKnown) {
  PullRequest pr;
  pr.number = 12;
  m_http.on("GET", UrlMatcher::exact(api("/pullrequests/12")),
            json_response(200, pr_json(12, "b").dump()));
  m_http.on("PATCH", UrlMatcher::exact(api("/pullrequests/12")),
            json_response(200, pr_json(12, "b").dump()));
  m_provider.set_auto_merge(pr, true, config::MergeMethod::squash);
  EXPECT_EQ(body(1)["autoCompleteSetBy"]["id"], k_creator);
}

TEST_F(AzdoProviderTest, AutoCompleteWithoutACreatorIsAnError) {
  PullRequest pr;
  pr.number = 12;
  json answer = pr_json(12, "b");
  answer.erase("createdBy");
  m_http.on("GET", UrlMatcher::exact(api("/pullrequests/12")), json_response(200, answer.dump()));
  EXPECT_THROW(m_provider.set_auto_merge(pr, true, config::MergeMethod::merge), ProviderError);
}

TEST_F(AzdoProviderTest, ClearingAutoCompleteSendsTheNullIdentity) {
  PullRequest pr;
  pr.number = 8;
  m_http.on("PATCH", UrlMatcher::exact(api("/pullrequests/8")),
            json_response(200, pr_json(8, "b").dump()));
  m_provider.set_auto_merge(pr, false, config::MergeMethod::merge);
  EXPECT_EQ(body(0),
            (json{{"autoCompleteSetBy", {{"id", "00000000-0000-0000-0000-000000000000"}}}}));
}

TEST_F(AzdoProviderTest, AutoCompleteStateIsRead) {
  json item = pr_json(5, "promote/apps-web");
  item["autoCompleteSetBy"] = {{"id", k_creator}};
  json cleared = pr_json(6, "promote/apps-web");
  cleared["autoCompleteSetBy"] = {{"id", "00000000-0000-0000-0000-000000000000"}};
  m_http.on("GET",
            UrlMatcher::exact(api("/pullrequests?searchCriteria.status=active&$top=100&$skip=0")),
            json_response(200, list(json::array({item, cleared}))));
  const auto prs = m_provider.find_open_prs_for_commit(k_sha);
  ASSERT_EQ(prs.size(), 2U);
  EXPECT_TRUE(prs[0].auto_merge);
  EXPECT_FALSE(prs[1].auto_merge);
}

TEST_F(AzdoProviderTest, FindsTheMergedPrOfACommit) {
  json merged = pr_json(77, "promote/apps-web", "main", "completed");
  merged["lastMergeCommit"] = {{"commitId", k_new}};
  m_http.on("POST", UrlMatcher::exact(api("/pullrequestquery")),
            json_response(200, json{{"queries", json::array()},
                                    {"results", json::array({{{k_new, json::array({merged})}}})}}
                                   .dump()));
  const auto pr = m_provider.find_merged_pr_for_commit(k_new);
  ASSERT_TRUE(pr);
  EXPECT_EQ(pr->number, 77);
  EXPECT_EQ(pr->state, PrState::merged);
  EXPECT_EQ(pr->merge_commit, std::optional<std::string>(k_new));
  EXPECT_EQ(body(0), (json{{"queries", json::array({{{"items", json::array({k_new})},
                                                     {"type", "lastMergeCommit"}}})}}));
  EXPECT_TRUE(request(0).idempotent.value_or(false));
}

TEST_F(AzdoProviderTest, AMergeQueryWithoutAnswerIsNothingNeverACrash) {
  const std::string empty_list = json{{"results", json::array({{{k_new, json::array()}}})}}.dump();
  const std::string answers[] = {
      empty_list,
      R"({"results":[{}]})",
      R"({"results":[]})",
      R"({"queries":[]})",
      R"({"results":[null]})",
      R"({"results":{"x":1}})",
      R"({"results":[{"1111111111111111111111111111111111111111":[{"pullRequestId":1}]}]})",
      "",
  };
  for (const auto &answer : answers) {
    SCOPED_TRACE(answer);
    m_http.on("POST", UrlMatcher::exact(api("/pullrequestquery")), json_response(200, answer));
    EXPECT_EQ(m_provider.find_merged_pr_for_commit(k_new), std::nullopt);
  }
}

TEST_F(AzdoProviderTest, OpenPrsForACommitMatchTheSourceCommit) {
  json other = pr_json(2, "b");
  other["lastMergeSourceCommit"] = {{"commitId", k_old}};
  m_http.on("GET",
            UrlMatcher::exact(api("/pullrequests?searchCriteria.status=active&$top=100&$skip=0")),
            json_response(200, list(json::array({pr_json(1, "a"), other}))));
  const auto prs = m_provider.find_open_prs_for_commit(k_sha);
  ASSERT_EQ(prs.size(), 1U);
  EXPECT_EQ(prs[0].number, 1);
}

TEST_F(AzdoProviderTest, StatusesAreMappedAndNewestFirst) {
  m_provider.set_page_size(3);
  const auto status = [](const char *genre, const char *name, const char *state, const char *date) {
    return json{{"state", state},
                {"description", std::string(name) + " " + state},
                {"context", {{"genre", genre}, {"name", name}}},
                {"creationDate", date}};
  };
  const json page1 = json::array(
      {status("fluxcd", "kustomization/apps-dev", "succeeded", "2026-01-01T10:00:00Z"),
       status("fluxcd:apps-dev", "kustomization/apps-qa", "failed", "2026-01-01T12:00:00Z"),
       status("ci", "build", "error", "2026-01-01T11:00:00Z")});
  const json page2 =
      json::array({status("", "plain", "pending", "2026-01-01T09:00:00Z"),
                   status("ci", "skipped", "notApplicable", "2026-01-01T13:00:00Z")});
  m_http.on("GET",
            UrlMatcher::exact(api(std::string("/commits/") + k_sha + "/statuses?top=3&skip=0")),
            json_response(200, list(page1)));
  m_http.on("GET",
            UrlMatcher::exact(api(std::string("/commits/") + k_sha + "/statuses?top=3&skip=3")),
            json_response(200, list(page2)));
  const auto statuses = m_provider.list_statuses(k_sha);
  ASSERT_EQ(statuses.size(), 4U);
  EXPECT_EQ(statuses[0].context, "kustomization/apps-qa");
  EXPECT_EQ(statuses[0].state, StatusState::failure);
  EXPECT_EQ(statuses[1].context, "ci/build");
  EXPECT_EQ(statuses[1].state, StatusState::error);
  EXPECT_EQ(statuses[2].context, "kustomization/apps-dev");
  EXPECT_EQ(statuses[2].state, StatusState::success);
  EXPECT_EQ(statuses[2].description, "kustomization/apps-dev succeeded");
  EXPECT_EQ(statuses[3].context, "plain");
  EXPECT_EQ(statuses[3].state, StatusState::pending);
}

TEST_F(AzdoProviderTest, NotSetIsPending) {
  m_http.on(
      "GET", UrlMatcher::exact(api(std::string("/commits/") + k_sha + "/statuses?top=100&skip=0")),
      json_response(200, list(json::array({{{"state", "notSet"},
                                            {"context", {{"name", "kustomization/a-b"}}}}}))));
  const auto statuses = m_provider.list_statuses(k_sha);
  ASSERT_EQ(statuses.size(), 1U);
  EXPECT_EQ(statuses[0].state, StatusState::pending);
}

TEST_F(AzdoProviderTest, SetStatusPostsAFluxStyleStatus) {
  const struct {
    StatusState ours;
    const char *azure;
  } cases[] = {{StatusState::success, "succeeded"},
               {StatusState::failure, "failed"},
               {StatusState::error, "error"},
               {StatusState::pending, "pending"}};
  std::size_t index = 0;
  for (const auto &c : cases) {
    SCOPED_TRACE(to_string(c.ours));
    m_http.on("POST", UrlMatcher::exact(api(std::string("/commits/") + k_sha + "/statuses")),
              json_response(201, "{}"));
    m_provider.set_status(k_sha, CommitStatus{"kustomization/apps-dev", c.ours, "apps-dev-x"});
    EXPECT_EQ(body(index),
              (json{{"state", c.azure},
                    {"description", "apps-dev-x"},
                    {"context", {{"genre", "fluxcd"}, {"name", "kustomization/apps-dev"}}}}));
    ++index;
  }
}

TEST_F(AzdoProviderTest, MergeCompletesWithTheHeadCommit) {
  PullRequest pr;
  pr.number = 4;
  pr.head_sha = k_sha;
  m_http.on("PATCH", UrlMatcher::exact(api("/pullrequests/4")),
            json_response(200, pr_json(4, "b", "main", "completed").dump()));
  m_provider.merge_pr(pr, config::MergeMethod::squash);
  EXPECT_EQ(body(0), (json{{"status", "completed"},
                           {"lastMergeSourceCommit", {{"commitId", k_sha}}},
                           {"completionOptions",
                            {{"mergeStrategy", "squash"}, {"deleteSourceBranch", true}}}}));
}

TEST_F(AzdoProviderTest, MergeRejectedByPolicyIsReported) {
  PullRequest pr;
  pr.number = 4;
  pr.head_sha = k_sha;
  json answer = pr_json(4, "b");
  answer["mergeStatus"] = "rejectedByPolicy";
  answer["mergeFailureMessage"] = "Minimum number of reviewers";
  m_http.on("PATCH", UrlMatcher::exact(api("/pullrequests/4")), json_response(200, answer.dump()));
  try {
    m_provider.merge_pr(pr, config::MergeMethod::merge);
    FAIL() << "expected ProviderError";
  } catch (const ProviderError &error) {
    EXPECT_THAT(error.what(), HasSubstr("policy"));
    EXPECT_THAT(error.what(), HasSubstr("Minimum number of reviewers"));
  }
}

// ---- errors ---------------------------------------------------------------------------------

struct ErrorCase {
  const char *name;
  http::Response response;
  const char *expected;
};

TEST_F(AzdoProviderTest, ErrorsAreMappedToActionableMessages) {
  const auto azure_error = [](long status, const std::string &message) {
    return json_response(status, json{{"$id", "1"},
                                      {"innerException", nullptr},
                                      {"message", message},
                                      {"typeName", "Some.Exception, Microsoft.TeamFoundation"},
                                      {"typeKey", "SomeException"},
                                      {"errorCode", 0},
                                      {"eventId", 3000}}
                                     .dump());
  };
  http::Response sign_in;
  sign_in.status = 203;
  sign_in.headers.emplace("Content-Type", "text/html; charset=utf-8");
  sign_in.body = "<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title>";
  http::Response redirect;
  redirect.status = 302;
  redirect.headers.emplace("Location",
                           "https://spsprodweu5.vssps.visualstudio.com/_signin?realm=x");
  http::Response followed = json_response(200, "<html>sign in</html>");
  followed.url = "https://app.vssps.visualstudio.com/_signin?realm=dev.azure.com";
  const ErrorCase cases[] = {
      {"401", azure_error(401, "TF400813: not authorized"), "rejected the token (HTTP 401)"},
      {"203 sign-in page", sign_in, "rejected the token (HTTP 203 with a sign-in page)"},
      {"302 to sign-in", redirect, "rejected the token"},
      {"followed redirect", followed, "rejected the token"},
      {"TF401019",
       azure_error(404,
                   "TF401019: The Git repository with name or identifier web shop does not exist "
                   "or you do not have permissions for the operation you are attempting."),
       "missing permission or repository"},
      {"TF401027",
       azure_error(
           403,
           "TF401027: You need the Git 'PullRequestContribute' permission to perform this action."),
       "missing permission or repository"},
      {"policy",
       azure_error(400, "TF402455: Pushes to this branch are not permitted; you must use a pull "
                        "request to update this branch."),
       "a branch policy blocked"},
      {"other", azure_error(500, "VS402371: something broke"),
       "failed: GET https://dev.azure.com/org/My%20Project/_apis/git/repositories/web%20shop/"
       "pullrequests?searchCriteria.status=active&$top=100&$skip=0&api-version=7.1 answered HTTP "
       "500: VS402371: something broke"},
      {"not JSON", json_response(200, "{oops"), "not JSON"},
      {"plain text error", json_response(502, "Bad Gateway"), "HTTP 502: Bad Gateway"},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.name);
    m_http.on("GET",
              UrlMatcher::exact(api("/pullrequests?searchCriteria.status=active&$top=100&$skip=0")),
              c.response);
    try {
      (void)m_provider.find_open_prs_for_commit(k_sha);
      ADD_FAILURE() << "expected ProviderError";
    } catch (const ProviderError &error) {
      EXPECT_THAT(error.what(), HasSubstr(c.expected));
      EXPECT_THAT(error.what(), Not(HasSubstr(k_token)));
      EXPECT_THAT(error.what(), Not(HasSubstr("OnMzY3JldC1wYXQ")));
      EXPECT_EQ(error.status(), c.response.status);
    }
  }
}

TEST(AzdoProviderNames, NamesThatLookLikeSignInPagesAreFine) {
  FakeHttpClient http;
  AzdoProvider provider(parse_azdo_remote("https://dev.azure.com/org/_signin-tools/_git/login"),
                        k_token, http);
  http.on("GET",
          UrlMatcher::exact(
              "https://dev.azure.com/org/_signin-tools/_apis/git/repositories/login/"
              "pullrequests?searchCriteria.status=active&$top=100&$skip=0&api-version=7.1"),
          json_response(200, list(json::array())));
  EXPECT_THAT(provider.find_open_prs_for_commit(k_sha), ::testing::IsEmpty());
  http.verify();
}

// ---- Pushes API -------------------------------------------------------------------------------

class AzdoPushTest : public AzdoProviderTest {
protected:
  void expect_ref(const json &refs) {
    m_http.on("GET", UrlMatcher::exact(api("/refs?filter=heads/promote/apps-web")),
              json_response(200, list(refs)));
  }
  void expect_item(const std::string &encoded_path, bool exists) {
    m_http.on("GET",
              UrlMatcher::exact(api("/items?scopePath=" + encoded_path +
                                    "&recursionLevel=none&versionDescriptor.version=" + k_base +
                                    "&versionDescriptor.versionType=commit")),
              exists
                  ? json_response(200, list(json::array({{{"path", encoded_path}}})))
                  : json_response(404, R"({"message":"TF401174: The item could not be found."})"));
  }
  static std::string refs_ok(const json &updates) {
    json value = json::array();
    for (const auto &u : updates) {
      json r = u;
      r["success"] = true;
      r["updateStatus"] = "succeeded";
      value.push_back(r);
    }
    return list(value);
  }
  void expect_refs(const json &updates) {
    m_http.on("POST", UrlMatcher::exact(api("/refs")), json_response(200, refs_ok(updates)));
  }
  void expect_push() {
    m_http.on("POST", UrlMatcher::exact(api("/pushes")),
              json_response(201, json{{"commits", json::array({{{"commitId", k_new}}})},
                                      {"refUpdates", json::array({{{"newObjectId", k_new}}})}}
                                     .dump()));
  }
  json expected_push(const std::string &ref) const {
    return json{
        {"refUpdates", json::array({{{"name", ref}, {"oldObjectId", k_base}}})},
        {"commits",
         json::array(
             {{{"comment", "Promote"},
               {"author",
                {{"name", "gitops-promotion"},
                 {"email", "gitops-promotion@users.noreply.github.com"}}},
               {"changes",
                json::array({{{"changeType", "edit"},
                              {"item", {{"path", "/apps/dev/web.yaml"}}},
                              {"newContent",
                               {{"content", "image: web:1.2\n"}, {"contentType", "rawText"}}}},
                             {{"changeType", "add"},
                              {"item", {{"path", "/apps/dev/new file.yaml"}}},
                              {"newContent",
                               {{"content", "a: b\r\n"}, {"contentType", "rawText"}}}}})}}})}};
  }
  std::vector<FileChange> changes() const {
    return {{"apps/dev/web.yaml", "image: web:1.2\n"}, {"/apps/dev/new file.yaml", "a: b\r\n"}};
  }
  void expect_items() {
    expect_item("/apps/dev/web.yaml", true);
    expect_item("/apps/dev/new%20file.yaml", false);
  }
  config::Config m_config;
};

TEST_F(AzdoPushTest, ANewBranchIsCreatedAtTheBaseThenPushedTo) {
  expect_ref(json::array({{{"name", "refs/heads/promote/apps-web-2"}, {"objectId", k_old}}}));
  expect_items();
  expect_refs(json::array({{{"name", "refs/heads/promote/apps-web"},
                            {"oldObjectId", std::string(40, '0')},
                            {"newObjectId", k_base}}}));
  expect_push();
  EXPECT_EQ(m_provider.commit_via_api({"promote/apps-web", m_config.base_branch, k_base, changes(),
                                       "Promote", m_config.author()}),
            k_new);
  EXPECT_EQ(body(3), json::array({{{"name", "refs/heads/promote/apps-web"},
                                   {"oldObjectId", std::string(40, '0')},
                                   {"newObjectId", k_base}}}));
  EXPECT_EQ(body(4), expected_push("refs/heads/promote/apps-web"));
}

TEST_F(AzdoPushTest, ABranchAtTheBaseIsPushedToDirectly) {
  expect_ref(json::array({{{"name", "refs/heads/promote/apps-web"}, {"objectId", k_base}}}));
  expect_items();
  expect_push();
  EXPECT_EQ(m_provider.commit_via_api({"promote/apps-web", m_config.base_branch, k_base, changes(),
                                       "Promote", m_config.author()}),
            k_new);
  EXPECT_EQ(body(3), expected_push("refs/heads/promote/apps-web"));
}

TEST_F(AzdoPushTest, ABranchElsewhereIsReplacedInOneRefUpdate) {
  expect_ref(json::array({{{"name", "refs/heads/promote/apps-web"}, {"objectId", k_old}}}));
  expect_items();
  m_http.on("POST", UrlMatcher::exact(api("/refs")), [](const http::Request &r) {
    return json_response(200, refs_ok(json::parse(r.body)));
  });
  expect_push();
  m_http.on("POST", UrlMatcher::exact(api("/refs")), [](const http::Request &r) {
    return json_response(200, refs_ok(json::parse(r.body)));
  });
  EXPECT_EQ(m_provider.commit_via_api({"promote/apps-web", m_config.base_branch, k_base, changes(),
                                       "Promote", m_config.author()}),
            k_new);
  const json create_temp = body(3);
  ASSERT_EQ(create_temp.size(), 1U);
  const std::string temp = create_temp[0]["name"];
  EXPECT_THAT(temp, ::testing::StartsWith("refs/heads/gitops-promotion-tmp/"));
  EXPECT_EQ(create_temp[0]["oldObjectId"], std::string(40, '0'));
  EXPECT_EQ(create_temp[0]["newObjectId"], k_base);
  EXPECT_EQ(body(4), expected_push(temp));
  EXPECT_EQ(body(5),
            json::array(
                {{{"name", "refs/heads/promote/apps-web"},
                  {"oldObjectId", k_old},
                  {"newObjectId", k_new}},
                 {{"name", temp}, {"oldObjectId", k_new}, {"newObjectId", std::string(40, '0')}}}));
}

TEST_F(AzdoPushTest, AMissingForcePushPermissionIsNamedAndTheTemporaryBranchRemoved) {
  expect_ref(json::array({{{"name", "refs/heads/promote/apps-web"}, {"objectId", k_old}}}));
  expect_items();
  m_http.on("POST", UrlMatcher::exact(api("/refs")), [](const http::Request &r) {
    return json_response(200, refs_ok(json::parse(r.body)));
  });
  expect_push();
  m_http.on("POST", UrlMatcher::exact(api("/refs")), [](const http::Request &r) {
    json updates = json::parse(r.body);
    json value = json::array();
    for (const auto &u : updates) {
      json result = u;
      const bool branch = u["name"] == "refs/heads/promote/apps-web";
      result["success"] = !branch;
      result["updateStatus"] = branch ? "forcePushRequired" : "succeeded";
      value.push_back(result);
    }
    return json_response(200, list(value));
  });
  m_http.on("POST", UrlMatcher::exact(api("/refs")), [](const http::Request &r) {
    return json_response(200, refs_ok(json::parse(r.body)));
  });
  try {
    (void)m_provider.commit_via_api({"promote/apps-web", m_config.base_branch, k_base, changes(),
                                     "Promote", m_config.author()});
    FAIL() << "expected ProviderError";
  } catch (const ProviderError &error) {
    EXPECT_THAT(error.what(), HasSubstr("Force push"));
    EXPECT_THAT(error.what(), HasSubstr("forcePushRequired"));
  }
  const json cleanup = body(6);
  ASSERT_EQ(cleanup.size(), 1U);
  EXPECT_THAT(cleanup[0]["name"].get<std::string>(), HasSubstr("gitops-promotion-tmp/"));
  EXPECT_EQ(cleanup[0]["newObjectId"], std::string(40, '0'));
}

TEST_F(AzdoPushTest, BinaryContentIsSentBase64Encoded) {
  expect_ref(json::array({{{"name", "refs/heads/promote/apps-web"}, {"objectId", k_base}}}));
  expect_item("/bin.dat", true);
  expect_push();
  const std::string bytes("\xff\xfe"
                          "ab\x00",
                          5);
  (void)m_provider.commit_via_api({"promote/apps-web",
                                   m_config.base_branch,
                                   k_base,
                                   {{"bin.dat", bytes}},
                                   "Promote",
                                   m_config.author()});
  const json change = body(2)["commits"][0]["changes"][0];
  EXPECT_EQ(change["newContent"]["contentType"], "base64Encoded");
  EXPECT_EQ(change["newContent"]["content"], "//5hYgA=");
}

TEST_F(AzdoPushTest, NothingToCommitIsAnError) {
  EXPECT_THROW((void)m_provider.commit_via_api(
                   {"promote/apps-web", m_config.base_branch, k_base, {}, "m", m_config.author()}),
               ProviderError);
}

} // namespace
} // namespace gitops::providers
