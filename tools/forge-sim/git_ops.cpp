#include "git_ops.hpp"

#include <git2.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace forge_sim {
namespace {

template <auto FreeFn> struct Free {
  template <class T> void operator()(T *p) const noexcept { FreeFn(p); }
};
using ObjectPtr = std::unique_ptr<git_object, Free<git_object_free>>;
using CommitPtr = std::unique_ptr<git_commit, Free<git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, Free<git_tree_free>>;
using RefPtr = std::unique_ptr<git_reference, Free<git_reference_free>>;
using IndexPtr = std::unique_ptr<git_index, Free<git_index_free>>;
using SigPtr = std::unique_ptr<git_signature, Free<git_signature_free>>;
using WalkPtr = std::unique_ptr<git_revwalk, Free<git_revwalk_free>>;
using DiffPtr = std::unique_ptr<git_diff, Free<git_diff_free>>;
using BuilderPtr = std::unique_ptr<git_treebuilder, Free<git_treebuilder_free>>;
using RefIterPtr = std::unique_ptr<git_reference_iterator, Free<git_reference_iterator_free>>;

// Copies libgit2's message at once: the buffer is reused by the next failing call.
void check(int rc, const std::string &what) {
  if (rc >= 0) {
    return;
  }
  const git_error *err = git_error_last();
  std::string msg = what + ": libgit2 error " + std::to_string(rc);
  if (err != nullptr && err->message != nullptr) {
    msg += " (" + std::string(err->message) + ")";
  }
  throw GitOpError(msg);
}

std::string to_hex(const git_oid *oid) {
  char buf[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(buf, sizeof buf, oid);
  return buf;
}

std::optional<git_oid> parse_oid(const std::string &sha) {
  if (sha.size() != GIT_OID_HEXSZ) {
    return std::nullopt;
  }
  git_oid oid;
  if (git_oid_fromstr(&oid, sha.c_str()) < 0) {
    return std::nullopt;
  }
  return oid;
}

git_oid require_oid(const std::string &sha, const std::string &what) {
  auto oid = parse_oid(sha);
  if (!oid) {
    throw GitOpError(what + ": not a full object id: '" + sha + "'");
  }
  return *oid;
}

CommitPtr lookup_commit(git_repository *repo, const std::string &sha) {
  git_oid oid = require_oid(sha, "look up commit");
  git_commit *raw = nullptr;
  check(git_commit_lookup(&raw, repo, &oid), "look up commit " + sha);
  return CommitPtr(raw);
}

TreePtr commit_tree(const git_commit *commit) {
  git_tree *raw = nullptr;
  check(git_commit_tree(&raw, commit), "read tree of commit");
  return TreePtr(raw);
}

Signature from_git(const git_signature *sig) {
  return Signature{sig->name, sig->email, static_cast<std::int64_t>(sig->when.time),
                   sig->when.offset};
}

SigPtr to_git(const Signature &s) {
  git_signature *raw = nullptr;
  check(git_signature_new(&raw, s.name.c_str(), s.email.c_str(), static_cast<git_time_t>(s.time),
                          s.offset_minutes),
        "make signature for " + s.email);
  return SigPtr(raw);
}

std::string mode_text(git_filemode_t mode) {
  switch (mode) {
  case GIT_FILEMODE_TREE:
    return "040000";
  case GIT_FILEMODE_BLOB_EXECUTABLE:
    return "100755";
  case GIT_FILEMODE_LINK:
    return "120000";
  case GIT_FILEMODE_COMMIT:
    return "160000";
  default:
    return "100644";
  }
}

std::optional<git_filemode_t> parse_mode(const std::string &mode) {
  if (mode == "100644") {
    return GIT_FILEMODE_BLOB;
  }
  if (mode == "100755") {
    return GIT_FILEMODE_BLOB_EXECUTABLE;
  }
  if (mode == "040000" || mode == "40000") {
    return GIT_FILEMODE_TREE;
  }
  if (mode == "160000") {
    return GIT_FILEMODE_COMMIT;
  }
  if (mode == "120000") {
    return GIT_FILEMODE_LINK;
  }
  return std::nullopt;
}

std::string type_text(git_object_t type) {
  switch (type) {
  case GIT_OBJECT_BLOB:
    return "blob";
  case GIT_OBJECT_TREE:
    return "tree";
  case GIT_OBJECT_COMMIT:
    return "commit";
  case GIT_OBJECT_TAG:
    return "tag";
  default:
    return "unknown";
  }
}

std::string write_index_tree(git_repository *repo, git_index *index) {
  git_oid tree_oid;
  check(git_index_write_tree_to(&tree_oid, index, repo), "write merged tree");
  return to_hex(&tree_oid);
}

} // namespace

LibGit2Session::LibGit2Session() {
  git_libgit2_init();
}
LibGit2Session::~LibGit2Session() {
  git_libgit2_shutdown();
}

void GitRepo::Deleter::operator()(git_repository *repo) const noexcept {
  git_repository_free(repo);
}

GitRepo::GitRepo(git_repository *repo) : m_repo(repo) {}
GitRepo::GitRepo(GitRepo &&) noexcept = default;
GitRepo &GitRepo::operator=(GitRepo &&) noexcept = default;
GitRepo::~GitRepo() = default;

GitRepo GitRepo::open(const std::filesystem::path &path) {
  git_repository *raw = nullptr;
  check(git_repository_open_bare(&raw, path.c_str()), "open repository " + path.string());
  return GitRepo(raw);
}

GitRepo GitRepo::init_bare(const std::filesystem::path &path, const std::string &default_branch) {
  std::filesystem::create_directories(path.parent_path());
  git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
  std::string head = "refs/heads/" + default_branch;
  opts.initial_head = head.c_str();
  git_repository *raw = nullptr;
  check(git_repository_init_ext(&raw, path.c_str(), &opts), "create repository " + path.string());
  GitRepo repo(raw);
  // The git server runs git-http-backend, which refuses pushes to repositories that deny them.
  git_config *cfg_raw = nullptr;
  check(git_repository_config(&cfg_raw, raw), "open config of " + path.string());
  std::unique_ptr<git_config, Free<git_config_free>> cfg(cfg_raw);
  check(git_config_set_bool(cfg.get(), "http.receivepack", 1), "enable receive-pack");
  return repo;
}

std::optional<std::string> GitRepo::ref_target(const std::string &refname) const {
  git_reference *raw = nullptr;
  int rc = git_reference_lookup(&raw, m_repo.get(), refname.c_str());
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
    return std::nullopt;
  }
  check(rc, "look up " + refname);
  RefPtr ref(raw);
  git_object *peeled = nullptr;
  if (git_reference_peel(&peeled, ref.get(), GIT_OBJECT_ANY) < 0) {
    return std::nullopt;
  }
  ObjectPtr obj(peeled);
  return to_hex(git_object_id(obj.get()));
}

