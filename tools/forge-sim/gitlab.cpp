// GitLab REST API v4 (the subset gitops-promotion uses): merge requests with auto-merge ("merge
// when the pipeline succeeds", here: when the repository's required contexts are green), the merge
// requests of a commit, commit statuses, the project's merge settings, file lookups and the Commits
// API with actions. Projects are `owner/name`, the owner a group path that may have subgroups (the
// id is the URL-encoded path, decoded by the server before routing). Errors are GitLab's
// `{"message": …}`.
#include "http_util.hpp"
#include "server.hpp"
#include "state.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace forge_sim {
namespace {

using json = nlohmann::json;
using Params = std::vector<std::string>;

class GitLabApi {
public:
  explicit GitLabApi(Simulator &sim) : m_sim(sim), m_state(sim.state()) {}

  void register_routes(Router &r) {
    auto bind = [this](void (GitLabApi::*fn)(const httplib::Request &, httplib::Response &,
                                             const Params &)) {
      return [this, fn](const httplib::Request &req, httplib::Response &res, const Params &p) {
        (this->*fn)(req, res, p);
      };
    };
    // A project path may have subgroups ("team/platform/webshop", its id URL-encoded and decoded
    // before routing): the owner takes every segment but the last, so a route whose path ends like
    // another's comes first (the merge requests of a commit before the project's list) and the
    // bare project route comes last.
    const std::string project = "/api/v4/projects/{owner+}/{repo}";
    r.add("GET", project + "/repository/commits/{sha}/merge_requests",
          bind(&GitLabApi::mrs_of_commit));
    r.add("GET", project + "/merge_requests", bind(&GitLabApi::list_mrs));
    r.add("POST", project + "/merge_requests", bind(&GitLabApi::create_mr));
    r.add("GET", project + "/merge_requests/{iid}", bind(&GitLabApi::get_mr));
    r.add("PUT", project + "/merge_requests/{iid}", bind(&GitLabApi::update_mr));
    r.add("PUT", project + "/merge_requests/{iid}/merge", bind(&GitLabApi::merge_mr));
    r.add("POST", project + "/merge_requests/{iid}/cancel_merge_when_pipeline_succeeds",
          bind(&GitLabApi::cancel_auto_merge));
    r.add("GET", project + "/repository/commits/{sha}/statuses", bind(&GitLabApi::statuses));
    r.add("POST", project + "/statuses/{sha}", bind(&GitLabApi::create_status));
    r.add("GET", project + "/repository/files/{path+}", bind(&GitLabApi::get_file));
    r.add("POST", project + "/repository/commits", bind(&GitLabApi::create_commit));
    r.add("GET", project, bind(&GitLabApi::get_project));
  }

private:
  // --- rendering -------------------------------------------------------------------------------
  std::string web(const Repo &repo) const {
    return m_sim.base_url() + "/" + repo.owner + "/" + repo.name;
  }

  static void error(httplib::Response &res, int status, const json &message) {
    send_json(res, status, {{"message", message}});
  }

  static json user_json(const std::string &login) {
    return {{"id", 1},
            {"username", login},
            {"name", login},
            {"state", "active"},
            {"web_url", "/" + login}};
  }

  static std::string gitlab_state(const PullRequest &pr) {
    return pr.merged ? "merged" : pr.state == "open" ? "opened" : "closed";
  }

  json mr_json(const Repo &repo, const PullRequest &pr) const {
    json j = {{"id", pr.id},
              {"iid", pr.number},
              {"project_id", repo.id},
              {"source_project_id", repo.id},
              {"target_project_id", repo.id},
              {"title", pr.title},
              {"description", pr.body},
              {"state", gitlab_state(pr)},
              {"source_branch", pr.head_ref},
              {"target_branch", pr.base_ref},
              {"sha", pr.head_sha},
              {"author", user_json(pr.user)},
              {"draft", pr.draft},
              {"merge_when_pipeline_succeeds", pr.auto_merge.has_value()},
              {"squash", pr.merged_with == MergeMethod::squash},
              {"merge_commit_sha", nullptr},
              {"squash_commit_sha", nullptr},
              {"web_url", web(repo) + "/-/merge_requests/" + std::to_string(pr.number)},
              {"created_at", pr.created_at},
              {"updated_at", pr.updated_at},
              {"merged_at", pr.merged_at ? json(*pr.merged_at) : json()},
              {"closed_at", pr.closed_at ? json(*pr.closed_at) : json()}};
    if (pr.merged && pr.merge_commit_sha) {
      // GitLab reports a squash commit separately; a fast-forward merge has neither.
      const bool fast_forward = *pr.merge_commit_sha == pr.head_sha;
      if (pr.merged_with == MergeMethod::squash) {
        j["squash_commit_sha"] = *pr.merge_commit_sha;
      } else if (!fast_forward) {
        j["merge_commit_sha"] = *pr.merge_commit_sha;
      }
    }
    if (pr.auto_merge) {
      j["merge_user"] = user_json(pr.auto_merge->enabled_by);
    }
    return j;
  }

