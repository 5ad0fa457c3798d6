#include "gitops/providers/gitea_provider.hpp"

#include "../json_fields.hpp"
#include "../paging.hpp"

#include "gitops/providers/remote_url.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"
#include "gitops/util/url.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

namespace gitops::providers {

namespace {

using util::contains;

using detail::bool_or;
using detail::object_at;
using detail::string_or_empty;
using nlohmann::json;

json parse_body(const http::Response &response, const std::string &what) {
  return detail::parse_body(response, what, "the server");
}

// Gitea's default MAX_RESPONSE_ITEMS: a larger limit is cut to it anyway.
constexpr int k_page_size = 50;
// Far more pages than any real list needs, so a Link loop on a broken server still ends.
constexpr std::size_t k_max_pages = 1000;

std::string segment(std::string_view text) {
  return util::percent_encode(text);
}
std::string query_value(std::string_view text) {
  return util::percent_encode(text, "/");
}

// Gitea's merge form `do` takes the configuration's names (merge, squash, rebase — rebase then
// fast-forward, like GitHub's); older releases documented `Do`, the server reads keys in any case.
std::string_view merge_style(config::MergeMethod method) {
  return config::to_string(method);
}

// The server's own explanation: `message` of Gitea's APIError / APIValidationError.
std::string gitea_message(const http::Response &response) {
  try {
    return string_or_empty(json::parse(response.body), "message");
  } catch (const json::exception &) {
    return {};
  }
}

// The repository id of a PRBranchInfo, or -1.
long repo_id_of(const json &branch) {
  if (const auto it = branch.find("repo_id"); it != branch.end() && it->is_number_integer()) {
    return it->get<long>();
  }
  return -1;
}

struct GiteaPull {
  PullRequest pr;
  bool from_fork = false;
};

GiteaPull pull_request_from_json(const json &pr) {
  if (!pr.is_object() || !pr.contains("number") || !pr["number"].is_number_integer()) {
    throw ProviderError("the server returned a pull request without a number");
  }
  GiteaPull out;
  out.pr.number = pr["number"].get<long>();
  out.pr.id = std::to_string(out.pr.number);
  out.pr.title = string_or_empty(pr, "title");
  out.pr.description = string_or_empty(pr, "body");
  long head_repo = -1;
  long base_repo = -1;
  if (const json *head = object_at(pr, "head")) {
    out.pr.head_branch = string_or_empty(*head, "ref");
    out.pr.head_sha = string_or_empty(*head, "sha");
    head_repo = repo_id_of(*head);
  }
  if (const json *base = object_at(pr, "base")) {
    out.pr.base_branch = string_or_empty(*base, "ref");
    base_repo = repo_id_of(*base);
  }
  out.from_fork = head_repo != -1 && base_repo != -1 && head_repo != base_repo;
  out.pr.url = string_or_empty(pr, "html_url");
  out.pr.state = string_or_empty(pr, "state") == "open" ? PrState::open : PrState::closed;
  // The JSON does not say whether "merge when checks succeed" is scheduled: an open PR may have
  // it, so callers that must have it off (while the branch changes) turn it off.
  out.pr.auto_merge = out.pr.state == PrState::open;
  const auto merged = pr.find("merged");
  if (merged != pr.end() && merged->is_boolean() && merged->get<bool>()) {
    out.pr.state = PrState::merged;
    const std::string merge_commit = string_or_empty(pr, "merge_commit_sha");
    if (!merge_commit.empty()) {
      out.pr.merge_commit = merge_commit;
    }
  }
  return out;
}

// Gitea's states onto the gate's four.
StatusState status_state(std::string_view state) {
  if (const auto same = parse_status_state(state)) {
    return *same;
  }
  if (state == "skipped") {
    return StatusState::success;
  }
  if (state == "warning") {
    return StatusState::failure;
  }
  return StatusState::pending;
}

} // namespace

GiteaRemote parse_gitea_remote(std::string_view url, std::string_view api_url) {
  const UrlParts parts = split_remote_url(url);
  const std::vector<std::string> segments = util::split(parts.path, '/');
  if (segments.size() < 2 || segments[segments.size() - 2].empty() || segments.back().empty()) {
    throw ProviderError("remote URL \"" + util::redact_url(url) +
                        "\": a Gitea or Forgejo repository path must end in OWNER/REPO, got \"" +
                        parts.path + "\"");
  }
  GiteaRemote remote;
  remote.owner = segments[segments.size() - 2];
  remote.repo = segments.back();
  if (!api_url.empty()) {
    remote.api_url = std::string(api_url);
  } else {
    // Gitea may live under a sub-path (ROOT_URL = https://host/git/): the API is below it.
    std::string sub_path;
    for (std::size_t i = 0; i + 2 < segments.size(); ++i) {
      sub_path += "/" + segments[i];
    }
    remote.api_url = web_origin(parts) + sub_path + "/api/v1";
  }
  while (!remote.api_url.empty() && remote.api_url.back() == '/') {
    remote.api_url.pop_back();
  }
  return remote;
}

// One REST call: `path` is relative to the API base unless it is an absolute URL (a Link next
// page).
struct GiteaProvider::Call {
  std::string method;
  std::string path;
  std::string body;
  bool idempotent = true;
  std::string what;              // for messages, e.g. "create pull request"
  std::vector<long> tolerated{}; // error statuses returned to the caller instead of thrown
};

GiteaProvider::GiteaProvider(GiteaRemote remote, std::shared_ptr<util::TokenSource> token,
                             http::HttpClient &http, std::string user_agent)
    : m_remote(std::move(remote)), m_token(std::move(token)), m_http(http),
      m_user_agent(std::move(user_agent)) {
  if (!m_token) {
    throw ProviderError("Gitea token is empty (give --token or set GITEA_TOKEN)");
  }
}

std::string GiteaProvider::repo_path() const {
  return "/repos/" + segment(m_remote.owner) + "/" + segment(m_remote.repo);
}

http::Response GiteaProvider::call(const Call &c) {
  http::Request request =
      detail::json_request(c.method, c.path, m_remote.api_url, c.body, c.idempotent, m_user_agent);
  // Gitea's documented header for access tokens; "Bearer" works on newer servers only.
  request.headers.emplace("Authorization", "token " + m_token->token());
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
                                      response.status, gitea_message(response));
  const std::string repo = m_remote.owner + "/" + m_remote.repo;
  if (response.status == 401) {
    text += ": the token was rejected (invalid, expired or revoked)";
  } else if (response.status == 403) {
    text += ": the token is not allowed to do this on " + repo +
            " (it needs the scope write:repository and write access to the repository)";
  } else if (response.status == 404) {
    text += ": repository " + repo + " (or the object asked for) does not exist at " +
            m_remote.api_url + ", or the token cannot see it";
  }
  throw ProviderError(text, response.status);
}

