#include "state.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>

namespace forge_sim {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool valid_name(const std::string &s) {
  if (s.empty() || s == "." || s == ".." || s.size() > 100) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.';
  });
}

// An owner: a user or organization, or (GitLab) a group path with subgroups, "team/platform".
bool valid_owner(const std::string &s) {
  std::size_t start = 0;
  for (int depth = 0; depth < 20; ++depth) {
    const std::size_t slash = s.find('/', start);
    if (!valid_name(s.substr(start, slash == std::string::npos ? slash : slash - start))) {
      return false;
    }
    if (slash == std::string::npos) {
      return true;
    }
    start = slash + 1;
  }
  return false;
}

nlohmann::json pr_to_json(const PullRequest &pr) {
  nlohmann::json j = {
      {"repo", pr.repo_key},     {"number", pr.number},     {"node_id", pr.node_id},
      {"title", pr.title},       {"body", pr.body},         {"head", pr.head_ref},
      {"base", pr.base_ref},     {"head_sha", pr.head_sha}, {"state", pr.state},
      {"merged", pr.merged},     {"draft", pr.draft},       {"merge_commit_sha", nullptr},
      {"merge_method", nullptr}, {"produced", pr.produced}, {"auto_merge", nullptr}};
  if (pr.merge_commit_sha) {
    j["merge_commit_sha"] = *pr.merge_commit_sha;
  }
  if (pr.merged_with) {
    j["merge_method"] = to_string(*pr.merged_with);
  }
  if (pr.auto_merge) {
    j["auto_merge"] = {{"merge_method", to_string(pr.auto_merge->method)},
                       {"enabled_by", pr.auto_merge->enabled_by}};
  }
  return j;
}

} // namespace

std::string now_iso() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<MergeMethod> parse_merge_method(const std::string &text) {
  std::string t = lower(text);
  if (t == "merge") {
    return MergeMethod::merge;
  }
  if (t == "squash") {
    return MergeMethod::squash;
  }
  if (t == "rebase") {
    return MergeMethod::rebase;
  }
  return std::nullopt;
}

std::string to_string(MergeMethod method) {
  switch (method) {
  case MergeMethod::squash:
    return "squash";
  case MergeMethod::rebase:
    return "rebase";
  default:
    return "merge";
  }
}

State::State(std::filesystem::path repo_root, std::string user)
    : m_repo_root(std::move(repo_root)), m_user(std::move(user)) {}

Repo *State::find_repo(const std::string &owner, const std::string &name) {
  std::string key = owner + "/" + name;
  if (auto it = m_repos.find(key); it != m_repos.end()) {
    return &it->second;
  }
  if (!valid_owner(owner) || !valid_name(name)) {
    return nullptr;
  }
  std::filesystem::path path = m_repo_root / owner / (name + ".git");
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    return nullptr;
  }
  Repo repo;
  repo.owner = owner;
  repo.name = name;
  repo.path = path;
  repo.id = next_id();
  repo.created_at = now_iso();
  // A repository made by someone else keeps its own HEAD as default branch.
  try {
    GitRepo git = GitRepo::open(path);
    auto heads = git.list_refs("refs/heads/");
    if (!heads.empty() && !git.ref_target("refs/heads/main")) {
      repo.settings.default_branch = heads.front().first.substr(std::string("refs/heads/").size());
    }
  } catch (const GitOpError &) {
    return nullptr;
  }
  return &m_repos.emplace(key, std::move(repo)).first->second;
}

