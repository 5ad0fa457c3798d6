#include "gitops/git/repository.hpp"

#include "libgit2.hpp"

#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <git2.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace gitops::git {

using namespace detail;

LibGit2Session::LibGit2Session() {
  check(libgit2().git_libgit2_init(), "initialise libgit2");
}

LibGit2Session::~LibGit2Session() {
  libgit2().git_libgit2_shutdown();
}

void Repository::Deleter::operator()(git_repository *repo) const noexcept {
  libgit2().git_repository_free(repo);
}

Repository::Repository(git_repository *repo, std::unique_ptr<LibGit2Session> session)
    : m_session(std::move(session)), m_repo(repo) {}

Repository::Repository(Repository &&) noexcept = default;
Repository &Repository::operator=(Repository &&) noexcept = default;
Repository::~Repository() = default;

namespace {

// libgit2 reports directories with a trailing '/'; paths compare and print better without it.
std::filesystem::path without_trailing_slash(const char *dir) {
  std::filesystem::path p = std::filesystem::path(dir).lexically_normal();
  if (!p.has_filename() && p.has_relative_path()) {
    p = p.parent_path();
  }
  return p;
}

// The nearest directory at or above `start` holding a `.git` entry, with the uid owning that entry;
// nullopt when there is none.
struct FoundRepository {
  std::filesystem::path work_dir;
  uid_t owner;
};
std::optional<FoundRepository> find_repository_dir(const std::filesystem::path &start) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(start, ec).lexically_normal();
  if (ec) {
    return std::nullopt;
  }
  while (true) {
    const std::filesystem::path dot_git = dir / ".git";
    struct stat st {};
    if (::lstat(dot_git.c_str(), &st) == 0) {
      return FoundRepository{dir, st.st_uid};
    }
    if (!dir.has_relative_path()) {
      return std::nullopt;
    }
    dir = dir.parent_path();
  }
}

// libgit2 1.5 refuses a repository owned by another user (git's "dubious ownership") and reports it
// as "not found" (or, with safe.directory=*, which it does not support, as GIT_EOWNER). That is the
// usual failure in containers, so name the cause and the two ways out.
[[noreturn]] void throw_foreign_owner(const FoundRepository &found, int rc) {
  const std::string dir = found.work_dir.string();
  throw GitError("the git repository at " + dir + " belongs to uid " + std::to_string(found.owner) +
                     ", but this process runs as uid " + std::to_string(::geteuid()) +
                     ", and libgit2 refuses a repository owned by another user (git calls it "
                     "\"dubious ownership\"). Run gitops-promotion as the repository's owner (in a "
                     "container: --user " +
                     std::to_string(found.owner) +
                     "), or trust exactly this repository: git config --global --add "
                     "safe.directory " +
                     dir + " (libgit2 1.5 does not honour safe.directory=*)",
                 rc, last_error_class());
}

} // namespace

Repository Repository::open(const std::filesystem::path &path) {
  auto session = std::make_unique<LibGit2Session>();
  git_repository *raw = nullptr;
  const int rc = libgit2().git_repository_open_ext(&raw, path.c_str(), 0, nullptr);
  RepositoryPtr repo{raw};
  if (rc == GIT_ENOTFOUND || rc == GIT_EOWNER) {
    if (const auto found = find_repository_dir(path); found && found->owner != ::geteuid()) {
      throw_foreign_owner(*found, rc);
    }
    throw GitError("no git repository at or above " + path.string(), rc, last_error_class());
  }
  check(rc, "open the git repository at " + path.string());
  return Repository(repo.release(), std::move(session));
}

std::filesystem::path Repository::work_dir() const {
  const char *dir = libgit2().git_repository_workdir(m_repo.get());
  if (dir == nullptr) {
    throw GitError("the repository at " + git_dir().string() + " is bare: it has no work tree");
  }
  return without_trailing_slash(dir);
}

std::filesystem::path Repository::git_dir() const {
  return without_trailing_slash(libgit2().git_repository_path(m_repo.get()));
}

