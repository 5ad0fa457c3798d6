#include "gitops/providers/github_provider.hpp"

#include "../json_fields.hpp"
#include "../paging.hpp"
#include "github_request.hpp"

#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"
#include "gitops/util/url.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace gitops::providers {

namespace {

using util::contains;

using detail::bool_or;
using detail::object_at;
using detail::string_or_empty;
using nlohmann::json;

json parse_body(const http::Response &response, const std::string &what) {
  return detail::parse_body(response, what, "GitHub");
}

// Far more pages than any real list needs, so a Link loop on a broken server still ends.
constexpr int k_max_pages = 1000;

// Query values: ':' and '/' are legal there and keep `head=owner:branch/x` readable.
std::string query_value(std::string_view text) {
  return util::percent_encode(text, ":/");
}
// A ref or path with its slashes kept raw: GitHub accepts them and some GHES versions reject %2F.
std::string path_with_slashes(std::string_view text) {
  return util::percent_encode(text, "/");
}
std::string path_segment(std::string_view text) {
  return util::percent_encode(text);
}

std::string graphql_merge_method(config::MergeMethod method) {
  std::string name(config::to_string(method));
  for (auto &c : name) {
    c = static_cast<char>(c - 'a' + 'A');
  }
  return name;
}

PullRequest pull_request_from_json(const json &pr) {
  if (!pr.is_object() || !pr.contains("number") || !pr["number"].is_number_integer()) {
    throw ProviderError("GitHub returned a pull request without a number");
  }
  PullRequest out;
  out.number = pr["number"].get<long>();
  out.id = string_or_empty(pr, "node_id");
  out.title = string_or_empty(pr, "title");
  out.description = string_or_empty(pr, "body");
  if (const auto head = pr.find("head"); head != pr.end() && head->is_object()) {
    out.head_branch = string_or_empty(*head, "ref");
    out.head_sha = string_or_empty(*head, "sha");
  }
  if (const auto base = pr.find("base"); base != pr.end() && base->is_object()) {
    out.base_branch = string_or_empty(*base, "ref");
  }
  out.url = string_or_empty(pr, "html_url");
  out.state = string_or_empty(pr, "state") == "open" ? PrState::open : PrState::closed;
  const auto merged_at = pr.find("merged_at");
  const bool merged = merged_at != pr.end() && merged_at->is_string();
  if (merged) {
    out.state = PrState::merged;
    const auto merge_commit = string_or_empty(pr, "merge_commit_sha");
    if (!merge_commit.empty()) {
      out.merge_commit = merge_commit;
    }
  }
  const auto auto_merge = pr.find("auto_merge");
  out.auto_merge = auto_merge != pr.end() && auto_merge->is_object();
  return out;
}

// GitHub's own explanation: `message` plus the messages (or codes) of `errors[]`.
std::string github_message(const http::Response &response) {
  json body;
  try {
    body = json::parse(response.body);
  } catch (const json::exception &) {
    return {};
  }
  if (!body.is_object()) {
    return {};
  }
  std::string text = string_or_empty(body, "message");
  if (const auto errors = body.find("errors"); errors != body.end() && errors->is_array()) {
    for (const auto &error : *errors) {
      std::string detail;
      if (error.is_string()) {
        detail = error.get<std::string>();
      } else if (error.is_object()) {
        detail = string_or_empty(error, "message");
        if (detail.empty()) {
          detail = string_or_empty(error, "resource") + " " + string_or_empty(error, "field") +
                   " " + string_or_empty(error, "code");
        }
      }
      if (!detail.empty()) {
        text += (text.empty() ? "" : "; ") + detail;
      }
    }
  }
  return text;
}

// `status` and `conclusion` in lower case, as REST spells them (GraphQL's enums upper-cased).
StatusState check_run_state(std::string_view status, std::string_view conclusion) {
  if (status != "completed") {
    return StatusState::pending;
  }
  if (conclusion == "success" || conclusion == "neutral" || conclusion == "skipped") {
    return StatusState::success;
  }
  if (conclusion == "failure" || conclusion == "timed_out" || conclusion == "cancelled" ||
      conclusion == "action_required" || conclusion == "startup_failure") {
    return StatusState::failure;
  }
  return StatusState::pending; // null, "stale" or a value GitHub adds later
}

// StatusContext.state: EXPECTED is a required context nobody has reported yet, i.e. pending.
StatusState status_context_state(const std::string &state) {
  return parse_status_state(util::to_lower(state)).value_or(StatusState::pending);
}

// GraphQL looks commits up by their full object id (40 hex digits, 64 in SHA-256 repositories).
bool full_object_id(std::string_view sha) {
  if (sha.size() != 40 && sha.size() != 64) {
    return false;
  }
  return std::all_of(sha.begin(), sha.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// The messages of a GraphQL answer's `errors` (joined by "; "), and whether one has `type`.
struct GraphqlErrors {
  std::string messages;
  std::vector<std::string> types;
  [[nodiscard]] bool empty() const { return messages.empty() && types.empty(); }
  [[nodiscard]] bool has_type(std::string_view type) const {
    return std::find(types.begin(), types.end(), type) != types.end();
  }
};

GraphqlErrors graphql_errors(const json &body) {
  GraphqlErrors out;
  const auto errors = body.is_object() ? body.find("errors") : body.end();
  if (errors == body.end() || !errors->is_array()) {
    return out;
  }
  for (const auto &error : *errors) {
    std::string message = error.is_object() ? string_or_empty(error, "message") : std::string{};
    if (message.empty()) {
      message = "an error without a message";
    }
    out.messages += (out.messages.empty() ? "" : "; ") + message;
    if (error.is_object()) {
      out.types.push_back(string_or_empty(error, "type"));
    }
  }
  return out;
}

} // namespace

GitHubEndpoints github_endpoints(const GitHubRemote &remote, std::string_view api_url) {
  GitHubEndpoints endpoints;
  if (!api_url.empty()) {
    std::string base(api_url);
    while (!base.empty() && base.back() == '/') {
      base.pop_back();
    }
    endpoints.api_url = base;
    constexpr std::string_view k_v3 = "/api/v3";
    if (base.size() > k_v3.size() &&
        base.compare(base.size() - k_v3.size(), k_v3.size(), k_v3) == 0) {
      endpoints.graphql_url = base.substr(0, base.size() - k_v3.size()) + "/api/graphql";
    } else {
      endpoints.graphql_url = base + "/graphql";
    }
    return endpoints;
  }
  if (remote.host == "github.com") {
    return {"https://api.github.com", "https://api.github.com/graphql"};
  }
  const std::string origin = (remote.secure ? "https://" : "http://") + remote.host;
  return {origin + "/api/v3", origin + "/api/graphql"};
}

// One REST call: `path` is relative to the API base unless it is an absolute URL (a Link next
// page).
struct GitHubProvider::Call {
  std::string method;
  std::string path;
  std::string body;
  bool idempotent = true;
  std::string what;              // for messages, e.g. "create pull request"
  std::vector<long> tolerated{}; // error statuses returned to the caller instead of thrown
};

GitHubProvider::GitHubProvider(GitHubRemote remote, std::string token, http::HttpClient &http,
                               GitHubEndpoints endpoints, std::string user_agent)
    : GitHubProvider(std::move(remote),
                     token.empty() ? nullptr : std::make_shared<util::FixedToken>(std::move(token)),
                     http, std::move(endpoints), std::move(user_agent)) {}

GitHubProvider::GitHubProvider(GitHubRemote remote, std::shared_ptr<util::TokenSource> token,
                               http::HttpClient &http, GitHubEndpoints endpoints,
                               std::string user_agent)
    : m_remote(std::move(remote)), m_token(std::move(token)), m_http(http),
      m_endpoints(std::move(endpoints)), m_user_agent(std::move(user_agent)) {
  if (!m_token) {
    throw ProviderError("GitHub token is empty (give --token or set GITHUB_TOKEN)");
  }
  if (m_endpoints.api_url.empty() || m_endpoints.graphql_url.empty()) {
    m_endpoints = github_endpoints(m_remote);
  }
}

std::string GitHubProvider::repo_path() const {
  return "/repos/" + path_segment(m_remote.owner) + "/" + path_segment(m_remote.repo);
}

http::Response GitHubProvider::send(const std::string &method, const std::string &url,
                                    const std::string &body, bool idempotent) {
  return m_http.send(
      detail::github_request(method, url, m_token->token(), m_user_agent, body, idempotent));
}

http::Response GitHubProvider::call(const Call &c) {
  const bool absolute = c.path.rfind("http://", 0) == 0 || c.path.rfind("https://", 0) == 0;
  const std::string url = absolute ? c.path : m_endpoints.api_url + c.path;
  http::Response response = send(c.method, url, c.body, c.idempotent);
  if (response.status < 400) {
    return response;
  }
  for (const long tolerated : c.tolerated) {
    if (response.status == tolerated) {
      return response;
    }
  }
  // The path as printed: relative to the API base, never with credentials (they only travel in
  // the Authorization header).
  std::string text = detail::answered(c.what, c.method, url, m_endpoints.api_url, response.status,
                                      github_message(response));
  const std::string repo = m_remote.owner + "/" + m_remote.repo;
  const auto permissions = response.header("x-accepted-github-permissions");
  if (response.status == 401) {
    text += ": the token was rejected (invalid, expired or revoked)";
  } else if (response.status == 403 || (response.status == 404 && permissions)) {
    if (permissions && !permissions->empty()) {
      text += ": the token lacks a permission; GitHub accepts " + *permissions +
              " (grant it to the token or GitHub App, e.g. `permissions: " + *permissions +
              "` in a workflow)";
    } else {
      text += ": the token is not allowed to do this on " + repo;
    }
  } else if (response.status == 404) {
    text += ": repository " + repo + " (or the object asked for) does not exist, or the token " +
            "cannot see it (GitHub answers 404 for private repositories a token cannot read)";
  }
  throw ProviderError(text, response.status);
}

std::string GitHubProvider::next_page(const http::Response &response) const {
  return detail::next_page_on(response, m_endpoints.api_url);
}

std::vector<PullRequest> GitHubProvider::list_pulls(const std::string &path_and_query,
                                                    const std::string &what) {
  std::vector<PullRequest> pulls;
  std::string next = path_and_query;
  for (int page = 0; page < k_max_pages && !next.empty(); ++page) {
    const auto response = call({"GET", next, "", true, what});
    const json body = parse_body(response, what);
    if (!body.is_array()) {
      throw ProviderError(what + ": GitHub answered with something other than a list",
                          response.status);
    }
    for (const auto &pr : body) {
      pulls.push_back(pull_request_from_json(pr));
    }
    next = next_page(response);
  }
  return pulls;
}

std::optional<PullRequest> GitHubProvider::find_open_pr(const std::string &head,
                                                        const std::string &base) {
  const auto pulls = list_pulls(
      repo_path() + "/pulls?state=open&head=" + query_value(m_remote.owner + ":" + head) +
          "&base=" + query_value(base) + "&per_page=100",
      "find the open pull request " + head + " -> " + base);
  // The head filter already limits the answer; checking again guards against a server that ignores
  // it (and keeps a fork's branch of the same name out).
  std::optional<PullRequest> found;
  for (const auto &pr : pulls) {
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

PullRequest GitHubProvider::update_pr(const PullRequest &pr, const std::string &title,
                                      const std::string &description) {
  const json update = {{"title", title}, {"body", description}};
  const auto response =
      call({"PATCH", repo_path() + "/pulls/" + std::to_string(pr.number), update.dump(), true,
            "update pull request #" + std::to_string(pr.number)});
  return pull_request_from_json(parse_body(response, "update pull request"));
}

PullRequest GitHubProvider::create_pr(const std::string &head, const std::string &base,
                                      const std::string &title, const std::string &description) {
  const json create = {{"title", title},
                       {"head", head},
                       {"base", base},
                       {"body", description},
                       {"maintainer_can_modify", true}};
  // A retried or racing create answers 422 "A pull request already exists"; that is handled below,
  // so repeating the POST is safe.
  const auto response = call({"POST",
                              repo_path() + "/pulls",
                              create.dump(),
                              true,
                              "create pull request " + head + " -> " + base,
                              {422}});
  if (response.status == 201 || response.status == 200) {
    return pull_request_from_json(parse_body(response, "create pull request"));
  }
  const std::string message = github_message(response);
  if (contains(message, "already exists")) {
    if (const auto existing = find_open_pr(head, base)) {
      return update_pr(*existing, title, description);
    }
  }
  std::string text = "create pull request " + head + " -> " + base + ": POST " + repo_path() +
                     "/pulls answered 422";
  if (!message.empty()) {
    text += " (" + message + ")";
  }
  if (contains(message, "No commits between")) {
    text += ": branch " + head + " has no changes compared to " + base;
  } else if (contains(message, "head") || contains(message, "base")) {
    text += ": check that branches " + head + " and " + base + " exist on GitHub";
  }
  throw ProviderError(text, response.status);
}

json GitHubProvider::post_graphql(const std::string &body, const std::string &what) {
  const auto response = send("POST", m_endpoints.graphql_url, body, true);
  if (response.status >= 400) {
    std::string text =
        what + ": POST " + m_endpoints.graphql_url + " answered " + std::to_string(response.status);
    if (const auto message = github_message(response); !message.empty()) {
      text += " (" + message + ")";
    }
    if (response.status == 401) {
      text += ": the token was rejected (invalid, expired or revoked)";
    } else if (const auto permissions = response.header("x-accepted-github-permissions")) {
      text += ": the token lacks a permission; GitHub accepts " + *permissions;
    }
    throw ProviderError(text, response.status);
  }
  return parse_body(response, what);
}

AutoMergeOutcome GitHubProvider::send_auto_merge(const PullRequest &pr, bool enabled,
                                                 config::MergeMethod method) {
  const std::string number = "#" + std::to_string(pr.number);
  if (pr.id.empty()) {
    throw ProviderError("cannot change auto-merge of pull request " + number +
                        ": its GraphQL node id is unknown");
  }
  json variables = {{"pullRequestId", pr.id}};
  json request;
  if (enabled) {
    variables["mergeMethod"] = graphql_merge_method(method);
    request = {{"query", k_enable_auto_merge_mutation}, {"variables", variables}};
  } else {
    request = {{"query", k_disable_auto_merge_mutation}, {"variables", variables}};
  }
  const std::string what =
      (enabled ? "enable auto-merge on pull request " : "disable auto-merge on pull request ") +
      number;
  const json body = post_graphql(request.dump(), what);
  const GraphqlErrors errors = graphql_errors(body);
  if (errors.empty()) {
    const char *field = enabled ? "enablePullRequestAutoMerge" : "disablePullRequestAutoMerge";
    const json *data = object_at(body, "data");
    if (data == nullptr || !data->contains(field) || (*data)[field].is_null()) {
      throw ProviderError(what + ": GitHub's GraphQL answer has no " + std::string(field) +
                          " result");
    }
    return AutoMergeOutcome::changed;
  }
  const std::string &messages = errors.messages;
  if (contains(messages, "clean status") || contains(messages, "unstable status")) {
    return AutoMergeOutcome::already_mergeable;
  }
  std::string text = what + ": " + messages;
  const std::string repo = m_remote.owner + "/" + m_remote.repo;
  if (contains(messages, "Auto merge is not allowed")) {
    text += ": enable *Allow auto-merge* in the settings of repository " + repo +
            " (Settings → General → Pull Requests)";
  } else if (contains(messages, "Protected branch rules not configured")) {
    text += ": the base branch " + pr.base_branch +
            " needs branch protection with a required status check before GitHub can auto-merge";
  } else if (contains(messages, "merge method") || contains(messages, "Merge method") ||
             contains(messages, "merges are not allowed")) {
    text += ": allow the " + std::string(config::to_string(method)) +
            " merge method in the settings of repository " + repo +
            " or change merge_method in gitops-promotion.yaml";
  } else if (contains(messages, "not accessible") || contains(messages, "not allowed")) {
    text += ": the token needs pull_requests=write and contents=write on " + repo;
  }
  throw ProviderError(text);
}

AutoMergeOutcome GitHubProvider::update_auto_merge(const PullRequest &pr, bool enabled,
                                                   config::MergeMethod method) {
  if (pr.auto_merge == enabled) {
    return AutoMergeOutcome::unchanged;
  }
  return send_auto_merge(pr, enabled, method);
}

void GitHubProvider::set_auto_merge(const PullRequest &pr, bool enabled,
                                    config::MergeMethod method) {
  if (update_auto_merge(pr, enabled, method) == AutoMergeOutcome::already_mergeable) {
    throw ProviderError("enable auto-merge on pull request #" + std::to_string(pr.number) +
                        ": GitHub refuses because the pull request is already mergeable (clean "
                        "status): merge it directly, or give the base branch " +
                        pr.base_branch +
                        " a required status check so auto-merge has something "
                        "to wait for");
  }
}

std::optional<PullRequest> GitHubProvider::find_merged_pr_for_commit(const std::string &sha) {
  const auto pulls =
      list_pulls(repo_path() + "/commits/" + path_segment(sha) + "/pulls?per_page=100",
                 "find the pull request of commit " + sha);
  std::optional<PullRequest> only_merged;
  int merged_count = 0;
  for (const auto &pr : pulls) {
    if (pr.state != PrState::merged) {
      continue;
    }
    if (pr.merge_commit == sha) {
      return pr;
    }
    ++merged_count;
    only_merged = pr;
  }
  if (merged_count == 1) {
    return only_merged;
  }
  return std::nullopt;
}

std::vector<PullRequest> GitHubProvider::find_open_prs_for_commit(const std::string &sha) {
  const auto pulls =
      list_pulls(repo_path() + "/commits/" + path_segment(sha) + "/pulls?per_page=100",
                 "find the open pull requests of commit " + sha);
  std::vector<PullRequest> open;
  for (const auto &pr : pulls) {
    if (pr.state == PrState::open && pr.head_sha == sha) {
      open.push_back(pr);
    }
  }
  return open;
}

std::vector<CommitStatus> GitHubProvider::list_statuses(const std::string &sha) {
  const std::string what = "list the statuses of commit " + sha;
  const std::string repo = m_remote.owner + "/" + m_remote.repo;
  if (!full_object_id(sha)) {
    throw ProviderError(what + ": not a full commit sha (GitHub's GraphQL API looks a commit up " +
                        "by its 40 hexadecimal digits)");
  }
  std::vector<CommitStatus> statuses;
  json cursor = nullptr;
  for (int page = 0; page < k_max_pages; ++page) {
    const json request = {
        {"query", k_commit_statuses_query},
        {"variables",
         {{"owner", m_remote.owner}, {"name", m_remote.repo}, {"oid", sha}, {"cursor", cursor}}}};
    const json body = post_graphql(request.dump(), what);
    if (const GraphqlErrors errors = graphql_errors(body); !errors.empty()) {
      std::string text = what + ": GitHub's GraphQL API answered: " + errors.messages;
      if (errors.has_type("NOT_FOUND")) {
        text += ": repository " + repo + " does not exist, or the token cannot see it";
      } else if (errors.has_type("FORBIDDEN") || contains(errors.messages, "not accessible")) {
        text += ": the token needs statuses=read and checks=read on " + repo;
      } else if (errors.has_type("RATE_LIMITED")) {
        text += ": the GraphQL rate limit is used up; wait for it to reset";
      }
      throw ProviderError(text);
    }
    const json *data = object_at(body, "data");
    const json *repository = data != nullptr ? object_at(*data, "repository") : nullptr;
    if (repository == nullptr) {
      throw ProviderError(what + ": GitHub's GraphQL answer has no repository " + repo);
    }
    const json *object = object_at(*repository, "object");
    if (object == nullptr) {
      throw ProviderError(what + ": GitHub does not know commit " + sha + " in " + repo +
                          " (was it pushed?)");
    }
    if (const auto type = string_or_empty(*object, "__typename"); type != "Commit") {
      throw ProviderError(what + ": " + sha + " is a " + (type.empty() ? "non-commit" : type) +
                          " object in " + repo + ", not a commit");
    }
    const json *rollup = object_at(*object, "statusCheckRollup");
    if (rollup == nullptr) {
      return statuses; // nothing reported on the commit yet
    }
    const json *contexts = object_at(*rollup, "contexts");
    const json *nodes = nullptr;
    if (contexts != nullptr) {
      const auto it = contexts->find("nodes");
      nodes = it != contexts->end() && it->is_array() ? &*it : nullptr;
    }
    if (nodes == nullptr) {
      throw ProviderError(what + ": GitHub's GraphQL answer has no statusCheckRollup contexts");
    }
    for (const auto &node : *nodes) {
      if (!node.is_object()) {
        continue;
      }
      const std::string type = string_or_empty(node, "__typename");
      if (type == "StatusContext") {
        statuses.push_back({string_or_empty(node, "context"),
                            status_context_state(string_or_empty(node, "state")),
                            string_or_empty(node, "description")});
      } else if (type == "CheckRun") {
        statuses.push_back({string_or_empty(node, "name"),
                            check_run_state(util::to_lower(string_or_empty(node, "status")),
                                            util::to_lower(string_or_empty(node, "conclusion"))),
                            string_or_empty(node, "title")});
      }
    }
    const json *page_info = object_at(*contexts, "pageInfo");
    if (page_info == nullptr || !bool_or(*page_info, "hasNextPage", false)) {
      return statuses;
    }
    const std::string next = string_or_empty(*page_info, "endCursor");
    // A cursor that does not move would ask for the same page forever.
    if (next.empty() || (cursor.is_string() && cursor.get<std::string>() == next)) {
      throw ProviderError(what + ": GitHub says more statuses follow but gives no new cursor");
    }
    cursor = next;
  }
  return statuses;
}

void GitHubProvider::set_status(const std::string &sha, const CommitStatus &status) {
  json body = {{"state", to_string(status.state)}, {"context", status.context}};
  if (!status.description.empty()) {
    body["description"] = status.description;
  }
  (void)call({"POST", repo_path() + "/statuses/" + path_segment(sha), body.dump(), true,
              "set status \"" + status.context + "\" on commit " + sha});
}

void GitHubProvider::merge_pr(const PullRequest &pr, config::MergeMethod method) {
  const std::string number = std::to_string(pr.number);
  json body = {{"merge_method", config::to_string(method)}};
  if (!pr.head_sha.empty()) {
    body["sha"] = pr.head_sha;
  }
  // Not repeated blindly: a merge that went through would then answer 405.
  const auto response = call({"PUT",
                              repo_path() + "/pulls/" + number + "/merge",
                              body.dump(),
                              false,
                              "merge pull request #" + number,
                              {405, 409}});
  if (response.status == 405 || response.status == 409) {
    std::string text = detail::answered("merge pull request #" + number, "PUT",
                                        repo_path() + "/pulls/" + number + "/merge", "",
                                        response.status, github_message(response));
    text += response.status == 409
                ? ": the head of the pull request moved since it was read; read it again"
                : ": it is not mergeable now (conflicts, failing required checks, or the "
                  "merge method is not allowed in the repository settings)";
    throw ProviderError(text, response.status);
  }
  const json result = parse_body(response, "merge pull request #" + number);
  if (!result.is_object() || !bool_or(result, "merged", false)) {
    throw ProviderError("merge pull request #" + number + ": GitHub did not merge it (" +
                            string_or_empty(result, "message") + ")",
                        response.status);
  }
}

std::string GitHubProvider::commit_via_api(const ApiCommit &api_commit) {
  const std::string &branch = api_commit.branch;
  const std::string &base_sha = api_commit.base_sha;
  const std::vector<FileChange> &changes = api_commit.changes;
  const std::string &message = api_commit.message;
  const std::string git = repo_path() + "/git";
  const std::string what = "commit to branch " + branch + " through the API";
  const auto base =
      parse_body(call({"GET", git + "/commits/" + path_segment(base_sha), "", true, what}), what);
  const auto base_tree = base.is_object() && base.contains("tree") && base["tree"].is_object()
                             ? string_or_empty(base["tree"], "sha")
                             : std::string{};
  if (base_tree.empty()) {
    throw ProviderError(what + ": commit " + base_sha + " has no tree in GitHub's answer");
  }
  json entries = json::array();
  for (const auto &change : changes) {
    json entry = {{"path", change.path}, {"mode", "100644"}, {"type", "blob"}};
    if (change.remove) {
      entry["sha"] = nullptr; // GitHub's way to delete a path from the base tree
    } else if (util::is_valid_utf8(change.content)) {
      entry["content"] = change.content;
    } else {
      // JSON strings cannot carry arbitrary bytes: upload those as a base64 blob.
      const json blob = {{"content", util::base64_encode(change.content)}, {"encoding", "base64"}};
      const auto created =
          parse_body(call({"POST", git + "/blobs", blob.dump(), true, what}), what);
      entry["sha"] = string_or_empty(created, "sha");
    }
    entries.push_back(std::move(entry));
  }
  const json tree_request = {{"base_tree", base_tree}, {"tree", entries}};
  const auto tree =
      parse_body(call({"POST", git + "/trees", tree_request.dump(), true, what}), what);
  const json commit_request = {
      {"message", message},
      {"tree", string_or_empty(tree, "sha")},
      {"parents", json::array({base_sha})},
      {"author", {{"name", api_commit.author.name}, {"email", api_commit.author.email}}}};
  const auto commit =
      parse_body(call({"POST", git + "/commits", commit_request.dump(), true, what}), what);
  const std::string sha = string_or_empty(commit, "sha");
  if (sha.empty()) {
    throw ProviderError(what + ": GitHub's answer to creating the commit has no sha");
  }
  const std::string ref_path = git + "/refs/heads/" + path_with_slashes(branch);
  const json update = {{"sha", sha}, {"force", true}};
  const auto patched = call({"PATCH", ref_path, update.dump(), true, what, {404, 422}});
  if (patched.status < 400) {
    return sha;
  }
  // GitHub answers 422 "Reference does not exist" (sometimes 404) for a new branch.
  const json create = {{"ref", "refs/heads/" + branch}, {"sha", sha}};
  const auto created = call({"POST", git + "/refs", create.dump(), true, what, {422}});
  if (created.status == 422) {
    // Someone (or a retried request) created it meanwhile: point it at our commit.
    (void)call({"PATCH", ref_path, update.dump(), true, what});
  }
  return sha;
}

GitHubRepositoryInfo GitHubProvider::repository_info() {
  const std::string what = "read repository " + m_remote.owner + "/" + m_remote.repo;
  const json body = parse_body(call({"GET", repo_path(), "", true, what}), what);
  GitHubRepositoryInfo info;
  info.default_branch = string_or_empty(body, "default_branch");
  info.allow_auto_merge = bool_or(body, "allow_auto_merge", false);
  info.allow_merge_commit = bool_or(body, "allow_merge_commit", true);
  info.allow_squash_merge = bool_or(body, "allow_squash_merge", true);
  info.allow_rebase_merge = bool_or(body, "allow_rebase_merge", true);
  return info;
}

} // namespace gitops::providers
