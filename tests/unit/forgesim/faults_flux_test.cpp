#include "sim_fixture.hpp"
#include "support/git_server.hpp"

namespace forge_sim::test {
namespace {

using nlohmann::json;

TEST_F(SimTest, StatusFaultHitsOnlyMatchingRequestsForCount) {
  Reply added =
      admin("/_admin/faults",
            {{"path_regex", "/pulls$"}, {"method", "GET"}, {"count", 2}, {"action", "503"}});
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(added.json.size(), 1U);
  EXPECT_EQ(get("/repos/o/r").status, 200);
  make_branch("f", tip("main"), {{"f.txt", "f"}});
  EXPECT_EQ(open_pr("f").status, 201); // POST is not matched
  Reply first = get("/repos/o/r/pulls");
  EXPECT_EQ(first.status, 503);
  EXPECT_TRUE(first.json.contains("message"));
  EXPECT_EQ(get("/repos/o/r/pulls").status, 503);
  EXPECT_EQ(get("/repos/o/r/pulls").status, 200);
  Reply state = to_reply(m_client->Get("/_admin/state"));
  EXPECT_TRUE(state.json["faults"].empty());
  // Faulted requests are counted too.
  EXPECT_EQ(state.json["request_counts"]["GET /repos/{owner}/{repo}/pulls"], 3);
}

TEST_F(SimTest, RateLimitFaultsCarryRetryAfter) {
  ASSERT_EQ(
      admin("/_admin/faults",
            json::array({{{"path_regex", "^/repos/o/r$"}, {"action", "429"}, {"retry_after", 7}},
                         {{"path_regex", "^/repos/o/r$"}, {"action", "403-secondary"}}}))
          .status,
      201);
  Reply limited = get("/repos/o/r");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("Retry-After"), "7");
  EXPECT_EQ(limited.header("X-RateLimit-Remaining"), "0");
  Reply secondary = get("/repos/o/r");
  EXPECT_EQ(secondary.status, 403);
  EXPECT_EQ(secondary.header("Retry-After"), "1");
  EXPECT_NE(secondary.json["message"].get<std::string>().find("secondary rate limit"),
            std::string::npos);
  EXPECT_EQ(get("/repos/o/r").status, 200);
}

TEST_F(SimTest, DelayAndDropFaults) {
  ASSERT_EQ(admin("/_admin/faults",
                  {{"path_regex", "^/repos/o/r$"}, {"action", "delay"}, {"delay_ms", 30}})
                .status,
            201);
  EXPECT_EQ(get("/repos/o/r").status, 200); // delayed, then answered normally
  ASSERT_EQ(admin("/_admin/faults", {{"path_regex", "^/repos/o/r$"}, {"action", "drop"}}).status,
            201);
  Reply dropped = get("/repos/o/r");
  EXPECT_EQ(dropped.status, 0) << dropped.body; // the client saw no complete answer
  EXPECT_EQ(get("/repos/o/r").status, 200);
}

TEST_F(SimTest, BadFaultSpecsAreRejected) {
  EXPECT_EQ(admin("/_admin/faults", {{"action", "explode"}}).status, 400);
  EXPECT_EQ(admin("/_admin/faults", {{"path_regex", "("}, {"action", "500"}}).status, 400);
  EXPECT_EQ(admin("/_admin/faults", {{"action", "500"}, {"count", 0}}).status, 400);
  EXPECT_EQ(admin("/_admin/faults", {{"action", "status"}, {"status", 200}}).status, 400);
  EXPECT_EQ(to_reply(m_client->Post("/_admin/faults", "nope", "application/json")).status, 400);
  ASSERT_EQ(admin("/_admin/faults", {{"action", "500"}, {"count", 5}}).status, 201);
  EXPECT_EQ(to_reply(m_client->Delete("/_admin/faults")).status, 204);
  EXPECT_EQ(get("/repos/o/r").status, 200);
}

TEST_F(SimTest, BadSettingsAreRejected) {
  EXPECT_EQ(admin("/_admin/settings", {{"allow_auto_merges", true}}).status, 400);
  EXPECT_EQ(admin("/_admin/settings", {{"required_contexts", "ci"}}).status, 400);
  EXPECT_EQ(admin("/_admin/settings", {{"flux", {{{"group", "g"}}}}}).status, 400);
  EXPECT_EQ(
      admin("/_admin/settings", {{"flux", {{{"group", "g"}, {"env", "dev"}, {"state", "ok"}}}}})
          .status,
      400);
  EXPECT_EQ(admin("/_admin/settings", {{"owner", "o"}, {"repo", "missing"}}).status, 404);
}

TEST_F(SimTest, CreateRepoThroughAdmin) {
  Reply created =
      admin("/_admin/repos", {{"owner", "team"}, {"repo", "gitops"}, {"files", {{"a.txt", "a"}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  Reply repo = get("/repos/team/gitops");
  ASSERT_EQ(repo.status, 200);
  EXPECT_EQ(get("/repos/team/gitops/git/ref/heads/main").status, 200);
  EXPECT_EQ(admin("/_admin/repos", {{"owner", "team"}}).status, 400);
  EXPECT_EQ(admin("/_admin/repos", {{"owner", "a b"}, {"repo", "x"}}).status, 400);
}

TEST_F(SimTest, FluxPostsHealthStatusForTouchedEnvironmentsOnly) {
  settings({{"flux",
             {{{"group", "g"}, {"env", "dev"}},
              {{"group", "g"},
               {"env", "prod"},
               {"state", "failure"},
               {"uid", "abcd1234"},
               {"delay_ms", 10}}}}});
  make_branch("promote/g-app", tip("main"), {{"g/dev/app.yaml", "image: app:2\n"}});
  ASSERT_EQ(open_pr("promote/g-app").status, 201);
  Reply merged = put("/repos/o/r/pulls/1/merge", {{"merge_method", "squash"}});
  ASSERT_EQ(merged.status, 200);
  std::string sha = merged.json["sha"];

  auto contexts_of = [&](const std::string &commit) {
    std::vector<std::string> out;
    for (const auto &s : get("/repos/o/r/commits/" + commit + "/statuses").json) {
      out.push_back(s["context"].get<std::string>() + "=" + s["state"].get<std::string>());
    }
    return out;
  };
  ASSERT_TRUE(eventually([&] { return !contexts_of(sha).empty(); }));
  EXPECT_EQ(contexts_of(sha), std::vector<std::string>{"kustomization/g-dev=success"});
  Reply status = get("/repos/o/r/commits/" + sha + "/statuses");
  EXPECT_EQ(status.json[0]["creator"]["login"], "flux");
  EXPECT_NE(status.json[0]["description"].get<std::string>().find(sha), std::string::npos);

  // A change to prod pushed straight to main: the 3-segment form, with the configured failure.
  std::string prod = commit_files(sha, {{"g/prod/app.yaml", "image: app:2\n"}}, "prod");
  ASSERT_EQ(patch("/repos/o/r/git/refs/heads/main", {{"sha", prod}}).status, 200);
  ASSERT_TRUE(eventually([&] { return !contexts_of(prod).empty(); }));
  EXPECT_EQ(contexts_of(prod), std::vector<std::string>{"kustomization/g-prod/abcd1234=failure"});

  // A change outside every environment gets nothing.
  std::string other = commit_files(prod, {{"docs/x.md", "x"}}, "docs");
  ASSERT_EQ(patch("/repos/o/r/git/refs/heads/main", {{"sha", other}}).status, 200);
  ASSERT_EQ(admin("/_admin/tick", json::object()).status, 200);
  // Work is done in order: once a later dev change has its status, nothing is pending for `other`.
  std::string later = commit_files(other, {{"g/dev/app.yaml", "image: app:3\n"}}, "dev again");
  ASSERT_EQ(patch("/repos/o/r/git/refs/heads/main", {{"sha", later}}).status, 200);
  ASSERT_TRUE(eventually([&] { return !contexts_of(later).empty(); }));
  EXPECT_TRUE(contexts_of(other).empty());
}

// The simulator and the real git server share the repository: pushes made over smart HTTP are
// what the API sees, and merges made by the simulator are what clones fetch.
TEST(ForgeSimWithGitServer, PushesThroughGitServerAreSeenAndMergesAreFetched) {
  gitops::test::GitServer server;
  Options options;
  options.repo_root = server.repo_path("o/r").parent_path().parent_path();
  options.git_url_base = "http://127.0.0.1:" + std::to_string(server.port()) + "/git";
  Simulator sim(options);
  int port = sim.start();
  {
    auto lock = sim.state().lock();
    sim.state().create_repo("o", "r", "main", {{"g/dev/app.yaml", "image: app:1\n"}});
  }
  httplib::Client client("127.0.0.1", port);
  auto repo = nlohmann::json::parse(client.Get("/repos/o/r")->body);
  EXPECT_EQ(repo["clone_url"], server.url("o/r"));

  gitops::test::TempDir work("forgesim-clone-");
  std::filesystem::path wc = work.path() / "wc";
  git(work.path(), "clone -q " + server.url_with_credentials("o/r") + " wc");
  git(wc, "checkout -q -b promote/g-app");
  gitops::test::write_file(wc / "g/dev/app.yaml", "image: app:2\n");
  git(wc, "-c user.name=t -c user.email=t@e commit -qam bump");
  git(wc, "push -q origin promote/g-app");
  std::string pushed = git(wc, "rev-parse HEAD");

  auto pr = client.Post("/repos/o/r/pulls", R"({"title":"t","head":"promote/g-app","base":"main"})",
                        "application/json");
  ASSERT_EQ(pr->status, 201) << pr->body;
  EXPECT_EQ(nlohmann::json::parse(pr->body)["head"]["sha"], pushed);

  gitops::test::write_file(wc / "g/dev/app.yaml", "image: app:3\n");
  git(wc, "-c user.name=t -c user.email=t@e commit -qam bump2");
  git(wc, "push -q origin promote/g-app");
  std::string second = git(wc, "rev-parse HEAD");
  EXPECT_EQ(nlohmann::json::parse(client.Get("/repos/o/r/pulls/1")->body)["head"]["sha"], second);

  auto merged =
      client.Put("/repos/o/r/pulls/1/merge", R"({"merge_method":"merge"})", "application/json");
  ASSERT_EQ(merged->status, 200) << merged->body;
  std::string merge_sha = nlohmann::json::parse(merged->body)["sha"];
  git(wc, "fetch -q origin");
  EXPECT_EQ(git(wc, "rev-parse origin/main"), merge_sha);
  EXPECT_EQ(git(wc, "show origin/main:g/dev/app.yaml"), "image: app:3");
  sim.stop();
}

} // namespace
} // namespace forge_sim::test