Repo &State::create_repo(const std::string &owner, const std::string &name,
                         const std::string &default_branch,
                         const std::map<std::string, std::string> &files) {
  if (!valid_owner(owner) || !valid_name(name)) {
    throw std::invalid_argument("invalid repository name '" + owner + "/" + name + "'");
  }
  std::filesystem::path path = m_repo_root / owner / (name + ".git");
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    GitRepo::init_bare(path, default_branch);
  }
  Repo *repo = find_repo(owner, name);
  if (repo == nullptr) {
    throw GitOpError("repository " + path.string() + " could not be registered");
  }
  repo->settings.default_branch = default_branch;
  if (!files.empty()) {
    GitRepo git = open_git(*repo);
    std::string ref = "refs/heads/" + default_branch;
    auto parent = git.ref_target(ref);
    std::optional<std::string> base_tree;
    if (parent) {
      base_tree = git.read_commit(*parent).tree;
    }
    std::vector<TreeUpdate> updates;
    for (const auto &[p, content] : files) {
      TreeUpdate u;
      u.path = p;
      u.content = content;
      updates.push_back(u);
    }
    std::string tree = git.create_tree(base_tree, updates);
    Signature sig = now_signature(m_user, m_user + "@forge-sim.invalid");
    std::vector<std::string> parents;
    if (parent) {
      parents.push_back(*parent);
    }
    std::string commit =
        git.create_commit(parent ? "Update files" : "Initial commit", tree, parents, sig, sig);
    git.set_ref(ref, commit, parent);
  }
  return *repo;
}

GitRepo State::open_git(const Repo &repo) const {
  return GitRepo::open(repo.path);
}

PullRequest *State::find_pr(const std::string &repo_key, long number) {
  for (auto &pr : m_prs) {
    if (pr.repo_key == repo_key && pr.number == number) {
      return &pr;
    }
  }
  return nullptr;
}

PullRequest *State::find_pr_by_node_id(const std::string &node_id) {
  for (auto &pr : m_prs) {
    if (pr.node_id == node_id) {
      return &pr;
    }
  }
  return nullptr;
}

PullRequest &State::add_pr(const Repo &repo, std::string title, std::string body,
                           std::string head_ref, std::string base_ref, bool draft,
                           bool maintainer_can_modify) {
  long number = 1;
  for (const auto &pr : m_prs) {
    if (pr.repo_key == repo.key()) {
      number = std::max(number, pr.number + 1);
    }
  }
  PullRequest pr;
  pr.repo_key = repo.key();
  pr.number = number;
  pr.id = next_id();
  pr.node_id = "PR_kwDOsim" + std::to_string(repo.id) + "z" + std::to_string(number);
  pr.title = std::move(title);
  pr.body = std::move(body);
  pr.head_ref = std::move(head_ref);
  pr.base_ref = std::move(base_ref);
  pr.draft = draft;
  pr.maintainer_can_modify = maintainer_can_modify;
  pr.user = m_user;
  pr.created_at = now_iso();
  pr.updated_at = pr.created_at;
  m_prs.push_back(std::move(pr));
  PullRequest &added = m_prs.back();
  refresh(added, open_git(repo));
  return added;
}

void State::refresh(PullRequest &pr, const GitRepo &git) {
  if (pr.state != "open") {
    return;
  }
  if (auto head = git.ref_target("refs/heads/" + pr.head_ref)) {
    pr.head_sha = *head;
  }
  if (auto base = git.ref_target("refs/heads/" + pr.base_ref)) {
    pr.base_sha = *base;
  }
}

std::vector<PullRequest *> State::prs_of(const std::string &repo_key) {
  std::vector<PullRequest *> out;
  for (auto &pr : m_prs) {
    if (pr.repo_key == repo_key) {
      out.push_back(&pr);
    }
  }
  return out;
}

CommitStatus &State::add_status(const Repo &repo, const std::string &sha, std::string state,
                                std::string context, std::string description,
                                std::string target_url, std::string creator) {
  CommitStatus s;
  s.id = next_id();
  s.repo_key = repo.key();
  s.sha = sha;
  s.state = std::move(state);
  s.context = std::move(context);
  s.description = std::move(description);
  s.target_url = std::move(target_url);
  s.creator = std::move(creator);
  s.created_at = now_iso();
  m_statuses.push_back(std::move(s));
  return m_statuses.back();
}

std::vector<const CommitStatus *> State::statuses_of(const std::string &repo_key,
                                                     const std::string &sha) const {
  std::vector<const CommitStatus *> out;
  for (auto it = m_statuses.rbegin(); it != m_statuses.rend(); ++it) {
    if (it->repo_key == repo_key && it->sha == sha) {
      out.push_back(&*it);
    }
  }
  return out;
}

