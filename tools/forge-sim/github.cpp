// GitHub REST + GraphQL routes. Shapes follow GitHub's OpenAPI description (components/schemas
// pull-request, pull-request-simple, full-repository, status, combined-commit-status, check-run,
// git-ref, git-commit, git-tree, short-blob, validation-error). This file: shared helpers,
// rendering, the repository endpoint and the route table; the handlers of each resource are in
// github_pulls.cpp, github_statuses.cpp, github_git_data.cpp and github_graphql.cpp.
#include "github_api.hpp"

namespace forge_sim::github {

json error_item(const std::string &resource, const std::string &field, const std::string &code) {
  return {{"resource", resource}, {"field", field}, {"code", code}};
}

// Answers GitHub's 422 listing every key of `keys` that `body` lacks as a string (code
// missing_field); true when all are there.
bool require_strings(const json &body, const char *resource,
                     std::initializer_list<const char *> keys, httplib::Response &res) {
  json missing = json::array();
  for (const char *key : keys) {
    if (!body.contains(key) || !body.at(key).is_string()) {
      missing.push_back(error_item(resource, key, "missing_field"));
    }
  }
  if (missing.empty()) {
    return true;
  }
  send_validation(res, missing);
  return false;
}

json custom_error(const std::string &resource, const std::string &message) {
  return {{"resource", resource}, {"code", "custom"}, {"message", message}};
}

json nullable(const std::string &s) {
  return s.empty() ? json(nullptr) : json(s);
}
json nullable(const std::optional<std::string> &s) {
  return s ? json(*s) : json(nullptr);
}

bool is_full_sha(const std::string &s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
           return std::isdigit(c) != 0 || (c >= 'a' && c <= 'f');
         });
}

std::string iso_time(std::int64_t t, int offset_minutes) {
  std::time_t tt = static_cast<std::time_t>(t + offset_minutes * 60);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (offset_minutes == 0) {
    return out + "Z";
  }
  int off = std::abs(offset_minutes);
  char tz[16];
  std::snprintf(tz, sizeof tz, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
  return out + tz;
}

// ISO 8601 "YYYY-MM-DDTHH:MM:SS(Z|±HH:MM)" → seconds and offset; nullopt when malformed.
std::optional<std::pair<std::int64_t, int>> parse_iso_time(const std::string &s) {
  static const std::regex k_re(
      R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):?(\d{2}))$)");
  std::smatch m;
  if (!std::regex_match(s, m, k_re)) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  std::int64_t t = timegm(&tm);
  int offset = 0;
  if (m[7] != "Z") {
    offset = std::stoi(m[9]) * 60 + std::stoi(m[10]);
    if (m[8] == "-") {
      offset = -offset;
    }
  }
  return std::make_pair(t - offset * 60, offset);
}

std::string GitHubApi::api(const Repo &repo) const {
  return m_sim.base_url() + "/repos/" + repo.owner + "/" + repo.name;
}

std::string GitHubApi::html(const Repo &repo) const {
  return m_sim.base_url() + "/" + repo.owner + "/" + repo.name;
}

json GitHubApi::user_json(const std::string &login, const std::string &type) const {
  return simple_user_json(m_sim.base_url(), login, type);
}

