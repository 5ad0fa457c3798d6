#include "gitops/providers/gitlab_provider.hpp"

#include "../json_fields.hpp"
#include "../paging.hpp"

#include "gitops/providers/remote_url.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"
#include "gitops/util/url.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <thread>
#include <utility>

namespace gitops::providers {

namespace {

using util::contains;

using detail::bool_or;
using detail::object_at;
using detail::string_or_empty;
using nlohmann::json;

json parse_body(const http::Response &response, const std::string &what) {
  return detail::parse_body(response, what, "GitLab");
}

// GitLab's maximum page size.
constexpr int k_page_size = 100;
// Far more pages than any real list needs, so a Link loop on a broken server still ends.
constexpr std::size_t k_max_pages = 1000;
// How often a 405 to "set auto-merge" (GitLab still checking mergeability) is asked again.
constexpr int k_auto_merge_attempts = 5;
// CI job tokens carry this prefix (GitLab 16.x and later); they authenticate with JOB-TOKEN.
constexpr std::string_view k_job_token_prefix = "glcbt-";

std::string encoded(std::string_view text) {
  return util::percent_encode(text);
}

// GitLab's explanation: `message` (a string, a list, or an object of field → messages) or
// `error`.
std::string gitlab_message(const http::Response &response) {
  json body;
  try {
    body = json::parse(response.body);
  } catch (const json::exception &) {
    return {};
  }
  if (!body.is_object()) {
    return {};
  }
  const auto message = body.find("message");
  if (message == body.end()) {
    return string_or_empty(body, "error");
  }
  if (message->is_string()) {
    return message->get<std::string>();
  }
  std::string text;
  const auto append = [&text](const std::string &part) {
    text += (text.empty() ? "" : "; ") + part;
  };
  if (message->is_array()) {
    for (const auto &item : *message) {
      if (item.is_string()) {
        append(item.get<std::string>());
      }
    }
  } else if (message->is_object()) {
    for (const auto &[field, value] : message->items()) {
      for (const auto &item : value.is_array() ? value : json::array({value})) {
        if (item.is_string()) {
          append(field + " " + item.get<std::string>());
        }
      }
    }
  }
  return text;
}

PullRequest merge_request_from_json(const json &mr) {
  if (!mr.is_object() || !mr.contains("iid") || !mr["iid"].is_number_integer()) {
    throw ProviderError("GitLab returned a merge request without an iid");
  }
  PullRequest out;
  out.number = mr["iid"].get<long>();
  out.id = std::to_string(out.number);
  out.title = string_or_empty(mr, "title");
  out.description = string_or_empty(mr, "description");
  out.head_branch = string_or_empty(mr, "source_branch");
  out.base_branch = string_or_empty(mr, "target_branch");
  out.head_sha = string_or_empty(mr, "sha");
  out.url = string_or_empty(mr, "web_url");
  const std::string state = string_or_empty(mr, "state");
  // opened | closed | locked | merged
  out.state = state == "merged"   ? PrState::merged
              : state == "closed" ? PrState::closed
                                  : PrState::open;
  out.auto_merge = bool_or(mr, "merge_when_pipeline_succeeds", false);
  if (state == "merged") {
    // Merge commit, else squash commit, else (fast-forward) the head itself.
    for (const char *key : {"merge_commit_sha", "squash_commit_sha"}) {
      if (const std::string sha = string_or_empty(mr, key); !sha.empty()) {
        out.merge_commit = sha;
        break;
      }
    }
    if (!out.merge_commit && !out.head_sha.empty()) {
      out.merge_commit = out.head_sha;
    }
  }
  return out;
}

// GitLab's commit status names onto the gate's four.
StatusState status_state(std::string_view status) {
  if (status == "success" || status == "skipped") {
    return StatusState::success;
  }
  if (status == "failed") {
    return StatusState::failure;
  }
  if (status == "canceled") {
    return StatusState::error;
  }
  return StatusState::pending;
}

} // namespace

GitLabRemote parse_gitlab_remote(std::string_view url, std::string_view api_url) {
  const UrlParts parts = split_remote_url(url);
  std::string path = parts.path;
  GitLabRemote remote;
  if (!api_url.empty()) {
    remote.api_url = std::string(api_url);
    while (!remote.api_url.empty() && remote.api_url.back() == '/') {
      remote.api_url.pop_back();
    }
    // A relative URL root (https://host/gitlab/api/v4): the remote's path starts with it too.
    const std::string origin = util::url_origin(remote.api_url);
    std::string root = remote.api_url.substr(origin.size());
    constexpr std::string_view k_api = "/api/v4";
    if (root.size() >= k_api.size() && root.ends_with(k_api)) {
      root = root.substr(0, root.size() - k_api.size());
    }
    while (!root.empty() && root.front() == '/') {
      root.erase(0, 1);
    }
    if (!root.empty() && path.starts_with(root + "/")) {
      path = path.substr(root.size() + 1);
    }
  } else {
    remote.api_url = web_origin(parts) + "/api/v4";
  }
  const std::vector<std::string> segments = util::split(path, '/');
  const bool empty_segment =
      std::any_of(segments.begin(), segments.end(), [](const std::string &s) { return s.empty(); });
  if (segments.size() < 2 || empty_segment) {
    throw ProviderError("remote URL \"" + util::redact_url(url) +
                        "\": a GitLab project path must be GROUP[/SUBGROUP…]/PROJECT, got \"" +
                        path + "\"");
  }
  remote.project = path;
  return remote;
}

// One REST call: `path` is relative to the API base unless it is an absolute URL (a Link next
// page).
struct GitLabProvider::Call {
  std::string method;
  std::string path;
  std::string body;
  bool idempotent = true;
  std::string what;              // for messages, e.g. "create merge request"
  std::vector<long> tolerated{}; // error statuses returned to the caller instead of thrown
};

GitLabProvider::GitLabProvider(GitLabRemote remote, std::shared_ptr<util::TokenSource> token,
                               http::HttpClient &http, std::string user_agent)
    : m_remote(std::move(remote)), m_token(std::move(token)), m_http(http),
      m_user_agent(std::move(user_agent)) {
  if (!m_token) {
    throw ProviderError("GitLab token is empty (give --token or set GITLAB_TOKEN)");
  }
}

std::string GitLabProvider::project_path() const {
  return "/projects/" + encoded(m_remote.project);
}

http::Response GitLabProvider::call(const Call &c) {
  http::Request request =
      detail::json_request(c.method, c.path, m_remote.api_url, c.body, c.idempotent, m_user_agent);
  const std::string token = m_token->token();
  request.headers.emplace(token.starts_with(k_job_token_prefix) ? "JOB-TOKEN" : "PRIVATE-TOKEN",
                          token);
  http::Response response = m_http.send(request);
  if (response.status < 400) {
    return response;
  }
  for (const long tolerated : c.tolerated) {
    if (response.status == tolerated) {
      return response;
    }
  }
  std::string text = detail::answered(c.what, c.method, request.url, m_remote.api_url,
                                      response.status, gitlab_message(response));
  if (response.status == 401) {
    text += ": the token was rejected (invalid, expired or revoked)";
  } else if (response.status == 403) {
    text += ": the token may not do this on " + m_remote.project +
            " (it needs the api scope and at least the Developer role; a CI job token may only "
            "read)";
  } else if (response.status == 404) {
    text += ": project " + m_remote.project + " (or the object asked for) does not exist at " +
            m_remote.api_url + ", or the token cannot see it";
  }
  throw ProviderError(text, response.status);
}

void GitLabProvider::each_page(std::string path, const std::string &what,
                               const std::function<void(const json &)> &on_page) {
  detail::follow_pages(
      std::move(path), m_remote.api_url, k_max_pages,
      [&](const std::string &page) {
        return call({"GET", page, "", true, what});
      },
      [&](const http::Response &response) { on_page(parse_body(response, what)); });
}

std::optional<PullRequest> GitLabProvider::find_open_pr(const std::string &head,
                                                        const std::string &base) {
  const std::string what = "find the open merge request " + head + " -> " + base;
  std::optional<PullRequest> found;
  each_page(project_path() + "/merge_requests?state=opened&source_branch=" + encoded(head) +
                "&target_branch=" + encoded(base) + "&per_page=" + std::to_string(k_page_size),
            what, [&](const json &body) {
              if (!body.is_array()) {
                throw ProviderError(what + ": GitLab answered with something other than a list");
              }
              for (const auto &item : body) {
                // A fork's merge request into this project has another source project.
                const auto source = item.find("source_project_id");
                const auto target = item.find("target_project_id");
                if (source != item.end() && target != item.end() && *source != *target) {
                  continue;
                }
                PullRequest pr = merge_request_from_json(item);
                if (pr.head_branch != head || pr.base_branch != base || pr.state != PrState::open) {
                  continue;
                }
                if (found) {
                  throw ProviderError("more than one open merge request from " + head + " into " +
                                      base + ": !" + std::to_string(found->number) + " and !" +
                                      std::to_string(pr.number) + "; close all but one");
                }
                found = std::move(pr);
              }
            });
  return found;
}

PullRequest GitLabProvider::update_pr(const PullRequest &pr, const std::string &title,
                                      const std::string &description) {
  const std::string iid = std::to_string(pr.number);
  const json update = {{"title", title}, {"description", description}};
  const auto response = call({"PUT", project_path() + "/merge_requests/" + iid, update.dump(), true,
                              "update merge request !" + iid});
  return merge_request_from_json(parse_body(response, "update merge request !" + iid));
}

PullRequest GitLabProvider::create_pr(const std::string &head, const std::string &base,
                                      const std::string &title, const std::string &description) {
  const std::string what = "create merge request " + head + " -> " + base;
  const json create = {{"source_branch", head},
                       {"target_branch", base},
                       {"title", title},
                       {"description", description}};
  // A retried or racing create answers 409 "Another open merge request already exists"; handled
  // below, so repeating the POST is safe.
  const auto response =
      call({"POST", project_path() + "/merge_requests", create.dump(), true, what, {409, 422}});
  if (response.status < 400) {
    return merge_request_from_json(parse_body(response, what));
  }
  const std::string message = gitlab_message(response);
  if (response.status == 409 || contains(message, "already exists")) {
    if (const auto existing = find_open_pr(head, base)) {
      return update_pr(*existing, title, description);
    }
  }
  throw ProviderError(detail::answered(what, "POST", project_path() + "/merge_requests", "",
                                       response.status, message) +
                          ": check that branches " + head + " and " + base +
                          " exist in the project and differ",
                      response.status);
}

bool GitLabProvider::pipeline_must_succeed() {
  const std::string what = "read the merge settings of project " + m_remote.project;
  const json project = parse_body(call({"GET", project_path(), "", true, what}), what);
  return bool_or(project, "only_allow_merge_if_pipeline_succeeds", false);
}

AutoMergeOutcome GitLabProvider::update_auto_merge(const PullRequest &pr, bool enabled,
                                                   config::MergeMethod method) {
  if (pr.auto_merge == enabled) {
    return AutoMergeOutcome::unchanged;
  }
  const std::string iid = std::to_string(pr.number);
  const std::string mr_path = project_path() + "/merge_requests/" + iid;
  if (!enabled) {
    const auto response = call({"POST",
                                mr_path + "/cancel_merge_when_pipeline_succeeds",
                                "",
                                true,
                                "turn auto-merge of merge request !" + iid + " off",
                                {404, 406}});
    // 406: nothing was set to auto-merge (any more).
    return response.status >= 400 ? AutoMergeOutcome::unchanged : AutoMergeOutcome::changed;
  }
  // Without "Pipelines must succeed" GitLab merges at once: that would bypass the status gate,
  // which has not run on this commit yet.
  if (!pipeline_must_succeed()) {
    return AutoMergeOutcome::already_mergeable;
  }
  json body = {{"auto_merge", true},
               {"merge_when_pipeline_succeeds", true},
               {"squash", method == config::MergeMethod::squash}};
  if (!pr.head_sha.empty()) {
    body["sha"] = pr.head_sha;
  }
  const std::string what = "turn auto-merge of merge request !" + iid + " on";
  // Right after a merge request is created or its branch pushed, GitLab answers 405 until its
  // background mergeability check has run: asked again a few times, it accepts.
  http::Response response;
  for (int attempt = 0;; ++attempt) {
    response = call({"PUT", mr_path + "/merge", body.dump(), false, what, {405, 406, 409}});
    if (response.status != 405 || attempt + 1 >= k_auto_merge_attempts) {
      break;
    }
    std::this_thread::sleep_for(m_retry_delay * (attempt + 1));
  }
  if (response.status < 400) {
    return AutoMergeOutcome::changed;
  }
  const std::string message = gitlab_message(response);
  throw ProviderError(
      detail::answered(what, "PUT", mr_path + "/merge", "", response.status, message) +
          (response.status == 409 ? ": the head of the merge request moved since it was read; run "
                                    "again"
                                  : ": it cannot be merged (conflicts, a draft, or the project's "
                                    "merge checks)"),
      response.status);
}

void GitLabProvider::set_auto_merge(const PullRequest &pr, bool enabled,
                                    config::MergeMethod method) {
  if (update_auto_merge(pr, enabled, method) == AutoMergeOutcome::already_mergeable) {
    throw ProviderError("enable auto-merge on merge request !" + std::to_string(pr.number) +
                        ": project " + m_remote.project +
                        " does not require pipelines to succeed, so GitLab would merge it at "
                        "once; turn on Settings → Merge requests → \"Pipelines must succeed\"");
  }
}

std::vector<PullRequest> GitLabProvider::merge_requests_of(const std::string &sha,
                                                           const std::string &what) {
  std::vector<PullRequest> out;
  each_page(project_path() + "/repository/commits/" + encoded(sha) +
                "/merge_requests?per_page=" + std::to_string(k_page_size),
            what, [&](const json &body) {
              if (!body.is_array()) {
                throw ProviderError(what + ": GitLab answered with something other than a list");
              }
              for (const auto &item : body) {
                out.push_back(merge_request_from_json(item));
              }
            });
  return out;
}

std::optional<PullRequest> GitLabProvider::find_merged_pr_for_commit(const std::string &sha) {
  const auto all = merge_requests_of(sha, "find the merge request of commit " + sha);
  std::optional<PullRequest> only_merged;
  int merged = 0;
  for (const auto &pr : all) {
    if (pr.state != PrState::merged) {
      continue;
    }
    if (pr.merge_commit == sha) {
      return pr;
    }
    ++merged;
    only_merged = pr;
  }
  return merged == 1 ? only_merged : std::nullopt;
}

std::vector<PullRequest> GitLabProvider::find_open_prs_for_commit(const std::string &sha) {
  std::vector<PullRequest> open;
  for (PullRequest &pr : merge_requests_of(sha, "find the open merge requests of commit " + sha)) {
    if (pr.state == PrState::open && pr.head_sha == sha) {
      open.push_back(std::move(pr));
    }
  }
  return open;
}

std::vector<CommitStatus> GitLabProvider::list_statuses(const std::string &sha) {
  const std::string what = "list the statuses of commit " + sha;
  std::vector<CommitStatus> statuses;
  each_page(project_path() + "/repository/commits/" + encoded(sha) +
                "/statuses?per_page=" + std::to_string(k_page_size),
            what, [&](const json &body) {
              if (!body.is_array()) {
                throw ProviderError(what + ": GitLab answered with something other than a list");
              }
              for (const auto &item : body) {
                CommitStatus status;
                status.context = string_or_empty(item, "name");
                status.state = status_state(string_or_empty(item, "status"));
                status.description = string_or_empty(item, "description");
                statuses.push_back(std::move(status));
              }
            });
  return statuses;
}

void GitLabProvider::set_status(const std::string &sha, const CommitStatus &status) {
  const std::string state =
      status.state == StatusState::failure || status.state == StatusState::error
          ? std::string("failed")
          : std::string(to_string(status.state));
  json body = {{"state", state}, {"name", status.context}};
  if (!status.description.empty()) {
    body["description"] = status.description;
  }
  (void)call({"POST", project_path() + "/statuses/" + encoded(sha), body.dump(), true,
              "set status \"" + status.context + "\" on commit " + sha});
}

void GitLabProvider::merge_pr(const PullRequest &pr, config::MergeMethod method) {
  const std::string iid = std::to_string(pr.number);
  json body = {{"squash", method == config::MergeMethod::squash}};
  if (!pr.head_sha.empty()) {
    body["sha"] = pr.head_sha;
  }
  // Not repeated blindly: a merge that went through would then answer 405.
  const std::string path = project_path() + "/merge_requests/" + iid + "/merge";
  const auto response =
      call({"PUT", path, body.dump(), false, "merge merge request !" + iid, {405, 406, 409, 422}});
  if (response.status < 400) {
    return;
  }
  const std::string message = gitlab_message(response);
  throw ProviderError(
      detail::answered("merge merge request !" + iid, "PUT", path, "", response.status, message) +
          (response.status == 409 ? ": the head of the merge request moved since it was read"
                                  : ": it cannot be merged now (conflicts, a draft, failed "
                                    "pipeline or the project's merge checks)"),
      response.status);
}

std::string GitLabProvider::commit_via_api(const ApiCommit &api_commit) {
  const std::string &branch = api_commit.branch;
  const std::string &base_sha = api_commit.base_sha;
  const std::vector<FileChange> &changes = api_commit.changes;
  const std::string &message = api_commit.message;
  const std::string what = "commit to branch " + branch + " through the API";
  json actions = json::array();
  for (const FileChange &change : changes) {
    const auto exists = call(
        {"GET",
         project_path() + "/repository/files/" + encoded(change.path) + "?ref=" + encoded(base_sha),
         "",
         true,
         what,
         {404}});
    const bool present = exists.status < 400;
    if (change.remove) {
      if (present) {
        actions.push_back({{"action", "delete"}, {"file_path", change.path}});
      }
      continue;
    }
    actions.push_back({{"action", present ? "update" : "create"},
                       {"file_path", change.path},
                       {"encoding", "base64"},
                       {"content", util::base64_encode(change.content)}});
  }
  const json request = {{"branch", branch},
                        {"start_sha", base_sha},
                        {"force", true},
                        {"commit_message", message},
                        {"author_name", api_commit.author.name},
                        {"author_email", api_commit.author.email},
                        {"actions", actions}};
  const auto response = parse_body(
      call({"POST", project_path() + "/repository/commits", request.dump(), true, what}), what);
  const std::string sha = string_or_empty(response, "id");
  if (sha.empty()) {
    throw ProviderError(what + ": GitLab's answer names no commit");
  }
  return sha;
}

} // namespace gitops::providers
