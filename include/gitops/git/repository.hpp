#pragma once

#include "gitops/util/identity.hpp"
#include "gitops/util/token_source.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct git_repository;

namespace gitops::git {

// Keeps libgit2 initialised while alive. Sessions nest (libgit2 counts them): a Repository and the
// free functions below hold their own, so nothing else needs one (a test may keep one for its whole
// run, since initialising libgit2 parses the CA bundle).
class LibGit2Session {
public:
  LibGit2Session();
  ~LibGit2Session();
  LibGit2Session(const LibGit2Session &) = delete;
  LibGit2Session &operator=(const LibGit2Session &) = delete;
};

// A file read from a commit's tree.
struct TreeFile {
  std::string path;    // repository-relative, '/'-separated
  std::string content; // blob bytes
  unsigned mode = 0100644;
};

// Receives one file of a tree walk: its repository path, its bytes (valid during the call only)
// and its mode.
using FileVisitor =
    std::function<void(const std::string &path, std::string_view content, unsigned mode)>;

// Author and committer identity of promotion commits.
using Identity = util::Identity;

// How to authenticate a push or fetch over HTTPS. An empty token means "no authentication": a
// server that asks for it fails the call with a message saying a token is needed.
struct Credentials {
  enum class Mode {
    userpass,    // Basic auth: `username` + token (GitHub: x-access-token; Azure DevOps: any user)
    extra_header // an `Authorization` header on every request (Azure Pipelines' System.AccessToken)
  };
  // The extra header's scheme: `Bearer <token>`, or `Basic base64(username:token)` (what
  // actions/checkout puts into http.extraheader).
  enum class Scheme { bearer, basic };
  Mode mode = Mode::userpass;
  std::string username = "x-access-token";
  std::string token;
  Scheme scheme = Scheme::bearer;
  // When set, asked for the token at the start of every push, fetch or listing instead of `token`
  // (a GitHub App's installation token, renewed before it expires).
  std::shared_ptr<util::TokenSource> source;

  // These credentials with `token` taken from `source` now (a copy when there is no source).
  [[nodiscard]] Credentials current() const;
};

// A git repository opened from its work tree or .git directory. Reads and writes objects and refs
// only: the work tree, the index and HEAD are never touched. Move-only.
class Repository {
public:
  // Opens the repository containing `path` (searching upwards). Throws GitError when there is none.
  [[nodiscard]] static Repository open(const std::filesystem::path &path);

  Repository(Repository &&) noexcept;
  Repository &operator=(Repository &&) noexcept;
  ~Repository();

  // The work tree root (the directory holding .git); throws GitError for bare repositories.
  [[nodiscard]] std::filesystem::path work_dir() const;

  // The .git directory (the repository itself for a bare one).
  [[nodiscard]] std::filesystem::path git_dir() const;

  // The commit HEAD points to (works with a detached HEAD), as 40 hex characters.
  [[nodiscard]] std::string head_commit() const;

  // The short name of the branch HEAD is on (`main`), or std::nullopt when HEAD is detached.
  [[nodiscard]] std::optional<std::string> current_branch() const;

  // True for a shallow clone (libgit2 1.5 cannot push from those).
  [[nodiscard]] bool is_shallow() const;

  // The URL of remote `name` as configured (it may hold credentials: pass it through
  // util::redact_url() before printing), or std::nullopt when there is no such remote.
  [[nodiscard]] std::optional<std::string> remote_url(const std::string &name) const;

  // The commit id (40 hex) of `revision` (an id, `HEAD`, a branch, anything git rev-parse takes
  // that names a commit). Throws GitError naming the revision when it does not resolve to a commit.
  [[nodiscard]] std::string resolve_commit(const std::string &revision) const;

  // The full message of commit `revision`, byte for byte. Throws GitError as resolve_commit().
  [[nodiscard]] std::string commit_message(const std::string &revision) const;

  // Reads a regular file (blob, executable or not) of `commit`'s tree, or std::nullopt when absent
  // or not a regular file (a directory, symlink or submodule).
  [[nodiscard]] std::optional<std::string> read_file(const std::string &commit,
                                                     const std::string &path) const;

  // True when `dir` exists as a directory in `commit`'s tree.
  [[nodiscard]] bool has_directory(const std::string &commit, const std::string &dir) const;

  // Every blob under directory `dir` ("" = the whole tree) of `commit`'s tree, recursively, whose
  // file name (last path component) passes `name_filter` and whose content passes `content_filter`,
  // sorted by path. Only `dir`'s subtree is walked and blobs are loaded only when their name
  // passes; an empty std::function accepts everything. Symlinks and submodules are never returned.
  // A missing `dir` (or one that is a file) gives an empty vector.
  [[nodiscard]] std::vector<TreeFile>
  read_files(const std::string &commit, const std::string &dir,
             const std::function<bool(std::string_view name)> &name_filter,
             const std::function<bool(std::string_view content)> &content_filter) const;

  // Calls `visit(path, content, mode)` for each blob read_files would read (before its content
  // filter), in tree order, one at a time: `content` is valid only during the call, so memory
  // follows the largest file, not the directory.
  void for_each_file(const std::string &commit, const std::string &dir,
                     const std::function<bool(std::string_view name)> &name_filter,
                     const FileVisitor &visit) const;

