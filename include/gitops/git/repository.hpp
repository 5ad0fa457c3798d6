#pragma once

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

// Keeps libgit2 initialised while alive; create one in main() (and test mains) before any Repository.
class LibGit2Session {
public:
  LibGit2Session();
  ~LibGit2Session();
  LibGit2Session(const LibGit2Session&) = delete;
  LibGit2Session& operator=(const LibGit2Session&) = delete;
};

// A file read from a commit's tree.
struct TreeFile {
  std::string path;    // repository-relative, '/'-separated
  std::string content; // blob bytes
  unsigned mode = 0100644;
};

// Author and committer identity of promotion commits.
struct Identity {
  std::string name;
  std::string email;
};

// How to authenticate a push or fetch over HTTPS.
struct Credentials {
  enum class Mode {
    userpass,    // Basic auth: `username` + token (GitHub: x-access-token; Azure DevOps: any user)
    extra_header // `Authorization: Bearer <token>` header (Azure Pipelines' System.AccessToken)
  };
  Mode mode = Mode::userpass;
  std::string username = "x-access-token";
  std::string token;
};

// A git repository opened from its work tree or .git directory. Reads and writes objects and refs
// only: the work tree, the index and HEAD are never touched. Move-only.
class Repository {
public:
  // Opens the repository containing `path` (searching upwards). Throws GitError when there is none.
  [[nodiscard]] static Repository open(const std::filesystem::path& path);

  Repository(Repository&&) noexcept;
  Repository& operator=(Repository&&) noexcept;
  ~Repository();

  // The work tree root (the directory holding .git); throws GitError for bare repositories.
  [[nodiscard]] std::filesystem::path work_dir() const;

  // The commit HEAD points to (works with a detached HEAD), as 40 hex characters.
  [[nodiscard]] std::string head_commit() const;

  // The short name of the branch HEAD is on (`main`), or std::nullopt when HEAD is detached.
  [[nodiscard]] std::optional<std::string> current_branch() const;

  // True for a shallow clone (libgit2 1.5 cannot push from those).
  [[nodiscard]] bool is_shallow() const;

  // The URL of remote `name`, or std::nullopt when there is no such remote.
  [[nodiscard]] std::optional<std::string> remote_url(const std::string& name) const;

  // Reads a file of `commit`'s tree, or std::nullopt when absent.
  [[nodiscard]] std::optional<std::string> read_file(const std::string& commit,
                                                     const std::string& path) const;

  // True when `dir` exists as a directory in `commit`'s tree.
  [[nodiscard]] bool has_directory(const std::string& commit, const std::string& dir) const;

  // Every blob under directory `dir` of `commit`'s tree (recursively) whose name passes `name_filter`
  // and whose content passes `content_filter`. Symlinks and submodules are never returned.
  [[nodiscard]] std::vector<TreeFile>
  read_files(const std::string& commit, const std::string& dir,
             const std::function<bool(std::string_view name)>& name_filter,
             const std::function<bool(std::string_view content)>& content_filter) const;

  // Creates a commit whose tree is `base`'s tree with `changes` (path → new content) applied and
  // whose single parent is `base`. No ref is changed. Returns the new commit's id.
  [[nodiscard]] std::string create_commit(const std::string& base,
                                          const std::map<std::string, std::string>& changes,
                                          const std::string& message, const Identity& author);

  // Points refs/heads/<branch> at `commit`, replacing whatever it pointed to.
  void set_branch(const std::string& branch, const std::string& commit);

  // Force-pushes refs/heads/<branch> to remote `remote`. Throws GitError with a message naming the
  // remote URL without credentials (never the token) on authentication failure, rejection, an
  // unreachable host, a missing remote, or a shallow repository.
  void push(const std::string& remote, const std::string& branch, const Credentials& credentials);

  // Fetches refs/heads/<branch> from `remote` and returns the fetched commit id.
  [[nodiscard]] std::string fetch(const std::string& remote, const std::string& branch,
                                  const Credentials& credentials);

private:
  struct Deleter {
    void operator()(git_repository* repo) const noexcept;
  };
  explicit Repository(git_repository* repo);
  std::unique_ptr<git_repository, Deleter> m_repo;
};

// Throws StateError unless `name` is a valid branch name for git (git_reference_name_is_valid).
void validate_branch_name(const std::string& name);

// A unified diff (`--- a/path`, `+++ b/path`, hunks) of one file's old and new bytes, computed in
// memory with libgit2 (nothing is written); "" when they are equal.
[[nodiscard]] std::string unified_diff(const std::string& path, std::string_view old_content,
                                       std::string_view new_content);

// `url` with any user name and password removed, for messages.
[[nodiscard]] std::string redact_url(std::string_view url);

} // namespace gitops::git