CheckRun &State::add_check_run(CheckRun run) {
  run.id = next_id();
  m_check_runs.push_back(std::move(run));
  return m_check_runs.back();
}

std::vector<const CheckRun *> State::check_runs_of(const std::string &repo_key,
                                                   const std::string &sha) const {
  std::vector<const CheckRun *> out;
  for (auto it = m_check_runs.rbegin(); it != m_check_runs.rend(); ++it) {
    if (it->repo_key == repo_key && it->sha == sha) {
      out.push_back(&*it);
    }
  }
  return out;
}

std::vector<std::string> State::missing_contexts(const Repo &repo, const std::string &sha) const {
  std::vector<std::string> missing;
  auto statuses = statuses_of(repo.key(), sha);
  auto runs = check_runs_of(repo.key(), sha);
  for (const auto &ctx : repo.settings.required_contexts) {
    bool green = false;
    // The newest status of a context decides, as on GitHub.
    for (const auto *s : statuses) {
      if (s->context == ctx) {
        green = s->state == "success";
        break;
      }
    }
    if (!green) {
      for (const auto *r : runs) {
        if (r->name == ctx) {
          green = r->status == "completed" && r->conclusion &&
                  (*r->conclusion == "success" || *r->conclusion == "neutral" ||
                   *r->conclusion == "skipped");
          break;
        }
      }
    }
    if (!green) {
      missing.push_back(ctx);
    }
  }
  return missing;
}

bool State::method_allowed(const Repo &repo, MergeMethod method) const {
  switch (method) {
  case MergeMethod::squash:
    return repo.settings.allow_squash_merge;
  case MergeMethod::rebase:
    return repo.settings.allow_rebase_merge;
  default:
    return repo.settings.allow_merge_commit;
  }
}

MergeRefusal State::merge_pr(PullRequest &pr, MergeMethod method,
                             const std::optional<std::string> &expected_head,
                             const std::optional<std::string> &commit_title,
                             const std::optional<std::string> &commit_message,
                             bool check_contexts) {
  auto slash = pr.repo_key.find('/');
  Repo *repo = find_repo(pr.repo_key.substr(0, slash), pr.repo_key.substr(slash + 1));
  if (repo == nullptr || pr.state != "open") {
    return MergeRefusal::closed;
  }
  GitRepo git = open_git(*repo);
  auto head = git.ref_target("refs/heads/" + pr.head_ref);
  auto base = git.ref_target("refs/heads/" + pr.base_ref);
  if (!head || !base) {
    return MergeRefusal::head_missing;
  }
  pr.head_sha = *head;
  pr.base_sha = *base;
  if (expected_head && !expected_head->empty() && *expected_head != *head) {
    return MergeRefusal::head_modified;
  }
  if (!method_allowed(*repo, method)) {
    return MergeRefusal::method_not_allowed;
  }
  if (check_contexts && !missing_contexts(*repo, *head).empty()) {
    return MergeRefusal::checks_not_green;
  }
  std::string title;
  std::string message;
  switch (method) {
  case MergeMethod::merge:
    title = "Merge pull request #" + std::to_string(pr.number) + " from " + repo->owner + "/" +
            pr.head_ref;
    message = pr.title;
    break;
  case MergeMethod::squash: {
    title = pr.title + " (#" + std::to_string(pr.number) + ")";
    for (const auto &sha : git.commits_between(*base, *head)) {
      std::string msg = git.read_commit(sha).message;
      while (!msg.empty() && msg.back() == '\n') {
        msg.pop_back();
      }
      message += (message.empty() ? "* " : "\n\n* ") + msg;
    }
    break;
  }
  case MergeMethod::rebase:
    break;
  }
  if (commit_title && !commit_title->empty()) {
    title = *commit_title;
  }
  if (commit_message) {
    message = *commit_message;
  }
  Signature committer = now_signature("GitHub", "noreply@github.com");
  auto outcome = git.merge(*base, *head, method, title, message, committer);
  if (!outcome) {
    return MergeRefusal::conflict;
  }
  if (outcome->new_tip != *base &&
      !git.set_ref("refs/heads/" + pr.base_ref, outcome->new_tip, base)) {
    return MergeRefusal::base_moved;
  }
  std::string now = now_iso();
  pr.state = "closed";
  pr.merged = true;
  pr.merged_with = method;
  pr.merged_by = m_user;
  pr.merge_commit_sha = outcome->new_tip;
  pr.produced = outcome->created;
  pr.merged_at = now;
  pr.closed_at = now;
  pr.updated_at = now;
  pr.base_sha = outcome->new_tip;
  return MergeRefusal::none;
}