  // GitLab's names for the simulator's four states, and back.
  static std::string to_gitlab(const std::string &state) {
    if (state == "failure") {
      return "failed";
    }
    if (state == "error") {
      return "canceled";
    }
    return state; // success | pending
  }
  static std::optional<std::string> from_gitlab(const std::string &state) {
    if (state == "success") {
      return "success";
    }
    if (state == "failed") {
      return "failure";
    }
    if (state == "canceled") {
      return "error";
    }
    if (state == "pending" || state == "running") {
      return "pending";
    }
    return std::nullopt;
  }

  json status_json(const CommitStatus &s) const {
    return {{"id", s.id},
            {"sha", s.sha},
            {"status", to_gitlab(s.state)},
            {"name", s.context},
            {"description", s.description},
            {"target_url", s.target_url.empty() ? json() : json(s.target_url)},
            {"created_at", s.created_at},
            {"author", user_json(s.creator)},
            {"allow_failure", false}};
  }

  // --- lookups ---------------------------------------------------------------------------------
  Repo *project_or_404(const Params &p, httplib::Response &res) {
    Repo *repo = m_state.find_repo(p.at(0), p.at(1));
    if (repo == nullptr) {
      error(res, 404, "404 Project Not Found");
    }
    return repo;
  }

  PullRequest *mr_or_404(const Repo &repo, const std::string &iid, httplib::Response &res) {
    PullRequest *pr = nullptr;
    if (!iid.empty() && iid.size() < 10 &&
        std::all_of(iid.begin(), iid.end(), [](unsigned char c) { return std::isdigit(c); })) {
      pr = m_state.find_pr(repo.key(), std::stol(iid));
    }
    if (pr == nullptr) {
      error(res, 404, "404 Not found");
    }
    return pr;
  }

  static std::optional<std::string> string_field(const json &body, const char *key) {
    const auto it = body.is_object() ? body.find(key) : body.end();
    if (body.is_object() && it != body.end() && it->is_string()) {
      return it->get<std::string>();
    }
    return std::nullopt;
  }

  static bool bool_field(const json &body, const char *key) {
    const auto it = body.is_object() ? body.find(key) : body.end();
    return body.is_object() && it != body.end() && it->is_boolean() && it->get<bool>();
  }

  // --- project ---------------------------------------------------------------------------------
  void get_project(const httplib::Request &, httplib::Response &res, const Params &p) {
    Repo *repo = project_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    const auto &s = repo->settings;
    send_json(res, 200,
              {{"id", repo->id},
               {"name", repo->name},
               {"path_with_namespace", repo->key()},
               {"default_branch", s.default_branch},
               {"web_url", web(*repo)},
               {"http_url_to_repo", m_sim.clone_url(repo->owner, repo->name)},
               {"merge_method", "merge"},
               {"squash_option", s.allow_merge_commit ? "default_off" : "always"},
               {"only_allow_merge_if_pipeline_succeeds", !s.required_contexts.empty()}});
  }