json GitHubApi::repo_json(const Repo &repo) const {
  std::string a = api(repo);
  json j = {
      {"id", repo.id},
      {"node_id", "R_sim" + std::to_string(repo.id)},
      {"name", repo.name},
      {"full_name", repo.key()},
      {"owner", user_json(repo.owner, "Organization")},
      {"private", true},
      {"html_url", html(repo)},
      {"description", nullptr},
      {"fork", false},
      {"url", a},
      {"archive_url", a + "/{archive_format}{/ref}"},
      {"assignees_url", a + "/assignees{/user}"},
      {"blobs_url", a + "/git/blobs{/sha}"},
      {"branches_url", a + "/branches{/branch}"},
      {"collaborators_url", a + "/collaborators{/collaborator}"},
      {"comments_url", a + "/comments{/number}"},
      {"commits_url", a + "/commits{/sha}"},
      {"compare_url", a + "/compare/{base}...{head}"},
      {"contents_url", a + "/contents/{+path}"},
      {"contributors_url", a + "/contributors"},
      {"deployments_url", a + "/deployments"},
      {"downloads_url", a + "/downloads"},
      {"events_url", a + "/events"},
      {"forks_url", a + "/forks"},
      {"git_commits_url", a + "/git/commits{/sha}"},
      {"git_refs_url", a + "/git/refs{/sha}"},
      {"git_tags_url", a + "/git/tags{/sha}"},
      {"git_url", m_sim.clone_url(repo.owner, repo.name)},
      {"issue_comment_url", a + "/issues/comments{/number}"},
      {"issue_events_url", a + "/issues/events{/number}"},
      {"issues_url", a + "/issues{/number}"},
      {"keys_url", a + "/keys{/key_id}"},
      {"labels_url", a + "/labels{/name}"},
      {"languages_url", a + "/languages"},
      {"merges_url", a + "/merges"},
      {"milestones_url", a + "/milestones{/number}"},
      {"notifications_url", a + "/notifications{?since,all,participating}"},
      {"pulls_url", a + "/pulls{/number}"},
      {"releases_url", a + "/releases{/id}"},
      {"ssh_url", m_sim.clone_url(repo.owner, repo.name)},
      {"stargazers_url", a + "/stargazers"},
      {"statuses_url", a + "/statuses/{sha}"},
      {"subscribers_url", a + "/subscribers"},
      {"subscription_url", a + "/subscription"},
      {"tags_url", a + "/tags"},
      {"teams_url", a + "/teams"},
      {"trees_url", a + "/git/trees{/sha}"},
      {"clone_url", m_sim.clone_url(repo.owner, repo.name)},
      {"mirror_url", nullptr},
      {"hooks_url", a + "/hooks"},
      {"svn_url", html(repo)},
      {"homepage", nullptr},
      {"language", nullptr},
      {"forks_count", 0},
      {"stargazers_count", 0},
      {"watchers_count", 0},
      {"size", 0},
      {"default_branch", repo.settings.default_branch},
      {"open_issues_count", 0},
      {"is_template", false},
      {"topics", json::array()},
      {"has_issues", true},
      {"has_projects", false},
      {"has_wiki", false},
      {"has_pages", false},
      {"has_downloads", false},
      {"has_discussions", false},
      {"archived", false},
      {"disabled", false},
      {"visibility", "private"},
      {"pushed_at", repo.created_at},
      {"created_at", repo.created_at},
      {"updated_at", repo.created_at},
      {"permissions",
       {{"admin", true}, {"maintain", true}, {"push", true}, {"triage", true}, {"pull", true}}},
      {"allow_rebase_merge", repo.settings.allow_rebase_merge},
      {"allow_squash_merge", repo.settings.allow_squash_merge},
      {"allow_merge_commit", repo.settings.allow_merge_commit},
      {"allow_auto_merge", repo.settings.allow_auto_merge},
      {"delete_branch_on_merge", false},
      {"allow_update_branch", true},
      {"allow_forking", false},
      {"web_commit_signoff_required", false},
      {"subscribers_count", 0},
      {"network_count", 0},
      {"license", nullptr},
      {"forks", 0},
      {"open_issues", 0},
      {"watchers", 0}};
  return j;
}