void GiteaProvider::each_page(std::string path, const std::string &what,
                              const std::function<void(const json &)> &on_page) {
  detail::follow_pages(
      std::move(path), m_remote.api_url, k_max_pages,
      [&](const std::string &page) {
        return call({"GET", page, "", true, what});
      },
      [&](const http::Response &response) { on_page(parse_body(response, what)); });
}

std::vector<PullRequest> GiteaProvider::open_pulls(const std::string &base,
                                                   const std::string &what) {
  std::vector<PullRequest> pulls;
  std::string path = repo_path() + "/pulls?state=open&limit=" + std::to_string(k_page_size);
  if (!base.empty()) {
    path += "&base_branch=" + query_value(base);
  }
  each_page(path, what, [&](const json &body) {
    if (!body.is_array()) {
      throw ProviderError(what + ": the server answered with something other than a list");
    }
    for (const auto &item : body) {
      GiteaPull pull = pull_request_from_json(item);
      if (!pull.from_fork) {
        pulls.push_back(std::move(pull.pr));
      }
    }
  });
  return pulls;
}

std::optional<PullRequest> GiteaProvider::find_open_pr(const std::string &head,
                                                       const std::string &base) {
  const auto pulls = open_pulls(base, "find the open pull request " + head + " -> " + base);
  std::optional<PullRequest> found;
  for (const auto &pr : pulls) {
    // base_branch is a newer filter: older servers ignore it, so base is checked here too.
    if (pr.head_branch == head && pr.base_branch == base && pr.state == PrState::open) {
      if (found) {
        throw ProviderError("more than one open pull request from " + head + " into " + base +
                            ": #" + std::to_string(found->number) + " and #" +
                            std::to_string(pr.number) + "; close all but one");
      }
      found = pr;
    }
  }
  return found;
}

