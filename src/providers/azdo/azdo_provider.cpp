#include "gitops/providers/azdo_provider.hpp"

#include "../json_fields.hpp"

#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <random>
#include <utility>

namespace gitops::providers {

using nlohmann::json;

namespace {

constexpr std::string_view k_zero_sha = "0000000000000000000000000000000000000000";
constexpr std::string_view k_heads = "refs/heads/";
// Enough pages for 100 000 items; a server that never returns a short page must not loop forever.
constexpr int k_max_pages = 1000;

// Query values keep '/' readable (ref names); everything else outside the unreserved set is
// escaped.
std::string encode_query(std::string_view value) {
  std::string out;
  for (const char ch : value) {
    if (ch == '/') {
      out.push_back(ch);
    } else {
      out += encode_path_segment(std::string_view(&ch, 1));
    }
  }
  return out;
}

bool contains_icase(std::string_view haystack, std::string_view needle) {
  return util::to_lower(haystack).find(util::to_lower(needle)) != std::string::npos;
}

// A string member, or "" (the providers' shared reading).
std::string text_of(const json &object, const char *key) {
  return detail::string_or_empty(object, key);
}

const json &member(const json &object, const char *key) {
  static const json k_null;
  if (object.is_object()) {
    const auto it = object.find(key);
    if (it != object.end()) {
      return *it;
    }
  }
  return k_null;
}

const json &value_array(const json &body) {
  static const json k_empty = json::array();
  const json &value = member(body, "value");
  return value.is_array() ? value : k_empty;
}

std::string short_ref(const std::string &ref) {
  return ref.rfind(k_heads, 0) == 0 ? ref.substr(k_heads.size()) : ref;
}

std::string merge_strategy(config::MergeMethod method) {
  switch (method) {
  case config::MergeMethod::squash:
    return "squash";
  case config::MergeMethod::rebase:
    return "rebase";
  case config::MergeMethod::merge:
    break;
  }
  return "noFastForward";
}

json completion_options(config::MergeMethod method) {
  return json{{"mergeStrategy", merge_strategy(method)}, {"deleteSourceBranch", true}};
}

std::string dump(const json &body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool is_flux_genre(std::string_view genre) {
  return genre.empty() || genre == "fluxcd" || genre.rfind("fluxcd:", 0) == 0;
}

std::optional<StatusState> map_state(std::string_view state) {
  if (state == "succeeded") {
    return StatusState::success;
  }
  if (state == "failed") {
    return StatusState::failure;
  }
  if (state == "error") {
    return StatusState::error;
  }
  if (state == "pending" || state == "notSet" || state.empty()) {
    return StatusState::pending;
  }
  return std::nullopt; // notApplicable, or a state newer than 7.1 (partiallySucceeded)
}

std::string random_hex() {
  std::random_device device;
  std::uniform_int_distribution<unsigned> digit(0, 15);
  std::string out;
  for (int i = 0; i < 16; ++i) {
    out.push_back("0123456789abcdef"[digit(device)]);
  }
  return out;
}

struct ParsedPr {
  PullRequest pr;
  std::string creator;
};

ParsedPr parse_pr(const json &j, const std::string &web_repo_url) {
  ParsedPr out;
  auto &pr = out.pr;
  const json &id = member(j, "pullRequestId");
  pr.number = id.is_number_integer() ? id.get<long>() : 0;
  pr.id = std::to_string(pr.number);
  pr.title = text_of(j, "title");
  pr.description = text_of(j, "description");
  pr.head_branch = short_ref(text_of(j, "sourceRefName"));
  pr.base_branch = short_ref(text_of(j, "targetRefName"));
  pr.head_sha = text_of(member(j, "lastMergeSourceCommit"), "commitId");
  const std::string web = text_of(member(j, "repository"), "webUrl");
  pr.url = (web.empty() ? web_repo_url : web) + "/pullrequest/" + pr.id;
  const std::string status = text_of(j, "status");
  pr.state = status == "completed"   ? PrState::merged
             : status == "abandoned" ? PrState::closed
                                     : PrState::open;
  const std::string auto_by = text_of(member(j, "autoCompleteSetBy"), "id");
  pr.auto_merge = !auto_by.empty() && auto_by != k_azdo_null_identity;
  if (status == "completed") {
    const std::string merge = text_of(member(j, "lastMergeCommit"), "commitId");
    if (!merge.empty()) {
      pr.merge_commit = merge;
    }
  }
  out.creator = text_of(member(j, "createdBy"), "id");
  return out;
}

} // namespace

struct AzdoProvider::Reply {
  long status = 0;
  json body;
};

AzdoProvider::AzdoProvider(AzdoRepo repo, std::string token, http::HttpClient &http,
                           std::string user_agent)
    : m_repo(std::move(repo)), m_repo_url(azdo_repository_api_url(m_repo)),
      m_authorization("Basic " + util::base64_encode(":" + token)),
      m_user_agent(std::move(user_agent)), m_http(http) {
  if (token.empty()) {
    throw ProviderError("Azure DevOps needs a token (--token, GITOPS_PROMOTION_TOKEN, "
                        "SYSTEM_ACCESSTOKEN or AZURE_DEVOPS_EXT_PAT)");
  }
}

std::string AzdoProvider::url(const std::string &sub_path, const Query &query) const {
  std::string out = m_repo_url + sub_path + "?";
  for (const auto &[key, value] : query) {
    out += key + "=" + encode_query(value) + "&";
  }
  out += "api-version=";
  out += k_azdo_api_version;
  return out;
}

AzdoProvider::Reply AzdoProvider::call(const std::string &method, const std::string &sub_path,
                                       const Query &query, const std::optional<std::string> &body,
                                       bool idempotent, const std::string &action,
                                       bool allow_not_found) {
  http::Request request;
  request.method = method;
  request.url = url(sub_path, query);
  request.headers.emplace("Authorization", m_authorization);
  request.headers.emplace("Accept", "application/json");
  request.headers.emplace("User-Agent", m_user_agent);
  if (body) {
    request.headers.emplace("Content-Type", "application/json");
    request.body = *body;
  }
  request.idempotent = idempotent;
  const http::Response response = m_http.send(request);

  const std::string where = method + " " + request.url;
  const std::string content_type = response.header("Content-Type").value_or("");
  const auto first = response.body.find_first_not_of(" \t\r\n");
  const bool html = contains_icase(content_type, "text/html") ||
                    (first != std::string::npos && response.body[first] == '<');
  const std::string location = response.header("Location").value_or("");
  // Only Azure's sign-in endpoints count: a project or repository may well be called "signin".
  const auto is_sign_in_url = [](const std::string &u) {
    return contains_icase(u, "/_signin") || contains_icase(u, "login.microsoftonline.com") ||
           contains_icase(u, "/_apis/signin");
  };
  const bool sign_in =
      (!response.url.empty() && response.url != request.url && is_sign_in_url(response.url)) ||
      is_sign_in_url(location);
  const auto token_rejected = [&](const std::string &how) {
    return ProviderError("Azure DevOps rejected the token (" + how + ") for " + action + " (" +
                             where +
                             "): check that the personal access token or System.AccessToken is "
                             "valid, not expired, and has the Code (Read & Write) scope",
                         response.status);
  };
  if (response.status == 401) {
    throw token_rejected("HTTP 401");
  }
  if (response.status == 203 ||
      ((response.status / 100 == 2 || response.status / 100 == 3) && (html || sign_in))) {
    throw token_rejected("HTTP " + std::to_string(response.status) + " with a sign-in page");
  }
  json parsed;
  const bool parsed_ok = [&] {
    if (first == std::string::npos) {
      return true;
    }
    parsed = json::parse(response.body, nullptr, false);
    return !parsed.is_discarded();
  }();
  if (response.status / 100 == 2) {
    if (!parsed_ok) {
      throw ProviderError("Azure DevOps answered " + action + " (" + where +
                              ") with a body that is not JSON",
                          response.status);
    }
    return Reply{response.status, std::move(parsed)};
  }
  if (response.status == 404 && allow_not_found) {
    return Reply{response.status, parsed_ok ? std::move(parsed) : json()};
  }
  std::string message = parsed_ok ? text_of(parsed, "message") : std::string();
  if (message.empty()) {
    message = response.body.substr(0, 300);
  }
  if (message.empty()) {
    message = "(no message)";
  }
  const std::string said = "HTTP " + std::to_string(response.status) + ": " + message;
  if (response.status == 403 || message.find("TF401019") != std::string::npos ||
      message.find("TF401027") != std::string::npos) {
    throw ProviderError("missing permission or repository for " + action + " (" + where + ", " +
                            said + "): check that " + m_repo.organization + "/" + m_repo.project +
                            "/" + m_repo.repository +
                            " exists and the token's identity may contribute, create branches and "
                            "contribute to pull requests there",
                        response.status);
  }
  if (message.find("TF402") != std::string::npos || contains_icase(message, "policy") ||
      contains_icase(message, "policies")) {
    throw ProviderError("a branch policy blocked " + action + " (" + where + ", " + said + ")",
                        response.status);
  }
  if (response.status / 100 == 3) {
    throw ProviderError("Azure DevOps redirected " + action + " (" + where + ") to '" + location +
                            "'; check --api-url",
                        response.status);
  }
  throw ProviderError("Azure DevOps " + action + " failed: " + where + " answered " + said,
                      response.status);
}

PullRequest AzdoProvider::remember(PullRequest pr, const std::string &creator) {
  if (!creator.empty()) {
    m_creators[pr.number] = creator;
  }
  return pr;
}

std::vector<PullRequest> AzdoProvider::list_prs(const Query &criteria) {
  std::vector<PullRequest> out;
  for (int page = 0; page < k_max_pages; ++page) {
    Query query = criteria;
    query.emplace_back("$top", std::to_string(m_page_size));
    query.emplace_back("$skip", std::to_string(page * m_page_size));
    const Reply reply =
        call("GET", "/pullrequests", query, std::nullopt, true, "list pull requests");
    const json &items = value_array(reply.body);
    for (const json &item : items) {
      auto parsed = parse_pr(item, azdo_push_url(m_repo));
      out.push_back(remember(std::move(parsed.pr), parsed.creator));
    }
    if (static_cast<int>(items.size()) < m_page_size) {
      break;
    }
  }
  return out;
}

std::optional<PullRequest> AzdoProvider::find_open_pr(const std::string &head,
                                                      const std::string &base) {
  const auto prs = list_prs({{"searchCriteria.sourceRefName", std::string(k_heads) + head},
                             {"searchCriteria.targetRefName", std::string(k_heads) + base},
                             {"searchCriteria.status", "active"}});
  std::optional<PullRequest> found;
  for (const auto &pr : prs) {
    // The service filters already; checking again keeps a lenient server from handing us another
    // PR.
    if (pr.head_branch == head && pr.base_branch == base && pr.state == PrState::open &&
        (!found || pr.number < found->number)) {
      found = pr;
    }
  }
  return found;
}

PullRequest AzdoProvider::update_pr(const PullRequest &pr, const std::string &title,
                                    const std::string &description) {
  const json body{{"title", title}, {"description", description}};
  const Reply reply = call("PATCH", "/pullrequests/" + std::to_string(pr.number), {}, dump(body),
                           true, "update pull request #" + std::to_string(pr.number));
  auto parsed = parse_pr(reply.body, azdo_push_url(m_repo));
  return remember(std::move(parsed.pr), parsed.creator);
}

PullRequest AzdoProvider::create_pr(const std::string &head, const std::string &base,
                                    const std::string &title, const std::string &description) {
  const json body{{"sourceRefName", std::string(k_heads) + head},
                  {"targetRefName", std::string(k_heads) + base},
                  {"title", title},
                  {"description", description}};
  const std::string action = "create pull request " + head + " -> " + base;
  // A create that timed out may have succeeded, and a concurrent run may have won the race (409
  // TF401179): in both cases look again and update what is there, so there is never a second PR.
  const auto relook = [&]() -> std::optional<PullRequest> {
    if (auto existing = find_open_pr(head, base)) {
      return update_pr(*existing, title, description);
    }
    return std::nullopt;
  };
  try {
    const Reply reply = call("POST", "/pullrequests", {}, dump(body), false, action);
    auto parsed = parse_pr(reply.body, azdo_push_url(m_repo));
    return remember(std::move(parsed.pr), parsed.creator);
  } catch (const ProviderError &error) {
    if (error.status() != 409) {
      throw;
    }
    if (auto pr = relook()) {
      return *pr;
    }
    throw;
  } catch (const HttpError &) {
    if (auto pr = relook()) {
      return *pr;
    }
    throw;
  }
}

std::string AzdoProvider::creator_of(const PullRequest &pr) {
  const auto it = m_creators.find(pr.number);
  if (it != m_creators.end()) {
    return it->second;
  }
  const Reply reply = call("GET", "/pullrequests/" + std::to_string(pr.number), {}, std::nullopt,
                           true, "read pull request #" + std::to_string(pr.number));
  auto parsed = parse_pr(reply.body, azdo_push_url(m_repo));
  if (parsed.creator.empty()) {
    throw ProviderError("Azure DevOps did not say who created pull request #" +
                        std::to_string(pr.number) + ", so auto-complete cannot be set");
  }
  m_creators[pr.number] = parsed.creator;
  return parsed.creator;
}

void AzdoProvider::set_auto_merge(const PullRequest &pr, bool enabled, config::MergeMethod method) {
  json body;
  if (enabled) {
    body = json{{"autoCompleteSetBy", {{"id", creator_of(pr)}}},
                {"completionOptions", completion_options(method)}};
  } else {
    body = json{{"autoCompleteSetBy", {{"id", std::string(k_azdo_null_identity)}}}};
  }
  const std::string action = std::string(enabled ? "set" : "clear") +
                             " auto-complete on pull request #" + std::to_string(pr.number);
  (void)call("PATCH", "/pullrequests/" + std::to_string(pr.number), {}, dump(body), true, action);
}

std::optional<PullRequest> AzdoProvider::find_merged_pr_for_commit(const std::string &sha) {
  const json body{
      {"queries", json::array({{{"items", json::array({sha})}, {"type", "lastMergeCommit"}}})}};
  const Reply reply = call("POST", "/pullrequestquery", {}, dump(body), true,
                           "find the pull request that produced commit " + sha);
  const json &results = member(reply.body, "results");
  if (!results.is_array() || results.empty() || !results[0].is_object()) {
    return std::nullopt;
  }
  for (const auto &[key, prs] : results[0].items()) {
    if (util::to_lower(key) != util::to_lower(sha) || !prs.is_array() || prs.empty()) {
      continue;
    }
    const json *chosen = &prs[0];
    for (const json &candidate : prs) {
      if (text_of(candidate, "status") == "completed") {
        chosen = &candidate;
        break;
      }
    }
    auto parsed = parse_pr(*chosen, azdo_push_url(m_repo));
    return remember(std::move(parsed.pr), parsed.creator);
  }
  return std::nullopt;
}

std::vector<PullRequest> AzdoProvider::find_open_prs_for_commit(const std::string &sha) {
  std::vector<PullRequest> out;
  for (auto &pr : list_prs({{"searchCriteria.status", "active"}})) {
    if (!pr.head_sha.empty() && util::to_lower(pr.head_sha) == util::to_lower(sha)) {
      out.push_back(std::move(pr));
    }
  }
  return out;
}

std::vector<CommitStatus> AzdoProvider::list_statuses(const std::string &sha) {
  std::vector<std::pair<std::string, CommitStatus>> dated;
  for (int page = 0; page < k_max_pages; ++page) {
    const Reply reply =
        call("GET", "/commits/" + encode_path_segment(sha) + "/statuses",
             {{"top", std::to_string(m_page_size)}, {"skip", std::to_string(page * m_page_size)}},
             std::nullopt, true, "list statuses of commit " + sha);
    const json &items = value_array(reply.body);
    for (const json &item : items) {
      const auto state = map_state(text_of(item, "state"));
      if (!state) {
        continue;
      }
      const json &context = member(item, "context");
      const std::string genre = text_of(context, "genre");
      const std::string name = text_of(context, "name");
      CommitStatus status;
      status.context = is_flux_genre(genre) ? name : genre + "/" + name;
      status.state = *state;
      status.description = text_of(item, "description");
      dated.emplace_back(text_of(item, "creationDate"), std::move(status));
    }
    if (static_cast<int>(items.size()) < m_page_size) {
      break;
    }
  }
  // ISO 8601 timestamps in one format order as text; equal or missing dates keep the server's
  // order.
  std::stable_sort(dated.begin(), dated.end(),
                   [](const auto &a, const auto &b) { return a.first > b.first; });
  std::vector<CommitStatus> out;
  out.reserve(dated.size());
  for (auto &entry : dated) {
    out.push_back(std::move(entry.second));
  }
  return out;
}

void AzdoProvider::set_status(const std::string &sha, const CommitStatus &status) {
  std::string state(to_string(status.state));
  if (status.state == StatusState::success) {
    state = "succeeded";
  } else if (status.state == StatusState::failure) {
    state = "failed";
  }
  const json body{{"state", state},
                  {"description", status.description},
                  {"context", {{"genre", "fluxcd"}, {"name", status.context}}}};
  (void)call("POST", "/commits/" + encode_path_segment(sha) + "/statuses", {}, dump(body), true,
             "set status " + status.context + " on commit " + sha);
}

void AzdoProvider::merge_pr(const PullRequest &pr, config::MergeMethod method) {
  const json body{{"status", "completed"},
                  {"lastMergeSourceCommit", {{"commitId", pr.head_sha}}},
                  {"completionOptions", completion_options(method)}};
  const std::string action = "complete pull request #" + std::to_string(pr.number);
  const Reply reply =
      call("PATCH", "/pullrequests/" + std::to_string(pr.number), {}, dump(body), true, action);
  const std::string merge_status = text_of(reply.body, "mergeStatus");
  if (merge_status == "rejectedByPolicy") {
    throw ProviderError("a branch policy blocked " + action + ": " +
                        text_of(reply.body, "mergeFailureMessage"));
  }
  if (merge_status == "conflicts" || merge_status == "failure") {
    throw ProviderError("could not " + action + " (" + merge_status +
                        "): " + text_of(reply.body, "mergeFailureMessage"));
  }
}

std::optional<std::string> AzdoProvider::branch_head(const std::string &branch) {
  const std::string ref = std::string(k_heads) + branch;
  const Reply reply = call("GET", "/refs", {{"filter", "heads/" + branch}}, std::nullopt, true,
                           "read branch " + branch);
  // `filter` is a prefix match, so pick the exact name.
  for (const json &item : value_array(reply.body)) {
    if (text_of(item, "name") == ref) {
      return text_of(item, "objectId");
    }
  }
  return std::nullopt;
}

bool AzdoProvider::item_exists(const std::string &path, const std::string &commit) {
  const Reply reply = call("GET", "/items",
                           {{"scopePath", "/" + path},
                            {"recursionLevel", "none"},
                            {"versionDescriptor.version", commit},
                            {"versionDescriptor.versionType", "commit"}},
                           std::nullopt, true, "look up " + path + " at " + commit, true);
  return reply.status != 404;
}

void AzdoProvider::update_refs(const std::string &body, const std::string &action,
                               const std::string &best_effort_ref) {
  const Reply reply = call("POST", "/refs", {}, body, false, action);
  for (const json &result : value_array(reply.body)) {
    const std::string status = text_of(result, "updateStatus");
    const json &success = member(result, "success");
    const std::string name = text_of(result, "name");
    if ((success.is_boolean() && success.get<bool>()) || status == "succeeded" ||
        (!best_effort_ref.empty() && name == best_effort_ref)) {
      continue;
    }
    std::string hint;
    if (status == "forcePushRequired") {
      hint = ": the token's identity needs the Force push permission on " + name;
    } else if (status == "staleOldObjectId") {
      hint = ": " + name + " moved while we worked (another push); run again";
    } else if (status == "rejectedByPolicy") {
      hint = ": a branch policy rejected it";
    } else if (status == "createBranchPermissionRequired" || status == "writePermissionRequired") {
      hint = ": the token's identity lacks that permission";
    }
    const std::string custom = text_of(result, "customMessage");
    throw ProviderError("Azure DevOps refused to " + action + " (" + name + ": " +
                        (status.empty() ? "failed" : status) + ")" + hint +
                        (custom.empty() ? "" : " (" + custom + ")"));
  }
}

std::string AzdoProvider::commit_via_api(const ApiCommit &api_commit) {
  const std::string &branch = api_commit.branch;
  const std::string &base_sha = api_commit.base_sha;
  const std::vector<FileChange> &changes = api_commit.changes;
  const std::string &message = api_commit.message;
  if (changes.empty()) {
    throw ProviderError("nothing to commit on " + branch + ": no file changes");
  }
  json json_changes = json::array();
  for (const auto &change : changes) {
    std::string path = change.path;
    while (!path.empty() && path.front() == '/') {
      path.erase(0, 1);
    }
    if (change.remove) {
      json_changes.push_back({{"changeType", "delete"}, {"item", {{"path", "/" + path}}}});
      continue;
    }
    const bool text = util::is_valid_utf8(change.content);
    json_changes.push_back(
        {{"changeType", item_exists(path, base_sha) ? "edit" : "add"},
         {"item", {{"path", "/" + path}}},
         {"newContent",
          {{"content", text ? change.content : util::base64_encode(change.content)},
           {"contentType", text ? "rawText" : "base64Encoded"}}}});
  }
  const json commit{
      {"comment", message},
      {"author", {{"name", api_commit.author.name}, {"email", api_commit.author.email}}},
      {"changes", json_changes}};
  const auto push = [&](const std::string &ref) {
    const json body{{"refUpdates", json::array({{{"name", ref}, {"oldObjectId", base_sha}}})},
                    {"commits", json::array({commit})}};
    const Reply reply =
        call("POST", "/pushes", {}, dump(body), false, "push a commit to " + short_ref(ref));
    const json &commits = member(reply.body, "commits");
    std::string id;
    if (commits.is_array() && !commits.empty()) {
      id = text_of(commits[0], "commitId");
    }
    if (id.empty()) {
      const json &updates = member(reply.body, "refUpdates");
      if (updates.is_array() && !updates.empty()) {
        id = text_of(updates[0], "newObjectId");
      }
    }
    if (id.empty()) {
      throw ProviderError("Azure DevOps accepted the push to " + short_ref(ref) +
                          " but did not say which commit it created");
    }
    return id;
  };
  const auto ref_update = [](const std::string &name, std::string_view old_id,
                             std::string_view new_id) {
    return json{{"name", name}, {"oldObjectId", old_id}, {"newObjectId", new_id}};
  };

  const std::string ref = std::string(k_heads) + branch;
  const auto current = branch_head(branch);
  if (!current) {
    update_refs(dump(json::array({ref_update(ref, k_zero_sha, base_sha)})),
                "create branch " + branch);
    return push(ref);
  }
  if (*current == base_sha) {
    return push(ref);
  }
  const std::string temp = std::string(k_heads) + "gitops-promotion-tmp/" + random_hex();
  update_refs(dump(json::array({ref_update(temp, k_zero_sha, base_sha)})),
              "create temporary branch " + short_ref(temp));
  const auto drop_temp = [&](std::string_view at) {
    try {
      update_refs(dump(json::array({ref_update(temp, at, k_zero_sha)})),
                  "delete temporary branch " + short_ref(temp));
    } catch (const Error &) {
      // Best effort: the first error is the one worth reporting.
    }
  };
  std::string commit_id;
  try {
    commit_id = push(temp);
  } catch (const Error &) {
    drop_temp(base_sha);
    throw;
  }
  try {
    update_refs(dump(json::array({ref_update(ref, *current, commit_id),
                                  ref_update(temp, commit_id, k_zero_sha)})),
                "move " + branch + " to the new commit", temp);
  } catch (const Error &) {
    drop_temp(commit_id);
    throw;
  }
  return commit_id;
}

} // namespace gitops::providers
