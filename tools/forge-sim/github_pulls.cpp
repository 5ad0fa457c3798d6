// The simulator's GitHub pull request endpoints: list, create, read, update, merge, and the
// pull requests of a commit.
#include "github_api.hpp"

namespace forge_sim::github {

void GitHubApi::list_pulls(const httplib::Request &req, httplib::Response &res, const Params &p) {
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

void GitHubApi::create_pull(const httplib::Request &req, httplib::Response &res, const Params &p) {
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

void GitHubApi::get_pull(const httplib::Request &, httplib::Response &res, const Params &p) {
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

void GitHubApi::update_pull(const httplib::Request &req, httplib::Response &res, const Params &p) {
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
        send_validation(
            res, json::array({custom_error("PullRequest", "Cannot reopen: the head branch " +
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

void GitHubApi::check_merged(const httplib::Request &, httplib::Response &res, const Params &p) {
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

void GitHubApi::merge_pull(const httplib::Request &req, httplib::Response &res, const Params &p) {
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
  static const char *k_merge_docs = "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request";
  switch (refusal) {
  case MergeRefusal::none:
    send_json(res, 200,
              {{"sha", *pr->merge_commit_sha},
               {"merged", true},
               {"message", "Pull Request successfully merged"}});
    return;
  case MergeRefusal::head_modified:
    send_error(res, 409, "Head branch was modified. Review and try the merge again.", k_merge_docs);
    return;
  case MergeRefusal::method_not_allowed: {
    std::string what = method == MergeMethod::squash   ? "Squash merges"
                       : method == MergeMethod::rebase ? "Rebase merges"
                                                       : "Merge commits";
    send_error(res, 405, what + " are not allowed on this repository.", k_merge_docs);
    return;
  }
  case MergeRefusal::base_moved:
    send_error(res, 409, "Base branch was modified. Review and try the merge again.", k_merge_docs);
    return;
  default:
    send_error(res, 405, "Pull Request is not mergeable", k_merge_docs);
    return;
  }
}

void GitHubApi::pulls_for_commit(const httplib::Request &req, httplib::Response &res,
                                 const Params &p) {
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
    bool produced = std::find(pr->produced.begin(), pr->produced.end(), *sha) != pr->produced.end();
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

} // namespace forge_sim::github
