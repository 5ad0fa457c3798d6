#pragma once

#include "openapi_check.hpp"
#include "server.hpp"
#include "support/git_sandbox.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

namespace forge_sim::test {

inline constexpr const char *k_token = "test-token-123";

// An HTTP answer, body parsed as JSON when it is JSON.
struct Reply {
  int status = 0; // 0: no answer (connection error)
  nlohmann::json json;
  std::string body;
  httplib::Headers headers;

  [[nodiscard]] std::string header(const std::string &name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Runs `git -C dir args` and returns its trimmed stdout; fails the test on a non-zero exit.
inline std::string git(const std::filesystem::path &dir, const std::string &args) {
  try {
    std::string out = gitops::test::git_shell(dir, args);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
      out.pop_back();
    }
    return out;
  } catch (const std::runtime_error &e) {
    ADD_FAILURE() << e.what();
    return {};
  }
}

// A simulator on a random loopback port over a fresh repository root, with repository o/r whose
// main branch holds a first commit, and a client that sends the token.
class SimTest : public ::testing::Test {
protected:
  void SetUp() override {
    Options options;
    options.repo_root = m_dir.path() / "root";
    options.token = k_token;
    options.default_owner = "o";
    options.default_repo = "r";
    m_sim = std::make_unique<Simulator>(options);
    m_port = m_sim->start();
    {
      auto lock = m_sim->state().lock();
      m_sim->state().create_repo(
          "o", "r", "main",
          {{"README.md", "hello\n"},
           {"g/dev/app.yaml", "image: app:1 # {\"$imagepolicy\": \"g:app:tag\"}\n"},
           {"g/prod/app.yaml", "image: app:1\n"}});
    }
    m_client = std::make_unique<httplib::Client>("127.0.0.1", m_port);
    m_client->set_read_timeout(30, 0);
  }

  void TearDown() override {
    m_client.reset();
    m_sim->stop();
  }

  [[nodiscard]] std::filesystem::path repo_path() const {
    return m_dir.path() / "root" / "o" / "r.git";
  }

  [[nodiscard]] httplib::Headers auth() const {
    return {{"Authorization", std::string("Bearer ") + k_token},
            {"Accept", "application/vnd.github+json"}};
  }

  static Reply to_reply(const httplib::Result &r) {
    Reply out;
    if (!r) {
      return out;
    }
    out.status = r->status;
    out.body = r->body;
    out.headers = r->headers;
    if (!r->body.empty()) {
      out.json = nlohmann::json::parse(r->body, nullptr, false);
    }
    return out;
  }

  Reply get(const std::string &path) { return to_reply(m_client->Get(path.c_str(), auth())); }
  Reply del(const std::string &path) { return to_reply(m_client->Delete(path.c_str(), auth())); }
  Reply post(const std::string &path, const nlohmann::json &body) {
    return to_reply(m_client->Post(path.c_str(), auth(), body.dump(), "application/json"));
  }
  Reply patch(const std::string &path, const nlohmann::json &body) {
    return to_reply(m_client->Patch(path.c_str(), auth(), body.dump(), "application/json"));
  }
  Reply put(const std::string &path, const nlohmann::json &body) {
    return to_reply(m_client->Put(path.c_str(), auth(), body.dump(), "application/json"));
  }
  Reply admin(const std::string &path, const nlohmann::json &body) {
    return to_reply(m_client->Post(path.c_str(), body.dump(), "application/json"));
  }

  [[nodiscard]] std::string tip(const std::string &branch) {
    Reply r = get("/repos/o/r/git/ref/heads/" + branch);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json["object"]["sha"].get<std::string>();
  }

  // Commits `files` on top of `parent` through the Git Data API and returns the commit id.
  std::string commit_files(const std::string &parent, const nlohmann::json &files,
                           const std::string &message, const nlohmann::json &author = nullptr) {
    Reply pc = get("/repos/o/r/git/commits/" + parent);
    EXPECT_EQ(pc.status, 200) << pc.body;
    nlohmann::json tree = nlohmann::json::array();
    for (const auto &[path, content] : files.items()) {
      if (content.is_null()) {
        tree.push_back({{"path", path}, {"mode", "100644"}, {"type", "blob"}, {"sha", nullptr}});
      } else {
        tree.push_back(
            {{"path", path}, {"mode", "100644"}, {"type", "blob"}, {"content", content}});
      }
    }
    Reply t = post("/repos/o/r/git/trees", {{"base_tree", pc.json["tree"]["sha"]}, {"tree", tree}});
    EXPECT_EQ(t.status, 201) << t.body;
    nlohmann::json body = {{"message", message},
                           {"tree", t.json["sha"]},
                           {"parents", nlohmann::json::array({parent})}};
    if (!author.is_null()) {
      body["author"] = author;
    }
    Reply c = post("/repos/o/r/git/commits", body);
    EXPECT_EQ(c.status, 201) << c.body;
    return c.json["sha"].get<std::string>();
  }

  // Creates (or force-moves) branch `name` to a new commit with `files` on top of `from`.
  std::string make_branch(const std::string &name, const std::string &from,
                          const nlohmann::json &files, const std::string &message = "change") {
    std::string sha = commit_files(from, files, message);
    Reply r = post("/repos/o/r/git/refs", {{"ref", "refs/heads/" + name}, {"sha", sha}});
    if (r.status == 422) {
      r = patch("/repos/o/r/git/refs/heads/" + name, {{"sha", sha}, {"force", true}});
      EXPECT_EQ(r.status, 200) << r.body;
    } else {
      EXPECT_EQ(r.status, 201) << r.body;
    }
    return sha;
  }

  Reply open_pr(const std::string &head, const std::string &title = "Promote",
                const std::string &base = "main") {
    return post("/repos/o/r/pulls",
                {{"title", title}, {"head", head}, {"base", base}, {"body", "description"}});
  }

  void settings(const nlohmann::json &body) {
    Reply r = admin("/_admin/settings", body);
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // Polls `pred` until it holds (no timing is asserted; the deadline only bounds a hang).
  template <class Pred> bool eventually(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
  }

  // Asserts the body of `r` validates against the spec's response for `method path_template`.
  void expect_valid(const std::string &path_template, const std::string &method, const Reply &r) {
    static const std::optional<OpenApiCheck> spec = OpenApiCheck::load_github();
    if (!spec) {
      ADD_FAILURE() << "GitHub OpenAPI description not found under tests/data/specs/github";
      return;
    }
    auto errors = spec->check_response(path_template, method, r.status, r.json);
    std::string all;
    for (const auto &e : errors) {
      all += "\n  " + e;
    }
    EXPECT_TRUE(errors.empty()) << method << " " << path_template << " " << r.status << ":" << all;
  }

  gitops::test::TempDir m_dir{"forgesim-test-"};
  std::unique_ptr<Simulator> m_sim;
  std::unique_ptr<httplib::Client> m_client;
  int m_port = 0;
};

} // namespace forge_sim::test
