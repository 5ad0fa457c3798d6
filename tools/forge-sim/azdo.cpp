// Azure DevOps Git REST routes (api-version 7.1). Shapes follow Microsoft's git 7.1 description
// (definitions GitPullRequest, GitRepository, IdentityRef, GitStatus, GitPush, GitRef,
// GitRefUpdateResult, GitItem, GitPullRequestQuery), so Prism validates every answer.
#include "azdo.hpp"

#include "http_util.hpp"
#include "server.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

namespace forge_sim {
namespace {

using nlohmann::json;
using Params = std::vector<std::string>;

constexpr const char *k_zero = "0000000000000000000000000000000000000000";
constexpr const char *k_null_identity = "00000000-0000-0000-0000-000000000000";
const std::string k_heads = "refs/heads/";

std::string encode_segment(const std::string &s) {
  static const char *k_hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(k_hex[c >> 4U]);
      out.push_back(k_hex[c & 15U]);
    }
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A stable UUID-shaped id for `seed`, so identities, projects and repositories keep their ids.
std::string uuid_for(const std::string &seed) {
  const std::uint64_t a = std::hash<std::string>{}(seed);
  const std::uint64_t b = std::hash<std::string>{}(seed + "#");
  char buf[48];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(a >> 32U),
                static_cast<unsigned>((a >> 16U) & 0xFFFFU), static_cast<unsigned>(a & 0xFFFU),
                static_cast<unsigned>((b >> 52U) & 0xFFFU),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

// Azure's error shape; `type_key` is the exception name the service reports.
void send_azdo_error(httplib::Response &res, int status, const std::string &message,
                     const std::string &type_key) {
  send_json(res, status,
            {{"$id", "1"},
             {"innerException", nullptr},
             {"message", message},
             {"typeName", "Microsoft.TeamFoundation.Git.Server." + type_key +
                              ", Microsoft.TeamFoundation.Git.Server"},
             {"typeKey", type_key},
             {"errorCode", 0},
             {"eventId", 3000}});
}

std::string azure_state(const std::string &ours) {
  if (ours == "success") {
    return "succeeded";
  }
  if (ours == "failure") {
    return "failed";
  }
  if (ours == "error") {
    return "error";
  }
  return "pending";
}

std::optional<std::string> our_state(const std::string &azure) {
  if (azure == "succeeded") {
    return "success";
  }
  if (azure == "failed") {
    return "failure";
  }
  if (azure == "error") {
    return "error";
  }
  if (azure == "pending" || azure == "notSet" || azure == "notApplicable") {
    return "pending";
  }
  return std::nullopt;
}

std::optional<MergeMethod> strategy_method(const std::string &strategy) {
  if (strategy == "noFastForward" || strategy == "rebaseMerge") {
    return MergeMethod::merge;
  }
  if (strategy == "squash") {
    return MergeMethod::squash;
  }
  if (strategy == "rebase") {
    return MergeMethod::rebase;
  }
  return std::nullopt;
}

bool is_flux_genre(const std::string &genre) {
  return genre.empty() || genre == "fluxcd" || genre.rfind("fluxcd:", 0) == 0;
}

std::string strip_slashes(std::string path) {
  while (!path.empty() && path.front() == '/') {
    path.erase(0, 1);
  }
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  return path;
}

class AzdoApi {
public:
  explicit AzdoApi(Simulator &sim) : m_sim(sim), m_state(sim.state()) {}

  void register_routes(Router &router) {
    const std::string p = "/{org}/{project}/_apis/git/repositories/{repo}";
    const auto bind =
        [this](void (AzdoApi::*fn)(const httplib::Request &, httplib::Response &, const Params &)) {
          return [this, fn](const httplib::Request &req, httplib::Response &res,
                            const Params &params) { (this->*fn)(req, res, params); };
        };
    router.add("GET", p + "/pullrequests", bind(&AzdoApi::list_prs));
    router.add("POST", p + "/pullrequests", bind(&AzdoApi::create_pr));
    router.add("GET", p + "/pullrequests/{id}", bind(&AzdoApi::get_pr));
    router.add("PATCH", p + "/pullrequests/{id}", bind(&AzdoApi::update_pr));
    router.add("POST", p + "/pullrequestquery", bind(&AzdoApi::query_prs));
    router.add("GET", p + "/commits/{sha}/statuses", bind(&AzdoApi::list_statuses));
    router.add("POST", p + "/commits/{sha}/statuses", bind(&AzdoApi::create_status));
    router.add("GET", p + "/refs", bind(&AzdoApi::list_refs));
    router.add("POST", p + "/refs", bind(&AzdoApi::update_refs));
    router.add("POST", p + "/pushes", bind(&AzdoApi::create_push));
    router.add("GET", p + "/items", bind(&AzdoApi::list_items));
  }

private:
  struct Ctx {
    Repo *repo = nullptr;
    std::string org;
    std::string project;
  };

  struct Completion {
    json options = json::object();
    bool swept = false;
  };

  struct StatusExtra {
    std::string genre;
    std::string name;
    std::string azure_state;
  };

  // Checks api-version and finds the repository; answers the error itself and returns nullopt.
  std::optional<Ctx> open(const httplib::Request &req, httplib::Response &res,
                          const Params &params) {
    if (!query(req, "api-version")) {
      send_azdo_error(res, 400,
                      "No api-version was supplied for the \"" + req.method +
                          "\" request. The version must be supplied either as part of the Accept "
                          "header (e.g. \"application/json; api-version=1.0\") or as a query "
                          "parameter (e.g. '?api-version=1.0').",
                      "VssVersionNotSpecifiedException");
      return std::nullopt;
    }
    sweep();
    Ctx ctx;
    ctx.org = params.at(0);
    ctx.project = params.at(1);
    ctx.repo = m_state.find_repo(params.at(0), params.at(2));
    if (ctx.repo == nullptr) {
      send_azdo_error(res, 404,
                      "TF401019: The Git repository with name or identifier " + params.at(2) +
                          " does not exist or you do not have permissions for the operation you "
                          "are attempting.",
                      "GitRepositoryNotFoundException");
      return std::nullopt;
    }
    return ctx;
  }

  [[nodiscard]] std::string web_url(const Ctx &c) const {
    return m_sim.base_url() + "/" + encode_segment(c.org) + "/" + encode_segment(c.project) +
           "/_git/" + encode_segment(c.repo->name);
  }

  [[nodiscard]] std::string api_url(const Ctx &c) const {
    return m_sim.base_url() + "/" + encode_segment(c.org) + "/" + encode_segment(c.project) +
           "/_apis/git/repositories/" + encode_segment(c.repo->name);
  }

  [[nodiscard]] json identity(const std::string &user) const {
    const std::string id = uuid_for("user:" + user);
    return {{"id", id},
            {"displayName", user},
            {"uniqueName", user + "@forge-sim.invalid"},
            {"url", m_sim.base_url() + "/_apis/Identities/" + id}};
  }

  [[nodiscard]] json repo_json(const Ctx &c) const {
    return {{"id", uuid_for("repo:" + c.repo->key())},
            {"name", c.repo->name},
            {"url", api_url(c)},
            {"webUrl", web_url(c)},
            {"remoteUrl", web_url(c)},
            {"defaultBranch", k_heads + c.repo->settings.default_branch},
            {"project",
             {{"id", uuid_for("project:" + c.org + "/" + c.project)},
              {"name", c.project},
              {"state", "wellFormed"},
              {"visibility", "private"}}}};
  }

  static std::pair<std::string, long> key_of(const PullRequest &pr) {
    return {pr.repo_key, pr.number};
  }

  json pr_json(const Ctx &c, PullRequest &pr, const GitRepo &git) {
    m_state.refresh(pr, git);
    json j = {{"repository", repo_json(c)},
              {"pullRequestId", pr.number},
              {"codeReviewId", pr.number},
              {"createdBy", identity(pr.user)},
              {"creationDate", pr.created_at},
              {"title", pr.title},
              {"description", pr.body},
              {"sourceRefName", k_heads + pr.head_ref},
              {"targetRefName", k_heads + pr.base_ref},
              {"isDraft", pr.draft},
              {"mergeId", uuid_for("merge:" + pr.repo_key + "#" + std::to_string(pr.number))},
              {"supportsIterations", true},
              {"reviewers", json::array()},
              {"url", api_url(c) + "/pullRequests/" + std::to_string(pr.number)}};
    if (!pr.head_sha.empty()) {
      j["lastMergeSourceCommit"] = {{"commitId", pr.head_sha},
                                    {"url", api_url(c) + "/commits/" + pr.head_sha}};
    }
    if (!pr.base_sha.empty()) {
      j["lastMergeTargetCommit"] = {{"commitId", pr.base_sha},
                                    {"url", api_url(c) + "/commits/" + pr.base_sha}};
    }
    std::string merge_status = "notSet";
    if (pr.state == "open") {
      j["status"] = "active";
      try {
        if (!pr.head_sha.empty() && !pr.base_sha.empty()) {
          merge_status = git.can_merge(pr.base_sha, pr.head_sha) ? "succeeded" : "conflicts";
        }
      } catch (const GitOpError &) {
        merge_status = "failure";
      }
    } else {
      j["status"] = pr.merged ? "completed" : "abandoned";
      if (pr.closed_at) {
        j["closedDate"] = *pr.closed_at;
      }
      j["closedBy"] = identity(pr.merged_by.value_or(pr.user));
      if (pr.merged) {
        merge_status = "succeeded";
        if (pr.merge_commit_sha) {
          j["lastMergeCommit"] = {{"commitId", *pr.merge_commit_sha},
                                  {"url", api_url(c) + "/commits/" + *pr.merge_commit_sha}};
        }
      }
    }
    j["mergeStatus"] = merge_status;
    if (pr.auto_merge) {
      json by = identity(pr.user);
      by["id"] = pr.auto_merge->enabled_by;
      j["autoCompleteSetBy"] = by;
    }
    const auto it = m_completions.find(key_of(pr));
    if (it != m_completions.end() && !it->second.options.empty()) {
      j["completionOptions"] = it->second.options;
    }
    return j;
  }

  // Completed PRs with deleteSourceBranch lose their source branch, whoever completed them (the
  // shared auto-merge evaluation merges without knowing about Azure's completion options).
  void sweep() {
    for (auto &[key, completion] : m_completions) {
      if (completion.swept || !completion.options.value("deleteSourceBranch", false)) {
        continue;
      }
      PullRequest *pr = m_state.find_pr(key.first, key.second);
      if (pr == nullptr || !pr->merged) {
        continue;
      }
      completion.swept = true;
      delete_source_branch(*pr);
    }
  }

  void delete_source_branch(const PullRequest &pr) {
    const auto slash = pr.repo_key.find('/');
    Repo *repo = m_state.find_repo(pr.repo_key.substr(0, slash), pr.repo_key.substr(slash + 1));
    if (repo == nullptr) {
      return;
    }
    for (const PullRequest *other : m_state.prs_of(pr.repo_key)) {
      if (other->state == "open" && other->head_ref == pr.head_ref) {
        return;
      }
    }
    try {
      GitRepo git = m_state.open_git(*repo);
      const std::string ref = k_heads + pr.head_ref;
      if (git.ref_target(ref) == pr.head_sha) {
        git.delete_ref(ref);
      }
    } catch (const GitOpError &) {
      // Leaving the branch behind is harmless.
    }
  }

  static std::pair<std::size_t, std::size_t> window(const httplib::Request &req,
                                                    const std::string &top_name,
                                                    const std::string &skip_name,
                                                    std::size_t default_top) {
    const auto number = [](const std::optional<std::string> &text, std::size_t fallback) {
      if (!text || text->empty() || text->size() > 9 ||
          !std::all_of(text->begin(), text->end(), ::isdigit)) {
        return fallback;
      }
      return static_cast<std::size_t>(std::stoul(*text));
    };
    return {number(query(req, top_name), default_top), number(query(req, skip_name), 0)};
  }

  static json envelope(const json &all, std::size_t top, std::size_t skip) {
    json value = json::array();
    for (std::size_t i = skip; i < all.size() && value.size() < top; ++i) {
      value.push_back(all[i]);
    }
    return {{"count", value.size()}, {"value", value}};
  }

  void list_prs(const httplib::Request &req, httplib::Response &res, const Params &params) {
    auto c = open(req, res, params);
    if (!c) {
      return;
    }
    const std::string status = query(req, "searchCriteria.status").value_or("active");
    const auto source = query(req, "searchCriteria.sourceRefName");
    const auto target = query(req, "searchCriteria.targetRefName");
    GitRepo git = m_state.open_git(*c->repo);
    auto prs = m_state.prs_of(c->repo->key());
    // Newest first, as the service lists them.
    std::sort(prs.begin(), prs.end(),
              [](const PullRequest *a, const PullRequest *b) { return a->number > b->number; });
    json all = json::array();
    for (PullRequest *pr : prs) {
      const std::string pr_status =
          pr->state == "open" ? "active" : (pr->merged ? "completed" : "abandoned");
      if (status != "all" && pr_status != status) {
        continue;
      }
      if ((source && lower(*source) != lower(k_heads + pr->head_ref)) ||
          (target && lower(*target) != lower(k_heads + pr->base_ref))) {
        continue;
      }
      all.push_back(pr_json(*c, *pr, git));
    }
    const auto [top, skip] = window(req, "$top", "$skip", 101);
    send_json(res, 200, envelope(all, top, skip));
  }

  void create_pr(const httplib::Request &req, httplib::Response &res, const Params &params) {
    auto c = open(req, res, params);
    if (!c) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    const std::string source = body->value("sourceRefName", std::string());
    const std::string target = body->value("targetRefName", std::string());
    if (source.rfind(k_heads, 0) != 0 || target.rfind(k_heads, 0) != 0) {
      send_azdo_error(res, 400,
                      "TF401398: The pull request cannot be activated because the source and/or "
                      "the target branch no longer exists, or the requested refs are not branches",
                      "GitPullRequestCannotBeActivated");
      return;
    }
    const std::string head = source.substr(k_heads.size());
    const std::string base = target.substr(k_heads.size());
    GitRepo git = m_state.open_git(*c->repo);
    if (!git.ref_target(source) || !git.ref_target(target)) {
      send_azdo_error(res, 400,
                      "TF401398: The pull request cannot be activated because the source and/or "
                      "the target branch no longer exists, or the requested refs are not branches",
                      "GitPullRequestCannotBeActivated");
      return;
    }
    if (head == base) {
      send_azdo_error(res, 400, "The source and target branch of a pull request must differ.",
                      "InvalidArgumentValueException");
      return;
    }
    for (const PullRequest *pr : m_state.prs_of(c->repo->key())) {
      if (pr->state == "open" && pr->head_ref == head && pr->base_ref == base) {
        send_azdo_error(res, 409,
                        "TF401179: An active pull request for the source and target branch "
                        "already exists.",
                        "GitPullRequestExistsException");
        return;
      }
    }
    PullRequest &pr = m_state.add_pr(*c->repo, body->value("title", std::string()),
                                     body->value("description", std::string()), head, base,
                                     body->value("isDraft", false), false);
    if (body->contains("completionOptions") && (*body)["completionOptions"].is_object()) {
      m_completions[key_of(pr)].options = (*body)["completionOptions"];
    }
    send_json(res, 201, pr_json(*c, pr, git));
  }

  PullRequest *find(const Ctx &c, const std::string &id, httplib::Response &res) {
    PullRequest *pr = nullptr;
    if (!id.empty() && id.size() < 10 && std::all_of(id.begin(), id.end(), ::isdigit)) {
      pr = m_state.find_pr(c.repo->key(), std::stol(id));
    }
    if (pr == nullptr) {
      send_azdo_error(res, 404, "TF401180: The requested pull request was not found.",
                      "GitPullRequestNotFoundException");
    }
    return pr;
  }

  void get_pr(const httplib::Request &req, httplib::Response &res, const Params &params) {
    auto c = open(req, res, params);
    if (!c) {
      return;
    }
    PullRequest *pr = find(*c, params.at(3), res);
    if (pr == nullptr) {
      return;
    }
    GitRepo git = m_state.open_git(*c->repo);
    send_json(res, 200, pr_json(*c, *pr, git));
  }

  void update_pr(const httplib::Request &req, httplib::Response &res, const Params &params) {
    auto c = open(req, res, params);
    if (!c) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    PullRequest *pr = find(*c, params.at(3), res);
    if (pr == nullptr) {
      return;
    }
    GitRepo git = m_state.open_git(*c->repo);
    m_state.refresh(*pr, git);
    Completion &completion = m_completions[key_of(*pr)];
    if (body->contains("completionOptions")) {
      const json &options = (*body)["completionOptions"];
      if (!options.is_object() ||
          (options.contains("mergeStrategy") &&
           (!options["mergeStrategy"].is_string() ||
            !strategy_method(options["mergeStrategy"].get<std::string>())))) {
        send_azdo_error(res, 400,
                        "Invalid completionOptions (mergeStrategy must be one of "
                        "noFastForward, squash, rebase, rebaseMerge).",
                        "InvalidArgumentValueException");
        return;
      }
      for (const auto &[k, v] : options.items()) {
        completion.options[k] = v;
      }
    }
    if (body->contains("title") && (*body)["title"].is_string()) {
      pr->title = (*body)["title"];
      pr->updated_at = now_iso();
    }
    if (body->contains("description") && (*body)["description"].is_string()) {
      pr->body = (*body)["description"];
      pr->updated_at = now_iso();
    }
    const auto method = strategy_method(completion.options.value("mergeStrategy", "noFastForward"))
                            .value_or(MergeMethod::merge);
    const std::string merge_title = completion.options.value(
        "mergeCommitMessage", "Merged PR " + std::to_string(pr->number) + ": " + pr->title);
    if (body->contains("autoCompleteSetBy")) {
      if (pr->state != "open") {
        send_azdo_error(res, 400, "The pull request is not active; auto-complete cannot be set.",
                        "InvalidPullRequestStatusException");
        return;
      }
      const json &by = (*body)["autoCompleteSetBy"];
      const std::string id = by.is_object() ? by.value("id", std::string()) : std::string();
      if (id.empty() || id == k_null_identity) {
        pr->auto_merge.reset();
      } else {
        AutoMerge am;
        am.method = method;
        am.enabled_by = id;
        am.enabled_at = now_iso();
        am.commit_title = merge_title;
        pr->auto_merge = am;
      }
    } else if (pr->auto_merge) {
      // Changed completion options apply to a pending auto-complete too.
      pr->auto_merge->method = method;
      pr->auto_merge->commit_title = merge_title;
    }
    if (body->contains("status")) {
      const json &status = (*body)["status"];
      const std::string wanted = status.is_string() ? status.get<std::string>() : "";
      if (wanted == "completed") {
        if (!complete(*c, *pr, *body, method, merge_title, res)) {
          return;
        }
        if (completion.options.value("deleteSourceBranch", false)) {
          completion.swept = true;
          delete_source_branch(*pr);
        }
      } else if (wanted == "abandoned") {
        if (pr->state == "open") {
          pr->state = "closed";
          pr->closed_at = now_iso();
          pr->updated_at = *pr->closed_at;
          pr->auto_merge.reset();
        }
      } else if (wanted == "active") {
        if (pr->state != "open" && !pr->merged) {
          pr->state = "open";
          pr->closed_at.reset();
          pr->updated_at = now_iso();
        }
      } else {
        send_azdo_error(res, 400, "Invalid pull request status '" + wanted + "'.",
                        "InvalidArgumentValueException");
        return;
      }
    }
    send_json(res, 200, pr_json(*c, *pr, git));
  }

  // Completes `pr` now; answers the error and returns false when it cannot be completed.
  bool complete(const Ctx &c, PullRequest &pr, const json &body, MergeMethod method,
                const std::string &title, httplib::Response &res) {
    if (pr.state != "open") {
      send_azdo_error(res, 409,
                      "TF401181: The pull request #" + std::to_string(pr.number) +
                          " is not active and cannot be completed.",
                      "InvalidPullRequestStatusException");
      return false;
    }
    std::optional<std::string> expected;
    const json &source =
        body.contains("lastMergeSourceCommit") ? body["lastMergeSourceCommit"] : json::object();
    if (source.is_object() && source.contains("commitId") && source["commitId"].is_string()) {
      expected = source["commitId"].get<std::string>();
    }
    const auto missing = m_state.missing_contexts(*c.repo, pr.head_sha);
    const auto refusal = m_state.merge_pr(pr, method, expected, title, std::nullopt, true);
    const std::string target = k_heads + pr.base_ref;
    switch (refusal) {
    case MergeRefusal::none:
      return true;
    case MergeRefusal::head_modified:
      send_azdo_error(res, 409,
                      "The pull request could not be completed: lastMergeSourceCommit " +
                          expected.value_or("") + " is not the tip of the source branch (" +
                          pr.head_sha + ").",
                      "GitPullRequestStaleException");
      return false;
    case MergeRefusal::checks_not_green:
      send_azdo_error(res, 409,
                      "TF402459: The pull request cannot be completed because it does not satisfy "
                      "the branch policy on " +
                          target + " requiring the status '" +
                          (missing.empty() ? std::string("?") : missing.front()) + "'.",
                      "PolicyViolationException");
      return false;
    case MergeRefusal::method_not_allowed:
      send_azdo_error(res, 409,
                      "The branch policy on " + target +
                          " does not allow the requested merge strategy.",
                      "PolicyViolationException");
      return false;
    case MergeRefusal::conflict:
      send_azdo_error(res, 409, "The pull request has merge conflicts and cannot be completed.",
                      "GitPullRequestMergeConflictException");
      return false;
    case MergeRefusal::head_missing:
      send_azdo_error(res, 400,
                      "TF401398: The pull request cannot be activated because the source and/or "
                      "the target branch no longer exists, or the requested refs are not branches",
                      "GitPullRequestCannotBeActivated");
      return false;
    case MergeRefusal::base_moved:
      send_azdo_error(res, 409, "The target branch moved while completing; try again.",
                      "GitReferenceStaleException");
      return false;
    case MergeRefusal::closed:
      break;
    }
    send_azdo_error(res, 409, "The pull request cannot be completed.",
                    "InvalidPullRequestStatusException");
    return false;
  }

  void query_prs(const httplib::Request &req, httplib::Response &res, const Params &params) {
    auto c = open(req, res, params);
    if (!c) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    const json queries = body->value("queries", json::array());
    if (!queries.is_array()) {
      send_azdo_error(res, 400, "queries must be an array.", "InvalidArgumentValueException");
      return;
    }
    GitRepo git = m_state.open_git(*c->repo);
    json results = json::array();
    for (const json &q : queries) {
      json result = json::object();
      const std::string type = q.is_object() ? q.value("type", std::string("lastMergeCommit"))
                                             : std::string("lastMergeCommit");
      const json items = q.is_object() ? q.value("items", json::array()) : json::array();
      for (const json &item : items) {
        if (!item.is_string()) {
          continue;
        }
        const std::string sha = lower(item.get<std::string>());
        json found = json::array();
        for (PullRequest *pr : m_state.prs_of(c->repo->key())) {
          const bool produced =
              std::find(pr->produced.begin(), pr->produced.end(), sha) != pr->produced.end();
          bool match = false;
          if (type == "commit") {
            match = pr->head_sha == sha || produced;
          } else {
            match = pr->merged && (pr->merge_commit_sha == sha || produced);
          }
          if (match) {
            found.push_back(pr_json(*c, *pr, git));
          }
        }
        if (!found.empty()) {
          result[item.get<std::string>()] = found;
        }
      }
      results.push_back(result);
    }
    send_json(res, 200, {{"queries", queries}, {"results", results}});
  }

  [[nodiscard]] json status_json(const Ctx &c, const CommitStatus &s) const {
    std::string genre;
    std::string name = s.context;
    std::string state = azure_state(s.state);
    if (const auto it = m_status_extra.find(s.id); it != m_status_extra.end()) {
      genre = it->second.genre;
      name = it->second.name;
      state = it->second.azure_state;
    } else if (s.creator == "flux") {
      genre = "fluxcd";
    } else if (const auto slash = s.context.find('/'); slash != std::string::npos) {
      genre = s.context.substr(0, slash);
      name = s.context.substr(slash + 1);
    }
    json context = {{"name", name}};
    if (!genre.empty()) {
      context["genre"] = genre;
    }
    json j = {{"id", s.id},
              {"state", state},
              {"description", s.description},
              {"context", context},
              {"creationDate", s.created_at},
              {"updatedDate", s.created_at},
              {"createdBy", identity(s.creator)},
              {"url", api_url(c) + "/commits/" + s.sha + "/statuses/" + std::to_string(s.id)}};
    if (!s.target_url.empty()) {
      j["targetUrl"] = s.target_url;
    }
    return j;
  }

  bool known_commit(const Ctx &c, const std::string &sha, httplib::Response &res) {
    GitRepo git = m_state.open_git(*c.repo);
    if (sha.size() == 40 && git.object_type(sha) == std::optional<std::string>("commit")) {
      return true;
    }
    send_azdo_error(res, 404,
                    "TF401175: The version descriptor <Commit: " + sha +
                        "> could not be resolved to a version in the repository " + c.repo->name,
                    "GitUnresolvableToCommitException");
    return false;
  }

  void list_statuses(const httplib::Request &req, httplib::Response &res, const Params &params) {
    auto c = open(req, res, params);
    if (!c) {
      return;
    }
    const std::string sha = lower(params.at(3));
    if (!known_commit(*c, sha, res)) {
      return;
    }
    json all = json::array();
    for (const CommitStatus *s : m_state.statuses_of(c->repo->key(), sha)) {
      all.push_back(status_json(*c, *s));
    }
    const auto [top, skip] = window(req, "top", "skip", 1000);
    send_json(res, 200, envelope(all, top, skip));
  }

  void create_status(const httplib::Request &req, httplib::Response &res, const Params &params) {
    auto c = open(req, res, params);
    if (!c) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    const std::string sha = lower(params.at(3));
    const std::string azure = body->value("state", std::string("notSet"));
    const auto state = our_state(azure);
    const json context = body->value("context", json::object());
    const std::string name = context.is_object() ? context.value("name", std::string()) : "";
    const std::string genre = context.is_object() ? context.value("genre", std::string()) : "";
    if (!state || name.empty()) {
      send_azdo_error(res, 400,
                      "A status needs a state (notSet, pending, succeeded, failed, error, "
                      "notApplicable) and context.name.",
                      "InvalidArgumentValueException");
      return;
    }
    if (!known_commit(*c, sha, res)) {
      return;
    }
    const std::string stored_context = is_flux_genre(genre) ? name : genre + "/" + name;
    CommitStatus &s = m_state.add_status(*c->repo, sha, *state, stored_context,
                                         body->value("description", std::string()),
                                         body->value("targetUrl", std::string()), m_state.user());
    m_status_extra[s.id] = StatusExtra{genre, name, azure};
    send_json(res, 201, status_json(*c, s));
  }

  void list_refs(const httplib::Request &req, httplib::Response &res, const Params &params) {
    auto c = open(req, res, params);
    if (!c) {
      return;
    }
    const std::string prefix = "refs/" + query(req, "filter").value_or("");
    const auto contains = query(req, "filterContains");
    GitRepo git = m_state.open_git(*c->repo);
    json all = json::array();
    for (const auto &[name, target] : git.list_refs(prefix)) {
      if (contains && name.find(*contains) == std::string::npos) {
        continue;
      }
      all.push_back({{"name", name},
                     {"objectId", target},
                     {"creator", identity(m_state.user())},
                     {"url", api_url(*c) + "/refs?filter=" + name.substr(5)}});
    }
    const auto [top, skip] = window(req, "$top", "$skip", 100000);
    send_json(res, 200, envelope(all, top, skip));
  }

  void update_refs(const httplib::Request &req, httplib::Response &res, const Params &params) {
    auto c = open(req, res, params);
    if (!c) {
      return;
    }
    const json updates = json::parse(req.body.empty() ? "null" : req.body, nullptr, false);
    if (!updates.is_array()) {
      send_azdo_error(res, 400, "The body must be an array of ref updates.",
                      "InvalidArgumentValueException");
      return;
    }
    GitRepo git = m_state.open_git(*c->repo);
    const std::string repo_id = uuid_for("repo:" + c->repo->key());
    json value = json::array();
    for (const json &u : updates) {
      const std::string name = u.is_object() ? u.value("name", std::string()) : "";
      const std::string old_id =
          u.is_object() ? lower(u.value("oldObjectId", std::string(k_zero))) : std::string(k_zero);
      const std::string new_id =
          u.is_object() ? lower(u.value("newObjectId", std::string(k_zero))) : std::string(k_zero);
      std::string status = "succeeded";
      const auto current = name.rfind("refs/", 0) == 0 ? git.ref_target(name) : std::nullopt;
      if (name.rfind("refs/", 0) != 0 || name.size() <= 5) {
        status = "invalidRefName";
      } else if ((old_id == k_zero && current) || (old_id != k_zero && current != old_id)) {
        status = "staleOldObjectId";
      } else if (new_id == k_zero) {
        if (current) {
          git.delete_ref(name);
        }
      } else if (git.object_type(new_id) != std::optional<std::string>("commit")) {
        status = "unresolvableToCommit";
      } else if (!git.set_ref(name, new_id, current)) {
        status = "staleOldObjectId";
      }
      value.push_back({{"repositoryId", repo_id},
                       {"name", name},
                       {"oldObjectId", old_id},
                       {"newObjectId", new_id},
                       {"isLocked", false},
                       {"updateStatus", status},
                       {"success", status == "succeeded"}});
    }
    send_json(res, 200, {{"count", value.size()}, {"value", value}});
  }

  void create_push(const httplib::Request &req, httplib::Response &res, const Params &params) {
    auto c = open(req, res, params);
    if (!c) {
      return;
    }
    auto body = parse_body(req, res);
    if (!body) {
      return;
    }
    const json ref_updates = body->value("refUpdates", json::array());
    const json commits = body->value("commits", json::array());
    if (!ref_updates.is_array() || ref_updates.size() != 1 || !ref_updates[0].is_object() ||
        !commits.is_array() || commits.empty()) {
      send_azdo_error(res, 400, "A push needs exactly one refUpdate and at least one commit.",
                      "InvalidArgumentValueException");
      return;
    }
    const std::string name = ref_updates[0].value("name", std::string());
    const std::string old_id = lower(ref_updates[0].value("oldObjectId", std::string(k_zero)));
    if (name.rfind(k_heads, 0) != 0) {
      send_azdo_error(res, 400, "TF401025: '" + name + "' is not a valid ref name.",
                      "InvalidGitRefNameException");
      return;
    }
    GitRepo git = m_state.open_git(*c->repo);
    const auto current = git.ref_target(name);
    if ((current && *current != old_id) ||
        (!current && old_id != k_zero &&
         git.object_type(old_id) != std::optional<std::string>("commit"))) {
      send_azdo_error(res, 409,
                      "TF401028: The reference '" + name +
                          "' has already been updated by another client, so you cannot update "
                          "it. Please try again.",
                      "GitReferenceStaleException");
      return;
    }
    // The first commit's parent is oldObjectId (a new branch may start from any commit).
    std::optional<std::string> parent;
    if (old_id != k_zero) {
      parent = old_id;
    }
    json commit_answers = json::array();
    for (const json &commit : commits) {
      std::set<std::string> existing;
      std::optional<std::string> base_tree;
      if (parent) {
        base_tree = git.read_commit(*parent).tree;
        for (const auto &entry : git.read_tree(*parent, true)) {
          if (entry.type == "blob") {
            existing.insert(entry.path);
          }
        }
      }
      std::vector<TreeUpdate> updates;
      const json changes =
          commit.is_object() ? commit.value("changes", json::array()) : json::array();
      if (!changes.is_array() || changes.empty()) {
        send_azdo_error(res, 400, "Each commit of a push needs changes.",
                        "InvalidArgumentValueException");
        return;
      }
      for (const json &change : changes) {
        const std::string type = lower(change.value("changeType", std::string()));
        const json item = change.value("item", json::object());
        const std::string path = strip_slashes(item.is_object() ? item.value("path", "") : "");
        const bool exists = existing.count(path) != 0;
        if (path.empty()) {
          send_azdo_error(res, 400, "A change needs item.path.", "InvalidArgumentValueException");
          return;
        }
        if (type == "add" && exists) {
          send_azdo_error(res, 400,
                          "The path '/" + path +
                              "' specified in the add operation already exists. Please specify a "
                              "new path.",
                          "GitItemAlreadyExistsException");
          return;
        }
        if ((type == "edit" || type == "delete") && !exists) {
          send_azdo_error(res, 400,
                          "TF401174: The item '/" + path +
                              "' could not be found in the repository '" + c->repo->name + "'.",
                          "GitItemNotFoundException");
          return;
        }
        TreeUpdate update;
        update.path = path;
        if (type == "add" || type == "edit") {
          const json content = change.value("newContent", json::object());
          const std::string text = content.is_object() ? content.value("content", "") : "";
          const std::string content_type =
              lower(content.is_object() ? content.value("contentType", "rawtext") : "rawtext");
          if (content_type == "rawtext") {
            update.content = text;
          } else if (content_type == "base64encoded") {
            update.content = decode_base64(text);
            if (!update.content) {
              send_azdo_error(res, 400, "newContent.content is not valid base64.",
                              "InvalidArgumentValueException");
              return;
            }
          } else {
            send_azdo_error(res, 400, "Unknown contentType '" + content_type + "'.",
                            "InvalidArgumentValueException");
            return;
          }
          existing.insert(path);
        } else if (type == "delete") {
          existing.erase(path);
        } else {
          send_azdo_error(res, 400, "Unsupported changeType '" + type + "'.",
                          "InvalidArgumentValueException");
          return;
        }
        updates.push_back(update);
      }
      const json author = commit.value("author", json::object());
      const Signature who = now_signature(
          author.is_object() ? author.value("name", m_state.user()) : m_state.user(),
          author.is_object() ? author.value("email", m_state.user() + "@forge-sim.invalid")
                             : m_state.user() + "@forge-sim.invalid");
      const std::string tree = git.create_tree(base_tree, updates);
      std::vector<std::string> parents;
      if (parent) {
        parents.push_back(*parent);
      }
      const std::string message = commit.value("comment", std::string());
      const std::string id = git.create_commit(message, tree, parents, who, who);
      const json user_date = {{"name", who.name}, {"email", who.email}, {"date", now_iso()}};
      commit_answers.push_back({{"commitId", id},
                                {"treeId", tree},
                                {"comment", message},
                                {"author", user_date},
                                {"committer", user_date},
                                {"parents", parents},
                                {"url", api_url(*c) + "/commits/" + id}});
      parent = id;
    }
    if (!git.set_ref(name, *parent, current)) {
      send_azdo_error(res, 409,
                      "TF401028: The reference '" + name +
                          "' has already been updated by another client, so you cannot update "
                          "it. Please try again.",
                      "GitReferenceStaleException");
      return;
    }
    const std::string repo_id = uuid_for("repo:" + c->repo->key());
    const long push_id = ++m_push_id;
    send_json(res, 201,
              {{"commits", commit_answers},
               {"refUpdates", json::array({{{"repositoryId", repo_id},
                                            {"name", name},
                                            {"oldObjectId", current.value_or(k_zero)},
                                            {"newObjectId", *parent}}})},
               {"repository", repo_json(*c)},
               {"pushedBy", identity(m_state.user())},
               {"pushId", push_id},
               {"date", now_iso()},
               {"url", api_url(*c) + "/pushes/" + std::to_string(push_id)}});
  }

  void list_items(const httplib::Request &req, httplib::Response &res, const Params &params) {
    auto c = open(req, res, params);
    if (!c) {
      return;
    }
    const std::string scope = strip_slashes(query(req, "scopePath").value_or("/"));
    const std::string level = query(req, "recursionLevel").value_or("none");
    const std::string version_type =
        lower(query(req, "versionDescriptor.versionType").value_or("branch"));
    const std::string version =
        query(req, "versionDescriptor.version").value_or(c->repo->settings.default_branch);
    GitRepo git = m_state.open_git(*c->repo);
    std::optional<std::string> commit;
    if (version_type == "commit") {
      if (git.object_type(lower(version)) == std::optional<std::string>("commit")) {
        commit = lower(version);
      }
    } else if (version_type == "branch") {
      commit = git.ref_target(k_heads + version);
    } else if (version_type == "tag") {
      commit = git.ref_target("refs/tags/" + version);
    }
    if (!commit) {
      send_azdo_error(res, 404,
                      "TF401175: The version descriptor <" + version_type + ": " + version +
                          "> could not be resolved to a version in the repository " + c->repo->name,
                      "GitUnresolvableToCommitException");
      return;
    }
    const auto entries = git.read_tree(*commit, true);
    const auto item_json = [&](const std::string &path, const std::string &type,
                               const std::string &sha) {
      return json{{"objectId", sha},
                  {"gitObjectType", type == "tree" ? "tree" : "blob"},
                  {"commitId", *commit},
                  {"path", "/" + path},
                  {"isFolder", type == "tree"},
                  {"url", api_url(*c) + "/items?path=/" + path}};
    };
    json all = json::array();
    bool found = scope.empty();
    if (scope.empty()) {
      all.push_back(item_json("", "tree", git.read_commit(*commit).tree));
    }
    const std::string prefix = scope.empty() ? "" : scope + "/";
    for (const auto &entry : entries) {
      if (entry.path == scope) {
        found = true;
        all.push_back(item_json(entry.path, entry.type, entry.sha));
      } else if (level != "none" && entry.path.rfind(prefix, 0) == 0) {
        const bool direct = entry.path.find('/', prefix.size()) == std::string::npos;
        if (level == "full" || direct) {
          all.push_back(item_json(entry.path, entry.type, entry.sha));
        }
      }
    }
    if (!found) {
      send_azdo_error(res, 404,
                      "TF401174: The item '/" + scope + "' could not be found in the repository '" +
                          c->repo->name + "' at the version specified by '<Commit: " + *commit +
                          ">'",
                      "GitItemNotFoundException");
      return;
    }
    send_json(res, 200, {{"count", all.size()}, {"value", all}});
  }

  Simulator &m_sim;
  State &m_state;
  std::map<std::pair<std::string, long>, Completion> m_completions;
  std::map<long, StatusExtra> m_status_extra;
  long m_push_id = 0;
};

} // namespace

void register_azdo_routes(Router &router, Simulator &sim) {
  auto api = std::make_shared<AzdoApi>(sim);
  api->register_routes(router);
  router.keep_alive(api);
}

} // namespace forge_sim
