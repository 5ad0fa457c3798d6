#include "sim_fixture.hpp"

namespace forge_sim::test {
namespace {

using nlohmann::json;

const char *k_enable = "mutation($input: EnablePullRequestAutoMergeInput!) {\n"
                       "  enablePullRequestAutoMerge(input: $input) { pullRequest { id "
                       "autoMergeRequest { mergeMethod } } }\n"
                       "}";
const char *k_disable = "mutation($input: DisablePullRequestAutoMergeInput!) {\n"
                        "  disablePullRequestAutoMerge(input: $input) { pullRequest { id } }\n"
                        "}";

class MergeTest : public SimTest {
protected:
  // A PR from `branch` with two commits on top of main (the second one authored by someone else).
  json two_commit_pr(const std::string &branch) {
    std::string first = commit_files(tip("main"), {{"g/dev/app.yaml", "image: app:2\n"}}, "first");
    std::string second = commit_files(
        first, {{"g/dev/other.yaml", "x: 1\n"}}, "second",
        {{"name", "Ann Author"}, {"email", "ann@example.com"}, {"date", "2024-01-02T03:04:05Z"}});
    EXPECT_EQ(
        post("/repos/o/r/git/refs", {{"ref", "refs/heads/" + branch}, {"sha", second}}).status,
        201);
    Reply pr = open_pr(branch);
    EXPECT_EQ(pr.status, 201) << pr.body;
    return pr.json;
  }

  Reply graphql(const std::string &doc, const json &variables) {
    return post("/graphql", {{"query", doc}, {"variables", variables}});
  }

  Reply enable(const json &pr, const std::string &method) {
    return graphql(k_enable,
                   {{"input", {{"pullRequestId", pr["node_id"]}, {"mergeMethod", method}}}});
  }

