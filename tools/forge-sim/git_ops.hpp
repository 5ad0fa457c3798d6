#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct git_repository;

namespace forge_sim {

// A libgit2 call failed; the message says what was being done and libgit2's own text.
class GitOpError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Keeps libgit2 initialised while alive (process-wide, reference counted by libgit2 itself).
class LibGit2Session {
public:
  LibGit2Session();
  ~LibGit2Session();
  LibGit2Session(const LibGit2Session &) = delete;
  LibGit2Session &operator=(const LibGit2Session &) = delete;
};

// Name, e-mail and time (seconds since the epoch, UTC offset in minutes) of an author or committer.
struct Signature {
  std::string name;
  std::string email;
  std::int64_t time = 0;
  int offset_minutes = 0;
};

// A commit as the Git Data API describes it.
struct CommitInfo {
  std::string sha;
  std::string tree;
  std::vector<std::string> parents;
  Signature author;
  Signature committer;
  std::string message;
};

// One entry of a tree listing; `path` is relative to the listed tree.
struct TreeEntryInfo {
  std::string path;
  std::string mode; // "100644", "040000", … as GitHub prints it
  std::string type; // blob | tree | commit
  std::string sha;
  std::optional<std::int64_t> size; // blobs only
};

// One change for create_tree: upsert `path` with `sha` (or with a new blob of `content`), or delete
// it when both are absent.
struct TreeUpdate {
  std::string path;
  std::string mode = "100644";
  std::string type = "blob";
  std::optional<std::string> sha;
  std::optional<std::string> content;
};

enum class MergeMethod { merge, squash, rebase };

// Outcome of merging a head into a base: the new base tip and every commit created on the way
// (the merge commit, the squash commit, or each rebased commit, oldest first).
struct MergeOutcome {
  std::string new_tip;
  std::vector<std::string> created;
};

// A bare repository on disk, opened for one series of operations. Every read goes to disk, so refs
// moved by pushes through the git server are always seen. Methods throw GitOpError on failure.
class GitRepo {
public:
  // Opens the repository at `path`; throws GitOpError when it is not one.
  static GitRepo open(const std::filesystem::path &path);
  // Creates a bare repository at `path` whose HEAD points at refs/heads/<default_branch>.
  static GitRepo init_bare(const std::filesystem::path &path, const std::string &default_branch);

  GitRepo(GitRepo &&) noexcept;
  GitRepo &operator=(GitRepo &&) noexcept;
  ~GitRepo();

  // The object id a full ref name ("refs/heads/main") points to (peeled to a commit), or nullopt.
  [[nodiscard]] std::optional<std::string> ref_target(const std::string &refname) const;
  // All refs whose full name starts with `prefix`, sorted by name, with their targets.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>>
  list_refs(const std::string &prefix) const;
  // Points `refname` at `sha`. With `expected_old`, fails (returns false) when the ref moved
  // meanwhile; without it, creates or overwrites.
  bool set_ref(const std::string &refname, const std::string &sha,
               const std::optional<std::string> &expected_old);
  // Deletes `refname`; false when it did not exist.
  bool delete_ref(const std::string &refname);

  // Resolves a sha, abbreviated sha, branch, tag or ref name to a commit id, or nullopt.
  [[nodiscard]] std::optional<std::string> resolve_commit(const std::string &spec) const;
  // The object type ("blob", "tree", "commit", "tag") of a full sha, or nullopt when
  // absent/invalid.
  [[nodiscard]] std::optional<std::string> object_type(const std::string &sha) const;
  // True when `ancestor` is `descendant` or one of its ancestors.
  [[nodiscard]] bool is_ancestor(const std::string &ancestor, const std::string &descendant) const;

  [[nodiscard]] std::string create_blob(const std::string &bytes);
  // Builds a tree from `base_tree` (or an empty tree) plus `updates`; nested paths are allowed.
  [[nodiscard]] std::string create_tree(const std::optional<std::string> &base_tree,
                                        const std::vector<TreeUpdate> &updates);
  [[nodiscard]] std::string create_commit(const std::string &message, const std::string &tree,
                                          const std::vector<std::string> &parents,
                                          const Signature &author, const Signature &committer);
  [[nodiscard]] CommitInfo read_commit(const std::string &sha) const;
  // Lists tree `sha` (a commit id is accepted and means its tree), recursively when asked.
  [[nodiscard]] std::vector<TreeEntryInfo> read_tree(const std::string &sha, bool recursive) const;
  // The content of blob `path` in commit `commit`, or nullopt.
  [[nodiscard]] std::optional<std::string> read_file(const std::string &commit,
                                                     const std::string &path) const;

  // Paths changed between two commits (old may be empty: everything in `new_sha`).
  [[nodiscard]] std::vector<std::string> changed_paths(const std::string &old_sha,
                                                       const std::string &new_sha) const;
  // Commits reachable from `head` but not from `base`, oldest first.
  [[nodiscard]] std::vector<std::string> commits_between(const std::string &base,
                                                         const std::string &head) const;
  // False when merging `head` into `base` would conflict.
  [[nodiscard]] bool can_merge(const std::string &base, const std::string &head) const;
  // Merges `head` into `base` with `method` and returns the new tip; does not move any ref. Returns
  // nullopt on conflicts (or, for rebase, when head contains merge commits).
  [[nodiscard]] std::optional<MergeOutcome> merge(const std::string &base, const std::string &head,
                                                  MergeMethod method, const std::string &title,
                                                  const std::string &body,
                                                  const Signature &committer);

private:
  explicit GitRepo(git_repository *repo);
  struct Deleter {
    void operator()(git_repository *repo) const noexcept;
  };
  std::unique_ptr<git_repository, Deleter> m_repo;
};

// Current time as a Signature for `name`/`email`.
[[nodiscard]] Signature now_signature(const std::string &name, const std::string &email);

} // namespace forge_sim
