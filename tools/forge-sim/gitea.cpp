// Gitea / Forgejo REST API v1 (the subset gitops-promotion uses): pull requests with "merge when
// checks succeed", the merged pull request of a commit, commit statuses (combined), branches with
// their protection, file contents, and ChangeFiles commits. Answers follow Gitea's swagger
// description (vendored in tests/data/specs/gitea/); errors are Gitea's APIError {message, url}.
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

constexpr const char *k_swagger = "/api/swagger";

class GiteaApi {
public:
  explicit GiteaApi(Simulator &sim) : m_sim(sim), m_state(sim.state()) {}

  void register_routes(Router &r) {
    auto bind = [this](void (GiteaApi::*fn)(const httplib::Request &, httplib::Response &,
                                            const Params &)) {
      return [this, fn](const httplib::Request &req, httplib::Response &res, const Params &p) {
        (this->*fn)(req, res, p);
      };
    };
    const std::string repo = "/api/v1/repos/{owner}/{repo}";
    r.add("GET", repo + "/pulls", bind(&GiteaApi::list_pulls));
    r.add("POST", repo + "/pulls", bind(&GiteaApi::create_pull));
    r.add("GET", repo + "/pulls/{index}", bind(&GiteaApi::get_pull));
    r.add("PATCH", repo + "/pulls/{index}", bind(&GiteaApi::edit_pull));
    r.add("POST", repo + "/pulls/{index}/merge", bind(&GiteaApi::merge_pull));
    r.add("DELETE", repo + "/pulls/{index}/merge", bind(&GiteaApi::cancel_auto_merge));
    r.add("GET", repo + "/commits/{sha}/pull", bind(&GiteaApi::pull_of_commit));
    r.add("GET", repo + "/commits/{ref+}/status", bind(&GiteaApi::combined_status));
    r.add("POST", repo + "/statuses/{sha}", bind(&GiteaApi::create_status));
    r.add("GET", repo + "/branches/{branch+}", bind(&GiteaApi::get_branch));
    r.add("GET", repo + "/contents/{path+}", bind(&GiteaApi::get_contents));
    r.add("POST", repo + "/contents", bind(&GiteaApi::change_files));
  }

private:
  // --- rendering -------------------------------------------------------------------------------
  std::string web(const Repo &repo) const {
    return m_sim.base_url() + "/" + repo.owner + "/" + repo.name;
  }
  std::string api(const Repo &repo) const {
    return m_sim.base_url() + "/api/v1/repos/" + repo.owner + "/" + repo.name;
  }

  void error(httplib::Response &res, int status, const std::string &message) const {
    send_json(res, status, {{"message", message}, {"url", m_sim.base_url() + k_swagger}});
  }

  json user_json(const std::string &login) const {
    return {{"id", 1},
            {"login", login},
            {"login_name", ""},
            {"full_name", ""},
            {"email", login + "@forge-sim.invalid"},
            {"avatar_url", m_sim.base_url() + "/avatars/" + login},
            {"html_url", m_sim.base_url() + "/" + login},
            {"is_admin", false},
            {"restricted", false},
            {"active", true},
            {"visibility", "public"}};
  }

  json repo_json(const Repo &repo) const {
    return {{"id", repo.id},
            {"owner", user_json(repo.owner)},
            {"name", repo.name},
            {"full_name", repo.key()},
            {"private", true},
            {"fork", false},
            {"html_url", web(repo)},
            {"url", api(repo)},
            {"clone_url", m_sim.clone_url(repo.owner, repo.name)},
            {"default_branch", repo.settings.default_branch},
            {"allow_merge_commits", repo.settings.allow_merge_commit},
            {"allow_rebase", repo.settings.allow_rebase_merge},
            {"allow_squash_merge", repo.settings.allow_squash_merge},
            {"created_at", repo.created_at},
            {"updated_at", repo.created_at}};
  }

  json branch_info(const Repo &repo, const std::string &ref, const std::string &sha) const {
    return {{"label", ref},
            {"ref", ref},
            {"sha", sha},
            {"repo_id", repo.id},
            {"repo", repo_json(repo)}};
  }