PullRequest GiteaProvider::update_pr(const PullRequest &pr, const std::string &title,
                                     const std::string &description) {
  const std::string number = std::to_string(pr.number);
  const json update = {{"title", title}, {"body", description}};
  const auto response = call({"PATCH", repo_path() + "/pulls/" + number, update.dump(), true,
                              "update pull request #" + number});
  return pull_request_from_json(parse_body(response, "update pull request #" + number)).pr;
}

PullRequest GiteaProvider::create_pr(const std::string &head, const std::string &base,
                                     const std::string &title, const std::string &description) {
  const std::string what = "create pull request " + head + " -> " + base;
  const json create = {{"title", title}, {"head", head}, {"base", base}, {"body", description}};
  // A retried or racing create answers 409 "pull request already exists"; handled below, so
  // repeating the POST is safe.
  const auto response =
      call({"POST", repo_path() + "/pulls", create.dump(), true, what, {409, 422}});
  if (response.status < 400) {
    return pull_request_from_json(parse_body(response, what)).pr;
  }
  const std::string message = gitea_message(response);
  if (response.status == 409) {
    if (const auto existing = find_open_pr(head, base)) {
      return update_pr(*existing, title, description);
    }
  }
  std::string text =
      detail::answered(what, "POST", repo_path() + "/pulls", "", response.status, message);
  if (contains(message, "no changes") || contains(message, "No changes") ||
      contains(message, "same")) {
    text += ": branch " + head + " has no changes compared to " + base;
  } else {
    text += ": check that branches " + head + " and " + base + " exist on the server";
  }
  throw ProviderError(text, response.status);
}

bool GiteaProvider::base_requires_checks(const std::string &base) {
  const std::string what = "read the protection of branch " + base;
  const auto response =
      call({"GET", repo_path() + "/branches/" + query_value(base), "", true, what});
  const json branch = parse_body(response, what);
  const auto enabled = branch.is_object() ? branch.find("enable_status_check") : branch.end();
  const auto contexts = branch.is_object() ? branch.find("status_check_contexts") : branch.end();
  return enabled != branch.end() && enabled->is_boolean() && enabled->get<bool>() &&
         contexts != branch.end() && contexts->is_array() && !contexts->empty();
}