namespace {

// Where the repository is, for messages: the work tree when there is one.
std::string describe(git_repository *repo) {
  const char *dir = libgit2().git_repository_workdir(repo);
  return without_trailing_slash(dir != nullptr ? dir : libgit2().git_repository_path(repo))
      .string();
}

CommitPtr lookup_commit(git_repository *repo, const std::string &revision) {
  git_object *raw = nullptr;
  const int rc = libgit2().git_revparse_single(&raw, repo, revision.c_str());
  ObjectPtr object{raw};
  if (rc < 0) {
    throw GitError("cannot resolve '" + revision + "' to a commit in " + describe(repo) + ": " +
                       last_error_message(),
                   rc, last_error_class());
  }
  git_object *peeled = nullptr;
  const int prc = libgit2().git_object_peel(&peeled, object.get(), GIT_OBJECT_COMMIT);
  ObjectPtr peeled_ptr{peeled};
  if (prc < 0) {
    throw GitError("'" + revision + "' does not name a commit in " + describe(repo) + ": " +
                       last_error_message(),
                   prc, last_error_class());
  }
  git_commit *commit = nullptr;
  check(libgit2().git_commit_lookup(&commit, repo, libgit2().git_object_id(peeled_ptr.get())),
        "read commit '" + revision + "'");
  return CommitPtr{commit};
}

TreePtr commit_tree(git_repository *repo, const std::string &revision) {
  CommitPtr commit = lookup_commit(repo, revision);
  git_tree *raw = nullptr;
  check(libgit2().git_commit_tree(&raw, commit.get()), "read the tree of commit " + revision);
  return TreePtr{raw};
}

// `dir` without leading "./" and trailing slashes; "" and "." mean the root.
std::string normalise_dir(std::string dir) {
  while (dir.starts_with("./")) {
    dir.erase(0, 2);
  }
  while (!dir.empty() && dir.back() == '/') {
    dir.pop_back();
  }
  if (dir == ".") {
    dir.clear();
  }
  return dir;
}

// The entry at `path` of `tree`, or null when there is none.
TreeEntryPtr entry_at(const git_tree *tree, const std::string &path) {
  git_tree_entry *raw = nullptr;
  const int rc = libgit2().git_tree_entry_bypath(&raw, tree, path.c_str());
  TreeEntryPtr entry{raw};
  if (rc == GIT_ENOTFOUND) {
    return nullptr;
  }
  check(rc, "look up '" + path + "' in a tree");
  return entry;
}

bool is_regular_file(git_filemode_t mode) {
  return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE;
}

struct Walk {
  git_repository *repo;
  const std::function<bool(std::string_view)> &name_filter;
  const FileVisitor &visit;

  void tree(git_tree *tree, const std::string &prefix) {
    const size_t count = libgit2().git_tree_entrycount(tree);
    for (size_t i = 0; i < count; ++i) {
      const git_tree_entry *entry = libgit2().git_tree_entry_byindex(tree, i); // borrowed
      const std::string name = libgit2().git_tree_entry_name(entry);
      const std::string path = prefix.empty() ? name : prefix + "/" + name;
      const git_filemode_t mode = libgit2().git_tree_entry_filemode(entry);
      if (mode == GIT_FILEMODE_TREE) {
        git_tree *raw = nullptr;
        check(libgit2().git_tree_lookup(&raw, repo, libgit2().git_tree_entry_id(entry)),
              "read directory " + path);
        TreePtr sub{raw};
        this->tree(sub.get(), path);
      } else if (is_regular_file(mode)) {
        // The name is checked before the blob is loaded: most files of a large repository are
        // rejected here without touching their content.
        if (name_filter && !name_filter(name)) {
          continue;
        }
        git_blob *raw = nullptr;
        check(libgit2().git_blob_lookup(&raw, repo, libgit2().git_tree_entry_id(entry)),
              "read file " + path);
        BlobPtr blob{raw};
        std::string_view content(
            static_cast<const char *>(libgit2().git_blob_rawcontent(blob.get())),
            static_cast<size_t>(libgit2().git_blob_rawsize(blob.get())));
        visit(path, content, static_cast<unsigned>(mode));
      }
      // Symlinks (0120000) and submodules (0160000) are skipped on purpose.
    }
  }
};

// Throws StateError unless `path` is a plain repository-relative path that stays inside the tree.
void validate_change_path(const std::string &path) {
  auto fail = [&](const std::string &why) {
    throw StateError("refusing to commit '" + path + "': " + why);
  };
  if (path.empty()) {
    fail("the path is empty");
  }
  if (path.find('\0') != std::string::npos) {
    fail("the path contains a NUL byte");
  }
  if (path.front() == '/') {
    fail("the path is absolute");
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) {
      end = path.size();
    }
    std::string segment = path.substr(start, end - start);
    if (segment.empty()) {
      fail("the path has an empty segment");
    }
    if (segment == "." || segment == "..") {
      fail("the path has a '" + segment + "' segment");
    }
    if (util::to_lower(segment) == ".git") {
      fail("the path is inside .git");
    }
    start = end + 1;
  }
}

} // namespace