json GitHubApi::pr_json(const Repo &repo, const PullRequest &pr, bool full,
                        const GitRepo &git) const {
  std::string a = api(repo);
  std::string num = std::to_string(pr.number);
  std::string self = a + "/pulls/" + num;
  json repo_obj = repo_json(repo);
  json owner = user_json(repo.owner, "Organization");
  auto side = [&](const std::string &ref, const std::string &sha) {
    return json{{"label", repo.owner + ":" + ref},
                {"ref", ref},
                {"sha", sha},
                {"user", owner},
                {"repo", repo_obj}};
  };
  json auto_merge = nullptr;
  if (pr.auto_merge) {
    auto_merge = {{"enabled_by", user_json(pr.auto_merge->enabled_by)},
                  {"merge_method", to_string(pr.auto_merge->method)},
                  {"commit_title", pr.auto_merge->commit_title},
                  {"commit_message", pr.auto_merge->commit_message}};
  }
  json j = {{"url", self},
            {"id", pr.id},
            {"node_id", pr.node_id},
            {"html_url", html(repo) + "/pull/" + num},
            {"diff_url", html(repo) + "/pull/" + num + ".diff"},
            {"patch_url", html(repo) + "/pull/" + num + ".patch"},
            {"issue_url", a + "/issues/" + num},
            {"commits_url", self + "/commits"},
            {"review_comments_url", self + "/comments"},
            {"review_comment_url", a + "/pulls/comments{/number}"},
            {"comments_url", a + "/issues/" + num + "/comments"},
            {"statuses_url", a + "/statuses/" + pr.head_sha},
            {"number", pr.number},
            {"state", pr.state},
            {"locked", false},
            {"title", pr.title},
            {"user", user_json(pr.user)},
            {"body", nullable(pr.body)},
            {"labels", json::array()},
            {"milestone", nullptr},
            {"active_lock_reason", nullptr},
            {"created_at", pr.created_at},
            {"updated_at", pr.updated_at},
            {"closed_at", nullable(pr.closed_at)},
            {"merged_at", nullable(pr.merged_at)},
            {"merge_commit_sha", nullable(pr.merge_commit_sha)},
            {"assignee", nullptr},
            {"assignees", json::array()},
            {"requested_reviewers", json::array()},
            {"requested_teams", json::array()},
            {"head", side(pr.head_ref, pr.head_sha)},
            {"base", side(pr.base_ref, pr.base_sha)},
            {"_links",
             {{"self", {{"href", self}}},
              {"html", {{"href", html(repo) + "/pull/" + num}}},
              {"issue", {{"href", a + "/issues/" + num}}},
              {"comments", {{"href", a + "/issues/" + num + "/comments"}}},
              {"review_comments", {{"href", self + "/comments"}}},
              {"review_comment", {{"href", a + "/pulls/comments{/number}"}}},
              {"commits", {{"href", self + "/commits"}}},
              {"statuses", {{"href", a + "/statuses/" + pr.head_sha}}}}},
            {"author_association", "OWNER"},
            {"auto_merge", auto_merge},
            {"draft", pr.draft}};
  if (!full) {
    return j;
  }
  json mergeable = nullptr;
  std::string mergeable_state = "unknown";
  long commits = static_cast<long>(pr.produced.size());
  if (pr.state == "open") {
    try {
      bool ok = git.can_merge(pr.base_sha, pr.head_sha);
      mergeable = ok;
      commits = static_cast<long>(git.commits_between(pr.base_sha, pr.head_sha).size());
      if (!ok) {
        mergeable_state = "dirty";
      } else if (pr.draft) {
        mergeable_state = "draft";
      } else if (!m_state.missing_contexts(repo, pr.head_sha).empty()) {
        mergeable_state = "blocked";
      } else {
        mergeable_state = "clean";
      }
    } catch (const GitOpError &) {
      mergeable = nullptr;
    }
  }
  j["merged"] = pr.merged;
  j["mergeable"] = mergeable;
  j["rebaseable"] = mergeable;
  j["mergeable_state"] = mergeable_state;
  j["merged_by"] = pr.merged_by ? user_json(*pr.merged_by) : json(nullptr);
  j["comments"] = 0;
  j["review_comments"] = 0;
  j["maintainer_can_modify"] = pr.maintainer_can_modify;
  j["commits"] = commits;
  j["additions"] = 0;
  j["deletions"] = 0;
  j["changed_files"] = 0;
  return j;
}

json GitHubApi::status_json(const Repo &repo, const CommitStatus &s) const {
  return {{"url", api(repo) + "/statuses/" + s.sha},
          {"avatar_url", nullptr},
          {"id", s.id},
          {"node_id", "SC_sim" + std::to_string(s.id)},
          {"state", s.state},
          {"description", nullable(s.description)},
          {"target_url", nullable(s.target_url)},
          {"context", s.context},
          {"created_at", s.created_at},
          {"updated_at", s.created_at},
          {"creator", user_json(s.creator)}};
}

