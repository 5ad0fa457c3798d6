// GitHub REST + GraphQL routes. Shapes follow GitHub's OpenAPI description (components/schemas
// pull-request, pull-request-simple, full-repository, status, combined-commit-status, check-run,
// git-ref, git-commit, git-tree, short-blob, validation-error).
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

namespace forge_sim {
namespace {

using nlohmann::json;
using Params = std::vector<std::string>;

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

class GitHubApi {
public:
  explicit GitHubApi(Simulator &sim) : m_sim(sim), m_state(sim.state()) {}

  void register_routes(Router &r);

private:
  // --- rendering -------------------------------------------------------------------------------
  std::string api(const Repo &repo) const {
    return m_sim.base_url() + "/repos/" + repo.owner + "/" + repo.name;
  }
  std::string html(const Repo &repo) const {
    return m_sim.base_url() + "/" + repo.owner + "/" + repo.name;
  }

  json user_json(const std::string &login, const std::string &type = "User") const {
    return simple_user_json(m_sim.base_url(), login, type);
  }

  json repo_json(const Repo &repo) const {
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

  json pr_json(const Repo &repo, const PullRequest &pr, bool full, const GitRepo &git) const {
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

  json status_json(const Repo &repo, const CommitStatus &s) const {
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

  json check_run_json(const Repo &repo, const CheckRun &r) const {
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

  json ref_json(const Repo &repo, const std::string &refname, const std::string &sha,
                const GitRepo &git) const {
    std::string type = git.object_type(sha).value_or("commit");
    std::string kind = type == "tag"    ? "tags"
                       : type == "blob" ? "blobs"
                       : type == "tree" ? "trees"
                                        : "commits";
    return {{"ref", refname},
            {"node_id", "REF_sim" + sha.substr(0, 12)},
            {"url", api(repo) + "/git/" + refname},
            {"object",
             {{"type", type}, {"sha", sha}, {"url", api(repo) + "/git/" + kind + "/" + sha}}}};
  }

  json commit_json(const Repo &repo, const CommitInfo &c) const {
    auto person = [](const Signature &s) {
      return json{
          {"name", s.name}, {"email", s.email}, {"date", iso_time(s.time, s.offset_minutes)}};
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

  json tree_json(const Repo &repo, const std::string &sha, const GitRepo &git,
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

  // --- helpers ---------------------------------------------------------------------------------
  Repo *repo_or_404(const Params &p, httplib::Response &res) {
    Repo *repo = m_state.find_repo(p.at(0), p.at(1));
    if (repo == nullptr) {
      send_error(res, 404, "Not Found",
                 "https://docs.github.com/rest/repos/repos#get-a-repository");
    }
    return repo;
  }

  PullRequest *pr_or_404(const Repo &repo, const std::string &number, httplib::Response &res) {
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
  std::optional<std::string> commit_or_error(const GitRepo &git, const std::string &spec,
                                             httplib::Response &res, int status) {
    auto sha = git.resolve_commit(spec);
    if (!sha) {
      send_error(res, status, "No commit found for SHA: " + spec);
    }
    return sha;
  }

  bool optional_string(const json &body, const char *key, httplib::Response &res,
                       const std::string &resource) {
    if (body.contains(key) && !body.at(key).is_null() && !body.at(key).is_string()) {
      send_validation(res, json::array({error_item(resource, key, "invalid")}));
      return false;
    }
    return true;
  }

  // --- repository ------------------------------------------------------------------------------
  void get_repo(const httplib::Request &, httplib::Response &res, const Params &p) {
    if (Repo *repo = repo_or_404(p, res)) {
      send_json(res, 200, repo_json(*repo));
    }
  }

  // --- pulls -----------------------------------------------------------------------------------
  void list_pulls(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    std::string state = query(req, "state").value_or("open");
    if (state != "open" && state != "closed" && state != "all") {
      send_validation(res, json::array({error_item("PullRequest", "state", "invalid")}));
      return;
    }
    std::optional<std::string> head = query(req, "head");
    if (head) {
      auto colon = head->find(':');
      if (colon != std::string::npos) {
        if (head->substr(0, colon) != repo->owner) {
          head = std::string("\n"); // another owner's fork: nothing matches
        } else {
          head = head->substr(colon + 1);
        }
      }
    }
    std::optional<std::string> base = query(req, "base");
    std::string direction = query(req, "direction").value_or("desc");
    std::string sort = query(req, "sort").value_or("created");
    GitRepo git = m_state.open_git(*repo);
    std::vector<PullRequest *> prs;
    for (PullRequest *pr : m_state.prs_of(repo->key())) {
      m_state.refresh(*pr, git);
      if (state != "all" && pr->state != state) {
        continue;
      }
      if (head && pr->head_ref != *head) {
        continue;
      }
      if (base && pr->base_ref != *base) {
        continue;
      }
      prs.push_back(pr);
    }
    if (sort == "updated") {
      std::stable_sort(prs.begin(), prs.end(), [](const PullRequest *a, const PullRequest *b) {
        return a->updated_at < b->updated_at;
      });
    }
    if (direction != "asc") {
      std::reverse(prs.begin(), prs.end());
    }
    Page page = paginate(req, res, prs.size(), m_sim.base_url());
    json out = json::array();
    for (std::size_t i = page.offset; i < page.offset + page.count; ++i) {
      out.push_back(pr_json(*repo, *prs[i], false, git));
    }
    send_json(res, 200, out);
  }

  void create_pull(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    for (const char *key : {"title", "head", "base", "body"}) {
      if (!optional_string(*body, key, res, "PullRequest")) {
        return;
      }
    }
    json missing = json::array();
    for (const char *key : {"head", "base", "title"}) {
      if (!body->contains(key) || body->at(key).is_null() ||
          body->at(key).get<std::string>().empty()) {
        missing.push_back(error_item("PullRequest", key, "missing_field"));
      }
    }
    if (!missing.empty()) {
      send_validation(res, missing);
      return;
    }
    std::string head = body->at("head").get<std::string>();
    std::string base = body->at("base").get<std::string>();
    if (auto colon = head.find(':'); colon != std::string::npos) {
      if (head.substr(0, colon) != repo->owner) {
        send_validation(res, json::array({error_item("PullRequest", "head", "invalid")}));
        return;
      }
      head = head.substr(colon + 1);
    }
    GitRepo git = m_state.open_git(*repo);
    auto head_sha = git.ref_target("refs/heads/" + head);
    auto base_sha = git.ref_target("refs/heads/" + base);
    json invalid = json::array();
    if (!head_sha) {
      invalid.push_back(error_item("PullRequest", "head", "invalid"));
    }
    if (!base_sha) {
      invalid.push_back(error_item("PullRequest", "base", "invalid"));
    }
    if (!invalid.empty()) {
      send_validation(res, invalid);
      return;
    }
    for (PullRequest *pr : m_state.prs_of(repo->key())) {
      if (pr->state == "open" && pr->head_ref == head && pr->base_ref == base) {
        send_validation(
            res, json::array({custom_error("PullRequest", "A pull request already exists for " +
                                                              repo->owner + ":" + head + ".")}));
        return;
      }
    }
    if (git.is_ancestor(*head_sha, *base_sha)) {
      send_validation(res, json::array({custom_error("PullRequest", "No commits between " + base +
                                                                        " and " + head)}));
      return;
    }
    PullRequest &pr = m_state.add_pr(
        *repo, body->at("title").get<std::string>(),
        body->value("body", json("")).is_string() ? body->value("body", std::string())
                                                  : std::string(),
        head, base, body->value("draft", false), body->value("maintainer_can_modify", false));
    res.set_header("Location", api(*repo) + "/pulls/" + std::to_string(pr.number));
    send_json(res, 201, pr_json(*repo, pr, true, git));
  }

  void get_pull(const httplib::Request &, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    PullRequest *pr = pr_or_404(*repo, p.at(2), res);
    if (pr == nullptr) {
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    m_state.refresh(*pr, git);
    send_json(res, 200, pr_json(*repo, *pr, true, git));
  }

  void update_pull(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    PullRequest *pr = pr_or_404(*repo, p.at(2), res);
    if (pr == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    for (const char *key : {"title", "body", "state", "base"}) {
      if (!optional_string(*body, key, res, "PullRequest")) {
        return;
      }
    }
    GitRepo git = m_state.open_git(*repo);
    std::string new_state = body->contains("state") && body->at("state").is_string()
                                ? body->at("state").get<std::string>()
                                : pr->state;
    if (new_state != "open" && new_state != "closed") {
      send_validation(res, json::array({error_item("PullRequest", "state", "invalid")}));
      return;
    }
    if (body->contains("base") && body->at("base").is_string()) {
      std::string base = body->at("base").get<std::string>();
      if (!git.ref_target("refs/heads/" + base)) {
        send_validation(res, json::array({error_item("PullRequest", "base", "invalid")}));
        return;
      }
      if (pr->state == "open") {
        pr->base_ref = base;
      }
    }
    if (new_state != pr->state) {
      if (pr->merged) {
        send_validation(
            res, json::array({custom_error("PullRequest",
                                           "Cannot change the state of a merged pull request")}));
        return;
      }
      if (new_state == "closed") {
        pr->state = "closed";
        pr->closed_at = now_iso();
        pr->auto_merge.reset();
      } else {
        if (!git.ref_target("refs/heads/" + pr->head_ref)) {
          send_validation(res, json::array({custom_error("PullRequest",
                                                         "Cannot reopen: the head branch " +
                                                             pr->head_ref + " does not exist")}));
          return;
        }
        for (PullRequest *other : m_state.prs_of(repo->key())) {
          if (other != pr && other->state == "open" && other->head_ref == pr->head_ref &&
              other->base_ref == pr->base_ref) {
            send_validation(res, json::array({custom_error(
                                     "PullRequest", "A pull request already exists for " +
                                                        repo->owner + ":" + pr->head_ref + ".")}));
            return;
          }
        }
        pr->state = "open";
        pr->closed_at.reset();
      }
    }
    if (body->contains("title") && body->at("title").is_string()) {
      pr->title = body->at("title").get<std::string>();
    }
    if (body->contains("body")) {
      pr->body = body->at("body").is_string() ? body->at("body").get<std::string>() : "";
    }
    if (body->contains("maintainer_can_modify") && body->at("maintainer_can_modify").is_boolean()) {
      pr->maintainer_can_modify = body->at("maintainer_can_modify").get<bool>();
    }
    pr->updated_at = now_iso();
    m_state.refresh(*pr, git);
    send_json(res, 200, pr_json(*repo, *pr, true, git));
  }

  void check_merged(const httplib::Request &, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    PullRequest *pr = pr_or_404(*repo, p.at(2), res);
    if (pr == nullptr) {
      return;
    }
    if (pr->merged) {
      res.status = 204;
    } else {
      send_error(res, 404, "Not Found");
    }
  }

  void merge_pull(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    PullRequest *pr = pr_or_404(*repo, p.at(2), res);
    if (pr == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    for (const char *key : {"commit_title", "commit_message", "sha", "merge_method"}) {
      if (!optional_string(*body, key, res, "PullRequest")) {
        return;
      }
    }
    MergeMethod method = MergeMethod::merge;
    if (body->contains("merge_method") && body->at("merge_method").is_string()) {
      auto m = parse_merge_method(body->at("merge_method").get<std::string>());
      if (!m || body->at("merge_method").get<std::string>() != to_string(*m)) {
        send_validation(res, json::array({error_item("PullRequest", "merge_method", "invalid")}));
        return;
      }
      method = *m;
    }
    auto opt = [&](const char *key) -> std::optional<std::string> {
      if (body->contains(key) && body->at(key).is_string()) {
        return body->at(key).get<std::string>();
      }
      return std::nullopt;
    };
    MergeRefusal refusal =
        m_state.merge_pr(*pr, method, opt("sha"), opt("commit_title"), opt("commit_message"), true);
    static const char *k_merge_docs =
        "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request";
    switch (refusal) {
    case MergeRefusal::none:
      send_json(res, 200,
                {{"sha", *pr->merge_commit_sha},
                 {"merged", true},
                 {"message", "Pull Request successfully merged"}});
      return;
    case MergeRefusal::head_modified:
      send_error(res, 409, "Head branch was modified. Review and try the merge again.",
                 k_merge_docs);
      return;
    case MergeRefusal::method_not_allowed: {
      std::string what = method == MergeMethod::squash   ? "Squash merges"
                         : method == MergeMethod::rebase ? "Rebase merges"
                                                         : "Merge commits";
      send_error(res, 405, what + " are not allowed on this repository.", k_merge_docs);
      return;
    }
    case MergeRefusal::base_moved:
      send_error(res, 409, "Base branch was modified. Review and try the merge again.",
                 k_merge_docs);
      return;
    default:
      send_error(res, 405, "Pull Request is not mergeable", k_merge_docs);
      return;
    }
  }

  void pulls_for_commit(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    auto sha = commit_or_error(git, p.at(2), res, 422);
    if (!sha) {
      return;
    }
    std::vector<PullRequest *> prs;
    auto all = m_state.prs_of(repo->key());
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      PullRequest *pr = *it;
      m_state.refresh(*pr, git);
      bool produced =
          std::find(pr->produced.begin(), pr->produced.end(), *sha) != pr->produced.end();
      if (produced || pr->merge_commit_sha == *sha || pr->head_sha == *sha) {
        prs.push_back(pr);
      }
    }
    // Merged PRs that produced the commit come before PRs that merely contain it, as on GitHub.
    std::stable_partition(prs.begin(), prs.end(), [&](const PullRequest *pr) {
      return pr->merged &&
             (pr->merge_commit_sha == *sha ||
              std::find(pr->produced.begin(), pr->produced.end(), *sha) != pr->produced.end());
    });
    Page page = paginate(req, res, prs.size(), m_sim.base_url());
    json out = json::array();
    for (std::size_t i = page.offset; i < page.offset + page.count; ++i) {
      out.push_back(pr_json(*repo, *prs[i], false, git));
    }
    send_json(res, 200, out);
  }

  // --- statuses and checks ---------------------------------------------------------------------
  void list_statuses(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    auto sha = commit_or_error(git, p.at(2), res, 404);
    if (!sha) {
      return;
    }
    auto statuses = m_state.statuses_of(repo->key(), *sha);
    Page page = paginate(req, res, statuses.size(), m_sim.base_url());
    json out = json::array();
    for (std::size_t i = page.offset; i < page.offset + page.count; ++i) {
      out.push_back(status_json(*repo, *statuses[i]));
    }
    send_json(res, 200, out);
  }

  void combined_status(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    auto sha = commit_or_error(git, p.at(2), res, 404);
    if (!sha) {
      return;
    }
    std::vector<const CommitStatus *> latest;
    std::set<std::string> seen;
    for (const auto *s : m_state.statuses_of(repo->key(), *sha)) {
      if (seen.insert(s->context).second) {
        latest.push_back(s);
      }
    }
    std::string state = latest.empty() ? "pending" : "success";
    for (const auto *s : latest) {
      if (s->state == "failure" || s->state == "error") {
        state = "failure";
        break;
      }
      if (s->state == "pending") {
        state = "pending";
      }
    }
    Page page = paginate(req, res, latest.size(), m_sim.base_url(), 100);
    json statuses = json::array();
    for (std::size_t i = page.offset; i < page.offset + page.count; ++i) {
      json s = status_json(*repo, *latest[i]);
      s.erase("creator");
      statuses.push_back(s);
    }
    json repo_min = repo_json(*repo);
    send_json(res, 200,
              {{"state", state},
               {"statuses", statuses},
               {"sha", *sha},
               {"total_count", latest.size()},
               {"repository", repo_min},
               {"commit_url", api(*repo) + "/commits/" + *sha},
               {"url", api(*repo) + "/commits/" + *sha + "/status"}});
  }

  void create_status(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    for (const char *key : {"state", "context", "description", "target_url"}) {
      if (!optional_string(*body, key, res, "Status")) {
        return;
      }
    }
    if (!body->contains("state") || !body->at("state").is_string()) {
      send_validation(res, json::array({error_item("Status", "state", "missing_field")}));
      return;
    }
    std::string state = body->at("state").get<std::string>();
    if (state != "error" && state != "failure" && state != "pending" && state != "success") {
      send_validation(res, json::array({error_item("Status", "state", "invalid")}));
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    auto sha = commit_or_error(git, p.at(2), res, 422);
    if (!sha) {
      return;
    }
    auto str = [&](const char *key, const std::string &fallback) {
      return body->contains(key) && body->at(key).is_string() ? body->at(key).get<std::string>()
                                                              : fallback;
    };
    CommitStatus &s =
        m_state.add_status(*repo, *sha, state, str("context", "default"), str("description", ""),
                           str("target_url", ""), m_state.user());
    res.set_header("Location", api(*repo) + "/statuses/" + *sha);
    send_json(res, 201, status_json(*repo, s));
  }

  void list_check_runs(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    auto sha = commit_or_error(git, p.at(2), res, 404);
    if (!sha) {
      return;
    }
    auto name = query(req, "check_name");
    auto status = query(req, "status");
    bool latest_only = query(req, "filter").value_or("latest") != "all";
    std::vector<const CheckRun *> runs;
    std::set<std::string> seen;
    for (const auto *r : m_state.check_runs_of(repo->key(), *sha)) {
      if (latest_only && !seen.insert(r->name).second) {
        continue;
      }
      if ((name && r->name != *name) || (status && r->status != *status)) {
        continue;
      }
      runs.push_back(r);
    }
    Page page = paginate(req, res, runs.size(), m_sim.base_url());
    json out = json::array();
    for (std::size_t i = page.offset; i < page.offset + page.count; ++i) {
      out.push_back(check_run_json(*repo, *runs[i]));
    }
    send_json(res, 200, {{"total_count", runs.size()}, {"check_runs", out}});
  }

  void create_check_run(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    for (const char *key : {"name", "head_sha", "status", "conclusion", "external_id",
                            "details_url", "started_at", "completed_at"}) {
      if (!optional_string(*body, key, res, "CheckRun")) {
        return;
      }
    }
    if (!require_strings(*body, "CheckRun", {"name", "head_sha"}, res)) {
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    auto sha = commit_or_error(git, body->at("head_sha").get<std::string>(), res, 422);
    if (!sha) {
      return;
    }
    CheckRun run;
    run.repo_key = repo->key();
    run.sha = *sha;
    run.name = body->at("name").get<std::string>();
    run.status = body->value("status", std::string("queued"));
    static const std::set<std::string> k_status{"queued", "in_progress", "completed"};
    static const std::set<std::string> k_conclusion{"action_required", "cancelled", "failure",
                                                    "neutral",         "success",   "skipped",
                                                    "stale",           "timed_out"};
    if (k_status.count(run.status) == 0) {
      send_validation(res, json::array({error_item("CheckRun", "status", "invalid")}));
      return;
    }
    if (body->contains("conclusion") && body->at("conclusion").is_string()) {
      std::string c = body->at("conclusion").get<std::string>();
      if (k_conclusion.count(c) == 0) {
        send_validation(res, json::array({error_item("CheckRun", "conclusion", "invalid")}));
        return;
      }
      run.conclusion = c;
      run.status = "completed";
    } else if (run.status == "completed") {
      send_validation(res, json::array({error_item("CheckRun", "conclusion", "missing_field")}));
      return;
    }
    run.started_at = body->value("started_at", now_iso());
    if (run.status == "completed") {
      run.completed_at = body->value("completed_at", now_iso());
    }
    run.external_id = body->value("external_id", std::string());
    run.details_url = body->value("details_url", std::string());
    if (body->contains("output") && body->at("output").is_object()) {
      const json &o = body->at("output");
      run.output_title = o.value("title", std::string());
      run.output_summary = o.value("summary", std::string());
      run.output_text = o.value("text", std::string());
    }
    CheckRun &added = m_state.add_check_run(std::move(run));
    send_json(res, 201, check_run_json(*repo, added));
  }

  // --- Git Data API ----------------------------------------------------------------------------
  void create_blob(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    if (!body->contains("content") || !body->at("content").is_string()) {
      send_validation(res, json::array({error_item("Blob", "content", "missing_field")}));
      return;
    }
    std::string encoding = body->value("encoding", std::string("utf-8"));
    std::string content = body->at("content").get<std::string>();
    if (encoding == "base64") {
      auto decoded = decode_base64(content);
      if (!decoded) {
        send_validation(res, json::array({error_item("Blob", "content", "invalid")}));
        return;
      }
      content = *decoded;
    } else if (encoding != "utf-8" && encoding != "utf8") {
      send_validation(res, json::array({error_item("Blob", "encoding", "invalid")}));
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    std::string sha = git.create_blob(content);
    std::string url = api(*repo) + "/git/blobs/" + sha;
    res.set_header("Location", url);
    send_json(res, 201, {{"url", url}, {"sha", sha}});
  }

  void create_tree(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    if (!body->contains("tree") || !body->at("tree").is_array()) {
      send_validation(res, json::array({error_item("Tree", "tree", "missing_field")}));
      return;
    }
    std::optional<std::string> base_tree;
    if (body->contains("base_tree") && body->at("base_tree").is_string()) {
      base_tree = body->at("base_tree").get<std::string>();
    }
    GitRepo git = m_state.open_git(*repo);
    if (base_tree) {
      auto type = git.object_type(*base_tree);
      if (!type || (*type != "tree" && *type != "commit")) {
        send_validation(res, json::array({error_item("Tree", "base_tree", "invalid")}),
                        "base_tree " + *base_tree + " is not a valid tree");
        return;
      }
    }
    static const std::set<std::string> k_modes{"100644", "100755", "040000", "160000", "120000"};
    static const std::set<std::string> k_types{"blob", "tree", "commit"};
    std::vector<TreeUpdate> updates;
    int index = 0;
    for (const auto &e : body->at("tree")) {
      auto bad = [&](const std::string &field, const std::string &message) {
        json item = error_item("Tree", field, "invalid");
        item["index"] = index;
        send_validation(res, json::array({item}), message);
      };
      if (!e.is_object() || !e.contains("path") || !e.at("path").is_string() ||
          e.at("path").get<std::string>().empty()) {
        bad("path", "tree.path is missing");
        return;
      }
      TreeUpdate u;
      u.path = e.at("path").get<std::string>();
      u.mode = e.value("mode", std::string("100644"));
      u.type = e.value("type", std::string("blob"));
      if (k_modes.count(u.mode) == 0) {
        bad("mode", "tree.mode " + u.mode + " is not valid");
        return;
      }
      if (k_types.count(u.type) == 0) {
        bad("type", "tree.type " + u.type + " is not valid");
        return;
      }
      bool has_content = e.contains("content") && e.at("content").is_string();
      bool has_sha_key = e.contains("sha");
      if (has_content && has_sha_key && !e.at("sha").is_null()) {
        bad("sha", "Must supply either tree.sha or tree.content, not both");
        return;
      }
      if (has_content) {
        u.content = e.at("content").get<std::string>();
      } else if (has_sha_key && e.at("sha").is_string()) {
        u.sha = e.at("sha").get<std::string>();
        auto type = git.object_type(*u.sha);
        if (!type || (*type != u.type && u.type != "commit")) {
          bad("sha", "tree.sha " + *u.sha + " is not a valid " + u.type);
          return;
        }
      } else if (!(has_sha_key && e.at("sha").is_null())) {
        bad("sha", "Must supply either tree.sha or tree.content");
        return;
      }
      updates.push_back(std::move(u));
      ++index;
    }
    std::string sha;
    try {
      sha = git.create_tree(base_tree, updates);
    } catch (const GitOpError &e) {
      send_validation(res, json::array({error_item("Tree", "tree", "invalid")}), e.what());
      return;
    }
    res.set_header("Location", api(*repo) + "/git/trees/" + sha);
    send_json(res, 201, tree_json(*repo, sha, git, false));
  }

  void get_tree(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    std::string spec = p.at(2);
    std::optional<std::string> sha;
    auto type = git.object_type(spec);
    if (type == std::optional<std::string>("tree")) {
      sha = spec;
    } else if (auto commit = git.resolve_commit(spec)) {
      sha = git.read_commit(*commit).tree;
    }
    if (!sha) {
      send_error(res, 404, "Not Found");
      return;
    }
    bool recursive = query(req, "recursive").has_value();
    send_json(res, 200, tree_json(*repo, *sha, git, recursive));
  }

  static std::optional<Signature> person(const json &body, const char *key, const Signature &fb,
                                         bool &bad) {
    if (!body.contains(key)) {
      return fb;
    }
    const json &o = body.at(key);
    if (!o.is_object() || !o.contains("name") || !o.contains("email") ||
        !o.at("name").is_string() || !o.at("email").is_string()) {
      bad = true;
      return std::nullopt;
    }
    Signature s{o.at("name").get<std::string>(), o.at("email").get<std::string>(), fb.time, 0};
    if (o.contains("date") && o.at("date").is_string()) {
      auto t = parse_iso_time(o.at("date").get<std::string>());
      if (!t) {
        bad = true;
        return std::nullopt;
      }
      s.time = t->first;
      s.offset_minutes = t->second;
    }
    return s;
  }

  void create_commit(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    if (!require_strings(*body, "Commit", {"message", "tree"}, res)) {
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    std::string tree = body->at("tree").get<std::string>();
    if (git.object_type(tree) != std::optional<std::string>("tree")) {
      send_error(res, 422, "Tree SHA does not exist");
      return;
    }
    std::vector<std::string> parents;
    if (body->contains("parents")) {
      if (!body->at("parents").is_array()) {
        send_validation(res, json::array({error_item("Commit", "parents", "invalid")}));
        return;
      }
      for (const auto &par : body->at("parents")) {
        if (!par.is_string() ||
            git.object_type(par.get<std::string>()) != std::optional<std::string>("commit")) {
          send_error(res, 422, "Parent SHA does not exist or is not a commit object");
          return;
        }
        parents.push_back(par.get<std::string>());
      }
    }
    Signature fallback = now_signature(m_state.user(), m_state.user() + "@users.noreply.forge-sim");
    bool bad = false;
    auto author = person(*body, "author", fallback, bad);
    auto committer = person(*body, "committer", author.value_or(fallback), bad);
    if (bad || !author || !committer) {
      send_validation(res, json::array({error_item("Commit", "author", "invalid")}));
      return;
    }
    std::string sha = git.create_commit(body->at("message").get<std::string>(), tree, parents,
                                        *author, *committer);
    res.set_header("Location", api(*repo) + "/git/commits/" + sha);
    send_json(res, 201, commit_json(*repo, git.read_commit(sha)));
  }

  void get_commit(const httplib::Request &, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    if (git.object_type(p.at(2)) != std::optional<std::string>("commit")) {
      send_error(res, 404, "Not Found");
      return;
    }
    send_json(res, 200, commit_json(*repo, git.read_commit(p.at(2))));
  }

  void get_ref(const httplib::Request &, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    std::string refname = "refs/" + p.at(2);
    auto sha = git.ref_target(refname);
    if (!sha) {
      send_error(res, 404, "Not Found", "https://docs.github.com/rest/git/refs#get-a-reference");
      return;
    }
    send_json(res, 200, ref_json(*repo, refname, *sha, git));
  }

  void matching_refs(const httplib::Request &, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    json out = json::array();
    for (const auto &[name, sha] : git.list_refs("refs/" + p.at(2))) {
      out.push_back(ref_json(*repo, name, sha, git));
    }
    send_json(res, 200, out);
  }

  void create_ref(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    if (!require_strings(*body, "Reference", {"ref", "sha"}, res)) {
      return;
    }
    std::string ref = body->at("ref").get<std::string>();
    std::string sha = body->at("sha").get<std::string>();
    if (ref.rfind("refs/", 0) != 0 || std::count(ref.begin(), ref.end(), '/') < 2) {
      send_error(res, 422, "Reference name must start with 'refs/' and have at least two slashes.");
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    if (!is_full_sha(sha) || !git.object_type(sha)) {
      send_error(res, 422, "Object does not exist");
      return;
    }
    if (git.ref_target(ref)) {
      send_error(res, 422, "Reference already exists");
      return;
    }
    try {
      git.set_ref(ref, sha, std::nullopt);
    } catch (const GitOpError &) {
      send_error(res, 422, ref + " is not a valid ref name.");
      return;
    }
    res.set_header("Location", api(*repo) + "/git/" + ref);
    send_json(res, 201, ref_json(*repo, ref, sha, git));
  }

  void update_ref(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    if (!body->contains("sha") || !body->at("sha").is_string()) {
      send_validation(res, json::array({error_item("Reference", "sha", "missing_field")}));
      return;
    }
    std::string ref = "refs/" + p.at(2);
    std::string sha = body->at("sha").get<std::string>();
    bool force = body->value("force", false);
    GitRepo git = m_state.open_git(*repo);
    auto old = git.ref_target(ref);
    if (!old) {
      send_error(res, 422, "Reference does not exist");
      return;
    }
    if (!is_full_sha(sha) || !git.object_type(sha)) {
      send_error(res, 422, "Object does not exist");
      return;
    }
    if (!force && !git.is_ancestor(*old, sha)) {
      send_error(res, 422, "Update is not a fast forward");
      return;
    }
    if (!git.set_ref(ref, sha, old)) {
      send_error(res, 422, "Reference cannot be updated");
      return;
    }
    send_json(res, 200, ref_json(*repo, ref, sha, git));
  }

  void delete_ref(const httplib::Request &, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    std::string ref = "refs/" + p.at(2);
    GitRepo git = m_state.open_git(*repo);
    if (!git.delete_ref(ref)) {
      send_error(res, 422, "Reference does not exist");
      return;
    }
    // GitHub closes the open PRs whose head branch was deleted.
    if (ref.rfind("refs/heads/", 0) == 0) {
      std::string branch = ref.substr(11);
      for (PullRequest *pr : m_state.prs_of(repo->key())) {
        if (pr->state == "open" && pr->head_ref == branch) {
          pr->state = "closed";
          pr->closed_at = now_iso();
          pr->updated_at = *pr->closed_at;
          pr->auto_merge.reset();
        }
      }
    }
    res.status = 204;
  }

  // --- GraphQL ---------------------------------------------------------------------------------
  void graphql(const httplib::Request &req, httplib::Response &res, const Params &);
  void graphql_status_rollup(const std::string &doc, const json &vars, httplib::Response &res);

  Simulator &m_sim;
  State &m_state;
};

// Line and column (1-based) of `needle` in `doc`, GitHub's `locations` entry.
json location_of(const std::string &doc, const std::string &needle) {
  auto pos = doc.find(needle);
  if (pos == std::string::npos) {
    return json::array({{{"line", 1}, {"column", 1}}});
  }
  long line = 1 + std::count(doc.begin(), doc.begin() + static_cast<long>(pos), '\n');
  auto nl = doc.rfind('\n', pos);
  long column = static_cast<long>(nl == std::string::npos ? pos + 1 : pos - nl);
  return json::array({{{"line", line}, {"column", column}}});
}

// A value given either in variables (input.<key>, or the top-level variable <key>) or inline in
// the document (`key: "value"` or `key: ENUM`).
std::optional<std::string> graphql_arg(const json &vars, const std::string &doc,
                                       const std::string &key) {
  if (vars.is_object()) {
    if (vars.contains("input") && vars.at("input").is_object() && vars.at("input").contains(key) &&
        vars.at("input").at(key).is_string()) {
      return vars.at("input").at(key).get<std::string>();
    }
    if (vars.contains(key) && vars.at(key).is_string()) {
      return vars.at(key).get<std::string>();
    }
  }
  std::smatch m;
  std::regex literal(key + R"(\s*:\s*"([^"]*)\")");
  if (std::regex_search(doc, m, literal)) {
    return m[1].str();
  }
  std::regex enum_value(key + R"(\s*:\s*([A-Z_]+))");
  if (std::regex_search(doc, m, enum_value)) {
    return m[1].str();
  }
  // `key: $var` with the variable given at top level.
  std::regex variable(key + R"(\s*:\s*\$(\w+))");
  if (std::regex_search(doc, m, variable) && vars.is_object() && vars.contains(m[1].str()) &&
      vars.at(m[1].str()).is_string()) {
    return vars.at(m[1].str()).get<std::string>();
  }
  return std::nullopt;
}

// Opaque connection cursors, base64 like GitHub's: "cursor:v2:<offset>".
std::string encode_cursor(std::size_t offset) {
  static constexpr std::string_view k_alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string in = "cursor:v2:" + std::to_string(offset);
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    std::uint32_t chunk = static_cast<unsigned char>(in[i]) << 16U;
    if (i + 1 < in.size()) {
      chunk |= static_cast<unsigned char>(in[i + 1]) << 8U;
    }
    if (i + 2 < in.size()) {
      chunk |= static_cast<unsigned char>(in[i + 2]);
    }
    out += k_alphabet[(chunk >> 18U) & 63U];
    out += k_alphabet[(chunk >> 12U) & 63U];
    out += i + 1 < in.size() ? k_alphabet[(chunk >> 6U) & 63U] : '=';
    out += i + 2 < in.size() ? k_alphabet[chunk & 63U] : '=';
  }
  return out;
}

std::optional<std::size_t> decode_cursor(const std::string &cursor) {
  const auto text = decode_base64(cursor);
  static const std::regex k_re(R"(^cursor:v2:(\d{1,9})$)");
  std::smatch m;
  if (!text || !std::regex_match(*text, m, k_re)) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(std::stoul(m[1].str()));
}

// The value of argument `key` of the first `field(...)` in `doc`: a string or integer literal, or
// the variable it names (null when that variable is not given); nullopt when there is no such
// argument.
std::optional<json> field_arg(const std::string &doc, const json &vars, const std::string &field,
                              const std::string &key) {
  std::smatch m;
  if (!std::regex_search(doc, m, std::regex("\\b" + field + R"(\s*\(([^)]*)\))"))) {
    return std::nullopt;
  }
  const std::string args = m[1].str();
  if (std::regex_search(args, m, std::regex("\\b" + key + R"re(\s*:\s*"([^"]*)")re"))) {
    return json(m[1].str());
  }
  if (std::regex_search(args, m, std::regex("\\b" + key + R"(\s*:\s*(-?\d+))"))) {
    return json(std::stol(m[1].str()));
  }
  if (std::regex_search(args, m, std::regex("\\b" + key + R"(\s*:\s*\$(\w+))"))) {
    const std::string variable = m[1].str();
    return vars.is_object() && vars.contains(variable) ? vars.at(variable) : json(nullptr);
  }
  return std::nullopt;
}

// GitHub's answer for a variable that is missing or malformed: errors only, no data.
json invalid_variable(const std::string &doc, const std::string &name, const std::string &type,
                      const json &value, const std::string &explanation) {
  return {{"errors", json::array({{{"extensions",
                                    {{"value", value},
                                     {"problems", json::array({{{"path", json::array()},
                                                                {"explanation", explanation}}})}}},
                                   {"locations", location_of(doc, "$" + name)},
                                   {"message", "Variable $" + name + " of type " + type +
                                                   " was provided invalid value"}}})}};
}

// `repository(owner, name) { object(oid) { ... on Commit { statusCheckRollup { contexts(first,
// after) {...} } } } }`: the latest status per context (newest first), then the latest check run
// per name, paged with opaque cursors. Unknown repository → NOT_FOUND; unknown commit → object
// null (GitHub does not call that an error).
void GitHubApi::graphql_status_rollup(const std::string &doc, const json &vars,
                                      httplib::Response &res) {
  // owner/name of `repository(...)`, oid of `object(...)`: literals or variables.
  std::map<std::string, std::string> given;
  for (const auto &[field, key, type] :
       {std::tuple<const char *, const char *, const char *>{"repository", "owner", "String!"},
        {"repository", "name", "String!"},
        {"object", "oid", "GitObjectID!"}}) {
    const auto value = field_arg(doc, vars, field, key);
    if (!value || !value->is_string()) {
      send_json(res, 200,
                invalid_variable(doc, key, type, value ? *value : json(nullptr),
                                 "Expected value to not be null"));
      return;
    }
    given[key] = value->get<std::string>();
  }
  const std::string owner = given["owner"];
  const std::string name = given["name"];
  const std::string oid = given["oid"];
  if (!is_full_sha(oid)) {
    send_json(res, 200,
              invalid_variable(doc, "oid", "GitObjectID!", oid,
                               "\"" + oid + "\" is not a valid Git object ID"));
    return;
  }
  std::optional<long> first;
  if (const auto value = field_arg(doc, vars, "contexts", "first");
      value && value->is_number_integer()) {
    first = value->get<long>();
  }
  std::optional<std::string> after;
  if (const auto value = field_arg(doc, vars, "contexts", "after"); value && value->is_string()) {
    after = value->get<std::string>();
  }
  const json contexts_path = json::array({"repository", "object", "statusCheckRollup", "contexts"});
  auto fail = [&](const std::string &message, const std::string &near) {
    send_json(res, 200,
              {{"data", {{"repository", {{"object", {{"statusCheckRollup", nullptr}}}}}}},
               {"errors", json::array({{{"path", contexts_path},
                                        {"locations", location_of(doc, near)},
                                        {"message", message}}})}});
  };
  if (!first) {
    fail("You must provide a `first` or `last` value to properly paginate the `contexts` "
         "connection.",
         "contexts");
    return;
  }
  if (*first < 0 || *first > 100) {
    fail("Requesting " + std::to_string(*first) +
             " records on the `contexts` connection exceeds the `first` limit of 100 records.",
         "contexts");
    return;
  }
  std::size_t offset = 0;
  if (after) {
    const auto decoded = decode_cursor(*after);
    if (!decoded) {
      fail("`" + *after + "` does not appear to be a valid cursor.", "after");
      return;
    }
    offset = *decoded;
  }

  Repo *repo = m_state.find_repo(owner, name);
  if (repo == nullptr) {
    send_json(res, 200,
              {{"data", {{"repository", nullptr}}},
               {"errors", json::array({{{"type", "NOT_FOUND"},
                                        {"path", json::array({"repository"})},
                                        {"locations", location_of(doc, "repository")},
                                        {"message", "Could not resolve to a Repository with the "
                                                    "name '" +
                                                        owner + "/" + name + "'."}}})}});
    return;
  }
  GitRepo git = m_state.open_git(*repo);
  const auto type = git.object_type(oid);
  if (!type) {
    send_json(res, 200, {{"data", {{"repository", {{"object", nullptr}}}}}});
    return;
  }
  if (*type != "commit") {
    std::string type_name = *type;
    type_name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(type_name[0])));
    send_json(res, 200, {{"data", {{"repository", {{"object", {{"__typename", type_name}}}}}}}});
    return;
  }
  json nodes = json::array();
  std::set<std::string> seen;
  for (const auto *s : m_state.statuses_of(repo->key(), oid)) {
    if (!seen.insert(s->context).second) {
      continue;
    }
    std::string state = s->state;
    std::transform(state.begin(), state.end(), state.begin(), ::toupper);
    nodes.push_back({{"__typename", "StatusContext"},
                     {"context", s->context},
                     {"state", state},
                     {"description", nullable(s->description)},
                     {"targetUrl", nullable(s->target_url)},
                     {"createdAt", s->created_at}});
  }
  seen.clear();
  for (const auto *r : m_state.check_runs_of(repo->key(), oid)) {
    if (!seen.insert(r->name).second) {
      continue;
    }
    std::string status = r->status;
    std::transform(status.begin(), status.end(), status.begin(), ::toupper);
    json conclusion = nullptr;
    if (r->conclusion) {
      std::string upper = *r->conclusion;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      conclusion = upper;
    }
    nodes.push_back({{"__typename", "CheckRun"},
                     {"name", r->name},
                     {"status", status},
                     {"conclusion", conclusion},
                     {"title", nullable(r->output_title)},
                     {"detailsUrl", nullable(r->details_url)}});
  }
  if (nodes.empty()) {
    send_json(res, 200,
              {{"data",
                {{"repository",
                  {{"object", {{"__typename", "Commit"}, {"statusCheckRollup", nullptr}}}}}}}});
    return;
  }
  const std::size_t total = nodes.size();
  const std::size_t begin = std::min(offset, total);
  const std::size_t end = std::min(begin + static_cast<std::size_t>(*first), total);
  json page = json::array();
  for (std::size_t i = begin; i < end; ++i) {
    page.push_back(nodes[i]);
  }
  json page_info = {{"hasNextPage", end < total},
                    {"hasPreviousPage", begin > 0},
                    {"startCursor", begin < end ? json(encode_cursor(begin + 1)) : json(nullptr)},
                    {"endCursor", begin < end ? json(encode_cursor(end)) : json(nullptr)}};
  json rollup = {{"state", nullptr},
                 {"contexts", {{"totalCount", total}, {"pageInfo", page_info}, {"nodes", page}}}};
  // The rollup's own state: failure/error > pending/expected > success, as GitHub combines.
  std::string combined = "SUCCESS";
  for (const auto &node : nodes) {
    const std::string state =
        node["__typename"] == "StatusContext" ? node["state"].get<std::string>()
        : node["status"] != "COMPLETED"       ? "PENDING"
        : node["conclusion"] == "SUCCESS" || node["conclusion"] == "NEUTRAL" ||
                node["conclusion"] == "SKIPPED"
            ? "SUCCESS"
            : "FAILURE";
    if (state == "FAILURE" || state == "ERROR") {
      combined = "FAILURE";
      break;
    }
    if (state != "SUCCESS") {
      combined = "PENDING";
    }
  }
  rollup["state"] = combined;
  send_json(res, 200,
            {{"data",
              {{"repository",
                {{"object", {{"__typename", "Commit"}, {"statusCheckRollup", rollup}}}}}}}});
}

void GitHubApi::graphql(const httplib::Request &req, httplib::Response &res, const Params &) {
  auto body = parse_body(req, res);
  if (!body) {
    return;
  }
  std::string doc = body->value("query", std::string());
  json vars = body->contains("variables") ? body->at("variables") : json::object();
  if (doc.find("statusCheckRollup") != std::string::npos &&
      doc.find("mutation") == std::string::npos) {
    graphql_status_rollup(doc, vars, res);
    return;
  }
  std::string field;
  if (doc.find("disablePullRequestAutoMerge") != std::string::npos) {
    field = "disablePullRequestAutoMerge";
  } else if (doc.find("enablePullRequestAutoMerge") != std::string::npos) {
    field = "enablePullRequestAutoMerge";
  }
  if (field.empty() || doc.find("mutation") == std::string::npos) {
    send_json(res, 200,
              {{"errors",
                json::array({{{"message", "forge-sim supports only the enablePullRequestAutoMerge "
                                          "and disablePullRequestAutoMerge mutations and the "
                                          "statusCheckRollup query"},
                              {"locations", location_of(doc, "{")}}})}});
    return;
  }
  auto fail = [&](const std::string &type, const std::string &message) {
    send_json(res, 200,
              {{"data", {{field, nullptr}}},
               {"errors", json::array({{{"type", type},
                                        {"path", json::array({field})},
                                        {"locations", location_of(doc, field)},
                                        {"message", message}}})}});
  };
  auto id = graphql_arg(vars, doc, "pullRequestId");
  if (!id) {
    fail("INVALID_ARGUMENTS", "Argument 'pullRequestId' on InputObject '" +
                                  std::string(field == "enablePullRequestAutoMerge"
                                                  ? "EnablePullRequestAutoMergeInput"
                                                  : "DisablePullRequestAutoMergeInput") +
                                  "' is required. Expected type ID!");
    return;
  }
  PullRequest *pr = m_state.find_pr_by_node_id(*id);
  if (pr == nullptr) {
    fail("NOT_FOUND", "Could not resolve to a node with the global id of '" + *id + "'");
    return;
  }
  auto slash = pr->repo_key.find('/');
  Repo *repo = m_state.find_repo(pr->repo_key.substr(0, slash), pr->repo_key.substr(slash + 1));
  if (repo == nullptr) {
    fail("NOT_FOUND", "Could not resolve to a node with the global id of '" + *id + "'");
    return;
  }
  GitRepo git = m_state.open_git(*repo);
  m_state.refresh(*pr, git);
  if (field == "enablePullRequestAutoMerge") {
    MergeMethod method = MergeMethod::merge;
    if (auto m = graphql_arg(vars, doc, "mergeMethod")) {
      auto parsed = parse_merge_method(*m);
      std::string upper = *m;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      if (!parsed || *m != upper) {
        fail("INVALID_ARGUMENTS",
             "Argument 'mergeMethod' on InputObject 'EnablePullRequestAutoMergeInput' has an "
             "invalid value (" +
                 *m + "). Expected type 'PullRequestMergeMethod'.");
        return;
      }
      method = *parsed;
    }
    if (!repo->settings.allow_auto_merge) {
      fail("UNPROCESSABLE", "Pull request Auto merge is not allowed for this repository");
      return;
    }
    if (pr->state != "open") {
      fail("UNPROCESSABLE", "Pull request Pull request is closed");
      return;
    }
    if (!m_state.method_allowed(*repo, method)) {
      fail("UNPROCESSABLE",
           "Pull request " + to_string(method) + " merges are not allowed on this repository");
      return;
    }
    bool clean = git.can_merge(pr->base_sha, pr->head_sha) &&
                 m_state.missing_contexts(*repo, pr->head_sha).empty() && !pr->draft;
    if (clean) {
      fail("UNPROCESSABLE", "Pull request Pull request is in clean status");
      return;
    }
    AutoMerge am;
    am.method = method;
    am.enabled_by = m_state.user();
    am.enabled_at = now_iso();
    am.commit_title = graphql_arg(vars, doc, "commitHeadline").value_or("");
    am.commit_message = graphql_arg(vars, doc, "commitBody").value_or("");
    pr->auto_merge = am;
  } else {
    pr->auto_merge.reset();
  }
  pr->updated_at = now_iso();
  std::string upper_method;
  json auto_merge_request = nullptr;
  if (pr->auto_merge) {
    upper_method = to_string(pr->auto_merge->method);
    std::transform(upper_method.begin(), upper_method.end(), upper_method.begin(), ::toupper);
    auto_merge_request = {{"mergeMethod", upper_method},
                          {"enabledAt", pr->auto_merge->enabled_at},
                          {"enabledBy", {{"login", pr->auto_merge->enabled_by}}},
                          {"commitHeadline", nullable(pr->auto_merge->commit_title)},
                          {"commitBody", nullable(pr->auto_merge->commit_message)},
                          {"authorEmail", nullptr}};
  }
  std::string state = pr->merged ? "MERGED" : pr->state == "open" ? "OPEN" : "CLOSED";
  json pr_obj = {{"id", pr->node_id},
                 {"number", pr->number},
                 {"title", pr->title},
                 {"state", state},
                 {"url", html(*repo) + "/pull/" + std::to_string(pr->number)},
                 {"headRefName", pr->head_ref},
                 {"baseRefName", pr->base_ref},
                 {"autoMergeRequest", auto_merge_request}};
  json payload = {{"clientMutationId", graphql_arg(vars, doc, "clientMutationId")
                                           ? json(*graphql_arg(vars, doc, "clientMutationId"))
                                           : json(nullptr)},
                  {"actor", {{"login", m_state.user()}}},
                  {"pullRequest", pr_obj}};
  send_json(res, 200, {{"data", {{field, payload}}}});
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

} // namespace

void register_github_routes(Router &router, Simulator &sim) {
  auto api = std::make_shared<GitHubApi>(sim);
  api->register_routes(router);
  router.keep_alive(api);
}

} // namespace forge_sim