std::string Repository::head_commit() const {
  git_oid oid;
  const int rc = libgit2().git_reference_name_to_id(&oid, m_repo.get(), "HEAD");
  if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) {
    throw GitError("HEAD of " + describe(m_repo.get()) + " has no commit yet", rc,
                   last_error_class());
  }
  check(rc, "resolve HEAD of " + describe(m_repo.get()));
  return resolve_commit(to_hex(oid));
}

std::string Repository::commit_message(const std::string &revision) const {
  CommitPtr commit = lookup_commit(m_repo.get(), revision);
  const char *message = libgit2().git_commit_message_raw(commit.get());
  return message == nullptr ? std::string() : std::string(message);
}

std::optional<std::string> Repository::current_branch() const {
  const int detached = check(libgit2().git_repository_head_detached(m_repo.get()),
                             "check whether HEAD of " + describe(m_repo.get()) + " is detached");
  if (detached == 1) {
    return std::nullopt;
  }
  git_reference *raw = nullptr;
  check(libgit2().git_reference_lookup(&raw, m_repo.get(), "HEAD"),
        "read HEAD of " + describe(m_repo.get()));
  ReferencePtr head{raw};
  const char *target = libgit2().git_reference_symbolic_target(head.get());
  if (target == nullptr) {
    return std::nullopt;
  }
  std::string name = target;
  constexpr std::string_view k_prefix = "refs/heads/";
  if (name.starts_with(k_prefix)) {
    name.erase(0, k_prefix.size());
  }
  return name;
}

bool Repository::is_shallow() const {
  return check(libgit2().git_repository_is_shallow(m_repo.get()),
               "check whether " + describe(m_repo.get()) + " is shallow") == 1;
}

std::optional<std::string> Repository::remote_url(const std::string &name) const {
  git_remote *raw = nullptr;
  const int rc = libgit2().git_remote_lookup(&raw, m_repo.get(), name.c_str());
  RemotePtr remote{raw};
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
    return std::nullopt;
  }
  check(rc, "look up remote '" + name + "' in " + describe(m_repo.get()));
  const char *url = libgit2().git_remote_url(remote.get());
  if (url == nullptr) {
    return std::nullopt;
  }
  return std::string(url);
}

std::string Repository::resolve_commit(const std::string &revision) const {
  CommitPtr commit = lookup_commit(m_repo.get(), revision);
  return to_hex(*libgit2().git_commit_id(commit.get()));
}

std::optional<std::string> Repository::read_file(const std::string &commit,
                                                 const std::string &path) const {
  TreePtr tree = commit_tree(m_repo.get(), commit);
  TreeEntryPtr entry = entry_at(tree.get(), path);
  if (!entry || !is_regular_file(libgit2().git_tree_entry_filemode(entry.get()))) {
    return std::nullopt;
  }
  git_blob *raw = nullptr;
  check(libgit2().git_blob_lookup(&raw, m_repo.get(), libgit2().git_tree_entry_id(entry.get())),
        "read '" + path + "' of commit " + commit);
  BlobPtr blob{raw};
  return std::string(static_cast<const char *>(libgit2().git_blob_rawcontent(blob.get())),
                     static_cast<size_t>(libgit2().git_blob_rawsize(blob.get())));
}

bool Repository::has_directory(const std::string &commit, const std::string &dir) const {
  TreePtr tree = commit_tree(m_repo.get(), commit);
  const std::string d = normalise_dir(dir);
  if (d.empty()) {
    return true;
  }
  TreeEntryPtr entry = entry_at(tree.get(), d);
  return entry && libgit2().git_tree_entry_type(entry.get()) == GIT_OBJECT_TREE;
}

void Repository::for_each_file(const std::string &commit, const std::string &dir,
                               const std::function<bool(std::string_view name)> &name_filter,
                               const FileVisitor &visit) const {
  TreePtr root = commit_tree(m_repo.get(), commit);
  const std::string d = normalise_dir(dir);
  TreePtr start;
  if (d.empty()) {
    start = std::move(root);
  } else {
    TreeEntryPtr entry = entry_at(root.get(), d);
    if (!entry || libgit2().git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE) {
      return;
    }
    git_tree *raw = nullptr;
    check(libgit2().git_tree_lookup(&raw, m_repo.get(), libgit2().git_tree_entry_id(entry.get())),
          "read directory " + d + " of commit " + commit);
    start.reset(raw);
  }
  Walk{m_repo.get(), name_filter, visit}.tree(start.get(), d);
}