  // Creates a commit whose tree is `base`'s tree with `changes` (repository-relative '/'-separated
  // path → new content) applied and whose single parent is `base`; `message` is used byte for byte
  // and `author` is author and committer. Existing files keep their mode; new files get 0100644. No
  // ref, the index or the work tree is changed. Returns the new commit's id. Throws StateError for
  // an unsafe path (absolute, `..`, `.git`, empty segments) and GitError when a path is a
  // directory, symlink or submodule in `base`.
  // Paths in `removals` are deleted (a directory left empty disappears with them); removing a path
  // that `base` lacks is a GitError.
  [[nodiscard]] std::string create_commit(const std::string &base,
                                          const std::map<std::string, std::string> &changes,
                                          const std::string &message, const Identity &author,
                                          const std::vector<std::string> &removals = {});

  // Writes the files under `dir` ("" = everything) of `commit`'s tree, symlinks included, into
  // `target` at their repository paths (libgit2's checkout into a target directory: no index,
  // HEAD or work tree is touched). Throws GitError.
  void export_tree(const std::string &commit, const std::string &dir,
                   const std::filesystem::path &target) const;

  // When each of `paths` (files or directories present in `commit`) last changed: the newest commit
  // reachable from `commit` whose entry at the path differs from every parent's (git log -1 --
  // <path>). History is walked newest first, once for all paths, and only until every path is
  // answered. Throws GitError when a path is absent from `commit`, and CommandError when the walk
  // reaches the boundary of a shallow clone before a path is answered (the history that would
  // answer it is not there).
  struct LastChange {
    std::string commit;
    std::chrono::system_clock::time_point author_time;
  };
  [[nodiscard]] std::map<std::string, LastChange>
  last_changes(const std::string &commit, const std::vector<std::string> &paths) const;

  // Points the tool's own ref for `branch` (k_push_namespace + branch) at `commit`, ready for
  // push(). The user's branches (refs/heads/…) are never created, moved or deleted. Throws
  // StateError for an invalid branch name.
  void stage_branch(const std::string &branch, const std::string &commit);

  // How a push went: whether only the staged commit's new objects were sent (the smart-HTTP path)
  // and how many objects the pack held (0 when libgit2 pushed).
  struct PushReport {
    bool new_objects_only = false;
    std::size_t objects = 0;
  };

  // Force-pushes what stage_branch() staged for `branch` to refs/heads/<branch> on remote `remote`
  // (a remote name, e.g. `origin`). Over http(s), when the staged commit has one parent that the
  // server has (an advertised tip or one of its ancestors), the pack holds only the commit and the
  // trees and blobs its parent lacks, built before any connection is opened, and is sent with
  // git's receive-pack exchange (cost follows the change, not the repository; see ARCHITECTURE.md).
  // Otherwise (ssh, a local path, a parent the server may lack) libgit2 pushes. Throws GitError
  // with a message naming the remote URL without credentials (never the token) on authentication
  // failure ("authentication failed for <url>"), rejection by the server, an unreachable host, a
  // missing remote, a remote URL with embedded credentials, or a shallow repository (libgit2 1.5
  // cannot push from one).
  PushReport push(const std::string &remote, const std::string &branch,
                  const Credentials &credentials);

  // The commit refs/heads/<branch> has on `remote` (its ref advertisement only: nothing is
  // downloaded), or std::nullopt when the remote has no such branch. Errors as for fetch().
  [[nodiscard]] std::optional<std::string> remote_branch(const std::string &remote,
                                                         const std::string &branch,
                                                         const Credentials &credentials);

  // Fetches refs/heads/<branch> from `remote` into the tool's own
  // k_fetch_namespace/<remote>/<branch> (no tags; the user's remote-tracking refs stay as they
  // were) and returns the commit id the remote has for it now, whose objects are then readable.
  // Errors as for push(), plus GitError when the remote has no such branch.
  [[nodiscard]] std::string fetch(const std::string &remote, const std::string &branch,
                                  const Credentials &credentials);

private:
  struct Deleter {
    void operator()(git_repository *repo) const noexcept;
  };
  explicit Repository(git_repository *repo, std::unique_ptr<LibGit2Session> session);
  // Declared first so that libgit2 is shut down only after the repository is freed.
  std::unique_ptr<LibGit2Session> m_session;
  std::unique_ptr<git_repository, Deleter> m_repo;
};

// Where the tool keeps the refs it needs, away from the user's branches and tracking refs.
inline constexpr std::string_view k_push_namespace = "refs/gitops-promotion/heads/";
inline constexpr std::string_view k_fetch_namespace = "refs/gitops-promotion/remotes/";

// Throws StateError unless refs/heads/<name> is a valid ref for git (git_reference_name_is_valid)
// and `name` is neither `HEAD` nor starts with '-'.
void validate_branch_name(const std::string &name);

// A unified diff (`--- a/path`, `+++ b/path`, hunks with 3 lines of context) of one file's old and
// new bytes, computed in memory with libgit2 (nothing is written); "" when they are equal. Only the
// lines around the changes are diffed (a value in a 50 MB file costs a few lines), so next to
// repeated lines the hunks may pair lines differently from a whole-file diff; they always apply.
[[nodiscard]] std::string unified_diff(const std::string &path, std::string_view old_content,
                                       std::string_view new_content);

} // namespace gitops::git
