#pragma once

#include "support/process.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gitops::test {

// Runs `git <args>` in `cwd`, isolated from the user's and the system's git config, with a fixed
// identity and GIT_TERMINAL_PROMPT=0. Returns stdout with one trailing newline removed; throws
// std::runtime_error with the command and stderr when git fails.
std::string git(const std::filesystem::path &cwd, const std::vector<std::string> &args);

// Runs `git <args>` in `cwd` through /bin/sh (so `args` may quote, pipe or use `|| true`) with
// git()'s isolation; returns stdout without its trailing newline, throws like git().
std::string git_shell(const std::filesystem::path &cwd, const std::string &args);

// `git init -b <branch>` at `dir` (created if needed).
void init_repo(const std::filesystem::path &dir, const std::string &branch = "main");

// `git init --bare -b <branch>` at `dir` (created if needed).
void init_bare_repo(const std::filesystem::path &dir, const std::string &branch = "main");

// Writes each path (relative to `dir`) → content, creating directories.
void write_files(const std::filesystem::path &dir, const std::map<std::string, std::string> &files);

// `git add -A && git commit -m <message>` in `dir`; returns the new commit id.
std::string commit_all(const std::filesystem::path &dir, const std::string &message);

// `git clone <extra_args...> <source> <dest>`.
void clone(const std::string &source, const std::filesystem::path &dest,
           const std::vector<std::string> &extra_args = {});

// The commit id `revision` names in the repository at `dir` (work tree or bare), or std::nullopt.
std::optional<std::string> rev_parse(const std::filesystem::path &dir, const std::string &revision);

// A repository with an initial commit of `files` on `main`, pushed to a bare "origin" beside it:
// <root>/origin.git and <root>/work (remote `origin` is the bare repository's path).
struct SandboxRepos {
  std::filesystem::path origin;
  std::filesystem::path work;
  std::string base_commit;
};
SandboxRepos make_sandbox(const std::filesystem::path &root,
                          const std::map<std::string, std::string> &files);

// Every regular file and symlink under `dir` (recursively, `.git` included) with its bytes, mode
// and modification time, to compare a tree before and after an operation.
struct FileState {
  std::string content; // a symlink's target for symlinks
  unsigned mode = 0;
  long long mtime_ns = 0;
  bool operator==(const FileState &) const = default;
};
using DirSnapshot = std::map<std::string, FileState>;
DirSnapshot snapshot_dir(const std::filesystem::path &dir,
                         const std::vector<std::string> &exclude_prefixes = {});

// The paths (relative to `dir`) of the regular files under `dir` whose bytes contain `needle`.
std::vector<std::string> files_containing(const std::filesystem::path &dir,
                                          const std::string &needle);

} // namespace gitops::test
