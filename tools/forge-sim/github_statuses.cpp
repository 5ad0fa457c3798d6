// The simulator's GitHub commit status and check run endpoints.
#include "github_api.hpp"

namespace forge_sim::github {

void GitHubApi::list_statuses(const httplib::Request &req, httplib::Response &res,
                              const Params &p) {
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

void GitHubApi::combined_status(const httplib::Request &req, httplib::Response &res,
                                const Params &p) {
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

void GitHubApi::create_status(const httplib::Request &req, httplib::Response &res,
                              const Params &p) {
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

void GitHubApi::list_check_runs(const httplib::Request &req, httplib::Response &res,
                                const Params &p) {
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

void GitHubApi::create_check_run(const httplib::Request &req, httplib::Response &res,
                                 const Params &p) {
  Repo *repo = repo_or_404(p, res);
  if (repo == nullptr) {
    return;
  }
  auto body = parse_body(req, res);
  if (!body) {
    return;
  }
  for (const char *key : {"name", "head_sha", "status", "conclusion", "external_id", "details_url",
                          "started_at", "completed_at"}) {
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

} // namespace forge_sim::github