AutoMergeOutcome GiteaProvider::update_auto_merge(const PullRequest &pr, bool enabled,
                                                  config::MergeMethod method) {
  const std::string number = std::to_string(pr.number);
  const std::string merge_path = repo_path() + "/pulls/" + number + "/merge";
  if (!enabled) {
    const auto response = call({"DELETE",
                                merge_path,
                                "",
                                true,
                                "turn auto-merge of pull request #" + number + " off",
                                {404}});
    return response.status == 404 ? AutoMergeOutcome::unchanged : AutoMergeOutcome::changed;
  }
  // Without a required status check Gitea merges "when checks succeed" at once: that would
  // bypass the status gate, which has not run on this commit yet.
  if (!base_requires_checks(pr.base_branch)) {
    return AutoMergeOutcome::already_mergeable;
  }
  json body = {{"do", merge_style(method)}, {"merge_when_checks_succeed", true}};
  if (!pr.head_sha.empty()) {
    body["head_commit_id"] = pr.head_sha;
  }
  const std::string what = "turn auto-merge of pull request #" + number + " on";
  const auto response = call({"POST", merge_path, body.dump(), false, what, {405, 409}});
  if (response.status < 400) {
    // 201: scheduled; 200: the required checks were already green on this head, so it merged.
    return AutoMergeOutcome::changed;
  }
  const std::string message = gitea_message(response);
  if (response.status == 409 && contains(util::to_lower(message), "already")) {
    return AutoMergeOutcome::unchanged;
  }
  std::string text = detail::answered(what, "POST", merge_path, "", response.status, message);
  if (response.status == 405) {
    text += ": the " + std::string(merge_style(method)) +
            " merge style may not be allowed in the settings of repository " + m_remote.owner +
            "/" + m_remote.repo +
            " (or the pull request cannot be merged); allow it or change "
            "merge_method in gitops-promotion.yaml";
  } else {
    text += ": the head of the pull request moved since it was read; run again";
  }
  throw ProviderError(text, response.status);
}

void GiteaProvider::set_auto_merge(const PullRequest &pr, bool enabled,
                                   config::MergeMethod method) {
  if (update_auto_merge(pr, enabled, method) == AutoMergeOutcome::already_mergeable) {
    throw ProviderError("enable auto-merge on pull request #" + std::to_string(pr.number) +
                        ": the base branch " + pr.base_branch +
                        " requires no status check, so Gitea would merge it at once; give it a "
                        "branch protection rule with a required status check");
  }
}

std::optional<PullRequest> GiteaProvider::find_merged_pr_for_commit(const std::string &sha) {
  const std::string what = "find the pull request of commit " + sha;
  const auto response =
      call({"GET", repo_path() + "/commits/" + segment(sha) + "/pull", "", true, what, {404}});
  if (response.status == 404) {
    return std::nullopt;
  }
  PullRequest pr = pull_request_from_json(parse_body(response, what)).pr;
  if (pr.state != PrState::merged) {
    return std::nullopt;
  }
  return pr;
}

std::vector<PullRequest> GiteaProvider::find_open_prs_for_commit(const std::string &sha) {
  std::vector<PullRequest> open;
  for (PullRequest &pr : open_pulls({}, "find the open pull requests of commit " + sha)) {
    if (pr.head_sha == sha) {
      open.push_back(std::move(pr));
    }
  }
  return open;
}

std::vector<CommitStatus> GiteaProvider::list_statuses(const std::string &sha) {
  const std::string what = "list the statuses of commit " + sha;
  std::vector<CommitStatus> statuses;
  each_page(repo_path() + "/commits/" + segment(sha) +
                "/status?limit=" + std::to_string(k_page_size),
            what, [&](const json &body) {
              const auto list = body.is_object() ? body.find("statuses") : body.end();
              if (list == body.end() || list->is_null()) {
                return;
              }
              if (!list->is_array()) {
                throw ProviderError(what + ": the answer's statuses is not a list");
              }
              for (const auto &item : *list) {
                CommitStatus status;
                status.context = string_or_empty(item, "context");
                // CommitStatus spells it `status` (CreateStatusOption: `state`).
                status.state = status_state(string_or_empty(item, "status"));
                status.description = string_or_empty(item, "description");
                statuses.push_back(std::move(status));
              }
            });
  return statuses;
}

void GiteaProvider::set_status(const std::string &sha, const CommitStatus &status) {
  json body = {{"state", to_string(status.state)}, {"context", status.context}};
  if (!status.description.empty()) {
    body["description"] = status.description;
  }
  (void)call({"POST", repo_path() + "/statuses/" + segment(sha), body.dump(), true,
              "set status \"" + status.context + "\" on commit " + sha});
}

