// The statusCheckRollup query on POST /graphql: the document the GitHub provider sends
// (k_commit_statuses_query), latest status per context and latest check run per name, paging with
// opaque cursors, GitHub's error shapes, and request counting.
#include "sim_fixture.hpp"

#include "gitops/providers/github_provider.hpp"

#include <set>

namespace forge_sim::test {
namespace {

using nlohmann::json;

class RollupTest : public SimTest {
protected:
  Reply rollup(const std::string &sha, const json &cursor = nullptr, const std::string &owner = "o",
               const std::string &name = "r") {
    return post(
        "/graphql",
        {{"query", std::string(gitops::providers::k_commit_statuses_query)},
         {"variables", {{"owner", owner}, {"name", name}, {"oid", sha}, {"cursor", cursor}}}});
  }
  void status(const std::string &sha, const std::string &context, const std::string &state,
              const std::string &description = "") {
    json body = {{"state", state}, {"context", context}};
    if (!description.empty()) {
      body["description"] = description;
    }
    ASSERT_EQ(post("/repos/o/r/statuses/" + sha, body).status, 201);
  }
  void check_run(const std::string &sha, const std::string &name, const std::string &status,
                 const json &conclusion = nullptr, const std::string &title = "") {
    json body = {{"name", name}, {"head_sha", sha}, {"status", status}};
    if (!conclusion.is_null()) {
      body["conclusion"] = conclusion;
    }
    if (!title.empty()) {
      body["output"] = {{"title", title}, {"summary", "s"}};
    }
    const Reply r = post("/repos/o/r/check-runs", body);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  long graphql_count() {
    auto lock = m_sim->state().lock();
    const json counts = m_sim->state().request_counts();
    return counts.value("POST /graphql", 0L);
  }
};

const json &contexts_of(const Reply &r) {
  return r.json["data"]["repository"]["object"]["statusCheckRollup"]["contexts"];
}

TEST_F(RollupTest, LatestStatusPerContextThenLatestCheckRunPerName) {
  const std::string sha = tip("main");
  status(sha, "kustomization/g-dev", "pending", "progressing");
  status(sha, "kustomization/g-dev", "success", "applied");
  status(sha, "ci", "error");
  check_run(sha, "lint", "completed", "failure");
  check_run(sha, "lint", "completed", "success", "All good");
  check_run(sha, "build", "in_progress");

  const Reply r = rollup(sha);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_FALSE(r.json.contains("errors")) << r.body;
  const json &object = r.json["data"]["repository"]["object"];
  EXPECT_EQ(object["__typename"], "Commit");
  EXPECT_EQ(object["statusCheckRollup"]["state"], "FAILURE");
  const json &contexts = contexts_of(r);
  EXPECT_EQ(contexts["pageInfo"]["hasNextPage"], false);
  const json &nodes = contexts["nodes"];
  ASSERT_EQ(nodes.size(), 4U) << r.body;
  EXPECT_EQ(nodes[0], (json{{"__typename", "StatusContext"},
                            {"context", "ci"},
                            {"state", "ERROR"},
                            {"description", nullptr},
                            {"targetUrl", nullptr},
                            {"createdAt", nodes[0]["createdAt"]}}));
  EXPECT_EQ(nodes[1]["context"], "kustomization/g-dev");
  EXPECT_EQ(nodes[1]["state"], "SUCCESS");
  EXPECT_EQ(nodes[1]["description"], "applied");
  EXPECT_EQ(nodes[2]["__typename"], "CheckRun");
  EXPECT_EQ(nodes[2]["name"], "build");
  EXPECT_EQ(nodes[2]["status"], "IN_PROGRESS");
  EXPECT_TRUE(nodes[2]["conclusion"].is_null());
  EXPECT_EQ(nodes[3]["name"], "lint");
  EXPECT_EQ(nodes[3]["status"], "COMPLETED");
  EXPECT_EQ(nodes[3]["conclusion"], "SUCCESS");
  EXPECT_EQ(nodes[3]["title"], "All good");
}

TEST_F(RollupTest, RollupStateFollowsGitHubsPrecedence) {
  const std::string sha = tip("main");
  status(sha, "a", "success");
  check_run(sha, "b", "completed", "neutral");
  EXPECT_EQ(rollup(sha).json["data"]["repository"]["object"]["statusCheckRollup"]["state"],
            "SUCCESS");
  check_run(sha, "c", "queued");
  EXPECT_EQ(rollup(sha).json["data"]["repository"]["object"]["statusCheckRollup"]["state"],
            "PENDING");
}

TEST_F(RollupTest, ACommitWithoutStatusesHasNoRollup) {
  const std::string sha = tip("main");
  const Reply r = rollup(sha);
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.json.contains("errors")) << r.body;
  EXPECT_TRUE(r.json["data"]["repository"]["object"].contains("statusCheckRollup")) << r.body;
  EXPECT_TRUE(r.json["data"]["repository"]["object"]["statusCheckRollup"].is_null()) << r.body;
}

TEST_F(RollupTest, PagesOfOneHundredWithOpaqueCursors) {
  const std::string sha = tip("main");
  for (int i = 0; i < 205; ++i) {
    status(sha, "c" + std::to_string(i), "success");
  }
  check_run(sha, "last", "completed", "success");
  std::set<std::string> seen;
  json cursor = nullptr;
  int pages = 0;
  for (;; ++pages) {
    ASSERT_LT(pages, 10) << "paging does not end";
    const Reply r = rollup(sha, cursor);
    ASSERT_FALSE(r.json.contains("errors")) << r.body;
    const json &contexts = contexts_of(r);
    for (const auto &node : contexts["nodes"]) {
      const std::string key = node.value("context", node.value("name", std::string()));
      EXPECT_TRUE(seen.insert(key).second) << key << " seen twice";
    }
    EXPECT_LE(contexts["nodes"].size(), 100U);
    if (!contexts["pageInfo"]["hasNextPage"].get<bool>()) {
      ++pages;
      break;
    }
    const std::string next = contexts["pageInfo"]["endCursor"].get<std::string>();
    EXPECT_EQ(
        next.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
        std::string::npos)
        << "opaque (base64) cursor: " << next;
    EXPECT_EQ(next.find("100"), std::string::npos) << "the offset is not readable: " << next;
    cursor = next;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 206U);
  EXPECT_TRUE(seen.count("last") == 1U);
}

TEST_F(RollupTest, FirstIsReadFromTheDocumentOrAVariable) {
  const std::string sha = tip("main");
  for (int i = 0; i < 3; ++i) {
    status(sha, "c" + std::to_string(i), "success");
  }
  const std::string doc =
      "query($n: Int!) { repository(owner: \"o\", name: \"r\") { object(oid: \"" + sha +
      "\") { ... on Commit { statusCheckRollup { contexts(first: $n) { pageInfo { hasNextPage "
      "endCursor } nodes { __typename } } } } } } }";
  Reply r = post("/graphql", {{"query", doc}, {"variables", {{"n", 2}}}});
  ASSERT_FALSE(r.json.contains("errors")) << r.body;
  EXPECT_EQ(contexts_of(r)["nodes"].size(), 2U);
  EXPECT_EQ(contexts_of(r)["pageInfo"]["hasNextPage"], true);
  r = post("/graphql", {{"query", doc}, {"variables", {{"n", 101}}}});
  ASSERT_TRUE(r.json.contains("errors")) << r.body;
  EXPECT_NE(r.json["errors"][0]["message"].get<std::string>().find("exceeds the `first` limit"),
            std::string::npos)
      << r.body;
  r = post("/graphql", {{"query", doc}, {"variables", json::object()}});
  ASSERT_TRUE(r.json.contains("errors")) << r.body;
  EXPECT_NE(r.json["errors"][0]["message"].get<std::string>().find("`first` or `last`"),
            std::string::npos)
      << r.body;
}

TEST_F(RollupTest, ErrorsHaveGitHubsShape) {
  const std::string sha = tip("main");
  // Unknown repository: NOT_FOUND with data.repository null.
  Reply r = rollup(sha, nullptr, "o", "nope");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.json["data"]["repository"].is_null()) << r.body;
  EXPECT_EQ(r.json["errors"][0]["type"], "NOT_FOUND");
  EXPECT_EQ(r.json["errors"][0]["path"], json::array({"repository"}));
  EXPECT_EQ(r.json["errors"][0]["message"],
            "Could not resolve to a Repository with the name 'o/nope'.");
  EXPECT_TRUE(r.json["errors"][0]["locations"].is_array());
  // Unknown commit: object null, no error (as GitHub).
  r = rollup(std::string(40, 'e'));
  EXPECT_FALSE(r.json.contains("errors")) << r.body;
  EXPECT_TRUE(r.json["data"]["repository"]["object"].is_null()) << r.body;
  // Not an object id: a variable error, no data.
  r = rollup("main");
  EXPECT_FALSE(r.json.contains("data")) << r.body;
  EXPECT_EQ(r.json["errors"][0]["message"],
            "Variable $oid of type GitObjectID! was provided invalid value");
  // A missing variable.
  r = post("/graphql", {{"query", std::string(gitops::providers::k_commit_statuses_query)},
                        {"variables", {{"owner", "o"}, {"oid", sha}}}});
  EXPECT_FALSE(r.json.contains("data")) << r.body;
  EXPECT_EQ(r.json["errors"][0]["message"],
            "Variable $name of type String! was provided invalid value");
  // A cursor the simulator never gave out.
  status(sha, "c", "success");
  r = rollup(sha, "bm90LWEtY3Vyc29y");
  ASSERT_TRUE(r.json.contains("errors")) << r.body;
  EXPECT_EQ(r.json["errors"][0]["message"],
            "`bm90LWEtY3Vyc29y` does not appear to be a valid cursor.");
  // A tree is not a commit: no Commit fragment applies.
  const std::string tree = get("/repos/o/r/git/commits/" + sha).json["tree"]["sha"];
  r = rollup(tree);
  EXPECT_EQ(r.json["data"]["repository"]["object"], (json{{"__typename", "Tree"}})) << r.body;
}

TEST_F(RollupTest, EveryQueryIsCountedAndNeedsTheToken) {
  const std::string sha = tip("main");
  {
    auto lock = m_sim->state().lock();
    m_sim->state().reset_counters();
  }
  (void)rollup(sha);
  (void)rollup(std::string(40, 'e'));
  EXPECT_EQ(graphql_count(), 2);
  const auto unauthorized = m_client->Post(
      "/graphql",
      json{{"query", std::string(gitops::providers::k_commit_statuses_query)},
           {"variables", {{"owner", "o"}, {"name", "r"}, {"oid", sha}, {"cursor", nullptr}}}}
          .dump(),
      "application/json");
  ASSERT_TRUE(unauthorized);
  EXPECT_EQ(unauthorized->status, 401);
  EXPECT_EQ(graphql_count(), 3);
}

} // namespace
} // namespace forge_sim::test