std::vector<TreeFile>
Repository::read_files(const std::string &commit, const std::string &dir,
                       const std::function<bool(std::string_view name)> &name_filter,
                       const std::function<bool(std::string_view content)> &content_filter) const {
  std::vector<TreeFile> files;
  for_each_file(commit, dir, name_filter,
                [&](const std::string &path, std::string_view content, unsigned mode) {
                  if (!content_filter || content_filter(content)) {
                    files.push_back(TreeFile{path, std::string(content), mode});
                  }
                });
  std::sort(files.begin(), files.end(),
            [](const TreeFile &a, const TreeFile &b) { return a.path < b.path; });
  return files;
}

std::string Repository::create_commit(const std::string &base,
                                      const std::map<std::string, std::string> &changes,
                                      const std::string &message, const Identity &author,
                                      const std::vector<std::string> &removals) {
  if (message.find('\0') != std::string::npos) {
    throw StateError("refusing to commit: the commit message contains a NUL byte");
  }
  git_repository *repo = m_repo.get();
  CommitPtr parent = lookup_commit(repo, base);
  git_tree *raw_tree = nullptr;
  check(libgit2().git_commit_tree(&raw_tree, parent.get()), "read the tree of commit " + base);
  TreePtr base_tree{raw_tree};

  std::vector<git_tree_update> updates;
  updates.reserve(changes.size() + removals.size());
  for (const auto &[path, content] : changes) {
    validate_change_path(path);
    git_filemode_t mode = GIT_FILEMODE_BLOB;
    if (TreeEntryPtr existing = entry_at(base_tree.get(), path)) {
      mode = libgit2().git_tree_entry_filemode(existing.get());
      if (!is_regular_file(mode)) {
        throw GitError("refusing to commit '" + path + "': it is not a regular file in " + base);
      }
    }
    git_tree_update update{};
    update.action = GIT_TREE_UPDATE_UPSERT;
    update.filemode = mode;
    update.path = path.c_str();
    check(libgit2().git_blob_create_from_buffer(&update.id, repo, content.data(), content.size()),
          "write '" + path + "' to the object database");
    updates.push_back(update);
  }
  for (const std::string &path : removals) {
    validate_change_path(path);
    if (!entry_at(base_tree.get(), path)) {
      throw GitError("refusing to remove '" + path + "': it is not in " + base);
    }
    git_tree_update update{};
    update.action = GIT_TREE_UPDATE_REMOVE;
    update.path = path.c_str();
    updates.push_back(update);
  }

  git_oid tree_id;
  check(libgit2().git_tree_create_updated(&tree_id, repo, base_tree.get(), updates.size(),
                                          updates.data()),
        "build the new tree on top of " + base);
  git_tree *raw_new_tree = nullptr;
  check(libgit2().git_tree_lookup(&raw_new_tree, repo, &tree_id), "read the new tree");
  TreePtr new_tree{raw_new_tree};

  git_signature *raw_sig = nullptr;
  check(libgit2().git_signature_now(&raw_sig, author.name.c_str(), author.email.c_str()),
        "create the commit identity '" + author.name + " <" + author.email + ">'");
  SignaturePtr signature{raw_sig};

  const git_commit *parents[] = {parent.get()};
  git_oid commit_id;
  check(libgit2().git_commit_create(&commit_id, repo, nullptr, signature.get(), signature.get(),
                                    nullptr, message.c_str(), new_tree.get(), 1, parents),
        "create the commit on top of " + base);
  return to_hex(commit_id);
}

void Repository::export_tree(const std::string &commit, const std::string &dir,
                             const std::filesystem::path &target) const {
  git_repository *repo = m_repo.get();
  CommitPtr tip = lookup_commit(repo, commit);
  git_checkout_options options = GIT_CHECKOUT_OPTIONS_INIT;
  // A target directory of its own: the index and the work tree are never consulted or updated.
  options.checkout_strategy =
      GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH;
  const std::string target_text = target.string();
  options.target_directory = target_text.c_str();
  const std::string wanted = normalise_dir(dir);
  std::string pattern = wanted;
  char *paths[] = {pattern.data()};
  if (!wanted.empty()) {
    options.paths.strings = paths;
    options.paths.count = 1;
  }
  check(
      libgit2().git_checkout_tree(repo, reinterpret_cast<const git_object *>(tip.get()), &options),
      "write " + (wanted.empty() ? std::string("the tree") : wanted) + " of commit " + commit +
          " to " + target_text);
}

namespace {

// The commits a shallow clone has without their parents (.git/shallow): their history is missing.
std::set<std::string> shallow_boundary(const std::filesystem::path &git_dir) {
  std::set<std::string> out;
  std::ifstream in(git_dir / "shallow");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      out.insert(line);
    }
  }
  return out;
}