json GitHubApi::check_run_json(const Repo &repo, const CheckRun &r) const {
  std::string id = std::to_string(r.id);
  return {{"id", r.id},
          {"head_sha", r.sha},
          {"node_id", "CR_sim" + id},
          {"external_id", nullable(r.external_id)},
          {"url", api(repo) + "/check-runs/" + id},
          {"html_url", html(repo) + "/runs/" + id},
          {"details_url", nullable(r.details_url)},
          {"status", r.status},
          {"conclusion", nullable(r.conclusion)},
          {"started_at", nullable(r.started_at)},
          {"completed_at", nullable(r.completed_at)},
          {"output",
           {{"title", nullable(r.output_title)},
            {"summary", nullable(r.output_summary)},
            {"text", nullable(r.output_text)},
            {"annotations_count", 0},
            {"annotations_url", api(repo) + "/check-runs/" + id + "/annotations"}}},
          {"name", r.name},
          {"check_suite", {{"id", r.id}}},
          {"app", nullptr},
          {"pull_requests", json::array()}};
}

json GitHubApi::ref_json(const Repo &repo, const std::string &refname, const std::string &sha,
                         const GitRepo &git) const {
  std::string type = git.object_type(sha).value_or("commit");
  std::string kind = type == "tag"    ? "tags"
                     : type == "blob" ? "blobs"
                     : type == "tree" ? "trees"
                                      : "commits";
  return {
      {"ref", refname},
      {"node_id", "REF_sim" + sha.substr(0, 12)},
      {"url", api(repo) + "/git/" + refname},
      {"object", {{"type", type}, {"sha", sha}, {"url", api(repo) + "/git/" + kind + "/" + sha}}}};
}

json GitHubApi::commit_json(const Repo &repo, const CommitInfo &c) const {
  auto person = [](const Signature &s) {
    return json{{"name", s.name}, {"email", s.email}, {"date", iso_time(s.time, s.offset_minutes)}};
  };
  json parents = json::array();
  for (const auto &p : c.parents) {
    parents.push_back({{"sha", p},
                       {"url", api(repo) + "/git/commits/" + p},
                       {"html_url", html(repo) + "/commit/" + p}});
  }
  return {{"sha", c.sha},
          {"node_id", "C_sim" + c.sha.substr(0, 12)},
          {"url", api(repo) + "/git/commits/" + c.sha},
          {"html_url", html(repo) + "/commit/" + c.sha},
          {"author", person(c.author)},
          {"committer", person(c.committer)},
          {"tree", {{"sha", c.tree}, {"url", api(repo) + "/git/trees/" + c.tree}}},
          {"message", c.message},
          {"parents", parents},
          {"verification",
           {{"verified", false},
            {"reason", "unsigned"},
            {"signature", nullptr},
            {"payload", nullptr},
            {"verified_at", nullptr}}}};
}

json GitHubApi::tree_json(const Repo &repo, const std::string &sha, const GitRepo &git,
                          bool recursive) const {
  json entries = json::array();
  for (const auto &e : git.read_tree(sha, recursive)) {
    std::string kind = e.type == "tree" ? "trees" : e.type == "blob" ? "blobs" : "commits";
    json item = {{"path", e.path},
                 {"mode", e.mode},
                 {"type", e.type},
                 {"sha", e.sha},
                 {"url", api(repo) + "/git/" + kind + "/" + e.sha}};
    if (e.size) {
      item["size"] = *e.size;
    }
    entries.push_back(item);
  }
  return {{"sha", sha},
          {"url", api(repo) + "/git/trees/" + sha},
          {"tree", entries},
          {"truncated", false}};
}

Repo *GitHubApi::repo_or_404(const Params &p, httplib::Response &res) {
  Repo *repo = m_state.find_repo(p.at(0), p.at(1));
  if (repo == nullptr) {
    send_error(res, 404, "Not Found", "https://docs.github.com/rest/repos/repos#get-a-repository");
  }
  return repo;
}

PullRequest *GitHubApi::pr_or_404(const Repo &repo, const std::string &number,
                                  httplib::Response &res) {
  PullRequest *pr = nullptr;
  if (!number.empty() && number.size() < 10 &&
      std::all_of(number.begin(), number.end(), ::isdigit)) {
    pr = m_state.find_pr(repo.key(), std::stol(number));
  }
  if (pr == nullptr) {
    send_error(res, 404, "Not Found",
               "https://docs.github.com/rest/pulls/pulls#get-a-pull-request");
  }
  return pr;
}