  std::string parents_of(const std::string &sha) {
    return git(repo_path(), "show -s --format=%P " + sha);
  }
  std::string tree_of(const std::string &sha) {
    return git(repo_path(), "rev-parse " + sha + "^{tree}");
  }
};

TEST_F(MergeTest, MergeMethodMergeCreatesTwoParentCommit) {
  std::string base = tip("main");
  json pr = two_commit_pr("feature");
  std::string head = pr["head"]["sha"];
  Reply r = put("/repos/o/r/pulls/1/merge", {{"merge_method", "merge"}, {"sha", head}});
  ASSERT_EQ(r.status, 200) << r.body;
  expect_valid("/repos/{owner}/{repo}/pulls/{pull_number}/merge", "put", r);
  EXPECT_EQ(r.json["merged"], true);
  std::string merge = r.json["sha"];
  EXPECT_EQ(tip("main"), merge);
  EXPECT_EQ(parents_of(merge), base + " " + head);
  EXPECT_EQ(git(repo_path(), "show -s --format=%s " + merge),
            "Merge pull request #1 from o/feature");

  Reply after = get("/repos/o/r/pulls/1");
  EXPECT_EQ(after.json["merged"], true);
  EXPECT_EQ(after.json["state"], "closed");
  EXPECT_EQ(after.json["merge_commit_sha"], merge);
  EXPECT_FALSE(after.json["merged_at"].is_null());
  expect_valid("/repos/{owner}/{repo}/pulls/{pull_number}", "get", after);
  EXPECT_EQ(to_reply(m_client->Get("/repos/o/r/pulls/1/merge", auth())).status, 204);
  // The head branch is left alone.
  EXPECT_EQ(tip("feature"), head);

  Reply again = put("/repos/o/r/pulls/1/merge", json::object());
  EXPECT_EQ(again.status, 405);
  EXPECT_EQ(again.json["message"], "Pull Request is not mergeable");

  Reply pulls = get("/repos/o/r/commits/" + merge + "/pulls");
  ASSERT_EQ(pulls.status, 200);
  expect_valid("/repos/{owner}/{repo}/commits/{commit_sha}/pulls", "get", pulls);
  ASSERT_EQ(pulls.json.size(), 1U);
  EXPECT_EQ(pulls.json[0]["number"], 1);
}

TEST_F(MergeTest, SquashCreatesOneCommitWithBaseParentAndHeadTree) {
  std::string base = tip("main");
  json pr = two_commit_pr("feature");
  std::string head = pr["head"]["sha"];
  Reply r = put("/repos/o/r/pulls/1/merge", {{"merge_method", "squash"}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::string squash = r.json["sha"];
  EXPECT_EQ(parents_of(squash), base);
  EXPECT_EQ(tree_of(squash), tree_of(head));
  EXPECT_EQ(git(repo_path(), "show -s --format=%s " + squash), "Promote (#1)");
  EXPECT_EQ(get("/repos/o/r/commits/" + squash + "/pulls").json[0]["number"], 1);
}

TEST_F(MergeTest, RebaseReplaysEachCommitKeepingAuthors) {
  std::string base = tip("main");
  json pr = two_commit_pr("feature");
  std::string head = pr["head"]["sha"];
  // Move main on, so the replay really lands on a new base.
  std::string moved = commit_files(base, {{"unrelated.txt", "u"}}, "unrelated");
  ASSERT_EQ(patch("/repos/o/r/git/refs/heads/main", {{"sha", moved}}).status, 200);

  Reply r = put("/repos/o/r/pulls/1/merge", {{"merge_method", "rebase"}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::string last = r.json["sha"];
  EXPECT_EQ(tip("main"), last);
  std::string log = git(repo_path(), "log '--format=%s|%an' main");
  EXPECT_EQ(log,
            "second|Ann Author\nfirst|forge-sim\nunrelated|forge-sim\nInitial commit|forge-sim");
  std::string first_replayed = parents_of(last);
  EXPECT_EQ(parents_of(first_replayed), moved);
  EXPECT_NE(last, head); // new commits, not the head's
  EXPECT_EQ(git(repo_path(), "show " + last + ":g/dev/other.yaml"), "x: 1");
  EXPECT_EQ(git(repo_path(), "show " + last + ":unrelated.txt"), "u");
  // Every replayed commit leads back to the PR.
  EXPECT_EQ(get("/repos/o/r/commits/" + last + "/pulls").json[0]["number"], 1);
  EXPECT_EQ(get("/repos/o/r/commits/" + first_replayed + "/pulls").json[0]["number"], 1);
}

TEST_F(MergeTest, MergeRefusals) {
  json pr = two_commit_pr("feature");
  Reply stale = put("/repos/o/r/pulls/1/merge", {{"sha", std::string(40, 'a')}});
  ASSERT_EQ(stale.status, 409);
  EXPECT_EQ(stale.json["message"], "Head branch was modified. Review and try the merge again.");
  expect_valid("/repos/{owner}/{repo}/pulls/{pull_number}/merge", "put", stale);

  EXPECT_EQ(put("/repos/o/r/pulls/1/merge", {{"merge_method", "fast-forward"}}).status, 422);

  settings({{"allow_squash_merge", false}});
  Reply disallowed = put("/repos/o/r/pulls/1/merge", {{"merge_method", "squash"}});
  EXPECT_EQ(disallowed.status, 405);
  EXPECT_EQ(disallowed.json["message"], "Squash merges are not allowed on this repository.");

  settings({{"required_contexts", {"ci"}}});
  Reply blocked = put("/repos/o/r/pulls/1/merge", json::object());
  EXPECT_EQ(blocked.status, 405);
  EXPECT_EQ(blocked.json["message"], "Pull Request is not mergeable");
  expect_valid("/repos/{owner}/{repo}/pulls/{pull_number}/merge", "put", blocked);
  EXPECT_EQ(get("/repos/o/r/pulls/1").json["mergeable_state"], "blocked");

  std::string head = pr["head"]["sha"];
  ASSERT_EQ(post("/repos/o/r/statuses/" + head, {{"state", "failure"}, {"context", "ci"}}).status,
            201);
  EXPECT_EQ(put("/repos/o/r/pulls/1/merge", json::object()).status, 405);
  ASSERT_EQ(post("/repos/o/r/statuses/" + head, {{"state", "success"}, {"context", "ci"}}).status,
            201);
  EXPECT_EQ(put("/repos/o/r/pulls/1/merge", json::object()).status, 200);

  EXPECT_EQ(put("/repos/o/r/pulls/42/merge", json::object()).status, 404);
}

TEST_F(MergeTest, ConflictingPullRequestIsNotMergeable) {
  std::string base = tip("main");
  make_branch("left", base, {{"g/dev/app.yaml", "image: app:left\n"}});
  std::string right = commit_files(base, {{"g/dev/app.yaml", "image: app:right\n"}}, "right");
  ASSERT_EQ(patch("/repos/o/r/git/refs/heads/main", {{"sha", right}}).status, 200);
  ASSERT_EQ(open_pr("left").status, 201);
  Reply pr = get("/repos/o/r/pulls/1");
  EXPECT_EQ(pr.json["mergeable"], false);
  EXPECT_EQ(pr.json["mergeable_state"], "dirty");
  for (const char *method : {"merge", "squash", "rebase"}) {
    EXPECT_EQ(put("/repos/o/r/pulls/1/merge", {{"merge_method", method}}).status, 405) << method;
  }
  EXPECT_EQ(tip("main"), right);
}

// Auto-merge merges with the requested method once every required context is green.
class AutoMergeTest : public MergeTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(AutoMergeTest, MergesWhenRequiredContextsTurnGreen) {
  const std::string method = GetParam();
  settings({{"allow_auto_merge", true}, {"required_contexts", {"ci", "gate"}}});
  std::string base = tip("main");
  json pr = two_commit_pr("promote/g-app");
  std::string head = pr["head"]["sha"];

  std::string upper = method;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  Reply en = enable(pr, upper);
  ASSERT_EQ(en.status, 200);
  ASSERT_FALSE(en.json.contains("errors")) << en.body;
  EXPECT_EQ(en.json["data"]["enablePullRequestAutoMerge"]["pullRequest"]["id"], pr["node_id"]);
  EXPECT_EQ(en.json["data"]["enablePullRequestAutoMerge"]["pullRequest"]["autoMergeRequest"]
                   ["mergeMethod"],
            upper);
  Reply with_am = get("/repos/o/r/pulls/1");
  EXPECT_EQ(with_am.json["auto_merge"]["merge_method"], method);
  expect_valid("/repos/{owner}/{repo}/pulls/{pull_number}", "get", with_am);

  ASSERT_EQ(post("/repos/o/r/statuses/" + head, {{"state", "success"}, {"context", "ci"}}).status,
            201);
  ASSERT_EQ(post("/repos/o/r/statuses/" + head, {{"state", "pending"}, {"context", "gate"}}).status,
            201);
  EXPECT_EQ(get("/repos/o/r/pulls/1").json["merged"], false);
  EXPECT_EQ(tip("main"), base);
  // A check run counts like a status.
  Reply run = post(
      "/repos/o/r/check-runs",
      {{"name", "gate"}, {"head_sha", head}, {"status", "completed"}, {"conclusion", "success"}});
  ASSERT_EQ(run.status, 201) << run.body;

  Reply merged = get("/repos/o/r/pulls/1");
  ASSERT_EQ(merged.json["merged"], true) << merged.body;
  std::string result = merged.json["merge_commit_sha"];
  EXPECT_EQ(tip("main"), result);
  if (method == "merge") {
    EXPECT_EQ(parents_of(result), base + " " + head);
  } else if (method == "squash") {
    EXPECT_EQ(parents_of(result), base);
    EXPECT_EQ(tree_of(result), tree_of(head));
  } else {
    EXPECT_EQ(git(repo_path(), "rev-list --count " + base + ".." + result), "2");
    EXPECT_EQ(tree_of(result), tree_of(head));
  }
  Reply pulls = get("/repos/o/r/commits/" + result + "/pulls");
  ASSERT_EQ(pulls.json.size(), 1U);
  EXPECT_EQ(pulls.json[0]["merged_at"].is_null(), false);
}

INSTANTIATE_TEST_SUITE_P(Methods, AutoMergeTest, ::testing::Values("merge", "squash", "rebase"));

TEST_F(MergeTest, AutoMergeWaitsForNewHeadAfterPush) {
  settings({{"allow_auto_merge", true}, {"required_contexts", {"ci"}}});
  json pr = two_commit_pr("feature");
  ASSERT_FALSE(enable(pr, "MERGE").json.contains("errors"));
  // A new push: the success on the old head no longer counts.
  std::string newer = make_branch("feature", pr["head"]["sha"], {{"n.txt", "n"}});
  ASSERT_EQ(post("/repos/o/r/statuses/" + pr["head"]["sha"].get<std::string>(),
                 {{"state", "success"}, {"context", "ci"}})
                .status,
            201);
  EXPECT_EQ(get("/repos/o/r/pulls/1").json["merged"], false);
  ASSERT_EQ(post("/repos/o/r/statuses/" + newer, {{"state", "success"}, {"context", "ci"}}).status,
            201);
  EXPECT_EQ(get("/repos/o/r/pulls/1").json["merged"], true);
}

TEST_F(MergeTest, GraphQLErrors) {
  json pr = two_commit_pr("feature");
  Reply not_allowed = enable(pr, "SQUASH");
  ASSERT_EQ(not_allowed.status, 200);
  EXPECT_TRUE(not_allowed.json["data"]["enablePullRequestAutoMerge"].is_null());
  ASSERT_EQ(not_allowed.json["errors"].size(), 1U);
  const json &err = not_allowed.json["errors"][0];
  EXPECT_EQ(err["type"], "UNPROCESSABLE");
  EXPECT_EQ(err["path"], json::array({"enablePullRequestAutoMerge"}));
  EXPECT_EQ(err["locations"][0]["line"], 2);
  EXPECT_EQ(err["locations"][0]["column"], 3);
  EXPECT_EQ(err["message"], "Pull request Auto merge is not allowed for this repository");

  settings({{"allow_auto_merge", true}});
  Reply clean = enable(pr, "MERGE");
  EXPECT_EQ(clean.json["errors"][0]["message"], "Pull request Pull request is in clean status");
  EXPECT_TRUE(get("/repos/o/r/pulls/1").json["auto_merge"].is_null());

  settings({{"required_contexts", {"ci"}}});
  Reply bad_method = enable(pr, "FAST_FORWARD");
  EXPECT_TRUE(bad_method.json.contains("errors"));
  Reply unknown = graphql(k_enable, {{"input", {{"pullRequestId", "PR_nope"}}}});
  EXPECT_EQ(unknown.json["errors"][0]["type"], "NOT_FOUND");
  Reply other_doc = graphql("query { viewer { login } }", json::object());
  ASSERT_EQ(other_doc.status, 200);
  EXPECT_TRUE(other_doc.json.contains("errors"));
  EXPECT_FALSE(other_doc.json.contains("data"));

  // Inline arguments work as well as variables; no mergeMethod means MERGE.
  std::string inline_doc = "mutation { enablePullRequestAutoMerge(input: {pullRequestId: \"" +
                           pr["node_id"].get<std::string>() + "\"}) { clientMutationId } }";
  Reply ok = graphql(inline_doc, json::object());
  ASSERT_FALSE(ok.json.contains("errors")) << ok.body;
  EXPECT_EQ(get("/repos/o/r/pulls/1").json["auto_merge"]["merge_method"], "merge");

  Reply off = graphql(k_disable, {{"input", {{"pullRequestId", pr["node_id"]}}}});
  ASSERT_FALSE(off.json.contains("errors")) << off.body;
  EXPECT_TRUE(off.json["data"]["disablePullRequestAutoMerge"]["pullRequest"].is_object());
  EXPECT_TRUE(get("/repos/o/r/pulls/1").json["auto_merge"].is_null());

  ASSERT_EQ(patch("/repos/o/r/pulls/1", {{"state", "closed"}}).status, 200);
  EXPECT_EQ(enable(pr, "MERGE").json["errors"][0]["message"],
            "Pull request Pull request is closed");
}

} // namespace
} // namespace forge_sim::test