  json pr_json(const Repo &repo, const PullRequest &pr) const {
    const std::string url = web(repo) + "/pulls/" + std::to_string(pr.number);
    auto nullable = [](const std::optional<std::string> &s) { return s ? json(*s) : json(); };
    return {{"id", pr.id},
            {"url", url},
            {"number", pr.number},
            {"user", user_json(pr.user)},
            {"title", pr.title},
            {"body", pr.body},
            {"labels", json::array()},
            {"milestone", nullptr},
            {"assignee", nullptr},
            {"assignees", json::array()},
            {"state", pr.state},
            {"draft", pr.draft},
            {"is_locked", false},
            {"comments", 0},
            {"html_url", url},
            {"diff_url", url + ".diff"},
            {"patch_url", url + ".patch"},
            {"mergeable", pr.state == "open"},
            {"merged", pr.merged},
            {"merged_at", nullable(pr.merged_at)},
            {"merge_commit_sha", nullable(pr.merge_commit_sha)},
            {"merged_by", pr.merged_by ? user_json(*pr.merged_by) : json()},
            {"allow_maintainer_edit", pr.maintainer_can_modify},
            {"base", branch_info(repo, pr.base_ref, pr.base_sha)},
            {"head", branch_info(repo, pr.head_ref, pr.head_sha)},
            {"merge_base", pr.base_sha},
            {"due_date", nullptr},
            {"created_at", pr.created_at},
            {"updated_at", pr.updated_at},
            {"closed_at", nullable(pr.closed_at)}};
  }

  json status_json(const Repo &repo, const CommitStatus &s) const {
    return {{"id", s.id},
            {"status", s.state},
            {"target_url", s.target_url},
            {"description", s.description},
            {"url", api(repo) + "/statuses/" + s.sha},
            {"context", s.context},
            {"creator", user_json(s.creator)},
            {"created_at", s.created_at},
            {"updated_at", s.created_at}};
  }

  // --- lookups ---------------------------------------------------------------------------------
  Repo *repo_or_404(const Params &p, httplib::Response &res) {
    Repo *repo = m_state.find_repo(p.at(0), p.at(1));
    if (repo == nullptr) {
      error(res, 404, "The target couldn't be found.");
    }
    return repo;
  }

  PullRequest *pr_or_404(const Repo &repo, const std::string &index, httplib::Response &res) {
    PullRequest *pr = nullptr;
    if (!index.empty() && index.size() < 10 &&
        std::all_of(index.begin(), index.end(), [](unsigned char c) { return std::isdigit(c); })) {
      pr = m_state.find_pr(repo.key(), std::stol(index));
    }
    if (pr == nullptr) {
      error(res, 404, "The target couldn't be found.");
    }
    return pr;
  }