std::vector<std::pair<std::string, std::string>>
GitRepo::list_refs(const std::string &prefix) const {
  std::vector<std::pair<std::string, std::string>> out;
  git_reference_iterator *raw = nullptr;
  check(git_reference_iterator_new(&raw, m_repo.get()), "list refs");
  RefIterPtr iter(raw);
  git_reference *ref_raw = nullptr;
  while (git_reference_next(&ref_raw, iter.get()) == 0) {
    RefPtr ref(ref_raw);
    std::string name = git_reference_name(ref.get());
    if (name.rfind(prefix, 0) != 0) {
      continue;
    }
    if (auto target = ref_target(name)) {
      out.emplace_back(name, *target);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool GitRepo::set_ref(const std::string &refname, const std::string &sha,
                      const std::optional<std::string> &expected_old) {
  git_oid oid = require_oid(sha, "update " + refname);
  git_reference *raw = nullptr;
  int rc = 0;
  if (expected_old) {
    git_oid old = require_oid(*expected_old, "update " + refname);
    rc = git_reference_create_matching(&raw, m_repo.get(), refname.c_str(), &oid, 1, &old,
                                       "forge-sim");
    if (rc == GIT_EMODIFIED || rc == GIT_ENOTFOUND) {
      return false;
    }
  } else {
    rc = git_reference_create(&raw, m_repo.get(), refname.c_str(), &oid, 1, "forge-sim");
  }
  check(rc, "update " + refname);
  RefPtr ref(raw);
  return true;
}

bool GitRepo::delete_ref(const std::string &refname) {
  git_reference *raw = nullptr;
  int rc = git_reference_lookup(&raw, m_repo.get(), refname.c_str());
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
    return false;
  }
  check(rc, "look up " + refname);
  RefPtr ref(raw);
  check(git_reference_delete(ref.get()), "delete " + refname);
  return true;
}

std::optional<std::string> GitRepo::resolve_commit(const std::string &spec) const {
  if (spec.empty() || spec.find("..") != std::string::npos || spec[0] == '-') {
    return std::nullopt;
  }
  git_object *raw = nullptr;
  if (git_revparse_single(&raw, m_repo.get(), spec.c_str()) < 0) {
    git_error_clear();
    return std::nullopt;
  }
  ObjectPtr obj(raw);
  git_object *peeled = nullptr;
  if (git_object_peel(&peeled, obj.get(), GIT_OBJECT_COMMIT) < 0) {
    git_error_clear();
    return std::nullopt;
  }
  ObjectPtr commit(peeled);
  return to_hex(git_object_id(commit.get()));
}

std::optional<std::string> GitRepo::object_type(const std::string &sha) const {
  auto oid = parse_oid(sha);
  if (!oid) {
    return std::nullopt;
  }
  git_object *raw = nullptr;
  if (git_object_lookup(&raw, m_repo.get(), &*oid, GIT_OBJECT_ANY) < 0) {
    git_error_clear();
    return std::nullopt;
  }
  ObjectPtr obj(raw);
  return type_text(git_object_type(obj.get()));
}

bool GitRepo::is_ancestor(const std::string &ancestor, const std::string &descendant) const {
  if (ancestor == descendant) {
    return true;
  }
  git_oid a = require_oid(ancestor, "ancestry check");
  git_oid d = require_oid(descendant, "ancestry check");
  int rc = git_graph_descendant_of(m_repo.get(), &d, &a);
  check(rc, "ancestry check " + ancestor + " .. " + descendant);
  return rc == 1;
}

std::string GitRepo::create_blob(const std::string &bytes) {
  git_oid oid;
  check(git_blob_create_from_buffer(&oid, m_repo.get(), bytes.data(), bytes.size()), "create blob");
  return to_hex(&oid);
}

std::string GitRepo::create_tree(const std::optional<std::string> &base_tree,
                                 const std::vector<TreeUpdate> &updates) {
  TreePtr base;
  if (base_tree) {
    git_oid oid = require_oid(*base_tree, "base_tree");
    git_object *raw = nullptr;
    check(git_object_lookup(&raw, m_repo.get(), &oid, GIT_OBJECT_ANY), "look up base_tree");
    ObjectPtr obj(raw);
    git_object *peeled = nullptr;
    check(git_object_peel(&peeled, obj.get(), GIT_OBJECT_TREE), "peel base_tree to a tree");
    base.reset(reinterpret_cast<git_tree *>(peeled));
  } else {
    git_treebuilder *braw = nullptr;
    check(git_treebuilder_new(&braw, m_repo.get(), nullptr), "start empty tree");
    BuilderPtr builder(braw);
    git_oid empty;
    check(git_treebuilder_write(&empty, builder.get()), "write empty tree");
    git_tree *traw = nullptr;
    check(git_tree_lookup(&traw, m_repo.get(), &empty), "look up empty tree");
    base.reset(traw);
  }
  std::vector<git_tree_update> raw_updates;
  raw_updates.reserve(updates.size());
  for (const auto &u : updates) {
    git_tree_update g{};
    g.path = u.path.c_str();
    if (u.content) {
      std::string sha = create_blob(*u.content);
      g.id = require_oid(sha, "blob");
    } else if (u.sha) {
      g.id = require_oid(*u.sha, "tree entry " + u.path);
      auto type = object_type(*u.sha);
      if (!type || (*type != u.type && u.type != "commit")) {
        throw GitOpError("tree entry " + u.path + ": object " + *u.sha + " is not a " + u.type);
      }
    } else {
      g.action = GIT_TREE_UPDATE_REMOVE;
      raw_updates.push_back(g);
      continue;
    }
    auto mode = parse_mode(u.mode);
    if (!mode) {
      throw GitOpError("tree entry " + u.path + ": invalid mode " + u.mode);
    }
    g.action = GIT_TREE_UPDATE_UPSERT;
    g.filemode = *mode;
    raw_updates.push_back(g);
  }
  // Removing a path that is not there fails in libgit2 but is a no-op on GitHub.
  std::vector<git_tree_update> effective;
  for (const auto &g : raw_updates) {
    if (g.action == GIT_TREE_UPDATE_REMOVE) {
      git_tree_entry *e = nullptr;
      if (git_tree_entry_bypath(&e, base.get(), g.path) < 0) {
        git_error_clear();
        continue;
      }
      git_tree_entry_free(e);
    }
    effective.push_back(g);
  }
  git_oid out;
  check(git_tree_create_updated(&out, m_repo.get(), base.get(), effective.size(), effective.data()),
        "create tree");
  return to_hex(&out);
}

std::string GitRepo::create_commit(const std::string &message, const std::string &tree,
                                   const std::vector<std::string> &parents, const Signature &author,
                                   const Signature &committer) {
  git_oid tree_oid = require_oid(tree, "commit tree");
  git_tree *traw = nullptr;
  check(git_tree_lookup(&traw, m_repo.get(), &tree_oid), "look up tree " + tree);
  TreePtr tree_obj(traw);
  std::vector<CommitPtr> parent_objs;
  std::vector<const git_commit *> parent_ptrs;
  for (const auto &p : parents) {
    parent_objs.push_back(lookup_commit(m_repo.get(), p));
    parent_ptrs.push_back(parent_objs.back().get());
  }
  SigPtr a = to_git(author);
  SigPtr c = to_git(committer);
  git_oid out;
  check(git_commit_create(&out, m_repo.get(), nullptr, a.get(), c.get(), nullptr, message.c_str(),
                          tree_obj.get(), parent_ptrs.size(), parent_ptrs.data()),
        "create commit");
  return to_hex(&out);
}

CommitInfo GitRepo::read_commit(const std::string &sha) const {
  CommitPtr commit = lookup_commit(m_repo.get(), sha);
  CommitInfo info;
  info.sha = to_hex(git_commit_id(commit.get()));
  info.tree = to_hex(git_commit_tree_id(commit.get()));
  for (unsigned i = 0; i < git_commit_parentcount(commit.get()); ++i) {
    info.parents.push_back(to_hex(git_commit_parent_id(commit.get(), i)));
  }
  info.author = from_git(git_commit_author(commit.get()));
  info.committer = from_git(git_commit_committer(commit.get()));
  const char *msg = git_commit_message(commit.get());
  info.message = msg != nullptr ? msg : "";
  return info;
}

std::vector<TreeEntryInfo> GitRepo::read_tree(const std::string &sha, bool recursive) const {
  git_oid oid = require_oid(sha, "read tree");
  git_object *raw = nullptr;
  check(git_object_lookup(&raw, m_repo.get(), &oid, GIT_OBJECT_ANY), "look up tree " + sha);
  ObjectPtr obj(raw);
  git_object *peeled = nullptr;
  check(git_object_peel(&peeled, obj.get(), GIT_OBJECT_TREE), "peel " + sha + " to a tree");
  TreePtr tree(reinterpret_cast<git_tree *>(peeled));

  struct Walk {
    const GitRepo *self;
    git_repository *repo;
    std::vector<TreeEntryInfo> out;
    bool recursive;
  } walk{this, m_repo.get(), {}, recursive};
  auto cb = [](const char *root, const git_tree_entry *entry, void *payload) -> int {
    auto *w = static_cast<Walk *>(payload);
    TreeEntryInfo info;
    info.path = std::string(root) + git_tree_entry_name(entry);
    info.mode = mode_text(git_tree_entry_filemode(entry));
    info.type = type_text(git_tree_entry_type(entry));
    info.sha = to_hex(git_tree_entry_id(entry));
    if (git_tree_entry_type(entry) == GIT_OBJECT_BLOB) {
      git_blob *blob = nullptr;
      if (git_blob_lookup(&blob, w->repo, git_tree_entry_id(entry)) == 0) {
        info.size = static_cast<std::int64_t>(git_blob_rawsize(blob));
        git_blob_free(blob);
      }
    }
    w->out.push_back(std::move(info));
    // 1 skips the subtree: a non-recursive listing shows only the top level.
    return (w->recursive || git_tree_entry_type(entry) != GIT_OBJECT_TREE) ? 0 : 1;
  };
  check(git_tree_walk(tree.get(), GIT_TREEWALK_PRE, cb, &walk), "walk tree " + sha);
  return std::move(walk.out);
}

std::optional<std::string> GitRepo::read_file(const std::string &commit,
                                              const std::string &path) const {
  CommitPtr c = lookup_commit(m_repo.get(), commit);
  TreePtr tree = commit_tree(c.get());
  git_tree_entry *raw = nullptr;
  if (git_tree_entry_bypath(&raw, tree.get(), path.c_str()) < 0) {
    git_error_clear();
    return std::nullopt;
  }
  std::unique_ptr<git_tree_entry, Free<git_tree_entry_free>> entry(raw);
  git_blob *braw = nullptr;
  if (git_blob_lookup(&braw, m_repo.get(), git_tree_entry_id(entry.get())) < 0) {
    git_error_clear();
    return std::nullopt;
  }
  std::unique_ptr<git_blob, Free<git_blob_free>> blob(braw);
  return std::string(static_cast<const char *>(git_blob_rawcontent(blob.get())),
                     static_cast<std::size_t>(git_blob_rawsize(blob.get())));
}

std::vector<std::string> GitRepo::changed_paths(const std::string &old_sha,
                                                const std::string &new_sha) const {
  CommitPtr new_commit = lookup_commit(m_repo.get(), new_sha);
  TreePtr new_tree = commit_tree(new_commit.get());
  TreePtr old_tree;
  if (!old_sha.empty()) {
    CommitPtr old_commit = lookup_commit(m_repo.get(), old_sha);
    old_tree = commit_tree(old_commit.get());
  }
  git_diff *raw = nullptr;
  check(git_diff_tree_to_tree(&raw, m_repo.get(), old_tree.get(), new_tree.get(), nullptr),
        "diff " + old_sha + " .. " + new_sha);
  DiffPtr diff(raw);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < git_diff_num_deltas(diff.get()); ++i) {
    const git_diff_delta *d = git_diff_get_delta(diff.get(), i);
    if (d->new_file.path != nullptr) {
      out.emplace_back(d->new_file.path);
    }
    if (d->old_file.path != nullptr && std::strcmp(d->old_file.path, d->new_file.path) != 0) {
      out.emplace_back(d->old_file.path);
    }
  }
  return out;
}

std::vector<std::string> GitRepo::commits_between(const std::string &base,
                                                  const std::string &head) const {
  git_revwalk *raw = nullptr;
  check(git_revwalk_new(&raw, m_repo.get()), "start revwalk");
  WalkPtr walk(raw);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
  git_oid h = require_oid(head, "revwalk head");
  git_oid b = require_oid(base, "revwalk base");
  check(git_revwalk_push(walk.get(), &h), "revwalk push " + head);
  check(git_revwalk_hide(walk.get(), &b), "revwalk hide " + base);
  std::vector<std::string> out;
  git_oid oid;
  while (git_revwalk_next(&oid, walk.get()) == 0) {
    out.push_back(to_hex(&oid));
  }
  return out;
}

bool GitRepo::can_merge(const std::string &base, const std::string &head) const {
  CommitPtr b = lookup_commit(m_repo.get(), base);
  CommitPtr h = lookup_commit(m_repo.get(), head);
  git_index *raw = nullptr;
  check(git_merge_commits(&raw, m_repo.get(), b.get(), h.get(), nullptr), "test merge");
  IndexPtr index(raw);
  return git_index_has_conflicts(index.get()) == 0;
}

std::optional<MergeOutcome> GitRepo::merge(const std::string &base, const std::string &head,
                                           MergeMethod method, const std::string &title,
                                           const std::string &body, const Signature &committer) {
  CommitPtr b = lookup_commit(m_repo.get(), base);
  CommitPtr h = lookup_commit(m_repo.get(), head);
  std::string message = body.empty() ? title : title + "\n\n" + body;
  MergeOutcome outcome;
  if (method == MergeMethod::merge || method == MergeMethod::squash) {
    git_index *raw = nullptr;
    check(git_merge_commits(&raw, m_repo.get(), b.get(), h.get(), nullptr), "merge");
    IndexPtr index(raw);
    if (git_index_has_conflicts(index.get()) != 0) {
      return std::nullopt;
    }
    std::string tree = write_index_tree(m_repo.get(), index.get());
    std::vector<std::string> parents{base};
    Signature author = committer;
    if (method == MergeMethod::merge) {
      parents.push_back(head);
    } else {
      // A squash commit is credited to the author of the PR's head commit, as GitHub does.
      author = from_git(git_commit_author(h.get()));
    }
    outcome.new_tip = create_commit(message, tree, parents, author, committer);
    outcome.created.push_back(outcome.new_tip);
    return outcome;
  }
  // Rebase: replay every commit of the PR onto the base, one by one, keeping authors.
  std::string onto = base;
  for (const auto &sha : commits_between(base, head)) {
    CommitPtr c = lookup_commit(m_repo.get(), sha);
    if (git_commit_parentcount(c.get()) > 1) {
      return std::nullopt;
    }
    CommitPtr onto_commit = lookup_commit(m_repo.get(), onto);
    git_index *raw = nullptr;
    check(git_cherrypick_commit(&raw, m_repo.get(), c.get(), onto_commit.get(), 0, nullptr),
          "replay " + sha);
    IndexPtr index(raw);
    if (git_index_has_conflicts(index.get()) != 0) {
      return std::nullopt;
    }
    std::string tree = write_index_tree(m_repo.get(), index.get());
    const char *msg = git_commit_message(c.get());
    onto = create_commit(msg != nullptr ? msg : "", tree, {onto},
                         from_git(git_commit_author(c.get())), committer);
    outcome.created.push_back(onto);
  }
  outcome.new_tip = onto;
  return outcome;
}

Signature now_signature(const std::string &name, const std::string &email) {
  auto now = std::chrono::system_clock::now();
  return Signature{name, email,
                   std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count(),
                   0};
}

} // namespace forge_sim