[[noreturn]] void throw_shallow(const std::string &path, const std::string &commit) {
  throw CommandError("cannot tell when " + path +
                     " last changed: this is a shallow clone and the " + "history behind commit " +
                     commit + " is not here; fetch the whole history " +
                     "(actions/checkout: fetch-depth: 0; Azure Pipelines: fetchDepth: 0; git " +
                     "fetch --unshallow)");
}

TreePtr tree_of(git_commit *commit) {
  git_tree *raw = nullptr;
  check(libgit2().git_commit_tree(&raw, commit), "read a commit's tree");
  return TreePtr{raw};
}

// The id of the entry at `path` in `tree`, or a zero id when there is none.
git_oid entry_id(const git_tree *tree, const std::string &path) {
  git_oid id{};
  if (TreeEntryPtr entry = entry_at(tree, path)) {
    libgit2().git_oid_cpy(&id, libgit2().git_tree_entry_id(entry.get()));
  }
  return id;
}

} // namespace

std::map<std::string, Repository::LastChange>
Repository::last_changes(const std::string &commit, const std::vector<std::string> &paths) const {
  git_repository *repo = m_repo.get();
  std::map<std::string, LastChange> found;
  std::set<std::string> open;
  CommitPtr start = lookup_commit(repo, commit);
  {
    const TreePtr tip = tree_of(start.get());
    for (const std::string &path : paths) {
      const git_oid there = entry_id(tip.get(), path);
      if (libgit2().git_oid_is_zero(&there) != 0) {
        throw GitError("'" + path + "' is not in commit " + commit);
      }
      open.insert(path);
    }
  }
  if (open.empty()) {
    return found;
  }
  const std::set<std::string> boundary = shallow_boundary(git_dir());
  git_revwalk *raw_walk = nullptr;
  check(libgit2().git_revwalk_new(&raw_walk, repo), "start a history walk");
  const RevwalkPtr walk{raw_walk};
  // Children before parents (commit times can tie or lie), newest first among the rest.
  check(libgit2().git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME),
        "sort the history walk");
  check(libgit2().git_revwalk_push(walk.get(), libgit2().git_commit_id(start.get())),
        "walk from " + commit);
  git_oid id;
  int rc = 0;
  while (!open.empty() && (rc = libgit2().git_revwalk_next(&id, walk.get())) == 0) {
    git_commit *raw = nullptr;
    check(libgit2().git_commit_lookup(&raw, repo, &id), "read a commit of the history");
    CommitPtr current{raw};
    const std::string hex = to_hex(id);
    const bool cut = boundary.contains(hex);
    const unsigned parents = libgit2().git_commit_parentcount(current.get());
    // Each tree is read once per commit, not once per open path.
    const TreePtr tree = tree_of(current.get());
    std::vector<TreePtr> parent_trees;
    for (unsigned i = 0; i < parents; ++i) {
      git_commit *raw_parent = nullptr;
      check(libgit2().git_commit_parent(&raw_parent, current.get(), i), "read a parent of " + hex);
      const CommitPtr parent{raw_parent};
      parent_trees.push_back(tree_of(parent.get()));
    }
    for (auto it = open.begin(); it != open.end();) {
      const git_oid mine = entry_id(tree.get(), *it);
      bool same_as_a_parent = false;
      for (const TreePtr &parent : parent_trees) {
        const git_oid theirs = entry_id(parent.get(), *it);
        same_as_a_parent = same_as_a_parent || libgit2().git_oid_equal(&mine, &theirs) != 0;
      }
      if (same_as_a_parent) {
        ++it;
        continue;
      }
      if (cut) {
        throw_shallow(*it, hex);
      }
      const git_signature *author = libgit2().git_commit_author(current.get());
      found[*it] = LastChange{hex, std::chrono::system_clock::from_time_t(author->when.time)};
      it = open.erase(it);
    }
  }
  if (!open.empty()) {
    // libgit2 may stop at a missing parent instead of showing the shallow boundary.
    if (is_shallow()) {
      throw_shallow(*open.begin(), commit);
    }
    check(rc == GIT_ITEROVER ? -1 : rc, "walk the history of " + *open.begin());
  }
  return found;
}

void Repository::stage_branch(const std::string &branch, const std::string &commit) {
  validate_branch_name(branch);
  const std::string ref_name = std::string(k_push_namespace) + branch;
  CommitPtr target = lookup_commit(m_repo.get(), commit);
  git_reference *raw = nullptr;
  check(libgit2().git_reference_create(&raw, m_repo.get(), ref_name.c_str(),
                                       libgit2().git_commit_id(target.get()), 1,
                                       "gitops-promotion: stage push"),
        "point " + ref_name + " at " + commit);
  ReferencePtr ref{raw};
}

} // namespace gitops::git