int State::evaluate_auto_merge() {
  int merged = 0;
  for (auto &pr : m_prs) {
    if (pr.state != "open" || !pr.auto_merge) {
      continue;
    }
    auto slash = pr.repo_key.find('/');
    Repo *repo = find_repo(pr.repo_key.substr(0, slash), pr.repo_key.substr(slash + 1));
    if (repo == nullptr) {
      continue;
    }
    try {
      refresh(pr, open_git(*repo));
      if (!missing_contexts(*repo, pr.head_sha).empty()) {
        continue;
      }
      AutoMerge am = *pr.auto_merge;
      std::optional<std::string> title;
      std::optional<std::string> message;
      if (!am.commit_title.empty()) {
        title = am.commit_title;
      }
      if (!am.commit_message.empty()) {
        message = am.commit_message;
      }
      if (merge_pr(pr, am.method, std::nullopt, title, message, true) == MergeRefusal::none) {
        ++merged;
      }
    } catch (const GitOpError &) {
      // A half-pushed or corrupt repository: try again on the next event.
      continue;
    }
  }
  return merged;
}

void State::count_request(const std::string &key) {
  ++m_counts[key];
}

nlohmann::json State::request_counts() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto &[k, v] : m_counts) {
    j[k] = v;
  }
  return j;
}

void State::reset_counters() {
  m_counts.clear();
}

nlohmann::json State::dump() const {
  nlohmann::json repos = nlohmann::json::array();
  for (const auto &[key, repo] : m_repos) {
    nlohmann::json flux = nlohmann::json::array();
    for (const auto &r : repo.settings.flux) {
      flux.push_back({{"group", r.group},
                      {"env", r.env},
                      {"state", r.state},
                      {"delay_ms", r.delay_ms},
                      {"uid", r.uid},
                      {"branch", r.branch}});
    }
    repos.push_back({{"owner", repo.owner},
                     {"repo", repo.name},
                     {"path", repo.path.string()},
                     {"settings",
                      {{"default_branch", repo.settings.default_branch},
                       {"allow_auto_merge", repo.settings.allow_auto_merge},
                       {"allow_merge_commit", repo.settings.allow_merge_commit},
                       {"allow_squash_merge", repo.settings.allow_squash_merge},
                       {"allow_rebase_merge", repo.settings.allow_rebase_merge},
                       {"required_contexts", repo.settings.required_contexts},
                       {"flux", flux}}}});
  }
  nlohmann::json prs = nlohmann::json::array();
  for (const auto &pr : m_prs) {
    prs.push_back(pr_to_json(pr));
  }
  nlohmann::json statuses = nlohmann::json::array();
  for (const auto &s : m_statuses) {
    statuses.push_back({{"repo", s.repo_key},
                        {"sha", s.sha},
                        {"state", s.state},
                        {"context", s.context},
                        {"description", s.description},
                        {"creator", s.creator}});
  }
  nlohmann::json runs = nlohmann::json::array();
  for (const auto &r : m_check_runs) {
    runs.push_back({{"repo", r.repo_key},
                    {"sha", r.sha},
                    {"name", r.name},
                    {"status", r.status},
                    {"conclusion", r.conclusion ? nlohmann::json(*r.conclusion) : nullptr}});
  }
  return {{"repos", repos},
          {"pull_requests", prs},
          {"statuses", statuses},
          {"check_runs", runs},
          {"request_counts", request_counts()},
          {"faults", m_faults.to_json()}};
}

} // namespace forge_sim