  // `body[key]`, matched the way Go's encoding/json does: the exact name, else any letter case
  // (so `Do` and `do` both reach MergePullRequestForm.Do).
  static const json *field(const json &body, const std::string &key) {
    if (!body.is_object()) {
      return nullptr;
    }
    if (const auto it = body.find(key); it != body.end()) {
      return &*it;
    }
    auto lower = [](std::string text) {
      for (char &c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      return text;
    };
    for (const auto &[name, value] : body.items()) {
      if (lower(name) == lower(key)) {
        return &value;
      }
    }
    return nullptr;
  }

  static std::optional<std::string> string_field(const json &body, const std::string &key) {
    const json *value = field(body, key);
    if (value != nullptr && value->is_string()) {
      return value->get<std::string>();
    }
    return std::nullopt;
  }

  static bool bool_field(const json &body, const std::string &key) {
    const json *value = field(body, key);
    return value != nullptr && value->is_boolean() && value->get<bool>();
  }

  // Gitea sends null for absent optional members; Swagger 2.0 cannot say "nullable", so they are
  // left out here and the answers validate against the description.
  static json without_nulls(json value) {
    if (value.is_object()) {
      json out = json::object();
      for (auto &[name, member] : value.items()) {
        if (!member.is_null()) {
          out[name] = without_nulls(member);
        }
      }
      return out;
    }
    if (value.is_array()) {
      for (auto &item : value) {
        item = without_nulls(item);
      }
    }
    return value;
  }

  static void reply(httplib::Response &res, int status, const json &body) {
    send_json(res, status, without_nulls(body));
  }

  // --- pull requests ---------------------------------------------------------------------------
  void list_pulls(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    const std::string state = query(req, "state").value_or("open");
    if (state != "open" && state != "closed" && state != "all") {
      error(res, 422, "invalid state: " + state);
      return;
    }
    const std::optional<std::string> base = query(req, "base_branch");
    GitRepo git = m_state.open_git(*repo);
    std::vector<PullRequest *> matching;
    for (PullRequest *pr : m_state.prs_of(repo->key())) {
      if ((state == "all" || pr->state == state) && (!base || pr->base_ref == *base)) {
        m_state.refresh(*pr, git);
        matching.push_back(pr);
      }
    }
    // Gitea lists newest first.
    std::sort(matching.begin(), matching.end(),
              [](const PullRequest *a, const PullRequest *b) { return a->number > b->number; });
    const Page page = paginate(req, res, matching.size(), m_sim.base_url(), 30, "limit", 50);
    res.set_header("X-Total-Count", std::to_string(matching.size()));
    json out = json::array();
    for (std::size_t i = page.offset; i < page.offset + page.count; ++i) {
      out.push_back(pr_json(*repo, *matching[i]));
    }
    reply(res, 200, out);
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
    const auto head = string_field(*body, "head");
    const auto base = string_field(*body, "base");
    const auto title = string_field(*body, "title");
    if (!head || !base || !title || head->empty() || base->empty() || title->empty()) {
      error(res, 422, "[Head]: Required; [Base]: Required; [Title]: Required");
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    const auto head_sha = git.ref_target("refs/heads/" + *head);
    const auto base_sha = git.ref_target("refs/heads/" + *base);
    if (!head_sha || !base_sha) {
      error(res, 404, "The target couldn't be found.");
      return;
    }
    for (PullRequest *pr : m_state.prs_of(repo->key())) {
      if (pr->state == "open" && pr->head_ref == *head && pr->base_ref == *base) {
        error(res, 409,
              "pull request already exists for these targets [id: " + std::to_string(pr->id) +
                  ", issue_id: " + std::to_string(pr->id) + ", head_repo_id: " +
                  std::to_string(repo->id) + ", base_repo_id: " + std::to_string(repo->id) +
                  ", head_branch: " + *head + ", base_branch: " + *base + "]");
        return;
      }
    }
    if (git.is_ancestor(*head_sha, *base_sha)) {
      error(res, 422, "There are no changes between the head and the base");
      return;
    }
    PullRequest &pr = m_state.add_pr(*repo, *title, string_field(*body, "body").value_or(""), *head,
                                     *base, false, true);
    reply(res, 201, pr_json(*repo, pr));
  }

  void get_pull(const httplib::Request &, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    if (PullRequest *pr = pr_or_404(*repo, p.at(2), res)) {
      m_state.refresh(*pr, m_state.open_git(*repo));
      reply(res, 200, pr_json(*repo, *pr));
    }
  }

  void edit_pull(const httplib::Request &req, httplib::Response &res, const Params &p) {
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
    if (const auto title = string_field(*body, "title")) {
      if (title->empty()) {
        error(res, 422, "[Title]: Required");
        return;
      }
      pr->title = *title;
    }
    if (const auto text = string_field(*body, "body")) {
      pr->body = *text;
    }
    if (const auto state = string_field(*body, "state")) {
      if (*state == "closed" && pr->state == "open") {
        pr->state = "closed";
        pr->closed_at = now_iso();
        pr->auto_merge.reset();
      }
    }
    pr->updated_at = now_iso();
    m_state.refresh(*pr, m_state.open_git(*repo));
    // Gitea answers an edit with 201.
    reply(res, 201, pr_json(*repo, *pr));
  }

  // Gitea's merge styles onto the simulator's; nullopt for one it does not model.
  static std::optional<MergeMethod> merge_style(const std::string &style) {
    if (style == "merge") {
      return MergeMethod::merge;
    }
    if (style == "squash") {
      return MergeMethod::squash;
    }
    if (style == "rebase") {
      return MergeMethod::rebase;
    }
    return std::nullopt;
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
    const std::string style = string_field(*body, "do").value_or("");
    const std::optional<MergeMethod> method = merge_style(style);
    if (!method) {
      error(res, 422, "[Do]: Required, one of merge, rebase, squash (the simulator's styles)");
      return;
    }
    if (pr->merged) {
      error(res, 405, "The PR is already merged");
      return;
    }
    if (pr->state != "open") {
      error(res, 405, "The PR is closed");
      return;
    }
    if (!m_state.method_allowed(*repo, *method)) {
      error(res, 405, "Invalid merge style: " + style + " is not allowed");
      return;
    }
    m_state.refresh(*pr, m_state.open_git(*repo));
    const std::optional<std::string> expected = string_field(*body, "head_commit_id");
    if (expected && !expected->empty() && *expected != pr->head_sha) {
      error(res, 409, "head out of date");
      return;
    }
    const bool schedule = bool_field(*body, "merge_when_checks_succeed");
    if (schedule) {
      if (pr->auto_merge) {
        error(res, 409, "pull request is already scheduled to auto merge when checks succeed");
        return;
      }
      if (!m_state.missing_contexts(*repo, pr->head_sha).empty()) {
        AutoMerge scheduled;
        scheduled.method = *method;
        scheduled.enabled_by = m_state.user();
        scheduled.enabled_at = now_iso();
        pr->auto_merge = scheduled;
        pr->updated_at = scheduled.enabled_at;
        res.status = 201;
        return;
      }
      // The checks already pass: Gitea merges at once instead of scheduling.
    }
    const MergeRefusal refusal =
        m_state.merge_pr(*pr, *method, expected, string_field(*body, "merge_title_field"),
                         string_field(*body, "merge_message_field"), true);
    switch (refusal) {
    case MergeRefusal::none:
      res.status = 200;
      return;
    case MergeRefusal::head_modified:
      error(res, 409, "head out of date");
      return;
    case MergeRefusal::checks_not_green:
      error(res, 405, "Not all required status checks successful");
      return;
    case MergeRefusal::base_moved:
      error(res, 409, "base out of date");
      return;
    default:
      error(res, 405, "Please try again later");
      return;
    }
  }

  void cancel_auto_merge(const httplib::Request &, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    PullRequest *pr = pr_or_404(*repo, p.at(2), res);
    if (pr == nullptr) {
      return;
    }
    if (!pr->auto_merge) {
      error(res, 404, "The target couldn't be found.");
      return;
    }
    pr->auto_merge.reset();
    pr->updated_at = now_iso();
    res.status = 204;
  }

  void pull_of_commit(const httplib::Request &, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    for (PullRequest *pr : m_state.prs_of(repo->key())) {
      if (pr->merged && pr->merge_commit_sha == p.at(2)) {
        reply(res, 200, pr_json(*repo, *pr));
        return;
      }
    }
    error(res, 404, "The target couldn't be found.");
  }

  // --- statuses --------------------------------------------------------------------------------
  void combined_status(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    const auto sha = git.resolve_commit(p.at(2));
    if (!sha) {
      error(res, 404, "The target couldn't be found.");
      return;
    }
    // The newest status of each context, newest first.
    std::vector<const CommitStatus *> latest;
    std::set<std::string> seen;
    for (const CommitStatus *s : m_state.statuses_of(repo->key(), *sha)) {
      if (seen.insert(s->context).second) {
        latest.push_back(s);
      }
    }
    const Page page = paginate(req, res, latest.size(), m_sim.base_url(), 30, "limit", 50);
    res.set_header("X-Total-Count", std::to_string(latest.size()));
    json statuses = json::array();
    std::string combined = latest.empty() ? "pending" : "success";
    for (const CommitStatus *s : latest) {
      if (s->state == "error" || s->state == "failure") {
        combined = s->state;
      } else if (s->state == "pending" && combined == "success") {
        combined = "pending";
      }
    }
    for (std::size_t i = page.offset; i < page.offset + page.count; ++i) {
      statuses.push_back(status_json(*repo, *latest[i]));
    }
    reply(res, 200,
          {{"state", combined},
           {"sha", *sha},
           {"total_count", latest.size()},
           {"statuses", statuses},
           {"repository", repo_json(*repo)},
           {"commit_url", api(*repo) + "/git/commits/" + *sha},
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
    const std::string state = string_field(*body, "state").value_or("");
    if (state != "pending" && state != "success" && state != "error" && state != "failure" &&
        state != "warning" && state != "skipped") {
      error(res, 400, "invalid state: " + state);
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    const auto sha = git.resolve_commit(p.at(2));
    if (!sha || *sha != p.at(2)) {
      error(res, 400, "commit " + p.at(2) + " does not exist");
      return;
    }
    CommitStatus &s =
        m_state.add_status(*repo, *sha, state, string_field(*body, "context").value_or("default"),
                           string_field(*body, "description").value_or(""),
                           string_field(*body, "target_url").value_or(""), m_state.user());
    reply(res, 201, status_json(*repo, s));
  }

  // --- branches and files ----------------------------------------------------------------------
  void get_branch(const httplib::Request &, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    const auto sha = git.ref_target("refs/heads/" + p.at(2));
    if (!sha) {
      error(res, 404, "The target couldn't be found.");
      return;
    }
    const CommitInfo commit = git.read_commit(*sha);
    const auto &required = repo->settings.required_contexts;
    reply(res, 200,
          {{"name", p.at(2)},
           {"commit",
            {{"id", *sha},
             {"message", commit.message},
             {"url", web(*repo) + "/commit/" + *sha},
             {"author", {{"name", commit.author.name}, {"email", commit.author.email}}},
             {"committer", {{"name", commit.committer.name}, {"email", commit.committer.email}}}}},
           {"protected", !required.empty()},
           {"enable_status_check", !required.empty()},
           {"status_check_contexts", required},
           {"required_approvals", 0},
           {"user_can_push", true},
           {"user_can_merge", true},
           {"effective_branch_protection_name", required.empty() ? "" : p.at(2)}});
  }

  void get_contents(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    const std::string ref = query(req, "ref").value_or(repo->settings.default_branch);
    const auto commit = git.resolve_commit(ref);
    if (!commit) {
      error(res, 404, "The target couldn't be found.");
      return;
    }
    const std::string path = p.at(2);
    for (const TreeEntryInfo &entry : git.read_tree(*commit, true)) {
      if (entry.path != path || entry.type != "blob") {
        continue;
      }
      const std::string content = git.read_file(*commit, path).value_or("");
      const auto slash = path.rfind('/');
      reply(res, 200,
            {{"name", slash == std::string::npos ? path : path.substr(slash + 1)},
             {"path", path},
             {"sha", entry.sha},
             {"last_commit_sha", *commit},
             {"type", "file"},
             {"size", content.size()},
             {"encoding", "base64"},
             {"content", encode_base64(content)},
             {"url", api(*repo) + "/contents/" + path + "?ref=" + ref},
             {"html_url", web(*repo) + "/src/commit/" + *commit + "/" + path},
             {"git_url", api(*repo) + "/git/blobs/" + entry.sha},
             {"download_url", web(*repo) + "/raw/commit/" + *commit + "/" + path}});
      return;
    }
    error(res, 404, "The target couldn't be found.");
  }

  // ChangeFiles: one commit of several file operations on `branch` (or a new/force-pushed
  // `new_branch` started from it).
  void change_files(const httplib::Request &req, httplib::Response &res, const Params &p) {
    Repo *repo = repo_or_404(p, res);
    if (repo == nullptr) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    const auto files = body->find("files");
    if (files == body->end() || !files->is_array() || files->empty()) {
      error(res, 422, "[Files]: Required");
      return;
    }
    GitRepo git = m_state.open_git(*repo);
    const std::string base_branch =
        string_field(*body, "branch").value_or(repo->settings.default_branch);
    const auto base = git.ref_target("refs/heads/" + base_branch);
    if (!base) {
      error(res, 404, "branch does not exist [name: " + base_branch + "]");
      return;
    }
    const std::string target = string_field(*body, "new_branch").value_or(base_branch);
    const bool force_push = bool_field(*body, "force_push");
    const std::optional<std::string> target_tip = git.ref_target("refs/heads/" + target);
    if (target != base_branch && target_tip && !force_push) {
      error(res, 422, "branch already exists [name: " + target + "]");
      return;
    }
    std::map<std::string, std::string> blobs;
    for (const TreeEntryInfo &entry : git.read_tree(*base, true)) {
      if (entry.type == "blob") {
        blobs[entry.path] = entry.sha;
      }
    }
    std::vector<TreeUpdate> updates;
    for (const json &file : *files) {
      const std::string op = file.is_object() ? string_field(file, "operation").value_or("") : "";
      const std::string path = file.is_object() ? string_field(file, "path").value_or("") : "";
      if (path.empty()) {
        error(res, 422, "[Path]: Required");
        return;
      }
      const auto existing = blobs.find(path);
      const std::optional<std::string> sha = string_field(file, "sha");
      if (op == "create" && existing != blobs.end()) {
        error(res, 422, "repository file already exists [path: " + path + "]");
        return;
      }
      if ((op == "update" || op == "delete") && existing == blobs.end()) {
        error(res, 404, "repository file does not exist [path: " + path + "]");
        return;
      }
      if (sha && existing != blobs.end() && *sha != existing->second) {
        error(res, 422,
              "sha does not match [given: " + *sha + ", expected: " + existing->second + "]");
        return;
      }
      if (op == "update" && !sha) {
        error(res, 422, "[SHA]: Required");
        return;
      }
      TreeUpdate update;
      update.path = path;
      if (op == "delete") {
        blobs.erase(path);
      } else if (op == "create" || op == "update" || op == "upload") {
        const auto content = decode_base64(string_field(file, "content").value_or(""));
        if (!content) {
          error(res, 422, "content is not valid base64 [path: " + path + "]");
          return;
        }
        update.content = *content;
        blobs[path] = "";
      } else {
        error(res, 422, "invalid operation: " + op);
        return;
      }
      updates.push_back(std::move(update));
    }
    auto identity = [&](const char *key) {
      const auto it = body->find(key);
      if (it != body->end() && it->is_object()) {
        return now_signature(
            string_field(*it, "name").value_or(m_state.user()),
            string_field(*it, "email").value_or(m_state.user() + "@forge-sim.invalid"));
      }
      return now_signature(m_state.user(), m_state.user() + "@forge-sim.invalid");
    };
    const Signature author = identity("author");
    const Signature committer = body->contains("committer") ? identity("committer") : author;
    const std::string message = string_field(*body, "message").value_or("Update files");
    const std::string tree = git.create_tree(git.read_commit(*base).tree, updates);
    const std::string commit = git.create_commit(message, tree, {*base}, author, committer);
    const std::optional<std::string> expected =
        target == base_branch ? base : (force_push ? target_tip : std::nullopt);
    if (!git.set_ref("refs/heads/" + target, commit, expected)) {
      error(res, 422, "branch " + target + " moved meanwhile; try again");
      return;
    }
    auto person = [](const Signature &s) {
      return json{{"name", s.name}, {"email", s.email}, {"date", now_iso()}};
    };
    reply(res, 201,
          {{"files", json::array()},
           {"commit",
            {{"sha", commit},
             {"url", api(*repo) + "/git/commits/" + commit},
             {"html_url", web(*repo) + "/commit/" + commit},
             {"author", person(author)},
             {"committer", person(committer)},
             {"parents",
              json::array({{{"sha", *base}, {"url", api(*repo) + "/git/commits/" + *base}}})},
             {"message", message},
             {"tree", {{"sha", tree}, {"url", api(*repo) + "/git/trees/" + tree}}}}},
           {"verification",
            {{"verified", false},
             {"reason", "gpg.error.not_signed_commit"},
             {"signature", ""},
             {"signer", nullptr},
             {"payload", ""}}}});
  }

  Simulator &m_sim;
  State &m_state;
};

} // namespace

void register_gitea_routes(Router &router, Simulator &sim) {
  auto api = std::make_shared<GiteaApi>(sim);
  api->register_routes(router);
  router.keep_alive(api);
}

} // namespace forge_sim
