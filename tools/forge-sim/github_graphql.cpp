// The simulator's GitHub GraphQL endpoint: the status rollup of a commit and the auto-merge
// mutations, parsed from the document the way the tool writes it.
#include "github_api.hpp"

namespace forge_sim::github {
namespace {

// Line and column (1-based) of `needle` in `doc`, GitHub's `locations` entry.
json location_of(const std::string &doc, const std::string &needle) {
  auto pos = doc.find(needle);
  if (pos == std::string::npos) {
    return json::array({{{"line", 1}, {"column", 1}}});
  }
  long line = 1 + std::count(doc.begin(), doc.begin() + static_cast<long>(pos), '\n');
  auto nl = doc.rfind('\n', pos);
  long column = static_cast<long>(nl == std::string::npos ? pos + 1 : pos - nl);
  return json::array({{{"line", line}, {"column", column}}});
}

// A value given either in variables (input.<key>, or the top-level variable <key>) or inline in
// the document (`key: "value"` or `key: ENUM`).
std::optional<std::string> graphql_arg(const json &vars, const std::string &doc,
                                       const std::string &key) {
  if (vars.is_object()) {
    if (vars.contains("input") && vars.at("input").is_object() && vars.at("input").contains(key) &&
        vars.at("input").at(key).is_string()) {
      return vars.at("input").at(key).get<std::string>();
    }
    if (vars.contains(key) && vars.at(key).is_string()) {
      return vars.at(key).get<std::string>();
    }
  }
  std::smatch m;
  std::regex literal(key + R"(\s*:\s*"([^"]*)\")");
  if (std::regex_search(doc, m, literal)) {
    return m[1].str();
  }
  std::regex enum_value(key + R"(\s*:\s*([A-Z_]+))");
  if (std::regex_search(doc, m, enum_value)) {
    return m[1].str();
  }
  // `key: $var` with the variable given at top level.
  std::regex variable(key + R"(\s*:\s*\$(\w+))");
  if (std::regex_search(doc, m, variable) && vars.is_object() && vars.contains(m[1].str()) &&
      vars.at(m[1].str()).is_string()) {
    return vars.at(m[1].str()).get<std::string>();
  }
  return std::nullopt;
}

// Opaque connection cursors, base64 like GitHub's: "cursor:v2:<offset>".
std::string encode_cursor(std::size_t offset) {
  static constexpr std::string_view k_alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string in = "cursor:v2:" + std::to_string(offset);
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    std::uint32_t chunk = static_cast<unsigned char>(in[i]) << 16U;
    if (i + 1 < in.size()) {
      chunk |= static_cast<unsigned char>(in[i + 1]) << 8U;
    }
    if (i + 2 < in.size()) {
      chunk |= static_cast<unsigned char>(in[i + 2]);
    }
    out += k_alphabet[(chunk >> 18U) & 63U];
    out += k_alphabet[(chunk >> 12U) & 63U];
    out += i + 1 < in.size() ? k_alphabet[(chunk >> 6U) & 63U] : '=';
    out += i + 2 < in.size() ? k_alphabet[chunk & 63U] : '=';
  }
  return out;
}

std::optional<std::size_t> decode_cursor(const std::string &cursor) {
  const auto text = decode_base64(cursor);
  static const std::regex k_re(R"(^cursor:v2:(\d{1,9})$)");
  std::smatch m;
  if (!text || !std::regex_match(*text, m, k_re)) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(std::stoul(m[1].str()));
}

// The value of argument `key` of the first `field(...)` in `doc`: a string or integer literal, or
// the variable it names (null when that variable is not given); nullopt when there is no such
// argument.
std::optional<json> field_arg(const std::string &doc, const json &vars, const std::string &field,
                              const std::string &key) {
  std::smatch m;
  if (!std::regex_search(doc, m, std::regex("\\b" + field + R"(\s*\(([^)]*)\))"))) {
    return std::nullopt;
  }
  const std::string args = m[1].str();
  if (std::regex_search(args, m, std::regex("\\b" + key + R"re(\s*:\s*"([^"]*)")re"))) {
    return json(m[1].str());
  }
  if (std::regex_search(args, m, std::regex("\\b" + key + R"(\s*:\s*(-?\d+))"))) {
    return json(std::stol(m[1].str()));
  }
  if (std::regex_search(args, m, std::regex("\\b" + key + R"(\s*:\s*\$(\w+))"))) {
    const std::string variable = m[1].str();
    return vars.is_object() && vars.contains(variable) ? vars.at(variable) : json(nullptr);
  }
  return std::nullopt;
}

// GitHub's answer for a variable that is missing or malformed: errors only, no data.
json invalid_variable(const std::string &doc, const std::string &name, const std::string &type,
                      const json &value, const std::string &explanation) {
  return {{"errors", json::array({{{"extensions",
                                    {{"value", value},
                                     {"problems", json::array({{{"path", json::array()},
                                                                {"explanation", explanation}}})}}},
                                   {"locations", location_of(doc, "$" + name)},
                                   {"message", "Variable $" + name + " of type " + type +
                                                   " was provided invalid value"}}})}};
}

} // namespace

// `repository(owner, name) { object(oid) { ... on Commit { statusCheckRollup { contexts(first,
// after) {...} } } } }`: the latest status per context (newest first), then the latest check run
// per name, paged with opaque cursors. Unknown repository → NOT_FOUND; unknown commit → object
// null (GitHub does not call that an error).
void GitHubApi::graphql_status_rollup(const std::string &doc, const json &vars,
                                      httplib::Response &res) {
  // owner/name of `repository(...)`, oid of `object(...)`: literals or variables.
  std::map<std::string, std::string> given;
  for (const auto &[field, key, type] :
       {std::tuple<const char *, const char *, const char *>{"repository", "owner", "String!"},
        {"repository", "name", "String!"},
        {"object", "oid", "GitObjectID!"}}) {
    const auto value = field_arg(doc, vars, field, key);
    if (!value || !value->is_string()) {
      send_json(res, 200,
                invalid_variable(doc, key, type, value ? *value : json(nullptr),
                                 "Expected value to not be null"));
      return;
    }
    given[key] = value->get<std::string>();
  }
  const std::string owner = given["owner"];
  const std::string name = given["name"];
  const std::string oid = given["oid"];
  if (!is_full_sha(oid)) {
    send_json(res, 200,
              invalid_variable(doc, "oid", "GitObjectID!", oid,
                               "\"" + oid + "\" is not a valid Git object ID"));
    return;
  }
  std::optional<long> first;
  if (const auto value = field_arg(doc, vars, "contexts", "first");
      value && value->is_number_integer()) {
    first = value->get<long>();
  }
  std::optional<std::string> after;
  if (const auto value = field_arg(doc, vars, "contexts", "after"); value && value->is_string()) {
    after = value->get<std::string>();
  }
  const json contexts_path = json::array({"repository", "object", "statusCheckRollup", "contexts"});
  auto fail = [&](const std::string &message, const std::string &near) {
    send_json(res, 200,
              {{"data", {{"repository", {{"object", {{"statusCheckRollup", nullptr}}}}}}},
               {"errors", json::array({{{"path", contexts_path},
                                        {"locations", location_of(doc, near)},
                                        {"message", message}}})}});
  };
  if (!first) {
    fail("You must provide a `first` or `last` value to properly paginate the `contexts` "
         "connection.",
         "contexts");
    return;
  }
  if (*first < 0 || *first > 100) {
    fail("Requesting " + std::to_string(*first) +
             " records on the `contexts` connection exceeds the `first` limit of 100 records.",
         "contexts");
    return;
  }
  std::size_t offset = 0;
  if (after) {
    const auto decoded = decode_cursor(*after);
    if (!decoded) {
      fail("`" + *after + "` does not appear to be a valid cursor.", "after");
      return;
    }
    offset = *decoded;
  }

  Repo *repo = m_state.find_repo(owner, name);
  if (repo == nullptr) {
    send_json(res, 200,
              {{"data", {{"repository", nullptr}}},
               {"errors", json::array({{{"type", "NOT_FOUND"},
                                        {"path", json::array({"repository"})},
                                        {"locations", location_of(doc, "repository")},
                                        {"message", "Could not resolve to a Repository with the "
                                                    "name '" +
                                                        owner + "/" + name + "'."}}})}});
    return;
  }
  GitRepo git = m_state.open_git(*repo);
  const auto type = git.object_type(oid);
  if (!type) {
    send_json(res, 200, {{"data", {{"repository", {{"object", nullptr}}}}}});
    return;
  }
  if (*type != "commit") {
    std::string type_name = *type;
    type_name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(type_name[0])));
    send_json(res, 200, {{"data", {{"repository", {{"object", {{"__typename", type_name}}}}}}}});
    return;
  }
  json nodes = json::array();
  std::set<std::string> seen;
  for (const auto *s : m_state.statuses_of(repo->key(), oid)) {
    if (!seen.insert(s->context).second) {
      continue;
    }
    std::string state = s->state;
    std::transform(state.begin(), state.end(), state.begin(), ::toupper);
    nodes.push_back({{"__typename", "StatusContext"},
                     {"context", s->context},
                     {"state", state},
                     {"description", nullable(s->description)},
                     {"targetUrl", nullable(s->target_url)},
                     {"createdAt", s->created_at}});
  }
  seen.clear();
  for (const auto *r : m_state.check_runs_of(repo->key(), oid)) {
    if (!seen.insert(r->name).second) {
      continue;
    }
    std::string status = r->status;
    std::transform(status.begin(), status.end(), status.begin(), ::toupper);
    json conclusion = nullptr;
    if (r->conclusion) {
      std::string upper = *r->conclusion;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      conclusion = upper;
    }
    nodes.push_back({{"__typename", "CheckRun"},
                     {"name", r->name},
                     {"status", status},
                     {"conclusion", conclusion},
                     {"title", nullable(r->output_title)},
                     {"detailsUrl", nullable(r->details_url)}});
  }
  if (nodes.empty()) {
    send_json(res, 200,
              {{"data",
                {{"repository",
                  {{"object", {{"__typename", "Commit"}, {"statusCheckRollup", nullptr}}}}}}}});
    return;
  }
  const std::size_t total = nodes.size();
  const std::size_t begin = std::min(offset, total);
  const std::size_t end = std::min(begin + static_cast<std::size_t>(*first), total);
  json page = json::array();
  for (std::size_t i = begin; i < end; ++i) {
    page.push_back(nodes[i]);
  }
  json page_info = {{"hasNextPage", end < total},
                    {"hasPreviousPage", begin > 0},
                    {"startCursor", begin < end ? json(encode_cursor(begin + 1)) : json(nullptr)},
                    {"endCursor", begin < end ? json(encode_cursor(end)) : json(nullptr)}};
  json rollup = {{"state", nullptr},
                 {"contexts", {{"totalCount", total}, {"pageInfo", page_info}, {"nodes", page}}}};
  // The rollup's own state: failure/error > pending/expected > success, as GitHub combines.
  std::string combined = "SUCCESS";
  for (const auto &node : nodes) {
    const std::string state =
        node["__typename"] == "StatusContext" ? node["state"].get<std::string>()
        : node["status"] != "COMPLETED"       ? "PENDING"
        : node["conclusion"] == "SUCCESS" || node["conclusion"] == "NEUTRAL" ||
                node["conclusion"] == "SKIPPED"
            ? "SUCCESS"
            : "FAILURE";
    if (state == "FAILURE" || state == "ERROR") {
      combined = "FAILURE";
      break;
    }
    if (state != "SUCCESS") {
      combined = "PENDING";
    }
  }
  rollup["state"] = combined;
  send_json(res, 200,
            {{"data",
              {{"repository",
                {{"object", {{"__typename", "Commit"}, {"statusCheckRollup", rollup}}}}}}}});
}

void GitHubApi::graphql(const httplib::Request &req, httplib::Response &res, const Params &) {
  auto body = parse_body(req, res);
  if (!body) {
    return;
  }
  std::string doc = body->value("query", std::string());
  json vars = body->contains("variables") ? body->at("variables") : json::object();
  if (doc.find("statusCheckRollup") != std::string::npos &&
      doc.find("mutation") == std::string::npos) {
    graphql_status_rollup(doc, vars, res);
    return;
  }
  std::string field;
  if (doc.find("disablePullRequestAutoMerge") != std::string::npos) {
    field = "disablePullRequestAutoMerge";
  } else if (doc.find("enablePullRequestAutoMerge") != std::string::npos) {
    field = "enablePullRequestAutoMerge";
  }
  if (field.empty() || doc.find("mutation") == std::string::npos) {
    send_json(res, 200,
              {{"errors",
                json::array({{{"message", "forge-sim supports only the enablePullRequestAutoMerge "
                                          "and disablePullRequestAutoMerge mutations and the "
                                          "statusCheckRollup query"},
                              {"locations", location_of(doc, "{")}}})}});
    return;
  }
  auto fail = [&](const std::string &type, const std::string &message) {
    send_json(res, 200,
              {{"data", {{field, nullptr}}},
               {"errors", json::array({{{"type", type},
                                        {"path", json::array({field})},
                                        {"locations", location_of(doc, field)},
                                        {"message", message}}})}});
  };
  auto id = graphql_arg(vars, doc, "pullRequestId");
  if (!id) {
    fail("INVALID_ARGUMENTS", "Argument 'pullRequestId' on InputObject '" +
                                  std::string(field == "enablePullRequestAutoMerge"
                                                  ? "EnablePullRequestAutoMergeInput"
                                                  : "DisablePullRequestAutoMergeInput") +
                                  "' is required. Expected type ID!");
    return;
  }
  PullRequest *pr = m_state.find_pr_by_node_id(*id);
  if (pr == nullptr) {
    fail("NOT_FOUND", "Could not resolve to a node with the global id of '" + *id + "'");
    return;
  }
  auto slash = pr->repo_key.find('/');
  Repo *repo = m_state.find_repo(pr->repo_key.substr(0, slash), pr->repo_key.substr(slash + 1));
  if (repo == nullptr) {
    fail("NOT_FOUND", "Could not resolve to a node with the global id of '" + *id + "'");
    return;
  }
  GitRepo git = m_state.open_git(*repo);
  m_state.refresh(*pr, git);
  if (field == "enablePullRequestAutoMerge") {
    MergeMethod method = MergeMethod::merge;
    if (auto m = graphql_arg(vars, doc, "mergeMethod")) {
      auto parsed = parse_merge_method(*m);
      std::string upper = *m;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      if (!parsed || *m != upper) {
        fail("INVALID_ARGUMENTS",
             "Argument 'mergeMethod' on InputObject 'EnablePullRequestAutoMergeInput' has an "
             "invalid value (" +
                 *m + "). Expected type 'PullRequestMergeMethod'.");
        return;
      }
      method = *parsed;
    }
    if (!repo->settings.allow_auto_merge) {
      fail("UNPROCESSABLE", "Pull request Auto merge is not allowed for this repository");
      return;
    }
    if (pr->state != "open") {
      fail("UNPROCESSABLE", "Pull request Pull request is closed");
      return;
    }
    if (!m_state.method_allowed(*repo, method)) {
      fail("UNPROCESSABLE",
           "Pull request " + to_string(method) + " merges are not allowed on this repository");
      return;
    }
    bool clean = git.can_merge(pr->base_sha, pr->head_sha) &&
                 m_state.missing_contexts(*repo, pr->head_sha).empty() && !pr->draft;
    if (clean) {
      fail("UNPROCESSABLE", "Pull request Pull request is in clean status");
      return;
    }
    AutoMerge am;
    am.method = method;
    am.enabled_by = m_state.user();
    am.enabled_at = now_iso();
    am.commit_title = graphql_arg(vars, doc, "commitHeadline").value_or("");
    am.commit_message = graphql_arg(vars, doc, "commitBody").value_or("");
    pr->auto_merge = am;
  } else {
    pr->auto_merge.reset();
  }
  pr->updated_at = now_iso();
  std::string upper_method;
  json auto_merge_request = nullptr;
  if (pr->auto_merge) {
    upper_method = to_string(pr->auto_merge->method);
    std::transform(upper_method.begin(), upper_method.end(), upper_method.begin(), ::toupper);
    auto_merge_request = {{"mergeMethod", upper_method},
                          {"enabledAt", pr->auto_merge->enabled_at},
                          {"enabledBy", {{"login", pr->auto_merge->enabled_by}}},
                          {"commitHeadline", nullable(pr->auto_merge->commit_title)},
                          {"commitBody", nullable(pr->auto_merge->commit_message)},
                          {"authorEmail", nullptr}};
  }
  std::string state = pr->merged ? "MERGED" : pr->state == "open" ? "OPEN" : "CLOSED";
  json pr_obj = {{"id", pr->node_id},
                 {"number", pr->number},
                 {"title", pr->title},
                 {"state", state},
                 {"url", html(*repo) + "/pull/" + std::to_string(pr->number)},
                 {"headRefName", pr->head_ref},
                 {"baseRefName", pr->base_ref},
                 {"autoMergeRequest", auto_merge_request}};
  json payload = {{"clientMutationId", graphql_arg(vars, doc, "clientMutationId")
                                           ? json(*graphql_arg(vars, doc, "clientMutationId"))
                                           : json(nullptr)},
                  {"actor", {{"login", m_state.user()}}},
                  {"pullRequest", pr_obj}};
  send_json(res, 200, {{"data", {{field, payload}}}});
}

} // namespace forge_sim::github