void GiteaProvider::merge_pr(const PullRequest &pr, config::MergeMethod method) {
  const std::string number = std::to_string(pr.number);
  json body = {{"do", merge_style(method)}};
  if (!pr.head_sha.empty()) {
    body["head_commit_id"] = pr.head_sha;
  }
  // Not repeated blindly: a merge that went through would then answer 405.
  const std::string path = repo_path() + "/pulls/" + number + "/merge";
  const auto response =
      call({"POST", path, body.dump(), false, "merge pull request #" + number, {405, 409}});
  if (response.status < 400) {
    return;
  }
  const std::string message = gitea_message(response);
  std::string text =
      detail::answered("merge pull request #" + number, "POST", path, "", response.status, message);
  text += response.status == 409
              ? ": the head of the pull request moved since it was read; read it again"
              : ": it is not mergeable now (conflicts, failing required checks, or the merge "
                "style is not allowed in the repository settings)";
  throw ProviderError(text, response.status);
}

std::optional<std::string> GiteaProvider::blob_id(const std::string &path, const std::string &ref,
                                                  const std::string &what) {
  const auto response = call(
      {"GET",
       repo_path() + "/contents/" + util::percent_encode(path, "/") + "?ref=" + query_value(ref),
       "",
       true,
       what,
       {404}});
  if (response.status == 404) {
    return std::nullopt;
  }
  const json entry = parse_body(response, what);
  if (!entry.is_object() || string_or_empty(entry, "type") != "file") {
    throw ProviderError(what + ": " + path + " is not a file at " + ref);
  }
  return string_or_empty(entry, "sha");
}

std::string GiteaProvider::commit_via_api(const ApiCommit &api_commit) {
  const std::string &branch = api_commit.branch;
  const std::string &base_sha = api_commit.base_sha;
  const std::vector<FileChange> &changes = api_commit.changes;
  const std::string &message = api_commit.message;
  const std::string what = "commit to branch " + branch + " through the API";
  json files = json::array();
  for (const FileChange &change : changes) {
    const std::optional<std::string> blob = blob_id(change.path, base_sha, what);
    if (change.remove) {
      if (!blob) {
        continue; // already gone at the base
      }
      files.push_back({{"operation", "delete"}, {"path", change.path}, {"sha", *blob}});
    } else if (blob) {
      files.push_back({{"operation", "update"},
                       {"path", change.path},
                       {"sha", *blob},
                       {"content", util::base64_encode(change.content)}});
    } else {
      files.push_back({{"operation", "create"},
                       {"path", change.path},
                       {"content", util::base64_encode(change.content)}});
    }
  }
  const json identity = {{"name", api_commit.author.name}, {"email", api_commit.author.email}};
  const json request = {{"branch", api_commit.base_branch},
                        {"new_branch", branch},
                        {"force_push", true},
                        {"message", message},
                        {"author", identity},
                        {"committer", identity},
                        {"files", files}};
  const auto response =
      call({"POST", repo_path() + "/contents", request.dump(), true, what, {409, 422}});
  if (response.status >= 400) {
    const std::string text = gitea_message(response);
    throw ProviderError(
        detail::answered(what, "POST", repo_path() + "/contents", "", response.status, text) +
            (contains(util::to_lower(text), "sha")
                 ? ": a file changed on " + api_commit.base_branch + " since commit " + base_sha +
                       "; run again from a fresh checkout"
                 : ": if branch " + branch +
                       " exists, the server may not know force_push (an older Gitea or "
                       "Forgejo): delete the branch or check out with full history"),
        response.status);
  }
  const json answer = parse_body(response, what);
  const json *commit = object_at(answer, "commit");
  const std::string sha = commit ? string_or_empty(*commit, "sha") : std::string{};
  if (sha.empty()) {
    throw ProviderError(what + ": the server's answer names no commit");
  }
  return sha;
}

} // namespace gitops::providers
