#include "sim_fixture.hpp"

namespace forge_sim::test {
namespace {

using nlohmann::json;

TEST_F(SimTest, RepositoryHasSettingsAndValidatesAgainstSpec) {
  Reply r = get("/repos/o/r");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["full_name"], "o/r");
  EXPECT_EQ(r.json["default_branch"], "main");
  EXPECT_EQ(r.json["allow_auto_merge"], false);
  EXPECT_EQ(r.json["permissions"]["push"], true);
  expect_valid("/repos/{owner}/{repo}", "get", r);

  settings({{"allow_auto_merge", true}, {"allow_rebase_merge", false}});
  r = get("/repos/o/r");
  EXPECT_EQ(r.json["allow_auto_merge"], true);
  EXPECT_EQ(r.json["allow_rebase_merge"], false);
}

TEST_F(SimTest, EnterpriseServerPathsWork) {
  Reply r = get("/api/v3/repos/o/r");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["full_name"], "o/r");
  Reply gql = post("/api/graphql", {{"query", "query { viewer { login } }"}});
  ASSERT_EQ(gql.status, 200);
  EXPECT_TRUE(gql.json.contains("errors"));
}

TEST_F(SimTest, UnknownRepositoryIs404) {
  Reply r = get("/repos/o/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json["message"], "Not Found");
  expect_valid("/repos/{owner}/{repo}", "get", r);
  EXPECT_EQ(get("/repos/..%2F..%2Fetc/r").status, 404);
}

TEST_F(SimTest, WrongOrMissingTokenIs401AndTokenSchemeWorks) {
  auto no_auth = to_reply(m_client->Get("/repos/o/r"));
  EXPECT_EQ(no_auth.status, 401);
  EXPECT_EQ(no_auth.json["message"], "Bad credentials");
  EXPECT_TRUE(no_auth.json.contains("documentation_url"));
  auto wrong = to_reply(m_client->Get("/repos/o/r", {{"Authorization", "Bearer nope"}}));
  EXPECT_EQ(wrong.status, 401);
  auto token_scheme =
      to_reply(m_client->Get("/repos/o/r", {{"Authorization", std::string("token ") + k_token}}));
  EXPECT_EQ(token_scheme.status, 200);
  // Azure DevOps style: Basic with any user name and the token as the password.
  auto basic = to_reply(
      m_client->Get("/repos/o/r", {httplib::make_basic_authentication_header("anyone", k_token)}));
  EXPECT_EQ(basic.status, 200);
  auto basic_wrong = to_reply(
      m_client->Get("/repos/o/r", {httplib::make_basic_authentication_header(k_token, "x")}));
  EXPECT_EQ(basic_wrong.status, 401);
}

TEST_F(SimTest, CreatePullRequestHappyPath) {
  std::string head =
      make_branch("promote/g-app", tip("main"), {{"g/dev/app.yaml", "image: app:2\n"}});
  Reply r = open_pr("promote/g-app", "Promote g/app version 2 to environment dev");
  ASSERT_EQ(r.status, 201) << r.body;
  expect_valid("/repos/{owner}/{repo}/pulls", "post", r);
  EXPECT_EQ(r.json["number"], 1);
  EXPECT_EQ(r.json["state"], "open");
  EXPECT_EQ(r.json["head"]["ref"], "promote/g-app");
  EXPECT_EQ(r.json["head"]["sha"], head);
  EXPECT_EQ(r.json["head"]["label"], "o:promote/g-app");
  EXPECT_EQ(r.json["base"]["ref"], "main");
  EXPECT_EQ(r.json["base"]["sha"], tip("main"));
  EXPECT_EQ(r.json["merged"], false);
  EXPECT_TRUE(r.json["merge_commit_sha"].is_null());
  EXPECT_TRUE(r.json["auto_merge"].is_null());
  EXPECT_EQ(r.json["mergeable"], true);
  EXPECT_EQ(r.json["body"], "description");
  EXPECT_EQ(r.header("Location"), m_sim->base_url() + "/repos/o/r/pulls/1");
  EXPECT_FALSE(r.json["node_id"].get<std::string>().empty());

  Reply second = open_pr("promote/g-app");
  EXPECT_EQ(second.status, 422);
}

TEST_F(SimTest, CreatePullRequestValidationErrors) {
  Reply missing = post("/repos/o/r/pulls", {{"title", "x"}});
  ASSERT_EQ(missing.status, 422) << missing.body;
  expect_valid("/repos/{owner}/{repo}/pulls", "post", missing);
  EXPECT_EQ(missing.json["message"], "Validation Failed");
  ASSERT_EQ(missing.json["errors"].size(), 2U);
  EXPECT_EQ(missing.json["errors"][0]["field"], "head");
  EXPECT_EQ(missing.json["errors"][0]["code"], "missing_field");
  EXPECT_EQ(missing.json["errors"][1]["field"], "base");

  Reply no_branch = open_pr("does-not-exist");
  ASSERT_EQ(no_branch.status, 422);
  EXPECT_EQ(no_branch.json["errors"][0]["field"], "head");
  EXPECT_EQ(no_branch.json["errors"][0]["code"], "invalid");

  make_branch("feature", tip("main"), {{"a.txt", "a"}});
  Reply bad_base = open_pr("feature", "t", "nope");
  ASSERT_EQ(bad_base.status, 422);
  EXPECT_EQ(bad_base.json["errors"][0]["field"], "base");

  Reply fork = open_pr("someone:feature");
  EXPECT_EQ(fork.status, 422);

  ASSERT_EQ(open_pr("o:feature").status, 201);
  Reply dup = open_pr("feature");
  ASSERT_EQ(dup.status, 422);
  EXPECT_EQ(dup.json["errors"][0]["code"], "custom");
  EXPECT_EQ(dup.json["errors"][0]["message"], "A pull request already exists for o:feature.");
  expect_valid("/repos/{owner}/{repo}/pulls", "post", dup);

  // A branch with nothing new.
  ASSERT_EQ(post("/repos/o/r/git/refs", {{"ref", "refs/heads/same"}, {"sha", tip("main")}}).status,
            201);
  Reply empty = open_pr("same");
  ASSERT_EQ(empty.status, 422);
  EXPECT_EQ(empty.json["errors"][0]["message"], "No commits between main and same");

  Reply not_json =
      to_reply(m_client->Post("/repos/o/r/pulls", auth(), "{nope", "application/json"));
  EXPECT_EQ(not_json.status, 400);
  Reply wrong_type =
      post("/repos/o/r/pulls", {{"title", 5}, {"head", "feature"}, {"base", "main"}});
  EXPECT_EQ(wrong_type.status, 422);
}

TEST_F(SimTest, ListPullRequestsFiltersByStateHeadAndBase) {
  make_branch("a", tip("main"), {{"a.txt", "a"}});
  make_branch("b", tip("main"), {{"b.txt", "b"}});
  make_branch("other-base", tip("main"), {{"c.txt", "c"}});
  make_branch("c", tip("main"), {{"d.txt", "d"}});
  ASSERT_EQ(open_pr("a").status, 201);
  ASSERT_EQ(open_pr("b").status, 201);
  ASSERT_EQ(open_pr("c", "t", "other-base").status, 201);
  ASSERT_EQ(patch("/repos/o/r/pulls/2", {{"state", "closed"}}).status, 200);

  Reply open = get("/repos/o/r/pulls");
  ASSERT_EQ(open.status, 200);
  expect_valid("/repos/{owner}/{repo}/pulls", "get", open);
  ASSERT_EQ(open.json.size(), 2U);
  EXPECT_EQ(open.json[0]["number"], 3); // newest first
  EXPECT_EQ(open.json[1]["number"], 1);

  EXPECT_EQ(get("/repos/o/r/pulls?state=closed").json.size(), 1U);
  EXPECT_EQ(get("/repos/o/r/pulls?state=all").json.size(), 3U);
  Reply by_head = get("/repos/o/r/pulls?head=o:a&state=all");
  ASSERT_EQ(by_head.json.size(), 1U);
  EXPECT_EQ(by_head.json[0]["head"]["ref"], "a");
  EXPECT_EQ(get("/repos/o/r/pulls?head=someone:a").json.size(), 0U);
  Reply by_base = get("/repos/o/r/pulls?base=main&state=all");
  EXPECT_EQ(by_base.json.size(), 2U);
  Reply asc = get("/repos/o/r/pulls?state=all&direction=asc");
  EXPECT_EQ(asc.json[0]["number"], 1);
  EXPECT_EQ(get("/repos/o/r/pulls?state=bogus").status, 422);
}

TEST_F(SimTest, PullRequestListPaginatesPast100WithLinkHeaders) {
  std::string base = tip("main");
  for (int i = 0; i < 105; ++i) {
    std::string name = "b" + std::to_string(i);
    make_branch(name, base, {{"f.txt", name}}, "commit " + name);
    ASSERT_EQ(open_pr(name).status, 201);
  }
  Reply p1 = get("/repos/o/r/pulls?per_page=100");
  ASSERT_EQ(p1.status, 200);
  EXPECT_EQ(p1.json.size(), 100U);
  std::string link = p1.header("Link");
  EXPECT_NE(link.find("per_page=100&page=2>; rel=\"next\""), std::string::npos) << link;
  EXPECT_NE(link.find("page=2>; rel=\"last\""), std::string::npos) << link;
  EXPECT_EQ(link.find("rel=\"prev\""), std::string::npos);

  // Follow the next link as a client would.
  auto start = link.find('<') + 1;
  std::string next = link.substr(start, link.find('>') - start);
  ASSERT_EQ(next.rfind(m_sim->base_url(), 0), 0U) << next;
  Reply p2 = get(next.substr(m_sim->base_url().size()));
  ASSERT_EQ(p2.status, 200);
  EXPECT_EQ(p2.json.size(), 5U);
  EXPECT_EQ(p2.json[4]["number"], 1);
  EXPECT_EQ(p2.header("Link").find("rel=\"next\""), std::string::npos);
  EXPECT_NE(p2.header("Link").find("rel=\"prev\""), std::string::npos);

  // per_page above 100 is capped; the default is 30.
  EXPECT_EQ(get("/repos/o/r/pulls?per_page=500").json.size(), 100U);
  EXPECT_EQ(get("/repos/o/r/pulls").json.size(), 30U);
  EXPECT_EQ(get("/repos/o/r/pulls?page=9").json.size(), 0U);
}

TEST_F(SimTest, GetAndUpdatePullRequest) {
  make_branch("x", tip("main"), {{"x.txt", "x"}});
  ASSERT_EQ(open_pr("x").status, 201);
  Reply got = get("/repos/o/r/pulls/1");
  ASSERT_EQ(got.status, 200);
  expect_valid("/repos/{owner}/{repo}/pulls/{pull_number}", "get", got);
  EXPECT_EQ(get("/repos/o/r/pulls/99").status, 404);
  EXPECT_EQ(get("/repos/o/r/pulls/abc").status, 404);

  Reply upd = patch("/repos/o/r/pulls/1", {{"title", "new title"}, {"body", "new body"}});
  ASSERT_EQ(upd.status, 200) << upd.body;
  expect_valid("/repos/{owner}/{repo}/pulls/{pull_number}", "patch", upd);
  EXPECT_EQ(upd.json["title"], "new title");
  EXPECT_EQ(upd.json["body"], "new body");

  EXPECT_EQ(patch("/repos/o/r/pulls/1", {{"state", "weird"}}).status, 422);
  EXPECT_EQ(patch("/repos/o/r/pulls/1", {{"base", "nope"}}).status, 422);

  Reply closed = patch("/repos/o/r/pulls/1", {{"state", "closed"}});
  EXPECT_EQ(closed.json["state"], "closed");
  EXPECT_FALSE(closed.json["closed_at"].is_null());
  Reply reopened = patch("/repos/o/r/pulls/1", {{"state", "open"}});
  EXPECT_EQ(reopened.json["state"], "open");
  EXPECT_TRUE(reopened.json["closed_at"].is_null());

  // A push to the head branch (here through the API) is seen at once.
  std::string newer = make_branch("x", tip("x"), {{"x.txt", "x2"}});
  EXPECT_EQ(get("/repos/o/r/pulls/1").json["head"]["sha"], newer);
}

TEST_F(SimTest, DeletingHeadBranchClosesPullRequest) {
  make_branch("gone", tip("main"), {{"x.txt", "x"}});
  ASSERT_EQ(open_pr("gone").status, 201);
  ASSERT_EQ(del("/repos/o/r/git/refs/heads/gone").status, 204);
  Reply pr = get("/repos/o/r/pulls/1");
  EXPECT_EQ(pr.json["state"], "closed");
  EXPECT_EQ(pr.json["merged"], false);
}

TEST_F(SimTest, RequestsAreCountedPerPathTemplateAndReset) {
  admin("/_admin/reset-counters", json::object());
  get("/repos/o/r");
  get("/repos/o/r/pulls?state=all");
  get("/repos/o/r/pulls");
  get("/repos/o/r/git/ref/heads/main");
  to_reply(m_client->Get("/repos/o/r")); // 401 still counts
  get("/no/such/route");
  Reply state = to_reply(m_client->Get("/_admin/state"));
  ASSERT_EQ(state.status, 200);
  const json &counts = state.json["request_counts"];
  EXPECT_EQ(counts["GET /repos/{owner}/{repo}"], 2);
  EXPECT_EQ(counts["GET /repos/{owner}/{repo}/pulls"], 2);
  EXPECT_EQ(counts["GET /repos/{owner}/{repo}/git/ref/{ref}"], 1);
  EXPECT_EQ(counts["GET /no/such/route"], 1);
  EXPECT_FALSE(counts.contains("GET /_admin/state"));

  admin("/_admin/reset-counters", json::object());
  state = to_reply(m_client->Get("/_admin/state"));
  EXPECT_TRUE(state.json["request_counts"].empty());
}

} // namespace
} // namespace forge_sim::test
