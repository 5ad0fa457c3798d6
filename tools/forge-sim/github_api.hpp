#pragma once

// The simulator's GitHub REST API: one GitHubApi per simulator, its handlers split by resource
// (github.cpp: rendering, repository and routes; github_pulls.cpp; github_statuses.cpp;
// github_git_data.cpp; github_graphql.cpp). Private to forge-sim.
#include "http_util.hpp"
#include "server.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <functional>
#include <initializer_list>
#include <map>
#include <regex>
#include <set>
#include <tuple>

namespace forge_sim::github {

using nlohmann::json;
using Params = std::vector<std::string>;

// One entry of a 422 answer's `errors`: {resource, field, code}.
json error_item(const std::string &resource, const std::string &field, const std::string &code);

// Answers GitHub's 422 listing every key of `keys` that `body` lacks as a string (code
// missing_field); true when all are there.
bool require_strings(const json &body, const char *resource,
                     std::initializer_list<const char *> keys, httplib::Response &res);

// One `custom` entry of a 422 answer's `errors`, with GitHub's message.
json custom_error(const std::string &resource, const std::string &message);

// `s`, or JSON null when it is empty (absent).
json nullable(const std::string &s);
json nullable(const std::optional<std::string> &s);

// Whether `s` is 40 lower-case hex digits.
bool is_full_sha(const std::string &s);

// `t` (epoch seconds) as ISO 8601 in the time zone `offset_minutes` east of UTC ("Z" for 0).
std::string iso_time(std::int64_t t, int offset_minutes);

// ISO 8601 "YYYY-MM-DDTHH:MM:SS(Z|±HH:MM)" → seconds and offset; nullopt when malformed.
std::optional<std::pair<std::int64_t, int>> parse_iso_time(const std::string &s);

class GitHubApi {
public:
  explicit GitHubApi(Simulator &sim) : m_sim(sim), m_state(sim.state()) {}

  void register_routes(Router &r);

private:
  // --- rendering -------------------------------------------------------------------------------
  std::string api(const Repo &repo) const;
  std::string html(const Repo &repo) const;

  json user_json(const std::string &login, const std::string &type = "User") const;

  json repo_json(const Repo &repo) const;

  json pr_json(const Repo &repo, const PullRequest &pr, bool full, const GitRepo &git) const;

  json status_json(const Repo &repo, const CommitStatus &s) const;

  json check_run_json(const Repo &repo, const CheckRun &r) const;

  json ref_json(const Repo &repo, const std::string &refname, const std::string &sha,
                const GitRepo &git) const;

  json commit_json(const Repo &repo, const CommitInfo &c) const;

  json tree_json(const Repo &repo, const std::string &sha, const GitRepo &git,
                 bool recursive) const;

  // --- helpers ---------------------------------------------------------------------------------
  Repo *repo_or_404(const Params &p, httplib::Response &res);

  PullRequest *pr_or_404(const Repo &repo, const std::string &number, httplib::Response &res);

  // A commit named by a sha or ref, or an answer "No commit found for SHA: x" with `status`.
  std::optional<std::string> commit_or_error(const GitRepo &git, const std::string &spec,
                                             httplib::Response &res, int status);

  bool optional_string(const json &body, const char *key, httplib::Response &res,
                       const std::string &resource);

  // --- repository ------------------------------------------------------------------------------
  void get_repo(const httplib::Request &, httplib::Response &res, const Params &p);

  // --- pulls -----------------------------------------------------------------------------------
  void list_pulls(const httplib::Request &req, httplib::Response &res, const Params &p);

  void create_pull(const httplib::Request &req, httplib::Response &res, const Params &p);

  void get_pull(const httplib::Request &, httplib::Response &res, const Params &p);

  void update_pull(const httplib::Request &req, httplib::Response &res, const Params &p);

  void check_merged(const httplib::Request &, httplib::Response &res, const Params &p);

  void merge_pull(const httplib::Request &req, httplib::Response &res, const Params &p);

  void pulls_for_commit(const httplib::Request &req, httplib::Response &res, const Params &p);

  // --- statuses and checks ---------------------------------------------------------------------
  void list_statuses(const httplib::Request &req, httplib::Response &res, const Params &p);

  void combined_status(const httplib::Request &req, httplib::Response &res, const Params &p);

  void create_status(const httplib::Request &req, httplib::Response &res, const Params &p);

  void list_check_runs(const httplib::Request &req, httplib::Response &res, const Params &p);

  void create_check_run(const httplib::Request &req, httplib::Response &res, const Params &p);

  // --- Git Data API ----------------------------------------------------------------------------
  void create_blob(const httplib::Request &req, httplib::Response &res, const Params &p);

  void create_tree(const httplib::Request &req, httplib::Response &res, const Params &p);

  void get_tree(const httplib::Request &req, httplib::Response &res, const Params &p);

  static std::optional<Signature> person(const json &body, const char *key, const Signature &fb,
                                         bool &bad);

  void create_commit(const httplib::Request &req, httplib::Response &res, const Params &p);

  void get_commit(const httplib::Request &, httplib::Response &res, const Params &p);

  void get_ref(const httplib::Request &, httplib::Response &res, const Params &p);

  void matching_refs(const httplib::Request &, httplib::Response &res, const Params &p);

  void create_ref(const httplib::Request &req, httplib::Response &res, const Params &p);

  void update_ref(const httplib::Request &req, httplib::Response &res, const Params &p);

  void delete_ref(const httplib::Request &, httplib::Response &res, const Params &p);

  // --- GraphQL ---------------------------------------------------------------------------------
  void graphql(const httplib::Request &req, httplib::Response &res, const Params &);
  void graphql_status_rollup(const std::string &doc, const json &vars, httplib::Response &res);

  Simulator &m_sim;
  State &m_state;
};

} // namespace forge_sim::github