// A commit named by a sha or ref, or an answer "No commit found for SHA: x" with `status`.
std::optional<std::string> GitHubApi::commit_or_error(const GitRepo &git, const std::string &spec,
                                                      httplib::Response &res, int status) {
  auto sha = git.resolve_commit(spec);
  if (!sha) {
    send_error(res, status, "No commit found for SHA: " + spec);
  }
  return sha;
}

bool GitHubApi::optional_string(const json &body, const char *key, httplib::Response &res,
                                const std::string &resource) {
  if (body.contains(key) && !body.at(key).is_null() && !body.at(key).is_string()) {
    send_validation(res, json::array({error_item(resource, key, "invalid")}));
    return false;
  }
  return true;
}

void GitHubApi::get_repo(const httplib::Request &, httplib::Response &res, const Params &p) {
  if (Repo *repo = repo_or_404(p, res)) {
    send_json(res, 200, repo_json(*repo));
  }
}

void GitHubApi::register_routes(Router &r) {
  auto bind =
      [this](void (GitHubApi::*fn)(const httplib::Request &, httplib::Response &, const Params &)) {
        return [this, fn](const httplib::Request &req, httplib::Response &res, const Params &p) {
          (this->*fn)(req, res, p);
        };
      };
  const std::string repo = "/repos/{owner}/{repo}";
  r.add("POST", "/graphql", bind(&GitHubApi::graphql));
  r.add("GET", repo, bind(&GitHubApi::get_repo));
  r.add("GET", repo + "/pulls", bind(&GitHubApi::list_pulls));
  r.add("POST", repo + "/pulls", bind(&GitHubApi::create_pull));
  r.add("GET", repo + "/pulls/{pull_number}", bind(&GitHubApi::get_pull));
  r.add("PATCH", repo + "/pulls/{pull_number}", bind(&GitHubApi::update_pull));
  r.add("GET", repo + "/pulls/{pull_number}/merge", bind(&GitHubApi::check_merged));
  r.add("PUT", repo + "/pulls/{pull_number}/merge", bind(&GitHubApi::merge_pull));
  r.add("GET", repo + "/commits/{commit_sha+}/pulls", bind(&GitHubApi::pulls_for_commit));
  r.add("GET", repo + "/commits/{ref+}/statuses", bind(&GitHubApi::list_statuses));
  r.add("GET", repo + "/commits/{ref+}/status", bind(&GitHubApi::combined_status));
  r.add("GET", repo + "/commits/{ref+}/check-runs", bind(&GitHubApi::list_check_runs));
  r.add("POST", repo + "/statuses/{sha+}", bind(&GitHubApi::create_status));
  r.add("POST", repo + "/check-runs", bind(&GitHubApi::create_check_run));
  r.add("POST", repo + "/git/blobs", bind(&GitHubApi::create_blob));
  r.add("POST", repo + "/git/trees", bind(&GitHubApi::create_tree));
  r.add("GET", repo + "/git/trees/{tree_sha+}", bind(&GitHubApi::get_tree));
  r.add("POST", repo + "/git/commits", bind(&GitHubApi::create_commit));
  r.add("GET", repo + "/git/commits/{commit_sha+}", bind(&GitHubApi::get_commit));
  r.add("GET", repo + "/git/ref/{ref+}", bind(&GitHubApi::get_ref));
  r.add("GET", repo + "/git/matching-refs/{ref+}", bind(&GitHubApi::matching_refs));
  r.add("POST", repo + "/git/refs", bind(&GitHubApi::create_ref));
  r.add("PATCH", repo + "/git/refs/{ref+}", bind(&GitHubApi::update_ref));
  r.add("DELETE", repo + "/git/refs/{ref+}", bind(&GitHubApi::delete_ref));
}

} // namespace forge_sim::github

namespace forge_sim {

void register_github_routes(Router &router, Simulator &sim) {
  auto api = std::make_shared<github::GitHubApi>(sim);
  api->register_routes(router);
  router.keep_alive(api);
}

} // namespace forge_sim
