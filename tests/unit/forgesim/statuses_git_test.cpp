#include "sim_fixture.hpp"

namespace forge_sim::test {
namespace {

using nlohmann::json;

TEST_F(SimTest, CreateAndListStatusesNewestFirst) {
  std::string sha = tip("main");
  Reply created = post("/repos/o/r/statuses/" + sha, {{"state", "pending"},
                                                      {"context", "kustomization/g-dev"},
                                                      {"description", "d"},
                                                      {"target_url", "https://ci.example/1"}});
  ASSERT_EQ(created.status, 201) << created.body;
  expect_valid("/repos/{owner}/{repo}/statuses/{sha}", "post", created);
  EXPECT_EQ(created.json["state"], "pending");
  EXPECT_EQ(created.json["context"], "kustomization/g-dev");
  EXPECT_EQ(created.json["target_url"], "https://ci.example/1");
  ASSERT_EQ(
      post("/repos/o/r/statuses/" + sha, {{"state", "success"}, {"context", "kustomization/g-dev"}})
          .status,
      201);
  Reply no_context = post("/repos/o/r/statuses/" + sha, {{"state", "error"}});
  EXPECT_EQ(no_context.json["context"], "default");
  EXPECT_TRUE(no_context.json["description"].is_null());

  Reply list = get("/repos/o/r/commits/" + sha + "/statuses");
  ASSERT_EQ(list.status, 200);
  expect_valid("/repos/{owner}/{repo}/commits/{ref}/statuses", "get", list);
  ASSERT_EQ(list.json.size(), 3U);
  EXPECT_EQ(list.json[0]["state"], "error");
  EXPECT_EQ(list.json[1]["state"], "success");
  EXPECT_EQ(list.json[2]["state"], "pending");
  // A branch name works as ref, as on GitHub.
  EXPECT_EQ(get("/repos/o/r/commits/main/statuses").json.size(), 3U);
  EXPECT_EQ(get("/repos/o/r/commits/" + std::string(40, '0') + "/statuses").status, 404);
}

TEST_F(SimTest, StatusValidationErrors) {
  std::string sha = tip("main");
  Reply missing = post("/repos/o/r/statuses/" + sha, {{"context", "c"}});
  ASSERT_EQ(missing.status, 422);
  EXPECT_EQ(missing.json["errors"][0]["field"], "state");
  EXPECT_EQ(missing.json["errors"][0]["code"], "missing_field");
  Reply bogus = post("/repos/o/r/statuses/" + sha, {{"state", "passed"}});
  ASSERT_EQ(bogus.status, 422);
  EXPECT_EQ(bogus.json["errors"][0]["code"], "invalid");
  Reply unknown = post("/repos/o/r/statuses/" + std::string(40, 'b'), {{"state", "success"}});
  ASSERT_EQ(unknown.status, 422);
  EXPECT_EQ(unknown.json["message"], "No commit found for SHA: " + std::string(40, 'b'));
}

TEST_F(SimTest, StatusesPaginatePast100) {
  std::string sha = tip("main");
  for (int i = 0; i < 150; ++i) {
    ASSERT_EQ(post("/repos/o/r/statuses/" + sha,
                   {{"state", "success"}, {"context", "c" + std::to_string(i)}})
                  .status,
              201);
  }
  Reply p1 = get("/repos/o/r/commits/" + sha + "/statuses?per_page=100");
  EXPECT_EQ(p1.json.size(), 100U);
  EXPECT_EQ(p1.json[0]["context"], "c149");
  EXPECT_NE(p1.header("Link").find("rel=\"next\""), std::string::npos);
  Reply p2 = get("/repos/o/r/commits/" + sha + "/statuses?per_page=100&page=2");
  ASSERT_EQ(p2.json.size(), 50U);
  EXPECT_EQ(p2.json[49]["context"], "c0");
  EXPECT_EQ(p2.header("Link").find("rel=\"next\""), std::string::npos);
}

TEST_F(SimTest, CombinedStatusUsesLatestPerContext) {
  std::string sha = tip("main");
  Reply none = get("/repos/o/r/commits/" + sha + "/status");
  ASSERT_EQ(none.status, 200);
  EXPECT_EQ(none.json["state"], "pending");
  EXPECT_EQ(none.json["total_count"], 0);

  post("/repos/o/r/statuses/" + sha, {{"state", "failure"}, {"context", "a"}});
  post("/repos/o/r/statuses/" + sha, {{"state", "success"}, {"context", "b"}});
  Reply failing = get("/repos/o/r/commits/main/status");
  EXPECT_EQ(failing.json["state"], "failure");
  post("/repos/o/r/statuses/" + sha, {{"state", "success"}, {"context", "a"}});
  Reply green = get("/repos/o/r/commits/" + sha + "/status");
  ASSERT_EQ(green.status, 200);
  expect_valid("/repos/{owner}/{repo}/commits/{ref}/status", "get", green);
  EXPECT_EQ(green.json["state"], "success");
  EXPECT_EQ(green.json["total_count"], 2);
  EXPECT_EQ(green.json["sha"], sha);
}

TEST_F(SimTest, CheckRunsCreateAndList) {
  std::string sha = tip("main");
  Reply queued = post("/repos/o/r/check-runs", {{"name", "build"}, {"head_sha", sha}});
  ASSERT_EQ(queued.status, 201) << queued.body;
  expect_valid("/repos/{owner}/{repo}/check-runs", "post", queued);
  EXPECT_EQ(queued.json["status"], "queued");
  EXPECT_TRUE(queued.json["conclusion"].is_null());
  Reply done = post("/repos/o/r/check-runs", {{"name", "build"},
                                              {"head_sha", sha},
                                              {"conclusion", "failure"},
                                              {"output", {{"title", "t"}, {"summary", "s"}}}});
  ASSERT_EQ(done.status, 201);
  EXPECT_EQ(done.json["status"], "completed");
  EXPECT_EQ(done.json["output"]["title"], "t");
  post("/repos/o/r/check-runs", {{"name", "lint"}, {"head_sha", sha}, {"status", "in_progress"}});

  Reply latest = get("/repos/o/r/commits/" + sha + "/check-runs");
  ASSERT_EQ(latest.status, 200);
  expect_valid("/repos/{owner}/{repo}/commits/{ref}/check-runs", "get", latest);
  EXPECT_EQ(latest.json["total_count"], 2);
  EXPECT_EQ(latest.json["check_runs"][0]["name"], "lint");
  EXPECT_EQ(latest.json["check_runs"][1]["conclusion"], "failure");
  EXPECT_EQ(get("/repos/o/r/commits/" + sha + "/check-runs?filter=all").json["total_count"], 3);
  EXPECT_EQ(get("/repos/o/r/commits/main/check-runs?check_name=build").json["total_count"], 1);

  EXPECT_EQ(post("/repos/o/r/check-runs", {{"name", "x"}}).status, 422);
  EXPECT_EQ(
      post("/repos/o/r/check-runs", {{"name", "x"}, {"head_sha", sha}, {"status", "done"}}).status,
      422);
  EXPECT_EQ(
      post("/repos/o/r/check-runs", {{"name", "x"}, {"head_sha", sha}, {"status", "completed"}})
          .status,
      422);
  EXPECT_EQ(
      post("/repos/o/r/check-runs", {{"name", "x"}, {"head_sha", std::string(40, 'c')}}).status,
      422);
}

TEST_F(SimTest, GitDataApiBuildsCommitsAndRefs) {
  std::string main = tip("main");
  Reply blob =
      post("/repos/o/r/git/blobs", {{"content", "aGVsbG8gYmFzZTY0"}, {"encoding", "base64"}});
  ASSERT_EQ(blob.status, 201) << blob.body;
  expect_valid("/repos/{owner}/{repo}/git/blobs", "post", blob);
  EXPECT_EQ(git(repo_path(), "cat-file -p " + blob.json["sha"].get<std::string>()), "hello base64");
  Reply utf8 = post("/repos/o/r/git/blobs", {{"content", "plain"}});
  EXPECT_EQ(git(repo_path(), "cat-file -p " + utf8.json["sha"].get<std::string>()), "plain");
  EXPECT_EQ(post("/repos/o/r/git/blobs", {{"content", "x"}, {"encoding", "rot13"}}).status, 422);
  EXPECT_EQ(post("/repos/o/r/git/blobs", json::object()).status, 422);

  Reply base_commit = get("/repos/o/r/git/commits/" + main);
  ASSERT_EQ(base_commit.status, 200);
  expect_valid("/repos/{owner}/{repo}/git/commits/{commit_sha}", "get", base_commit);
  std::string base_tree = base_commit.json["tree"]["sha"];

  Reply tree =
      post("/repos/o/r/git/trees",
           {{"base_tree", base_tree},
            {"tree",
             {{{"path", "g/dev/app.yaml"},
               {"mode", "100644"},
               {"type", "blob"},
               {"content", "image: app:3\n"}},
              {{"path", "new/deep/file.txt"},
               {"mode", "100644"},
               {"type", "blob"},
               {"sha", blob.json["sha"]}},
              {{"path", "README.md"}, {"mode", "100644"}, {"type", "blob"}, {"sha", nullptr}}}}});
  ASSERT_EQ(tree.status, 201) << tree.body;
  expect_valid("/repos/{owner}/{repo}/git/trees", "post", tree);
  std::string tree_sha = tree.json["sha"];

  Reply commit = post(
      "/repos/o/r/git/commits",
      {{"message", "via api"},
       {"tree", tree_sha},
       {"parents", {main}},
       {"author",
        {{"name", "Bot"}, {"email", "bot@example.com"}, {"date", "2025-05-06T07:08:09+02:00"}}}});
  ASSERT_EQ(commit.status, 201) << commit.body;
  expect_valid("/repos/{owner}/{repo}/git/commits", "post", commit);
  std::string sha = commit.json["sha"];
  EXPECT_EQ(commit.json["author"]["date"], "2025-05-06T07:08:09+02:00");
  EXPECT_EQ(commit.json["parents"][0]["sha"], main);
  EXPECT_EQ(git(repo_path(), "show " + sha + ":g/dev/app.yaml"), "image: app:3");
  EXPECT_EQ(git(repo_path(), "show " + sha + ":new/deep/file.txt"), "hello base64");
  EXPECT_EQ(git(repo_path(), "ls-tree --name-only " + sha), "g\nnew");
  EXPECT_EQ(git(repo_path(), "show -s --format=%an%n%ae%n%ai " + sha),
            "Bot\nbot@example.com\n2025-05-06 07:08:09 +0200");

  Reply listing = get("/repos/o/r/git/trees/" + tree_sha + "?recursive=1");
  ASSERT_EQ(listing.status, 200);
  expect_valid("/repos/{owner}/{repo}/git/trees/{tree_sha}", "get", listing);
  bool found = false;
  for (const auto &e : listing.json["tree"]) {
    found = found || e["path"] == "new/deep/file.txt";
  }
  EXPECT_TRUE(found) << listing.body;
  EXPECT_EQ(get("/repos/o/r/git/trees/" + tree_sha).json["tree"].size(), 2U);

  // Refs, with slashes in the name, raw and %2F-encoded.
  Reply created = post("/repos/o/r/git/refs", {{"ref", "refs/heads/promote/g-app"}, {"sha", sha}});
  ASSERT_EQ(created.status, 201) << created.body;
  expect_valid("/repos/{owner}/{repo}/git/refs", "post", created);
  EXPECT_EQ(created.json["ref"], "refs/heads/promote/g-app");
  Reply got = get("/repos/o/r/git/ref/heads/promote/g-app");
  ASSERT_EQ(got.status, 200);
  expect_valid("/repos/{owner}/{repo}/git/ref/{ref}", "get", got);
  EXPECT_EQ(got.json["object"]["sha"], sha);
  EXPECT_EQ(get("/repos/o/r/git/ref/heads%2Fpromote%2Fg-app").status, 200);
  EXPECT_EQ(get("/repos/o/r/git/ref/heads/nope").status, 404);
  EXPECT_EQ(get("/repos/o/r/git/matching-refs/heads/promote").json.size(), 1U);

  Reply exists = post("/repos/o/r/git/refs", {{"ref", "refs/heads/promote/g-app"}, {"sha", sha}});
  EXPECT_EQ(exists.status, 422);
  EXPECT_EQ(exists.json["message"], "Reference already exists");
  EXPECT_EQ(post("/repos/o/r/git/refs", {{"ref", "heads/x"}, {"sha", sha}}).status, 422);
  EXPECT_EQ(
      post("/repos/o/r/git/refs", {{"ref", "refs/heads/x"}, {"sha", std::string(40, 'd')}}).status,
      422);

  // Fast-forward needs no force; going back does.
  Reply back = patch("/repos/o/r/git/refs/heads/promote/g-app", {{"sha", main}});
  EXPECT_EQ(back.status, 422);
  EXPECT_EQ(back.json["message"], "Update is not a fast forward");
  Reply forced = patch("/repos/o/r/git/refs/heads/promote/g-app", {{"sha", main}, {"force", true}});
  ASSERT_EQ(forced.status, 200);
  expect_valid("/repos/{owner}/{repo}/git/refs/{ref}", "patch", forced);
  EXPECT_EQ(patch("/repos/o/r/git/refs/heads/promote/g-app", {{"sha", sha}}).status, 200);
  EXPECT_EQ(patch("/repos/o/r/git/refs/heads/none", {{"sha", sha}}).status, 422);

  EXPECT_EQ(del("/repos/o/r/git/refs/heads/promote/g-app").status, 204);
  EXPECT_EQ(del("/repos/o/r/git/refs/heads/promote/g-app").status, 422);
  EXPECT_EQ(get("/repos/o/r/git/ref/heads/promote/g-app").status, 404);
}

TEST_F(SimTest, GitDataApiRejectsBadInput) {
  std::string main = tip("main");
  EXPECT_EQ(post("/repos/o/r/git/trees", json::object()).status, 422);
  EXPECT_EQ(
      post("/repos/o/r/git/trees", {{"base_tree", std::string(40, 'e')}, {"tree", json::array()}})
          .status,
      422);
  EXPECT_EQ(
      post("/repos/o/r/git/trees",
           {{"tree", {{{"path", "a"}, {"mode", "100600"}, {"type", "blob"}, {"content", "x"}}}}})
          .status,
      422);
  EXPECT_EQ(post("/repos/o/r/git/trees",
                 {{"tree", {{{"path", "a"}, {"mode", "100644"}, {"type", "blob"}, {"sha", main}}}}})
                .status,
            422); // a commit id is not a blob
  EXPECT_EQ(post("/repos/o/r/git/commits", {{"message", "m"}}).status, 422);
  EXPECT_EQ(post("/repos/o/r/git/commits", {{"message", "m"}, {"tree", main}}).status, 422);
  std::string tree = get("/repos/o/r/git/commits/" + main).json["tree"]["sha"];
  EXPECT_EQ(post("/repos/o/r/git/commits",
                 {{"message", "m"}, {"tree", tree}, {"parents", {std::string(40, 'f')}}})
                .status,
            422);
  EXPECT_EQ(post("/repos/o/r/git/commits",
                 {{"message", "m"},
                  {"tree", tree},
                  {"author", {{"name", "n"}, {"email", "e"}, {"date", "yesterday"}}}})
                .status,
            422);
  EXPECT_EQ(get("/repos/o/r/git/commits/" + tree).status, 404);
}

} // namespace
} // namespace forge_sim::test
