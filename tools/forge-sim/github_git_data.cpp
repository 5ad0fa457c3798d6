// The simulator's GitHub Git Data API: blobs, trees, commits and refs, over the bare repository.
#include "github_api.hpp"

namespace forge_sim::github {

void GitHubApi::create_blob(const httplib::Request &req, httplib::Response &res, const Params &p) {
  Repo *repo = repo_or_404(p, res);
  if (repo == nullptr) {
    return;
  }
  auto body = parse_body(req, res);
  if (!body) {
    return;
  }
  if (!body->contains("content") || !body->at("content").is_string()) {
    send_validation(res, json::array({error_item("Blob", "content", "missing_field")}));
    return;
  }
  std::string encoding = body->value("encoding", std::string("utf-8"));
  std::string content = body->at("content").get<std::string>();
  if (encoding == "base64") {
    auto decoded = decode_base64(content);
    if (!decoded) {
      send_validation(res, json::array({error_item("Blob", "content", "invalid")}));
      return;
    }
    content = *decoded;
  } else if (encoding != "utf-8" && encoding != "utf8") {
    send_validation(res, json::array({error_item("Blob", "encoding", "invalid")}));
    return;
  }
  GitRepo git = m_state.open_git(*repo);
  std::string sha = git.create_blob(content);
  std::string url = api(*repo) + "/git/blobs/" + sha;
  res.set_header("Location", url);
  send_json(res, 201, {{"url", url}, {"sha", sha}});
}

void GitHubApi::create_tree(const httplib::Request &req, httplib::Response &res, const Params &p) {
  Repo *repo = repo_or_404(p, res);
  if (repo == nullptr) {
    return;
  }
  auto body = parse_body(req, res);
  if (!body) {
    return;
  }
  if (!body->contains("tree") || !body->at("tree").is_array()) {
    send_validation(res, json::array({error_item("Tree", "tree", "missing_field")}));
    return;
  }
  std::optional<std::string> base_tree;
  if (body->contains("base_tree") && body->at("base_tree").is_string()) {
    base_tree = body->at("base_tree").get<std::string>();
  }
  GitRepo git = m_state.open_git(*repo);
  if (base_tree) {
    auto type = git.object_type(*base_tree);
    if (!type || (*type != "tree" && *type != "commit")) {
      send_validation(res, json::array({error_item("Tree", "base_tree", "invalid")}),
                      "base_tree " + *base_tree + " is not a valid tree");
      return;
    }
  }
  static const std::set<std::string> k_modes{"100644", "100755", "040000", "160000", "120000"};
  static const std::set<std::string> k_types{"blob", "tree", "commit"};
  std::vector<TreeUpdate> updates;
  int index = 0;
  for (const auto &e : body->at("tree")) {
    auto bad = [&](const std::string &field, const std::string &message) {
      json item = error_item("Tree", field, "invalid");
      item["index"] = index;
      send_validation(res, json::array({item}), message);
    };
    if (!e.is_object() || !e.contains("path") || !e.at("path").is_string() ||
        e.at("path").get<std::string>().empty()) {
      bad("path", "tree.path is missing");
      return;
    }
    TreeUpdate u;
    u.path = e.at("path").get<std::string>();
    u.mode = e.value("mode", std::string("100644"));
    u.type = e.value("type", std::string("blob"));
    if (k_modes.count(u.mode) == 0) {
      bad("mode", "tree.mode " + u.mode + " is not valid");
      return;
    }
    if (k_types.count(u.type) == 0) {
      bad("type", "tree.type " + u.type + " is not valid");
      return;
    }
    bool has_content = e.contains("content") && e.at("content").is_string();
    bool has_sha_key = e.contains("sha");
    if (has_content && has_sha_key && !e.at("sha").is_null()) {
      bad("sha", "Must supply either tree.sha or tree.content, not both");
      return;
    }
    if (has_content) {
      u.content = e.at("content").get<std::string>();
    } else if (has_sha_key && e.at("sha").is_string()) {
      u.sha = e.at("sha").get<std::string>();
      auto type = git.object_type(*u.sha);
      if (!type || (*type != u.type && u.type != "commit")) {
        bad("sha", "tree.sha " + *u.sha + " is not a valid " + u.type);
        return;
      }
    } else if (!(has_sha_key && e.at("sha").is_null())) {
      bad("sha", "Must supply either tree.sha or tree.content");
      return;
    }
    updates.push_back(std::move(u));
    ++index;
  }
  std::string sha;
  try {
    sha = git.create_tree(base_tree, updates);
  } catch (const GitOpError &e) {
    send_validation(res, json::array({error_item("Tree", "tree", "invalid")}), e.what());
    return;
  }
  res.set_header("Location", api(*repo) + "/git/trees/" + sha);
  send_json(res, 201, tree_json(*repo, sha, git, false));
}

void GitHubApi::get_tree(const httplib::Request &req, httplib::Response &res, const Params &p) {
  Repo *repo = repo_or_404(p, res);
  if (repo == nullptr) {
    return;
  }
  GitRepo git = m_state.open_git(*repo);
  std::string spec = p.at(2);
  std::optional<std::string> sha;
  auto type = git.object_type(spec);
  if (type == std::optional<std::string>("tree")) {
    sha = spec;
  } else if (auto commit = git.resolve_commit(spec)) {
    sha = git.read_commit(*commit).tree;
  }
  if (!sha) {
    send_error(res, 404, "Not Found");
    return;
  }
  bool recursive = query(req, "recursive").has_value();
  send_json(res, 200, tree_json(*repo, *sha, git, recursive));
}

std::optional<Signature> GitHubApi::person(const json &body, const char *key, const Signature &fb,
                                           bool &bad) {
  if (!body.contains(key)) {
    return fb;
  }
  const json &o = body.at(key);
  if (!o.is_object() || !o.contains("name") || !o.contains("email") || !o.at("name").is_string() ||
      !o.at("email").is_string()) {
    bad = true;
    return std::nullopt;
  }
  Signature s{o.at("name").get<std::string>(), o.at("email").get<std::string>(), fb.time, 0};
  if (o.contains("date") && o.at("date").is_string()) {
    auto t = parse_iso_time(o.at("date").get<std::string>());
    if (!t) {
      bad = true;
      return std::nullopt;
    }
    s.time = t->first;
    s.offset_minutes = t->second;
  }
  return s;
}

void GitHubApi::create_commit(const httplib::Request &req, httplib::Response &res,
                              const Params &p) {
  Repo *repo = repo_or_404(p, res);
  if (repo == nullptr) {
    return;
  }
  auto body = parse_body(req, res);
  if (!body) {
    return;
  }
  if (!require_strings(*body, "Commit", {"message", "tree"}, res)) {
    return;
  }
  GitRepo git = m_state.open_git(*repo);
  std::string tree = body->at("tree").get<std::string>();
  if (git.object_type(tree) != std::optional<std::string>("tree")) {
    send_error(res, 422, "Tree SHA does not exist");
    return;
  }
  std::vector<std::string> parents;
  if (body->contains("parents")) {
    if (!body->at("parents").is_array()) {
      send_validation(res, json::array({error_item("Commit", "parents", "invalid")}));
      return;
    }
    for (const auto &par : body->at("parents")) {
      if (!par.is_string() ||
          git.object_type(par.get<std::string>()) != std::optional<std::string>("commit")) {
        send_error(res, 422, "Parent SHA does not exist or is not a commit object");
        return;
      }
      parents.push_back(par.get<std::string>());
    }
  }
  Signature fallback = now_signature(m_state.user(), m_state.user() + "@users.noreply.forge-sim");
  bool bad = false;
  auto author = person(*body, "author", fallback, bad);
  auto committer = person(*body, "committer", author.value_or(fallback), bad);
  if (bad || !author || !committer) {
    send_validation(res, json::array({error_item("Commit", "author", "invalid")}));
    return;
  }
  std::string sha =
      git.create_commit(body->at("message").get<std::string>(), tree, parents, *author, *committer);
  res.set_header("Location", api(*repo) + "/git/commits/" + sha);
  send_json(res, 201, commit_json(*repo, git.read_commit(sha)));
}

void GitHubApi::get_commit(const httplib::Request &, httplib::Response &res, const Params &p) {
  Repo *repo = repo_or_404(p, res);
  if (repo == nullptr) {
    return;
  }
  GitRepo git = m_state.open_git(*repo);
  if (git.object_type(p.at(2)) != std::optional<std::string>("commit")) {
    send_error(res, 404, "Not Found");
    return;
  }
  send_json(res, 200, commit_json(*repo, git.read_commit(p.at(2))));
}

void GitHubApi::get_ref(const httplib::Request &, httplib::Response &res, const Params &p) {
  Repo *repo = repo_or_404(p, res);
  if (repo == nullptr) {
    return;
  }
  GitRepo git = m_state.open_git(*repo);
  std::string refname = "refs/" + p.at(2);
  auto sha = git.ref_target(refname);
  if (!sha) {
    send_error(res, 404, "Not Found", "https://docs.github.com/rest/git/refs#get-a-reference");
    return;
  }
  send_json(res, 200, ref_json(*repo, refname, *sha, git));
}

void GitHubApi::matching_refs(const httplib::Request &, httplib::Response &res, const Params &p) {
  Repo *repo = repo_or_404(p, res);
  if (repo == nullptr) {
    return;
  }
  GitRepo git = m_state.open_git(*repo);
  json out = json::array();
  for (const auto &[name, sha] : git.list_refs("refs/" + p.at(2))) {
    out.push_back(ref_json(*repo, name, sha, git));
  }
  send_json(res, 200, out);
}

void GitHubApi::create_ref(const httplib::Request &req, httplib::Response &res, const Params &p) {
  Repo *repo = repo_or_404(p, res);
  if (repo == nullptr) {
    return;
  }
  auto body = parse_body(req, res);
  if (!body) {
    return;
  }
  if (!require_strings(*body, "Reference", {"ref", "sha"}, res)) {
    return;
  }
  std::string ref = body->at("ref").get<std::string>();
  std::string sha = body->at("sha").get<std::string>();
  if (ref.rfind("refs/", 0) != 0 || std::count(ref.begin(), ref.end(), '/') < 2) {
    send_error(res, 422, "Reference name must start with 'refs/' and have at least two slashes.");
    return;
  }
  GitRepo git = m_state.open_git(*repo);
  if (!is_full_sha(sha) || !git.object_type(sha)) {
    send_error(res, 422, "Object does not exist");
    return;
  }
  if (git.ref_target(ref)) {
    send_error(res, 422, "Reference already exists");
    return;
  }
  try {
    git.set_ref(ref, sha, std::nullopt);
  } catch (const GitOpError &) {
    send_error(res, 422, ref + " is not a valid ref name.");
    return;
  }
  res.set_header("Location", api(*repo) + "/git/" + ref);
  send_json(res, 201, ref_json(*repo, ref, sha, git));
}

void GitHubApi::update_ref(const httplib::Request &req, httplib::Response &res, const Params &p) {
  Repo *repo = repo_or_404(p, res);
  if (repo == nullptr) {
    return;
  }
  auto body = parse_body(req, res);
  if (!body) {
    return;
  }
  if (!body->contains("sha") || !body->at("sha").is_string()) {
    send_validation(res, json::array({error_item("Reference", "sha", "missing_field")}));
    return;
  }
  std::string ref = "refs/" + p.at(2);
  std::string sha = body->at("sha").get<std::string>();
  bool force = body->value("force", false);
  GitRepo git = m_state.open_git(*repo);
  auto old = git.ref_target(ref);
  if (!old) {
    send_error(res, 422, "Reference does not exist");
    return;
  }
  if (!is_full_sha(sha) || !git.object_type(sha)) {
    send_error(res, 422, "Object does not exist");
    return;
  }
  if (!force && !git.is_ancestor(*old, sha)) {
    send_error(res, 422, "Update is not a fast forward");
    return;
  }
  if (!git.set_ref(ref, sha, old)) {
    send_error(res, 422, "Reference cannot be updated");
    return;
  }
  send_json(res, 200, ref_json(*repo, ref, sha, git));
}

void GitHubApi::delete_ref(const httplib::Request &, httplib::Response &res, const Params &p) {
  Repo *repo = repo_or_404(p, res);
  if (repo == nullptr) {
    return;
  }
  std::string ref = "refs/" + p.at(2);
  GitRepo git = m_state.open_git(*repo);
  if (!git.delete_ref(ref)) {
    send_error(res, 422, "Reference does not exist");
    return;
  }
  // GitHub closes the open PRs whose head branch was deleted.
  if (ref.rfind("refs/heads/", 0) == 0) {
    std::string branch = ref.substr(11);
    for (PullRequest *pr : m_state.prs_of(repo->key())) {
      if (pr->state == "open" && pr->head_ref == branch) {
        pr->state = "closed";
        pr->closed_at = now_iso();
        pr->updated_at = *pr->closed_at;
        pr->auto_merge.reset();
      }
    }
  }
  res.status = 204;
}

} // namespace forge_sim::github