  // --- merge requests --------------------------------------------------------------------------
  void list_mrs(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = project_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    const std::string state = query(req, "state").value_or("all");
    const auto source = query(req, "source_branch");
    const auto target = query(req, "target_branch");
    GitRepo git = m_state.open_git(*repo);
    std::vector<PullRequest *> matching;
    for (PullRequest *pr : m_state.prs_of(repo->key())) {
      if ((state == "all" || gitlab_state(*pr) == state) && (!source || pr->head_ref == *source) &&
          (!target || pr->base_ref == *target)) {
        m_state.refresh(*pr, git);
        matching.push_back(pr);
      }
    }
    std::sort(matching.begin(), matching.end(),
              [](const PullRequest *a, const PullRequest *b) { return a->number > b->number; });
    const Page page = paginate(req, res, matching.size(), m_sim.base_url(), 20, "per_page", 100);
    res.set_header("X-Total", std::to_string(matching.size()));
    json out = json::array();
    for (std::size_t i = page.offset; i < page.offset + page.count; ++i) {
      out.push_back(mr_json(*repo, *matching[i]));
    }
    send_json(res, 200, out);
  }

  void create_mr(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = project_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    const auto source = string_field(*body, "source_branch");
    const auto target = string_field(*body, "target_branch");
    const auto title = string_field(*body, "title");
    if (!source || !target || !title || source->empty() || target->empty() || title->empty()) {
      error(res, 400, "source_branch, target_branch, title are missing");
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    const auto head_sha = git.ref_target("refs/heads/" + *source);
    const auto base_sha = git.ref_target("refs/heads/" + *target);
    if (!head_sha || !base_sha) {
      error(res, 404, "404 Branch Not Found");
      return;
    }
    for (PullRequest *pr : m_state.prs_of(repo->key())) {
      if (pr->state == "open" && pr->head_ref == *source && pr->base_ref == *target) {
        error(res, 409,
              json::array({"Another open merge request already exists for this source branch: !" +
                           std::to_string(pr->number)}));
        return;
      }
    }
    PullRequest &pr = m_state.add_pr(*repo, *title, string_field(*body, "description").value_or(""),
                                     *source, *target, false, true);
    send_json(res, 201, mr_json(*repo, pr));
  }

  void get_mr(const httplib::Request &, httplib::Response &res, const Params &p) {
    Repo *repo = project_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    if (PullRequest *pr = mr_or_404(*repo, p.at(2), res)) {
      m_state.refresh(*pr, m_state.open_git(*repo));
      send_json(res, 200, mr_json(*repo, *pr));
    }
  }

  void update_mr(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = project_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    PullRequest *pr = mr_or_404(*repo, p.at(2), res);
    if (pr == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    if (const auto title = string_field(*body, "title")) {
      if (title->empty()) {
        error(res, 400, json{{"title", json::array({"can't be blank"})}});
        return;
      }
      pr->title = *title;
    }
    if (const auto text = string_field(*body, "description")) {
      pr->body = *text;
    }
    if (string_field(*body, "state_event") == std::optional<std::string>("close") &&
        pr->state == "open") {
      pr->state = "closed";
      pr->closed_at = now_iso();
      pr->auto_merge.reset();
    }
    pr->updated_at = now_iso();
    m_state.refresh(*pr, m_state.open_git(*repo));
    send_json(res, 200, mr_json(*repo, *pr));
  }

  void merge_mr(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = project_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    PullRequest *pr = mr_or_404(*repo, p.at(2), res);
    if (pr == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    if (pr->state != "open") {
      error(res, 405, "405 Method Not Allowed");
      return;
    }
    m_state.refresh(*pr, m_state.open_git(*repo));
    const std::optional<std::string> sha = string_field(*body, "sha");
    if (sha && *sha != pr->head_sha) {
      error(res, 409, "SHA does not match HEAD of source branch: " + pr->head_sha);
      return;
    }
    const MergeMethod method =
        bool_field(*body, "squash") ? MergeMethod::squash : MergeMethod::merge;
    if (!m_state.method_allowed(*repo, method)) {
      error(res, 405, "405 Method Not Allowed");
      return;
    }
    const bool automatic =
        bool_field(*body, "auto_merge") || bool_field(*body, "merge_when_pipeline_succeeds");
    const bool green = m_state.missing_contexts(*repo, pr->head_sha).empty();
    if (automatic && !green) {
      if (!pr->auto_merge) {
        AutoMerge scheduled;
        scheduled.method = method;
        scheduled.enabled_by = m_state.user();
        scheduled.enabled_at = now_iso();
        pr->auto_merge = scheduled;
        pr->updated_at = scheduled.enabled_at;
      }
      send_json(res, 200, mr_json(*repo, *pr));
      return;
    }
    if (!automatic && !green) {
      error(res, 405, "405 Method Not Allowed");
      return;
    }
    switch (m_state.merge_pr(*pr, method, sha, std::nullopt, std::nullopt, true)) {
    case MergeRefusal::none:
      send_json(res, 200, mr_json(*repo, *pr));
      return;
    case MergeRefusal::head_modified:
      error(res, 409, "SHA does not match HEAD of source branch");
      return;
    default:
      error(res, 406, "Branch cannot be merged");
      return;
    }
  }

  void cancel_auto_merge(const httplib::Request &, httplib::Response &res, const Params &p) {
    Repo *repo = project_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    PullRequest *pr = mr_or_404(*repo, p.at(2), res);
    if (pr == nullptr) {
      return;
    }
    if (!pr->auto_merge) {
      error(res, 406, "Can't cancel the automatic merge");
      return;
    }
    pr->auto_merge.reset();
    pr->updated_at = now_iso();
    send_json(res, 201, mr_json(*repo, *pr));
  }

  // The merge requests a commit belongs to: its head, a commit it merged, or its merge or squash
  // commit.
  void mrs_of_commit(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = project_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    const std::string &sha = p.at(2);
    GitRepo git = m_state.open_git(*repo);
    std::vector<PullRequest *> related;
    for (PullRequest *pr : m_state.prs_of(repo->key())) {
      m_state.refresh(*pr, git);
      const bool produced =
          std::find(pr->produced.begin(), pr->produced.end(), sha) != pr->produced.end();
      if (pr->head_sha == sha || pr->merge_commit_sha == sha || produced) {
        related.push_back(pr);
      }
    }
    const Page page = paginate(req, res, related.size(), m_sim.base_url(), 20, "per_page", 100);
    json out = json::array();
    for (std::size_t i = page.offset; i < page.offset + page.count; ++i) {
      out.push_back(mr_json(*repo, *related[i]));
    }
    send_json(res, 200, out);
  }

  // --- statuses --------------------------------------------------------------------------------
  void statuses(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = project_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    // Without all=true, the latest status of each name.
    const bool all = query(req, "all") == std::optional<std::string>("true");
    std::vector<const CommitStatus *> shown;
    std::set<std::string> seen;
    for (const CommitStatus *s : m_state.statuses_of(repo->key(), p.at(2))) {
      if (all || seen.insert(s->context).second) {
        shown.push_back(s);
      }
    }
    const Page page = paginate(req, res, shown.size(), m_sim.base_url(), 20, "per_page", 100);
    json out = json::array();
    for (std::size_t i = page.offset; i < page.offset + page.count; ++i) {
      out.push_back(status_json(*shown[i]));
    }
    send_json(res, 200, out);
  }

  void create_status(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = project_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    const std::optional<std::string> state = from_gitlab(string_field(*body, "state").value_or(""));
    if (!state) {
      error(res, 400, "state does not have a valid value");
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    const auto sha = git.resolve_commit(p.at(2));
    if (!sha || *sha != p.at(2)) {
      error(res, 404, "404 Commit Not Found");
      return;
    }
    const std::string name =
        string_field(*body, "name").value_or(string_field(*body, "context").value_or("default"));
    CommitStatus &s = m_state.add_status(
        *repo, *sha, *state, name, string_field(*body, "description").value_or(""),
        string_field(*body, "target_url").value_or(""), m_state.user());
    send_json(res, 201, status_json(s));
  }

  // --- files and commits -----------------------------------------------------------------------
  void get_file(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = project_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    const auto ref = query(req, "ref");
    if (!ref) {
      error(res, 400, "ref is missing");
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    const auto commit = git.resolve_commit(*ref);
    const std::string &path = p.at(2);
    if (commit) {
      for (const TreeEntryInfo &entry : git.read_tree(*commit, true)) {
        if (entry.path == path && entry.type == "blob") {
          const std::string content = git.read_file(*commit, path).value_or("");
          const auto slash = path.rfind('/');
          send_json(res, 200,
                    {{"file_name", slash == std::string::npos ? path : path.substr(slash + 1)},
                     {"file_path", path},
                     {"size", content.size()},
                     {"encoding", "base64"},
                     {"content", encode_base64(content)},
                     {"ref", *ref},
                     {"blob_id", entry.sha},
                     {"commit_id", *commit},
                     {"last_commit_id", *commit}});
          return;
        }
      }
    }
    error(res, 404, "404 File Not Found");
  }

  // The Commits API: one commit of several actions on `branch`, started from `start_sha` /
  // `start_branch` (or the branch itself), replacing the branch when `force` is set.
  void create_commit(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = project_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    const auto branch = string_field(*body, "branch");
    const auto message = string_field(*body, "commit_message");
    const auto actions = body->find("actions");
    if (!branch || !message || actions == body->end() || !actions->is_array()) {
      error(res, 400, "branch, commit_message, actions are missing");
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    const std::string ref = "refs/heads/" + *branch;
    const std::optional<std::string> current = git.ref_target(ref);
    std::optional<std::string> start;
    if (const auto start_sha = string_field(*body, "start_sha")) {
      start = git.resolve_commit(*start_sha);
    } else if (const auto start_branch = string_field(*body, "start_branch")) {
      start = git.ref_target("refs/heads/" + *start_branch);
    } else {
      start = current;
    }
    if (!start) {
      error(res, 400, "You can only create or edit files when you are on a branch");
      return;
    }
    const bool force = bool_field(*body, "force");
    if (current && *current != *start && !force) {
      error(res, 400,
            "A branch called '" + *branch +
                "' already exists. Switch to that branch in "
                "order to make changes");
      return;
    }
    std::set<std::string> existing;
    for (const TreeEntryInfo &entry : git.read_tree(*start, true)) {
      if (entry.type == "blob") {
        existing.insert(entry.path);
      }
    }
    std::vector<TreeUpdate> updates;
    for (const json &action : *actions) {
      const std::string kind = string_field(action, "action").value_or("");
      const std::string path = string_field(action, "file_path").value_or("");
      const bool exists = existing.count(path) != 0;
      if (path.empty()) {
        error(res, 400, "file_path is missing");
        return;
      }
      if (kind == "create" && exists) {
        error(res, 400, "A file with this name already exists");
        return;
      }
      if ((kind == "update" || kind == "delete") && !exists) {
        error(res, 400, "A file with this name doesn't exist");
        return;
      }
      TreeUpdate update;
      update.path = path;
      if (kind == "create" || kind == "update") {
        const std::string content = string_field(action, "content").value_or("");
        if (string_field(action, "encoding") == std::optional<std::string>("base64")) {
          const auto decoded = decode_base64(content);
          if (!decoded) {
            error(res, 400, "content is not valid base64");
            return;
          }
          update.content = *decoded;
        } else {
          update.content = content;
        }
        existing.insert(path);
      } else if (kind == "delete") {
        existing.erase(path);
      } else {
        error(res, 400, "action does not have a valid value");
        return;
      }
      updates.push_back(std::move(update));
    }
    const Signature author = now_signature(
        string_field(*body, "author_name").value_or(m_state.user()),
        string_field(*body, "author_email").value_or(m_state.user() + "@forge-sim.invalid"));
    const Signature committer =
        now_signature(m_state.user(), m_state.user() + "@forge-sim.invalid");
    const std::string tree = git.create_tree(git.read_commit(*start).tree, updates);
    const std::string commit = git.create_commit(*message, tree, {*start}, author, committer);
    if (!git.set_ref(ref, commit, current)) {
      error(res, 409, "Could not update " + *branch + ": it moved meanwhile");
      return;
    }
    send_json(res, 201,
              {{"id", commit},
               {"short_id", commit.substr(0, 8)},
               {"title", message->substr(0, message->find('\n'))},
               {"message", *message},
               {"author_name", author.name},
               {"author_email", author.email},
               {"committer_name", committer.name},
               {"committer_email", committer.email},
               {"parent_ids", json::array({*start})},
               {"created_at", now_iso()},
               {"web_url", web(*repo) + "/-/commit/" + commit}});
  }

  Simulator &m_sim;
  State &m_state;
};

} // namespace

void register_gitlab_routes(Router &router, Simulator &sim) {
  auto api = std::make_shared<GitLabApi>(sim);
  api->register_routes(router);
  router.keep_alive(api);
}

} // namespace forge_sim
